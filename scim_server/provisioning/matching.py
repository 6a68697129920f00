"""Finding the stored users a directory's own records stand for (the directory pull).

A directory user read from Microsoft Graph is the user Entra provisions over SCIM: the same
person must be one stored user and one Kinabase user, whichever came first. A stored user
matches a directory user by `externalId` = the Entra object id (what the pull writes), else by
`userName` = the userPrincipalName compared case-insensitively (what Entra's default attribute
mapping writes, and what Entra itself matches on before it POSTs), else through the Kinabase user
that carries the object id (recorded by the pull and by sign-in): that one survives a renamed
userPrincipalName on a user whose externalId Entra set to its mailNickname.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinabase.users import User, UserStatus
from scim_server.mapping.links import DirectoryLink
from scim_server.store import users as store
from scim_server.store.users import StoredUser


@dataclass(frozen=True)
class DirectoryKey:
    """How a directory user is recognised: its object id and its userPrincipalName."""

    object_id: str
    user_name: str


@dataclass(frozen=True)
class DirectoryMatch:
    """The stored user a directory user stands for, and its Kinabase user if projected."""

    stored: StoredUser
    kinabase_user_id: int | None
    kinabase_status: UserStatus | None


def match_directory_users(
    session: Session, org_id: int, keys: Sequence[DirectoryKey]
) -> dict[str, DirectoryMatch]:
    """The stored user of each directory user that has one, by object id (one query for the
    batch, plus one for their Kinabase users). An externalId match wins over a userName one."""
    rows = store.find_users_by_keys(
        session, org_id, [k.object_id for k in keys], [k.user_name for k in keys]
    )
    by_external_id = {row.row.external_id: row for row in rows if row.row.external_id}
    by_user_name = {row.row.user_name.lower(): row for row in rows}
    found: dict[str, StoredUser] = {}
    for key in keys:
        stored = by_external_id.get(key.object_id) or by_user_name.get(key.user_name.lower())
        if stored is not None:
            found[key.object_id] = stored
    found |= _by_object_id(session, org_id, [k.object_id for k in keys if k.object_id not in found])
    accounts = _kinabase_users(session, org_id, [s.row.id for s in found.values()])
    return {
        object_id: DirectoryMatch(stored, *accounts.get(stored.row.id, (None, None)))
        for object_id, stored in found.items()
    }


def linked_directory_users(session: Session, org_id: int) -> Iterator[tuple[str, str, int]]:
    """(Entra object id, SCIM id, Kinabase user id) of every active Kinabase user linked to a
    stored user and known by its object id, read in pages."""
    after = 0
    while True:
        page = session.execute(
            select(User.entra_object_id, DirectoryLink.directory_id, User.id)
            .join(DirectoryLink, DirectoryLink.user_id == User.id)
            .where(
                User.org_id == org_id,
                User.id > after,
                User.entra_object_id.is_not(None),
                User.status == UserStatus.ACTIVE,
            )
            .order_by(User.id)
            .limit(500)
        ).all()
        for object_id, directory_id, user_id in page:
            yield str(object_id), directory_id, user_id
        if len(page) < 500:
            return
        after = page[-1][2]


def _by_object_id(
    session: Session, org_id: int, object_ids: Sequence[str]
) -> dict[str, StoredUser]:
    if not object_ids:
        return {}
    rows = session.execute(
        select(User.entra_object_id, DirectoryLink.directory_id)
        .join(DirectoryLink, DirectoryLink.user_id == User.id)
        .where(User.org_id == org_id, User.entra_object_id.in_([o.lower() for o in object_ids]))
    )
    return {
        str(object_id): store.get_user(session, org_id, directory_id)
        for object_id, directory_id in rows
    }


def _kinabase_users(
    session: Session, org_id: int, directory_ids: Sequence[str]
) -> dict[str, tuple[int, UserStatus]]:
    if not directory_ids:
        return {}
    rows = session.execute(
        select(DirectoryLink.directory_id, User.id, User.status)
        .join(User, User.id == DirectoryLink.user_id)
        .where(DirectoryLink.org_id == org_id, DirectoryLink.directory_id.in_(directory_ids))
    )
    return {directory_id: (user_id, status) for directory_id, user_id, status in rows}


def count_linked_users(session: Session, org_id: int) -> int:
    """How many Kinabase users of the organisation are linked to a stored user."""
    return session.scalar(select(func.count()).where(DirectoryLink.org_id == org_id)) or 0
