"""What the directory produced, for administrators: Kinabase users and pending directory users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.users import User, UserStatus, UserType
from scim_server.mapping import PendingUser, directory_user_from_resource
from scim_server.mapping.links import DirectoryLink
from scim_server.store.tables import ScimUser
from scim_server.store.users import StoredUser

NOT_PROJECTED = "not projected onto Kinabase yet: its next change or a resync projects it"


@dataclass(frozen=True)
class KinabaseUser:
    """One Kinabase user as `user list` shows it."""

    id: int
    email: str
    name: str
    user_type: UserType
    status: UserStatus
    source: str  # "directory" (linked to a provisioned user) or "manual"
    directory_id: str | None


def kinabase_users(session: Session, org_id: int) -> list[KinabaseUser]:
    """The organisation's Kinabase users by email, with where each came from."""
    rows = session.execute(
        select(User, DirectoryLink.directory_id)
        .outerjoin(DirectoryLink, DirectoryLink.user_id == User.id)
        .where(User.org_id == org_id)
        .order_by(User.email)
    )
    return [
        KinabaseUser(
            id=user.id,
            email=user.email,
            name=user.name,
            user_type=user.user_type,
            status=user.status,
            source="manual" if directory_id is None else "directory",
            directory_id=directory_id,
        )
        for user, directory_id in rows
    ]


def pending_users(session: Session, org_id: int) -> list[PendingUser]:
    """The organisation's provisioned users that no Kinabase user stands for, and why, by
    userName."""
    rows = session.execute(
        select(ScimUser)
        .outerjoin(
            DirectoryLink,
            (DirectoryLink.org_id == ScimUser.org_id) & (DirectoryLink.directory_id == ScimUser.id),
        )
        .where(ScimUser.org_id == org_id, DirectoryLink.user_id.is_(None))
        .order_by(ScimUser.user_name)
    ).scalars()
    pending = []
    for row in rows:
        user = directory_user_from_resource(StoredUser(row, None).resource)
        reason = user.pending_reason or NOT_PROJECTED
        pending.append(PendingUser(user.directory_id, user.user_name, reason))
    return pending
