"""The directory pull's use cases on one organisation, in the caller's transaction.

Directory users come in as `GraphUser`s (read by `graph.directory`); each becomes the SCIM User
Entra would send (`directory.representation`), is parsed by the protocol layer and is written by
the provisioning service: `create_user` for a user the store does not have, `replace_user` for
one it has (matched by object id or userPrincipalName, `scim_server.provisioning.matching`). So a
user imported here and later provisioned by Entra, or the other way round, is one stored user
and one Kinabase user.

Nothing here talks to Microsoft or commits: the jobs read Graph between transactions and call
these with what they read.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from directory.errors import NotConnected, SeatShortfall
from directory.representation import scim_user_from_graph, updated_scim_user
from graph.directory import GraphGroup, GraphUser
from kinabase.errors import DomainError
from kinabase.licences import seats_in_use
from kinabase.organisations import get_organisation
from kinabase.photos import follow_directory_photo
from kinabase.roles import Role, find_role, grant_role
from kinabase.user_types import set_user_type_by_hand
from kinabase.users import User, UserStatus, UserType, find_user_by_email, get_user
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.resource import parse_resource
from scim_server.provisioning.groups import create_group, find_group, replace_group
from scim_server.provisioning.kinabase import Projection
from scim_server.provisioning.matching import (
    DirectoryKey,
    DirectoryMatch,
    match_directory_users,
)
from scim_server.provisioning.users import create_user, replace_user

CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
BATCH = 200
Result = Literal["created", "updated", "deactivated", "skipped", "failed"]


@dataclass(frozen=True)
class Choice:
    """What an Administrator gives an imported user: a user type and roles (by name)."""

    user_type: UserType | None = None
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserOutcome:
    """What happened to one directory user, and why when it is not plain."""

    object_id: str
    user_principal_name: str
    result: Result
    reason: str | None = None
    user_id: int | None = None
    manager_missing: bool = False  # the directory names a manager not stored (yet)


def tenant_of(session: Session, org_id: int) -> str:
    """The Entra tenant the organisation is connected to, or NotConnected."""
    tenant = get_organisation(session, org_id).entra_tenant_id
    if tenant is None:
        raise NotConnected(org_id)
    return tenant


def check_choice(session: Session, org_id: int, choice: Choice) -> None:
    """Refuse (DomainError) roles that do not exist, before anything is written."""
    missing = [name for name in choice.roles if find_role(session, org_id, name) is None]
    if missing:
        raise DomainError(f"no role named {', '.join(repr(m) for m in missing)}")


def in_batches(users: Iterable[GraphUser], size: int = BATCH) -> Iterator[list[GraphUser]]:
    """The users in lists of `size`, read lazily (pages are never all held at once)."""
    iterator = iter(users)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def matches(session: Session, org_id: int, users: Sequence[GraphUser]) -> dict[str, DirectoryMatch]:
    """The stored user of each of these directory users that has one, by object id."""
    keys = [DirectoryKey(user.id, user.user_principal_name) for user in users]
    return match_directory_users(session, org_id, keys)


def candidates(session: Session, org_id: int, users: Iterable[GraphUser]) -> Iterator[GraphUser]:
    """The enabled directory users among `users` that no Kinabase user stands for yet."""
    for batch in in_batches(users):
        found = matches(session, org_id, batch)
        for user in batch:
            match = found.get(user.id)
            if user.account_enabled and (match is None or match.kinabase_user_id is None):
                yield user


def seats_needed(session: Session, org_id: int, users: Iterable[GraphUser]) -> int:
    """How many seats importing `users` takes: the enabled ones not already active in Kinabase
    (by their stored user, or by an active account with their email that they would adopt)."""
    needed = 0
    for batch in in_batches(users):
        found = matches(session, org_id, batch)
        for user in batch:
            if not user.account_enabled:
                continue
            match = found.get(user.id)
            if match is not None and match.kinabase_user_id is not None:
                needed += match.kinabase_status is not UserStatus.ACTIVE
                continue
            same_email = find_user_by_email(session, org_id, user.mail or user.user_principal_name)
            needed += same_email is None or same_email.status is not UserStatus.ACTIVE
    return needed


def ensure_seats(session: Session, org_id: int, needed: int) -> None:
    """Raise SeatShortfall (with the number missing) unless `needed` seats are free."""
    free = get_organisation(session, org_id).licence_seats - seats_in_use(session, org_id)
    if needed > free:
        raise SeatShortfall(needed, max(free, 0))


def write_user(
    session: Session,
    org_id: int,
    user: GraphUser,
    *,
    create: bool,
    choice: Choice | None = None,
    photo: bytes | Literal[False] | None = False,
) -> UserOutcome:
    """Bring one directory user in (`create`) or up to date, through the provisioning service.

    A stored user is replaced with the directory's values laid over it; a new one is created
    only when `create` (Sync adds no one). The manager is the stored user of the directory's
    manager, if stored. `choice` gives an imported user their type and roles (by hand, as an
    Administrator would); `photo` (bytes, None for no photo, False for not read) becomes their
    directory photo. Refusals (no seat, an email another user holds, …) raise, and the caller
    rolls back to before this user.
    """
    match = matches(session, org_id, [user]).get(user.id)
    if match is None and not create:
        return UserOutcome(user.id, user.user_principal_name, "skipped", "not in Kinabase")
    manager_id = _manager_scim_id(session, org_id, user.manager_id)
    registry = load_registry()
    if match is None:
        body = scim_user_from_graph(user, manager_id)
        write = create_user(session, org_id, parse_resource(body, registry.user))
        result: Result = "created"
    else:
        body = updated_scim_user(match.stored.resource, user, manager_id)
        parsed = parse_resource(body, registry.user)
        write = replace_user(session, org_id, match.stored.row.id, parsed)
        result = "updated"
    user_id = _kinabase_user_id(write.kinabase)
    if user_id is None:
        return UserOutcome(user.id, user.user_principal_name, "skipped", "pending in the store")
    account = get_user(session, org_id, user_id)
    _remember_identity(session, account, user)
    if choice is not None:
        _give(session, account, choice)
    if photo is not False:
        follow_directory_photo(session, account.id, photo)
    missing = user.manager_id is not None and manager_id is None
    if not user.account_enabled:
        reason = "account disabled in Microsoft 365"
        return UserOutcome(
            user.id, user.user_principal_name, "deactivated", reason, account.id, missing
        )
    return UserOutcome(user.id, user.user_principal_name, result, None, account.id, missing)


def deactivate_deleted(session: Session, org_id: int, object_id: str, scim_id: str) -> UserOutcome:
    """A directory user that Microsoft 365 no longer has: deactivate their Kinabase user (the
    stored user is replaced with `active: false`; the link, record and manual roles stay)."""
    from scim_server.provisioning.users import get_user as stored_user  # noqa: PLC0415

    stored = stored_user(session, org_id, scim_id)
    body = {**stored.resource, "active": False}
    body.pop("id", None)
    write = replace_user(session, org_id, scim_id, parse_resource(body, load_registry().user))
    return UserOutcome(
        object_id,
        str(stored.resource.get("userName", "")),
        "deactivated",
        "deleted from Microsoft 365",
        _kinabase_user_id(write.kinabase),
    )


def pull_group(
    session: Session, org_id: int, group: GraphGroup, member_object_ids: Iterable[str]
) -> int:
    """Make the SCIM group of a security group (matched by its object id as externalId, as Entra
    sends it, else by display name) hold exactly its stored members, through the provisioning
    service, so that its group rules give and take back. Returns the number of members."""
    members: set[str] = set()
    batch: list[str] = []
    for object_id in itertools.chain(member_object_ids, [None]):
        if object_id is not None:
            batch.append(object_id)
        if batch and (object_id is None or len(batch) >= BATCH):
            keys = [DirectoryKey(member, "") for member in batch]
            members |= {
                m.stored.row.id for m in match_directory_users(session, org_id, keys).values()
            }
            batch = []
    body = {
        "schemas": [CORE_GROUP],
        "displayName": group.display_name,
        "externalId": group.id,
        "members": [{"value": member} for member in sorted(members)],
    }
    parsed = parse_resource(body, load_registry().group)
    existing = find_group(session, org_id, group.id) or find_group(
        session, org_id, group.display_name
    )
    if existing is None:
        create_group(session, org_id, parsed)
    else:
        replace_group(session, org_id, existing.id, parsed)
    return len(members)


def _manager_scim_id(session: Session, org_id: int, manager_object_id: str | None) -> str | None:
    if manager_object_id is None:
        return None
    found = match_directory_users(session, org_id, [DirectoryKey(manager_object_id, "")])
    match = found.get(manager_object_id)
    return match.stored.row.id if match is not None else None


def _kinabase_user_id(projection: Projection | None) -> int | None:
    return getattr(projection, "user_id", None)


def _remember_identity(session: Session, account: User, user: GraphUser) -> None:
    """Record the object id and UPN on the Kinabase user (sign-in matches by them), unless
    another user of the organisation already carries that object id."""
    account.user_principal_name = user.user_principal_name
    object_id = user.id.lower()
    if account.entra_object_id == object_id:
        return
    from kinabase.users import find_user_by_entra_object_id  # noqa: PLC0415

    holder = find_user_by_entra_object_id(session, account.org_id, object_id)
    if holder is None:
        account.entra_object_id = object_id


def _give(session: Session, account: User, choice: Choice) -> None:
    if choice.user_type is not None:
        set_user_type_by_hand(account, choice.user_type)
    for name in choice.roles:
        role: Role | None = find_role(session, account.org_id, name)
        if role is not None:
            grant_role(session, account.id, role)
