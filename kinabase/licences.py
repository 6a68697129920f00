"""Licence seats: every active user holds one, and activation never exceeds the organisation's.

Activation locks the organisation row (SELECT … FOR UPDATE on PostgreSQL; SQLite write
transactions are already serialised) so that two concurrent activations cannot both take the
last seat.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinabase.errors import LicenceExhausted
from kinabase.organisations import Organisation
from kinabase.users import User, UserStatus


def seats_in_use(session: Session, org_id: int) -> int:
    """How many of the organisation's users are active."""
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.org_id == org_id, User.status == UserStatus.ACTIVE)
        )
        or 0
    )


def ensure_seat_available(session: Session, org_id: int) -> None:
    """Raise LicenceExhausted unless one more user may become active."""
    # FOR NO KEY UPDATE on PostgreSQL: it serialises seat checks, yet does not conflict with the
    # key-share locks that inserting rows referencing the organisation takes (FOR UPDATE would,
    # and two concurrent creates would deadlock).
    organisation = session.scalars(
        select(Organisation).where(Organisation.id == org_id).with_for_update(key_share=True)
    ).one()
    in_use = seats_in_use(session, org_id)
    if in_use >= organisation.licence_seats:
        raise LicenceExhausted(seats=organisation.licence_seats, in_use=in_use)


def activate_user(session: Session, user: User) -> bool:
    """Make the user active, taking a seat; returns whether the status changed.

    Raises LicenceExhausted, changing nothing, when every seat is taken.
    """
    if user.status is UserStatus.ACTIVE:
        return False
    session.flush()
    ensure_seat_available(session, user.org_id)
    user.status = UserStatus.ACTIVE
    session.flush()
    return True


def deactivate_user(session: Session, user: User) -> bool:
    """Deactivate the user, freeing their seat; returns whether the status changed."""
    if user.status is UserStatus.DEACTIVATED:
        return False
    user.status = UserStatus.DEACTIVATED
    session.flush()
    return True
