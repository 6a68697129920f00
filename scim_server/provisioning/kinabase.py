"""Keeping Kinabase in step with the store, inside the same transaction (one write, one commit).

Each function turns a store change into the mapping layer's terms: a stored user becomes a
`DirectoryUser` (read by the protocol's one attribute reader), a membership change its added and
removed ids, a group a `DirectoryGroup`. The mapping never reads the store itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy.orm import Session

from scim_server.mapping import (
    DirectoryGroup,
    PendingUser,
    ProjectionResult,
    apply_membership_change,
    directory_user_from_resource,
    give_group_rules,
    project_group,
    project_user,
    unlink_group,
    unlink_user,
)
from scim_server.store.groups import MembershipChange, group_refs_of_users, member_ids_of
from scim_server.store.tables import ScimGroup
from scim_server.store.users import StoredUser

Projection = ProjectionResult | PendingUser


def project_stored_user(
    session: Session,
    org_id: int,
    stored: StoredUser,
    groups: Collection[str] | None = None,
    *,
    created: bool = False,
) -> Projection:
    """Project a created or changed user onto Kinabase (account, seat, Colleague record).

    A user linked by this projection (new, or pending until now) gets what the rules of the
    groups it is already a member of give; `groups` names them when the caller knows (a user
    just created is in none), else the store is asked. `created`: the user was stored in this
    transaction, so nothing is linked to it yet.
    """
    directory_user = directory_user_from_resource(stored.resource)
    result = project_user(session, org_id, directory_user, new=created)
    if isinstance(result, ProjectionResult) and result.newly_linked:
        if groups is None:
            refs = group_refs_of_users(session, org_id, [stored.row.pk]).get(stored.row.pk, [])
            groups = [group_id for group_id, _ in refs]
        give_group_rules(session, org_id, stored.row.id, groups)
    return result


def forget_user(session: Session, org_id: int, user_id: str) -> None:
    """A user deleted from the store: deactivate and unlink the Kinabase user, if any."""
    unlink_user(session, org_id, user_id)


def project_membership(
    session: Session, org_id: int, group_id: str, change: MembershipChange
) -> None:
    """Give and take back what the group's rules give, for the members who joined or left."""
    if change.changed:
        apply_membership_change(session, org_id, group_id, change.added, change.removed)


def project_stored_group(session: Session, org_id: int, group: ScimGroup) -> None:
    """Bind the rules that name this group (by externalId or displayName) and apply them."""

    def members_of(group_id: str) -> Iterable[str]:
        return member_ids_of(session, org_id, group_id)

    directory_group = DirectoryGroup(
        directory_id=group.id,
        display_name=group.display_name,
        external_id=group.resource.get("externalId"),
    )
    project_group(session, org_id, directory_group, members_of)


def forget_group(session: Session, org_id: int, group_id: str) -> None:
    """A group deleted from the store: take back what its rules gave."""
    unlink_group(session, org_id, group_id)
