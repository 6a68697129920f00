"""What a user may do with a collection's records, from their user type and roles.

Kinabase's rule for new collections is "full access for everyone": a collection that no role of
the organisation gives a permission on is open to every active user (view and edit). Once a role
names the collection, access comes from roles only: a user gets the highest level their roles
give there, and none if their roles do not mention it. Administrators always have view and edit.
Deactivated and invited users have no access to anything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.roles import PermissionLevel, Role, RoleGrant, RolePermission
from kinabase.users import User, UserStatus, UserType

_RANK = {PermissionLevel.NONE: 0, PermissionLevel.VIEW: 1, PermissionLevel.VIEW_AND_EDIT: 2}


def collection_access(session: Session, user: User, collection_id: int) -> PermissionLevel:
    """The level of access the user has to the collection's records."""
    if user.status is not UserStatus.ACTIVE:
        return PermissionLevel.NONE
    if user.user_type is UserType.ADMINISTRATOR:
        return PermissionLevel.VIEW_AND_EDIT
    rows = session.execute(
        select(RolePermission.level, RoleGrant.user_id)
        .join(Role, Role.id == RolePermission.role_id)
        .outerjoin(RoleGrant, (RoleGrant.role_id == Role.id) & (RoleGrant.user_id == user.id))
        .where(Role.org_id == user.org_id, RolePermission.collection_id == collection_id)
    ).all()
    if not rows:
        return PermissionLevel.VIEW_AND_EDIT
    held = [level for level, holder in rows if holder is not None]
    return max(held, key=_RANK.__getitem__, default=PermissionLevel.NONE)


def can_view(session: Session, user: User, collection_id: int) -> bool:
    """Whether the user may see the collection's records and their activities."""
    return collection_access(session, user, collection_id) is not PermissionLevel.NONE


def can_edit(session: Session, user: User, collection_id: int) -> bool:
    """Whether the user may add records to the collection and log activities on them."""
    return collection_access(session, user, collection_id) is PermissionLevel.VIEW_AND_EDIT
