"""The /Groups endpoint (RFC 7644 §3.2): one handler per SCIM operation, parse → call → render.

A group PATCH answers 204 (what Entra prefers) unless the request asks for attributes. A GET
that includes the members streams them, so a 100,000-member group costs no more memory than a
small one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from flask import Response, request
from sqlalchemy.orm import Session, sessionmaker

from kinabase_m365.database import commit_write, get_database
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.etag import etag
from scim_server.protocol.list_response import list_response
from scim_server.protocol.patch_request import parse_patch_request
from scim_server.protocol.projection import Projection
from scim_server.protocol.query import ListQuery
from scim_server.protocol.resource import parse_resource
from scim_server.provisioning import groups as provisioning
from scim_server.provisioning.activity import group_deleted, group_patched, group_written
from scim_server.provisioning.groups import ProvisionedGroup
from scim_server.resources.activity import record
from scim_server.resources.context import (
    list_query,
    preconditions,
    projection,
    search_query,
    session_and_org,
)
from scim_server.resources.cursor_paging import cursor_page_body, requested_position
from scim_server.resources.http import SCIM_MEDIA_TYPE, base_url, request_json, scim_response
from scim_server.resources.rendering import location, meta, references, render

SCHEMA = load_registry().group
MEMBERS = SCHEMA.attribute("members")
STREAM_CHUNK = 1_000


def _rendered(
    group: ProvisionedGroup, shown: Projection, members: list[Any] | None
) -> dict[str, Any]:
    resource = provisioning.resource_of(group)
    if members:
        resource["members"] = members
    return render(
        resource,
        SCHEMA,
        shown,
        meta("Group", group.id, group.created, group.last_modified, group.version),
    )


def _members(group: ProvisionedGroup) -> list[dict[str, Any]]:
    session, _ = session_and_org()
    return references("User", provisioning.members_of(session, group.pk), "User")


def _answer(group: ProvisionedGroup, status: int = 200, *, stream: bool = False) -> Response:
    """The group (members included unless excluded); a read streams its members.

    Writes read their members inside their transaction, so that they never open a second one,
    and commit before rendering the answer.
    """
    shown = projection(SCHEMA)
    headers = {"ETag": etag(group.version)}
    if status == 201:
        headers["Location"] = location("Group", group.id)
    if not shown.includes(MEMBERS) or not stream:
        members = _members(group) if shown.includes(MEMBERS) else None
        commit_write()
        return scim_response(_rendered(group, shown, members), status, headers)
    body = _rendered(group, shown, None)
    return Response(
        _stream(body, group.pk, get_database().read_sessions, base_url()),
        status=status,
        headers=headers,
        content_type=f"{SCIM_MEDIA_TYPE}; charset=utf-8",
    )


def _stream(
    body: dict[str, Any], group_pk: int, sessions: sessionmaker[Session], base: str
) -> Iterator[str]:
    """The group's JSON with its members written out in chunks.

    The stream outlives the request's own session, so it reads the members in a session of its
    own, closed when the stream ends (or is abandoned).
    """
    head = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    yield head[:-1] + ',"members":['
    with sessions() as session:
        first = True
        chunk: list[tuple[str, str | None]] = []
        for pair in provisioning.members_of(session, group_pk):
            chunk.append(pair)
            if len(chunk) == STREAM_CHUNK:
                yield ("" if first else ",") + _encoded_members(chunk, base)
                first, chunk = False, []
        if chunk:
            yield ("" if first else ",") + _encoded_members(chunk, base)
    yield "]}"


def _encoded_members(pairs: list[tuple[str, str | None]], base: str) -> str:
    encoded = json.dumps(
        references("User", pairs, "User", base), separators=(",", ":"), ensure_ascii=False
    )
    return encoded[1:-1]


def create() -> Response:
    """POST /Groups (RFC 7644 §3.3): 201; initial members must be users of the organisation."""
    parsed = parse_resource(request_json(), SCHEMA)
    group = provisioning.create_group(*session_and_org(), parsed)
    record(group_written(group, 201))
    return _answer(group, 201)


def get(group_id: str) -> Response:
    """GET /Groups/{id} (RFC 7644 §3.4.1); `excludedAttributes=members` never reads members."""
    group = provisioning.get_group(*session_and_org(), group_id, preconditions())
    return _answer(group, stream=True)


def _query(query: ListQuery) -> Response:
    session, org_id = session_and_org()
    with_members = query.projection.includes(MEMBERS)

    def rendered(page: Sequence[ProvisionedGroup]) -> list[dict[str, Any]]:
        return [
            _rendered(group, query.projection, _members(group) if with_members else None)
            for group in page
        ]

    if query.cursor is not None:
        position = requested_position(org_id, "Group", query)
        keyset = provisioning.cursor_query_groups(session, org_id, query, position)
        return scim_response(
            cursor_page_body(org_id, "Group", query, keyset, rendered(keyset.items))
        )
    total, page = provisioning.query_groups(session, org_id, query)
    return scim_response(
        list_response(rendered(page), total_results=total, start_index=query.start_index)
    )


def query() -> Response:
    """GET /Groups with filter, sorting, paging and projection (RFC 7644 §3.4.2)."""
    return _query(list_query(SCHEMA))


def search() -> Response:
    """POST /Groups/.search (RFC 7644 §3.4.3)."""
    return _query(search_query(SCHEMA))


def replace(group_id: str) -> Response:
    """PUT /Groups/{id} (RFC 7644 §3.5.1): the body, members included, replaces the group."""
    parsed = parse_resource(request_json(), SCHEMA)
    group = provisioning.replace_group(*session_and_org(), group_id, parsed, preconditions())
    record(group_written(group, 200))
    return _answer(group)


def patch(group_id: str) -> Response:
    """PATCH /Groups/{id} (RFC 7644 §3.5.2): 204, or 200 with the attributes asked for."""
    operations = parse_patch_request(request_json(), SCHEMA)
    patched = provisioning.patch_group(*session_and_org(), group_id, operations, preconditions())
    shown = request.args.get("attributes") or request.args.get("excludedAttributes")
    record(group_patched(patched, 200 if shown else 204))
    if shown:
        return _answer(patched.group)
    return scim_response(None, 204, {"ETag": etag(patched.group.version)})


def delete(group_id: str) -> Response:
    """DELETE /Groups/{id} (RFC 7644 §3.6): 204; what the group's rules gave is taken back."""
    deleted = provisioning.delete_group(*session_and_org(), group_id, preconditions())
    record(group_deleted(deleted))
    return scim_response(None, 204)
