"""Provisioned groups: the SCIM Group operations (RFC 7644 §3.3 to §3.6) as plain functions.

Members are never part of the stored group: a PATCH turns member operations into a delta that
the store applies with set operations, and what the group's rules give follows the members who
really joined or left. Like users.py, nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from scim_server.protocol.cursors import CursorPage, Position
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.etag import UNCONDITIONAL, Preconditions
from scim_server.protocol.members import MemberDelta
from scim_server.protocol.patch import apply_patch
from scim_server.protocol.patch_request import PatchRequest
from scim_server.protocol.query import ListQuery
from scim_server.protocol.resource import ParsedResource, check_replacement
from scim_server.provisioning.kinabase import (
    forget_group,
    project_membership,
    project_stored_group,
)
from scim_server.store import groups as store
from scim_server.store.groups import group_resource, iter_members
from scim_server.store.tables import ScimGroup

ProvisionedGroup = ScimGroup  # what the callers render: the row and the resource as sent


@dataclass(frozen=True)
class GroupPatch:
    """A group after a PATCH, and whether the PATCH changed it (attributes or members)."""

    group: ScimGroup
    changed: bool


def create_group(session: Session, org_id: int, parsed: ParsedResource) -> ScimGroup:
    """Store a new group with its initial members (RFC 7644 §3.3) and apply its rules."""
    group, change = store.create_group(session, org_id, parsed.resource, parsed.members or ())
    project_stored_group(session, org_id, group)
    project_membership(session, org_id, group.id, change)
    return group


def get_group(
    session: Session, org_id: int, group_id: str, preconditions: Preconditions = UNCONDITIONAL
) -> ScimGroup:
    """The group (RFC 7644 §3.4.1), members apart, or NotFound; If-None-Match may answer
    NotModified."""
    group = store.get_group(session, org_id, group_id)
    preconditions.check(group.version, read=True)
    return group


def query_groups(session: Session, org_id: int, query: ListQuery) -> tuple[int, list[ScimGroup]]:
    """The number of groups matching the query and one page of them (RFC 7644 §3.4.2)."""
    return store.query_groups(session, org_id, query, session.get_bind().dialect.name)


def cursor_query_groups(
    session: Session, org_id: int, query: ListQuery, position: Position | None
) -> CursorPage[ScimGroup]:
    """One page of the query after (or before) `position`, by keyset (RFC 9865)."""
    return store.cursor_query_groups(
        session, org_id, query, position, session.get_bind().dialect.name
    )


def resource_of(group: ScimGroup) -> dict[str, Any]:
    """The group's resource as the client sent it, with its `id` (members apart)."""
    return group_resource(group)


def members_of(session: Session, group_pk: int) -> Iterator[tuple[str, str | None]]:
    """The members (id, displayName) of the group with this row key, read in pages."""
    return iter_members(session, group_pk)


def replace_group(
    session: Session,
    org_id: int,
    group_id: str,
    parsed: ParsedResource,
    preconditions: Preconditions = UNCONDITIONAL,
) -> ScimGroup:
    """Replace the group, members included (RFC 7644 §3.5.1)."""
    group = _locked(session, org_id, group_id, preconditions)
    check_replacement(parsed, load_registry().group, group_resource(group))
    store.update_group(session, group, parsed.resource)
    change = store.apply_member_delta(
        session, group, MemberDelta(replace_all=parsed.members or frozenset())
    )
    project_stored_group(session, org_id, group)
    project_membership(session, org_id, group.id, change)
    return group


def patch_group(
    session: Session,
    org_id: int,
    group_id: str,
    request: PatchRequest,
    preconditions: Preconditions = UNCONDITIONAL,
) -> GroupPatch:
    """Apply a PatchOp (RFC 7644 §3.5.2); member operations never read the member list, and a
    PATCH that changes nothing writes nothing."""
    group = _locked(session, org_id, group_id, preconditions)
    result = apply_patch(group_resource(group), request, load_registry().group)
    change = store.apply_member_delta(session, group, result.members)
    if result.changed:
        store.update_group(session, group, result.resource)
        project_stored_group(session, org_id, group)
    elif change.changed:
        store.touch(group)
    project_membership(session, org_id, group.id, change)
    return GroupPatch(group, result.changed or change.changed)


def delete_group(
    session: Session, org_id: int, group_id: str, preconditions: Preconditions = UNCONDITIONAL
) -> ScimGroup:
    """Delete the group (RFC 7644 §3.6); what its rules gave is taken back. Returns the group
    as it was."""
    group = _locked(session, org_id, group_id, preconditions)
    forget_group(session, org_id, group.id)
    store.delete_group(session, group)
    return group


def _locked(
    session: Session, org_id: int, group_id: str, preconditions: Preconditions
) -> ScimGroup:
    group = store.get_group(session, org_id, group_id, for_update=True)
    preconditions.check(group.version, read=False)
    return group


def find_group(session: Session, org_id: int, name_or_external_id: str) -> ScimGroup | None:
    """The group whose externalId (Entra's object id) or displayName is this, ignoring case."""
    return store.find_group_named(session, org_id, name_or_external_id)
