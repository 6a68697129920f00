"""The Users page's rows: every Kinabase user with where they came from and their roles.

Where a user came from:

- "Entra SCIM": linked to a provisioned directory user that Entra's provisioning created;
- "Sync now": linked to a directory user that a Sync now import created (its job item says
  "created" for the user's Entra object id), even if Entra provisions it since;
- "Manual": no directory user stands for it (created in Kinabase, or unlinked by a SCIM DELETE).

Three queries whatever the number of users: the provisioning service's listing, the users a
Sync now import created, and every role grant of the organisation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.jobs import IMPORT
from jobs.models import Job, JobItem
from kinabase.roles import Role, RoleGrant
from kinabase.users import User, UserStatus, UserType
from scim_server.provisioning.listings import kinabase_users

ENTRA_SCIM, SYNC_NOW, MANUAL = "Entra SCIM", "Sync now", "Manual"
CREATED = "created"


@dataclass(frozen=True)
class UserRow:
    """One line of the Users page."""

    id: int
    name: str
    email: str
    user_type: UserType
    status: UserStatus
    source: str
    roles: list[str]


def users_created_by_sync_now(session: Session, org_id: int) -> set[int]:
    """The organisation's users that a Sync now import created."""
    return set(
        session.scalars(
            select(User.id)
            .join(JobItem, JobItem.key == User.entra_object_id)
            .join(Job, Job.id == JobItem.job_id)
            .where(
                User.org_id == org_id,
                Job.org_id == org_id,
                Job.kind == IMPORT,
                JobItem.outcome == CREATED,
            )
        )
    )


def role_names_by_user(session: Session, org_id: int) -> dict[int, list[str]]:
    """Each user's roles (from any source), by name."""
    names: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(RoleGrant.user_id, Role.name)
        .join(Role, Role.id == RoleGrant.role_id)
        .where(Role.org_id == org_id)
    )
    for user_id, name in rows:
        names[user_id].add(name)
    return {user_id: sorted(found, key=str.casefold) for user_id, found in names.items()}


def user_rows(session: Session, org_id: int) -> list[UserRow]:
    """Every user of the organisation, by email."""
    synced = users_created_by_sync_now(session, org_id)
    roles = role_names_by_user(session, org_id)
    rows = []
    for user in kinabase_users(session, org_id):
        if user.source == "manual":
            source = MANUAL
        else:
            source = SYNC_NOW if user.id in synced else ENTRA_SCIM
        rows.append(
            UserRow(
                user.id,
                user.name,
                user.email,
                user.user_type,
                user.status,
                source,
                roles.get(user.id, []),
            )
        )
    return rows
