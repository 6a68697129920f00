"""Golden POST bodies (RFC 7643 §8 examples; Entra, Postman and Okta create requests).

Each file in samples/resource holds a request body and either what the store keeps (the
resource, member ids, ids to check, ignored attributes) or the expected error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import ScimError
from scim_server.protocol.resource import parse_resource

SAMPLES = sorted((Path(__file__).parent / "samples" / "resource").glob("*.json"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_resource_sample(path: Path) -> None:
    sample = json.loads(path.read_text())
    schema = load_registry().get(sample["resourceType"])
    if "error" in sample:
        with pytest.raises(ScimError) as caught:
            parse_resource(sample["body"], schema)
        body = caught.value.to_body()
        assert (body["status"], body.get("scimType")) == (
            sample["error"]["status"],
            sample["error"].get("scimType"),
        )
        return
    parsed = parse_resource(sample["body"], schema)
    expected = sample["expected"]
    assert parsed.resource == expected["resource"]
    assert (None if parsed.members is None else sorted(parsed.members)) == expected["members"]
    assert sorted(parsed.referenced_ids) == expected["referencedIds"]
    assert list(parsed.ignored) == expected["ignored"]
