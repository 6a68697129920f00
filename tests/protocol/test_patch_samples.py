"""Golden PATCH samples: RFC 7644 §3.5.2 examples, Entra's and Okta's request shapes.

Each file in samples/patch holds a stored resource, a PatchOp request, and either the expected
resource, whether it changed, the member delta and the ids to check, or the expected error.
File names cite the RFC section or the section of docs/reference/entra-provisioning.md.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import ScimError
from scim_server.protocol.patch import PatchResult, apply_patch
from scim_server.protocol.patch_request import parse_patch_request

SAMPLES = sorted((Path(__file__).parent / "samples" / "patch").glob("*.json"))


def _patch(sample: dict[str, Any]) -> PatchResult:
    schema = load_registry().get(sample["resourceType"])
    return apply_patch(sample["resource"], parse_patch_request(sample["request"], schema), schema)


def _members(result: PatchResult) -> dict[str, Any]:
    delta = result.members
    replace_all = None if delta.replace_all is None else sorted(delta.replace_all)
    return {"add": sorted(delta.add), "remove": sorted(delta.remove), "replaceAll": replace_all}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_patch_sample(path: Path) -> None:
    sample = json.loads(path.read_text())
    stored = copy.deepcopy(sample["resource"])
    if "error" in sample:
        with pytest.raises(ScimError) as caught:
            _patch(sample)
        body = caught.value.to_body()
        assert (body["status"], body.get("scimType")) == (
            sample["error"]["status"],
            sample["error"].get("scimType"),
        )
    else:
        result = _patch(sample)
        assert result.resource == sample["expected"]
        assert result.changed is sample["changed"]
        assert _members(result) == sample["members"]
        assert sorted(result.referenced_ids) == sample["referencedIds"]
    assert sample["resource"] == stored, "the stored resource must never be modified in place"


def test_there_are_samples_for_every_operation() -> None:
    names = {p.stem for p in SAMPLES}
    for prefix in ("rfc7644-3.5.2.1", "rfc7644-3.5.2.2", "rfc7644-3.5.2.3", "entra-5.", "okta-4"):
        assert any(n.startswith(prefix) for n in names), prefix
