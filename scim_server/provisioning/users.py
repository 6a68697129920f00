"""Provisioned users: the SCIM User operations (RFC 7644 §3.3 to §3.6) as plain functions.

Each write stores the resource as the client sent it and projects it onto Kinabase in the
caller's transaction, and never commits: the caller (an HTTP request, a CLI command, a
background job) commits once, or rolls everything back. Input arrives parsed by the protocol
layer (`parse_resource`, `parse_patch_request`); bad input and refusals raise `ScimError`s or
`kinabase.errors.DomainError`s before anything is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from scim_server.mapping import PendingUser
from scim_server.protocol.cursors import CursorPage, Position
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.etag import UNCONDITIONAL, Preconditions
from scim_server.protocol.patch import apply_patch
from scim_server.protocol.patch_request import PatchRequest
from scim_server.protocol.query import ListQuery
from scim_server.protocol.resource import ParsedResource, check_replacement
from scim_server.provisioning.kinabase import (
    Projection,
    forget_user,
    project_stored_user,
)
from scim_server.store import users as store
from scim_server.store.groups import group_refs_of_users
from scim_server.store.users import StoredUser

GroupRef = tuple[str, str | None]  # a group's id and displayName
ProvisionedUser = StoredUser  # what the callers render: the row and the resource as sent


@dataclass(frozen=True)
class UserWrite:
    """A user as stored after a write, and what the write did in Kinabase.

    `kinabase` is None when nothing was projected: a PATCH that changed nothing.
    """

    stored: StoredUser
    kinabase: Projection | None


def create_user(session: Session, org_id: int, parsed: ParsedResource) -> UserWrite:
    """Store a new user (RFC 7644 §3.3) and project it: a Kinabase user with a seat, or pending."""
    stored = store.create_user(session, org_id, parsed.resource)
    return UserWrite(stored, project_stored_user(session, org_id, stored, groups=(), created=True))


def get_user(
    session: Session, org_id: int, user_id: str, preconditions: Preconditions = UNCONDITIONAL
) -> StoredUser:
    """The user (RFC 7644 §3.4.1), or NotFound; If-None-Match may answer NotModified."""
    stored = store.get_user(session, org_id, user_id)
    preconditions.check(stored.row.version, read=True)
    return stored


def query_users(session: Session, org_id: int, query: ListQuery) -> tuple[int, list[StoredUser]]:
    """The number of users matching the query and one page of them (RFC 7644 §3.4.2)."""
    return store.query_users(session, org_id, query, session.get_bind().dialect.name)


def cursor_query_users(
    session: Session, org_id: int, query: ListQuery, position: Position | None
) -> CursorPage[StoredUser]:
    """One page of the query after (or before) `position`, by keyset (RFC 9865)."""
    return store.cursor_query_users(
        session, org_id, query, position, session.get_bind().dialect.name
    )


def groups_of_users(
    session: Session, org_id: int, users: Sequence[StoredUser]
) -> dict[int, list[GroupRef]]:
    """The groups of each user, by the user's row key, for `groups` (RFC 7643 §4.1.2)."""
    return group_refs_of_users(session, org_id, [user.row.pk for user in users])


def replace_user(
    session: Session,
    org_id: int,
    user_id: str,
    parsed: ParsedResource,
    preconditions: Preconditions = UNCONDITIONAL,
) -> UserWrite:
    """Replace the user with the parsed body (RFC 7644 §3.5.1) and project it again."""
    current = _locked(session, org_id, user_id, preconditions)
    check_replacement(parsed, load_registry().user, current.resource)
    stored = store.update_user(session, current, parsed.resource)
    return UserWrite(stored, project_stored_user(session, org_id, stored))


def patch_user(
    session: Session,
    org_id: int,
    user_id: str,
    request: PatchRequest,
    preconditions: Preconditions = UNCONDITIONAL,
) -> UserWrite:
    """Apply a PatchOp (RFC 7644 §3.5.2), all operations or none, and project the result.

    A PATCH that changes nothing keeps the version and lastModified, and writes nothing.
    """
    current = _locked(session, org_id, user_id, preconditions)
    result = apply_patch(current.resource, request, load_registry().user)
    if not result.changed:
        return UserWrite(current, None)
    stored = store.update_user(session, current, result.resource)
    return UserWrite(stored, project_stored_user(session, org_id, stored))


def delete_user(
    session: Session, org_id: int, user_id: str, preconditions: Preconditions = UNCONDITIONAL
) -> StoredUser:
    """Delete the user (RFC 7644 §3.6); the Kinabase user is deactivated and unlinked, not
    lost. A pending user leaves nothing behind. Returns the user as it was."""
    stored = _locked(session, org_id, user_id, preconditions)
    directory_id = stored.row.id
    store.delete_user(session, stored)
    forget_user(session, org_id, directory_id)  # last: it frees the seat (unlink_user)
    return stored


@dataclass(frozen=True)
class Resync:
    """What `resync_users` did: how many users it projected, and how many stay pending."""

    projected: int
    pending: int


def resync_users(session: Session, org_id: int) -> Resync:
    """Project every stored user again, after the field mapping or a rule changed.

    Pending users who can now be projected are; every refusal raises, and the caller rolls the
    whole resync back.
    """
    projected = pending = 0
    for stored in store.iter_users(session, org_id):
        if isinstance(project_stored_user(session, org_id, stored), PendingUser):
            pending += 1
        else:
            projected += 1
    return Resync(projected, pending)


def _locked(
    session: Session, org_id: int, user_id: str, preconditions: Preconditions
) -> StoredUser:
    stored = store.get_user(session, org_id, user_id, for_update=True)
    preconditions.check(stored.row.version, read=False)
    return stored
