"""POST /.search: one query across Users and Groups (RFC 7644 §3.4.3).

Users come first, then groups, and one page is cut from that sequence. A filter is parsed
against each resource type; a resource type whose schema does not know an attribute of the
filter has no matches, and a filter that neither knows is `invalidFilter`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Response

from scim_server.protocol.errors import InvalidFilter, InvalidValue
from scim_server.protocol.list_response import list_response
from scim_server.protocol.query import ListQuery
from scim_server.provisioning import groups as group_provisioning
from scim_server.provisioning import users as user_provisioning
from scim_server.resources import groups, users
from scim_server.resources.context import search_query, session_and_org
from scim_server.resources.http import request_json, scim_response
from scim_server.resources.rendering import meta, render


def _queries() -> tuple[ListQuery | None, ListQuery | None]:
    found: list[ListQuery | None] = []
    first_error: InvalidFilter | None = None
    for schema in (users.SCHEMA, groups.SCHEMA):
        try:
            found.append(search_query(schema))
        except InvalidFilter as error:
            first_error = first_error or error
            found.append(None)
    if found[0] is None and found[1] is None:
        assert first_error is not None  # noqa: S101 - both failed, so one error was kept
        raise first_error
    return found[0], found[1]


def search_all() -> Response:
    """POST /.search."""
    request_json()  # the body must be valid JSON before anything else
    user_query, group_query = _queries()
    session, org_id = session_and_org()
    base = user_query or group_query
    assert base is not None  # noqa: S101 - _queries returns at least one
    if base.cursor is not None:
        raise InvalidValue(
            "Cursor paging is offered on /Users and /Groups (and their .search), "
            "not across resource types."
        )
    resources: list[dict[str, Any]] = []
    total = 0
    offset, wanted = base.offset, base.count
    if user_query is not None:
        page_query = _window(user_query, offset, wanted)
        count, page = user_provisioning.query_users(session, org_id, page_query)
        total += count
        for stored in page:
            row = stored.row
            resources.append(
                render(
                    stored.resource,
                    users.SCHEMA,
                    user_query.projection,
                    meta("User", row.id, row.created, row.last_modified, row.version),
                )
            )
        offset = max(0, offset - count)
        wanted -= len(page)
    if group_query is not None:
        count, group_page = group_provisioning.query_groups(
            session, org_id, _window(group_query, offset, wanted)
        )
        total += count
        for group in group_page:
            resources.append(
                render(
                    group_provisioning.resource_of(group),
                    groups.SCHEMA,
                    group_query.projection,
                    meta("Group", group.id, group.created, group.last_modified, group.version),
                )
            )
    return scim_response(
        list_response(resources, total_results=total, start_index=base.start_index)
    )


def _window(query: ListQuery, offset: int, count: int) -> ListQuery:
    return replace(query, start_index=offset + 1, count=max(count, 0))
