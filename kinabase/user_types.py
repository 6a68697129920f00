"""User types and where they come from: set by hand, or granted by a rule such as a group rule.

An administrator sets a user's type by hand. Other sources (directory group rules, whose source is
"group-rule:<id>") may grant a type too; like a role grant, each type grant remembers its source,
so a source that stops applying takes back only its own grant.

While any grant applies, the user's type is the highest granted one (Administrator > Billing
Administrator > User, `UserType.rank`), even when that is below the hand-given type: a rule
"members of Contractors are Users" pins its members. When the last grant goes, the hand-given type
comes back: `users.manual_user_type` keeps it for as long as grants decide `users.user_type`.
`users.user_type` stays the one column the rest of Kinabase reads.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Select,
    String,
    case,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base
from kinabase.roles import MANUAL
from kinabase.users import User, UserType, string_enum

GRANTED = "grants"


class UserTypeGrant(Base):
    """One source's wish for a user's type."""

    __tablename__ = "user_type_grants"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(60), primary_key=True)
    user_type: Mapped[UserType] = mapped_column(string_enum(UserType))


def user_type_source(user: User) -> str:
    """Where the user's current type came from: "manual", or "grants" while grants decide it."""
    return MANUAL if user.manual_user_type is None else GRANTED


def set_user_type_by_hand(user: User, user_type: UserType) -> None:
    """Record the type an administrator chose; grants, while any apply, still decide the type."""
    if user.manual_user_type is None:
        user.user_type = user_type
    else:
        user.manual_user_type = user_type


def settle_user_types(session: Session, org_id: int, user_ids: Select[int] | None = None) -> None:
    """Bring `users.user_type` in line with the grants of these users (all of the organisation's
    when `user_ids` is None), in two UPDATE statements whatever their number.

    Users with grants take the highest granted type (their hand-given type is kept aside); users
    whose last grant went get their hand-given type back. Rows already right are not written.
    """
    scope: list[ColumnElement[bool]] = [User.org_id == org_id]
    if user_ids is not None:
        scope.append(User.id.in_(user_ids.scalar_subquery()))
    has_grant = exists().where(UserTypeGrant.user_id == User.id)
    top = _highest_granted_type()
    session.execute(
        update(User)
        .where(*scope, has_grant, User.manual_user_type.is_(None) | (User.user_type != top))
        # Both sides of SET read the row as it was: this keeps aside the type current by hand.
        .values(
            manual_user_type=func.coalesce(User.manual_user_type, User.user_type), user_type=top
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(User)
        .where(*scope, User.manual_user_type.is_not(None), ~has_grant)
        .values(user_type=User.manual_user_type, manual_user_type=None)
        .execution_options(synchronize_session=False)
    )
    # The ORM would evaluate `SET user_type = manual_user_type, manual_user_type = NULL` on loaded
    # objects one attribute after the other; reloading them is the way to see what SQL did.
    # Expiring is free; reading org_id first could load an expired object.
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, User):
            session.expire(loaded, ["user_type", "manual_user_type"])


def _highest_granted_type() -> ColumnElement[UserType]:
    rank = case({member: member.rank for member in UserType}, value=UserTypeGrant.user_type)
    return (
        select(UserTypeGrant.user_type)
        .where(UserTypeGrant.user_id == User.id)
        .order_by(rank.desc())
        .limit(1)
        .scalar_subquery()
    )
