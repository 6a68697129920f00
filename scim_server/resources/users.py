"""The /Users endpoint (RFC 7644 §3.2): one handler per SCIM operation, parse → call → render.

The provisioning service does the work (store and Kinabase, in the request's transaction); the
route table commits a write once its handler has rendered the answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response

from kinabase_m365.database import commit_write
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.etag import etag
from scim_server.protocol.list_response import list_response
from scim_server.protocol.patch_request import parse_patch_request
from scim_server.protocol.projection import Projection
from scim_server.protocol.query import ListQuery
from scim_server.protocol.resource import parse_resource
from scim_server.provisioning import users as provisioning
from scim_server.provisioning.activity import user_deleted, user_written
from scim_server.provisioning.users import GroupRef, ProvisionedUser
from scim_server.resources.activity import record
from scim_server.resources.context import (
    list_query,
    preconditions,
    projection,
    search_query,
    session_and_org,
)
from scim_server.resources.cursor_paging import cursor_page_body, requested_position
from scim_server.resources.http import request_json, scim_response
from scim_server.resources.rendering import location, meta, references, render

SCHEMA = load_registry().user
GROUPS = SCHEMA.attribute("groups")


def _rendered(
    stored: ProvisionedUser, shown: Projection, groups: list[GroupRef] | None
) -> dict[str, object]:
    resource = stored.resource
    if groups:
        resource["groups"] = references("Group", groups, "direct")
    row = stored.row
    return render(
        resource, SCHEMA, shown, meta("User", row.id, row.created, row.last_modified, row.version)
    )


def _answer(stored: ProvisionedUser, status: int = 200) -> Response:
    """The user as the request asked to see them; a write commits before rendering it."""
    shown = projection(SCHEMA)
    groups = None
    if status != 201 and shown.includes(GROUPS):  # a new user is in no group
        session, org_id = session_and_org()
        groups = provisioning.groups_of_users(session, org_id, [stored]).get(stored.row.pk)
    commit_write()
    headers = {"ETag": etag(stored.row.version)}
    if status == 201:
        headers["Location"] = location("User", stored.row.id)
    return scim_response(_rendered(stored, shown, groups), status, headers)


def create() -> Response:
    """POST /Users (RFC 7644 §3.3): 201 with the resource, Location and ETag."""
    parsed = parse_resource(request_json(), SCHEMA)
    written = provisioning.create_user(*session_and_org(), parsed)
    record(user_written(written, 201))
    return _answer(written.stored, 201)


def get(user_id: str) -> Response:
    """GET /Users/{id} (RFC 7644 §3.4.1), honouring If-None-Match (304)."""
    return _answer(provisioning.get_user(*session_and_org(), user_id, preconditions()))


def _query(query: ListQuery) -> Response:
    session, org_id = session_and_org()

    def rendered(page: Sequence[ProvisionedUser]) -> list[dict[str, object]]:
        groups = (
            provisioning.groups_of_users(session, org_id, page)
            if query.projection.includes(GROUPS)
            else {}
        )
        return [_rendered(s, query.projection, groups.get(s.row.pk)) for s in page]

    if query.cursor is not None:
        position = requested_position(org_id, "User", query)
        keyset = provisioning.cursor_query_users(session, org_id, query, position)
        return scim_response(
            cursor_page_body(org_id, "User", query, keyset, rendered(keyset.items))
        )
    total, page = provisioning.query_users(session, org_id, query)
    body = list_response(rendered(page), total_results=total, start_index=query.start_index)
    return scim_response(body)


def query() -> Response:
    """GET /Users with filter, sorting, paging and projection (RFC 7644 §3.4.2)."""
    return _query(list_query(SCHEMA))


def search() -> Response:
    """POST /Users/.search (RFC 7644 §3.4.3)."""
    return _query(search_query(SCHEMA))


def replace(user_id: str) -> Response:
    """PUT /Users/{id} (RFC 7644 §3.5.1): the body replaces the resource."""
    parsed = parse_resource(request_json(), SCHEMA)
    written = provisioning.replace_user(*session_and_org(), user_id, parsed, preconditions())
    record(user_written(written, 200))
    return _answer(written.stored)


def patch(user_id: str) -> Response:
    """PATCH /Users/{id} (RFC 7644 §3.5.2): 200 with the resource."""
    request = parse_patch_request(request_json(), SCHEMA)
    written = provisioning.patch_user(*session_and_org(), user_id, request, preconditions())
    record(user_written(written, 200))
    return _answer(written.stored)


def delete(user_id: str) -> Response:
    """DELETE /Users/{id} (RFC 7644 §3.6): 204; the Kinabase user is deactivated, not lost."""
    deleted = provisioning.delete_user(*session_and_org(), user_id, preconditions())
    record(user_deleted(deleted))
    return scim_response(None, 204)
