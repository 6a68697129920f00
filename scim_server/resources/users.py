"""The /Users endpoint (RFC 7644 §3.2): one handler per SCIM operation, orchestration only.

Each write runs in the request's transaction: parse (400 on bad input), write the store, project
onto Kinabase, commit — or roll everything back and answer with a SCIM error.
"""

from __future__ import annotations

from flask import Response

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.etag import check_preconditions, etag
from scim_server.protocol.list_response import list_response
from scim_server.protocol.patch import apply_patch
from scim_server.protocol.patch_request import parse_patch_request
from scim_server.protocol.projection import Projection
from scim_server.protocol.query import ListQuery
from scim_server.protocol.resource import parse_replacement, parse_resource
from scim_server.resources.context import (
    dialect_name,
    list_query,
    preconditions,
    projection,
    search_query,
    session_and_org,
)
from scim_server.resources.http import request_json, scim_response
from scim_server.resources.kinabase_sync import forget_user, sync_user
from scim_server.resources.rendering import location, meta, references, render
from scim_server.store import users as store
from scim_server.store.groups import group_refs_of_users

SCHEMA = load_registry().user


def _rendered(stored: store.StoredUser, shown: Projection) -> dict[str, object]:
    resource = stored.resource
    row = stored.row
    if shown.includes(SCHEMA.attribute("groups")):
        groups = group_refs_of_users(*session_and_org(), [row.pk]).get(row.pk, [])
        if groups:
            resource["groups"] = references("Group", groups)
    return render(
        resource,
        SCHEMA,
        shown,
        meta("User", row.id, row.created, row.last_modified, row.version),
    )


def _answer(stored: store.StoredUser, status: int = 200) -> Response:
    headers = {"ETag": etag(stored.row.version)}
    if status == 201:
        headers["Location"] = location("User", stored.row.id)
    return scim_response(_rendered(stored, projection(SCHEMA)), status, headers)


def create() -> Response:
    """POST /Users (RFC 7644 §3.3): 201 with the resource, Location and ETag."""
    session, org_id = session_and_org()
    parsed = parse_resource(request_json(), SCHEMA)
    stored = store.create_user(session, org_id, parsed.resource)
    sync_user(session, org_id, stored)
    response = _answer(stored, 201)
    session.commit()
    return response


def get(user_id: str) -> Response:
    """GET /Users/{id} (RFC 7644 §3.4.1), honouring If-None-Match (304)."""
    session, org_id = session_and_org()
    stored = store.get_user(session, org_id, user_id)
    if_match, if_none_match = preconditions()
    check_preconditions(
        stored.row.version, if_match=if_match, if_none_match=if_none_match, read=True
    )
    return _answer(stored)


def _query(query: ListQuery) -> Response:
    session, org_id = session_and_org()
    total, page = store.query_users(session, org_id, query, dialect_name())
    groups = (
        group_refs_of_users(session, org_id, [s.row.pk for s in page])
        if query.projection.includes(SCHEMA.attribute("groups"))
        else {}
    )
    resources = []
    for stored in page:
        resource = stored.resource
        if groups.get(stored.row.pk):
            resource["groups"] = references("Group", groups[stored.row.pk])
        row = stored.row
        resources.append(
            render(
                resource,
                SCHEMA,
                query.projection,
                meta("User", row.id, row.created, row.last_modified, row.version),
            )
        )
    body = list_response(resources, total_results=total, start_index=query.start_index)
    return scim_response(body)


def query() -> Response:
    """GET /Users with filter, sorting, paging and projection (RFC 7644 §3.4.2)."""
    return _query(list_query(SCHEMA))


def search() -> Response:
    """POST /Users/.search (RFC 7644 §3.4.3)."""
    return _query(search_query(SCHEMA))


def _writable(user_id: str) -> store.StoredUser:
    session, org_id = session_and_org()
    stored = store.get_user(session, org_id, user_id, for_update=True)
    if_match, if_none_match = preconditions()
    check_preconditions(
        stored.row.version, if_match=if_match, if_none_match=if_none_match, read=False
    )
    return stored


def replace(user_id: str) -> Response:
    """PUT /Users/{id} (RFC 7644 §3.5.1): the body replaces the resource."""
    session, org_id = session_and_org()
    stored = _writable(user_id)
    parsed = parse_replacement(request_json(), SCHEMA, stored.resource)
    stored = store.update_user(session, stored, parsed.resource)
    sync_user(session, org_id, stored)
    response = _answer(stored)
    session.commit()
    return response


def patch(user_id: str) -> Response:
    """PATCH /Users/{id} (RFC 7644 §3.5.2): 200 with the resource.

    A PATCH that changes nothing keeps the version and lastModified, and writes nothing.
    """
    session, org_id = session_and_org()
    stored = _writable(user_id)
    result = apply_patch(stored.resource, parse_patch_request(request_json(), SCHEMA), SCHEMA)
    if result.changed:
        stored = store.update_user(session, stored, result.resource)
        sync_user(session, org_id, stored)
    response = _answer(stored)
    session.commit()
    return response


def delete(user_id: str) -> Response:
    """DELETE /Users/{id} (RFC 7644 §3.6): 204; the Kinabase user is deactivated, not lost."""
    session, org_id = session_and_org()
    stored = _writable(user_id)
    forget_user(session, org_id, stored.row.id)
    store.delete_user(session, stored)
    session.commit()
    return scim_response(None, 204)
