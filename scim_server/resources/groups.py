"""The /Groups endpoint (RFC 7644 §3.2): one handler per SCIM operation, orchestration only.

Members are never part of the stored group: PATCH turns member operations into a delta that the
store applies with set operations, and a response reads the members only when it contains them.
A group PATCH answers 204 (what Entra prefers) unless the request asks for attributes. A GET that
includes the members streams them, so a 100,000-member group costs no more memory than a small
one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Response, request, stream_with_context

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.etag import check_preconditions, etag
from scim_server.protocol.list_response import list_response
from scim_server.protocol.members import MemberDelta
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
from scim_server.resources.http import SCIM_MEDIA_TYPE, request_json, scim_response
from scim_server.resources.kinabase_sync import forget_group, sync_group, sync_membership
from scim_server.resources.rendering import location, meta, references, render
from scim_server.store import groups as store
from scim_server.store.tables import ScimGroup

SCHEMA = load_registry().group
MEMBERS = SCHEMA.attribute("members")
STREAM_CHUNK = 1_000


def _rendered(group: ScimGroup, shown: Projection, members: list[Any] | None) -> dict[str, Any]:
    resource = store.group_resource(group)
    if members:
        resource["members"] = members
    return render(
        resource,
        SCHEMA,
        shown,
        meta("Group", group.id, group.created, group.last_modified, group.version),
    )


def _members(group: ScimGroup) -> list[dict[str, Any]]:
    session, _ = session_and_org()
    return references("User", store.iter_members(session, group.pk))


def _answer(group: ScimGroup, status: int = 200, *, stream: bool = False) -> Response:
    """The group (members included unless excluded); a read streams its members.

    Writes build their answer inside their transaction, before the commit, so that they never
    open a second one.
    """
    shown = projection(SCHEMA)
    headers = {"ETag": etag(group.version)}
    if status == 201:
        headers["Location"] = location("Group", group.id)
    if not shown.includes(MEMBERS) or not stream:
        members = _members(group) if shown.includes(MEMBERS) else None
        return scim_response(_rendered(group, shown, members), status, headers)
    body = _rendered(group, shown, None)
    session, _ = session_and_org()
    pairs = store.iter_members(session, group.pk)
    return Response(
        stream_with_context(_stream(body, pairs)),
        status=status,
        headers=headers,
        content_type=f"{SCIM_MEDIA_TYPE}; charset=utf-8",
    )


def _stream(body: dict[str, Any], pairs: Iterator[tuple[str, str | None]]) -> Iterator[str]:
    """The group's JSON with its members written out in chunks."""
    head = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    yield head[:-1] + ',"members":['
    first = True
    chunk: list[tuple[str, str | None]] = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) == STREAM_CHUNK:
            yield ("" if first else ",") + _encoded_members(chunk)
            first, chunk = False, []
    if chunk:
        yield ("" if first else ",") + _encoded_members(chunk)
    yield "]}"


def _encoded_members(pairs: list[tuple[str, str | None]]) -> str:
    encoded = json.dumps(references("User", pairs), separators=(",", ":"), ensure_ascii=False)
    return encoded[1:-1]


def create() -> Response:
    """POST /Groups (RFC 7644 §3.3): 201; initial members must be users of the organisation."""
    session, org_id = session_and_org()
    parsed = parse_resource(request_json(), SCHEMA)
    group, change = store.create_group(session, org_id, parsed.resource, parsed.members or ())
    sync_group(session, org_id, group)
    sync_membership(session, org_id, group.id, change)
    response = _answer(group, 201)
    session.commit()
    return response


def get(group_id: str) -> Response:
    """GET /Groups/{id} (RFC 7644 §3.4.1); `excludedAttributes=members` never reads members."""
    session, org_id = session_and_org()
    group = store.get_group(session, org_id, group_id)
    if_match, if_none_match = preconditions()
    check_preconditions(group.version, if_match=if_match, if_none_match=if_none_match, read=True)
    return _answer(group, stream=True)


def _query(query: ListQuery) -> Response:
    session, org_id = session_and_org()
    total, page = store.query_groups(session, org_id, query, dialect_name())
    with_members = query.projection.includes(MEMBERS)
    resources = [
        _rendered(group, query.projection, _members(group) if with_members else None)
        for group in page
    ]
    return scim_response(
        list_response(resources, total_results=total, start_index=query.start_index)
    )


def query() -> Response:
    """GET /Groups with filter, sorting, paging and projection (RFC 7644 §3.4.2)."""
    return _query(list_query(SCHEMA))


def search() -> Response:
    """POST /Groups/.search (RFC 7644 §3.4.3)."""
    return _query(search_query(SCHEMA))


def _writable(group_id: str) -> ScimGroup:
    session, org_id = session_and_org()
    group = store.get_group(session, org_id, group_id, for_update=True)
    if_match, if_none_match = preconditions()
    check_preconditions(group.version, if_match=if_match, if_none_match=if_none_match, read=False)
    return group


def replace(group_id: str) -> Response:
    """PUT /Groups/{id} (RFC 7644 §3.5.1): the body, members included, replaces the group."""
    session, org_id = session_and_org()
    group = _writable(group_id)
    parsed = parse_replacement(request_json(), SCHEMA, store.group_resource(group))
    store.update_group(session, group, parsed.resource)
    change = store.apply_member_delta(
        session, group, MemberDelta(replace_all=parsed.members or frozenset())
    )
    sync_group(session, org_id, group)
    sync_membership(session, org_id, group.id, change)
    response = _answer(group)
    session.commit()
    return response


def patch(group_id: str) -> Response:
    """PATCH /Groups/{id} (RFC 7644 §3.5.2): 204, or 200 with the attributes asked for.

    Member operations never read the member list; a PATCH that changes nothing writes nothing.
    """
    session, org_id = session_and_org()
    group = _writable(group_id)
    result = apply_patch(
        store.group_resource(group), parse_patch_request(request_json(), SCHEMA), SCHEMA
    )
    change = store.apply_member_delta(session, group, result.members)
    if result.changed:
        store.update_group(session, group, result.resource)
        sync_group(session, org_id, group)
    elif change.changed:
        store.touch(group)
    sync_membership(session, org_id, group.id, change)
    if request.args.get("attributes") or request.args.get("excludedAttributes"):
        response = _answer(group)
    else:
        response = scim_response(None, 204, {"ETag": etag(group.version)})
    session.commit()
    return response


def delete(group_id: str) -> Response:
    """DELETE /Groups/{id} (RFC 7644 §3.6): 204; what the group's rules gave is taken back."""
    session, org_id = session_and_org()
    group = _writable(group_id)
    forget_group(session, org_id, group.id)
    store.delete_group(session, group)
    session.commit()
    return scim_response(None, 204)
