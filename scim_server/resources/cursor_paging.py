"""Cursor paging at the HTTP edge (RFC 9865): the request's cursor read into a position, and
the positions of a page's neighbours written as `nextCursor` and `previousCursor`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kinabase_m365.runtime import current_settings
from scim_server.protocol.cursors import CursorPage, Cursors, Position, query_scope
from scim_server.protocol.list_response import cursor_list_response
from scim_server.protocol.query import ListQuery


def _cursors() -> Cursors:
    settings = current_settings()
    return Cursors(settings.secret_key, settings.scim_cursor_timeout_seconds)


def requested_position(org_id: int, resource_type: str, query: ListQuery) -> Position | None:
    """Where the requested page starts; None for the first page (an empty cursor).

    A cursor of another organisation, resource type or query, altered or forged, is
    `invalidCursor`; one older than the timeout, `expiredCursor`.
    """
    assert query.cursor is not None  # noqa: S101 - only cursor queries come here
    return _cursors().read(query.cursor, query_scope(org_id, resource_type, query))


def cursor_page_body(
    org_id: int,
    resource_type: str,
    query: ListQuery,
    page: CursorPage[Any],
    resources: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The ListResponse of a cursor page whose rendered resources are `resources`."""
    cursors = _cursors()
    scope = query_scope(org_id, resource_type, query)
    return cursor_list_response(
        resources,
        total_results=page.total,
        next_cursor=cursors.issue(scope, page.next) if page.next else None,
        previous_cursor=cursors.issue(scope, page.previous) if page.previous else None,
    )
