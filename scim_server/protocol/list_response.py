"""The ListResponse message of a query (RFC 7644 §3.4.2).

`totalResults`, `startIndex` and `itemsPerPage` are JSON integers (Okta checks they are
numbers); `Resources` is present even when empty, as in Entra's documented zero-result answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def list_response(
    resources: Sequence[Mapping[str, Any]], *, total_results: int, start_index: int
) -> dict[str, Any]:
    """A ListResponse holding one page of `resources` out of `total_results` matches."""
    return {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": int(total_results),
        "startIndex": int(start_index),
        "itemsPerPage": len(resources),
        "Resources": [dict(r) for r in resources],
    }
