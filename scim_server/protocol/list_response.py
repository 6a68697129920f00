"""The ListResponse message of a query (RFC 7644 §3.4.2; with cursors, RFC 9865 §2).

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


def cursor_list_response(
    resources: Sequence[Mapping[str, Any]],
    *,
    total_results: int,
    next_cursor: str | None,
    previous_cursor: str | None,
) -> dict[str, Any]:
    """A ListResponse holding one cursor page (RFC 9865 §2): `nextCursor` unless it is the last
    page, `previousCursor` unless it is the first; no `startIndex`, as in the RFC's examples."""
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": int(total_results),
        "itemsPerPage": len(resources),
    }
    if next_cursor is not None:
        body["nextCursor"] = next_cursor
    if previous_cursor is not None:
        body["previousCursor"] = previous_cursor
    body["Resources"] = [dict(r) for r in resources]
    return body
