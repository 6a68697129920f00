"""Keeping Kinabase in step with the store, inside the same transaction (DESIGN: one write).

Each function turns a store change into the mapping layer's terms: a stored user becomes a
`DirectoryUser`, a membership change its added and removed ids, a group a `DirectoryGroup`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from scim_server.mapping import (
    DirectoryGroup,
    apply_membership_change,
    directory_user_from_resource,
    project_group,
    project_user,
    unlink_group,
    unlink_user,
)
from scim_server.protocol.attribute_lookup import value_at
from scim_server.protocol.discovery import load_registry
from scim_server.store.groups import MembershipChange, groups_of, member_ids_of
from scim_server.store.tables import ScimGroup
from scim_server.store.users import StoredUser


def sync_user(session: Session, org_id: int, stored: StoredUser) -> None:
    """Project a created or changed user onto Kinabase (account, seat, Colleague record)."""
    resource = stored.resource
    schema = load_registry().user
    user = directory_user_from_resource(resource, lambda path: value_at(resource, schema, path))
    project_user(session, org_id, user)


def forget_user(session: Session, org_id: int, user_id: str) -> None:
    """A user deleted from the store: deactivate and unlink the Kinabase user."""
    unlink_user(session, org_id, user_id)


def sync_membership(session: Session, org_id: int, group_id: str, change: MembershipChange) -> None:
    """Give and take back what the group's rules give, for the members who joined or left."""
    if not change.changed:
        return

    def current_groups(user_ids: Collection[str]) -> Mapping[str, set[str]]:
        return groups_of(session, org_id, user_ids)

    apply_membership_change(session, org_id, group_id, change.added, change.removed, current_groups)


def sync_group(session: Session, org_id: int, group: ScimGroup) -> None:
    """Bind group rules that name this group (by externalId or displayName) and apply them."""
    resource: dict[str, Any] = group.resource

    def members_of(group_id: str) -> Iterable[str]:
        return member_ids_of(session, org_id, group_id)

    directory_group = DirectoryGroup(
        directory_id=group.id,
        display_name=group.display_name,
        external_id=resource.get("externalId"),
    )
    project_group(session, org_id, directory_group, members_of)


def forget_group(session: Session, org_id: int, group_id: str) -> None:
    """A group deleted from the store: take back what its rules gave."""
    unlink_group(session, org_id, group_id)
