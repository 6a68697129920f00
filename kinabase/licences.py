"""Licence seats: every active user holds one, and activation never exceeds the organisation's.

The organisation row counts its seats in use (`organisations.seats_in_use`), changed in the same
transaction as every status change, so a seat check costs the same at 100,000 users as at ten.
Taking a seat is one conditional UPDATE (`seats_in_use < licence_seats`): it locks the
organisation row on PostgreSQL (FOR NO KEY UPDATE, which does not conflict with the key-share
locks that inserting rows referencing the organisation takes) and SQLite write transactions are
serialised already, so two concurrent activations can never both take the last seat.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from kinabase.errors import LicenceExhausted
from kinabase.organisations import Organisation
from kinabase.users import User, UserStatus

# Core statements on the table, built once (every create and delete of a provisioned user runs
# one): no ORM bulk-update work, no construction or cache-key work per call.
_organisations = cast(Table, Organisation.__table__)
_TAKE_SEAT = (
    update(_organisations)
    .where(
        _organisations.c.id == bindparam("p_org"),
        _organisations.c.seats_in_use < _organisations.c.licence_seats,
    )
    .values(seats_in_use=_organisations.c.seats_in_use + 1)
)
_FREE_SEAT = (
    update(_organisations)
    .where(_organisations.c.id == bindparam("p_org"))
    .values(seats_in_use=_organisations.c.seats_in_use - 1)
)


def seats_in_use(session: Session, org_id: int) -> int:
    """How many of the organisation's users are active."""
    return session.scalar(select(Organisation.seats_in_use).where(Organisation.id == org_id)) or 0


def take_seat(session: Session, org_id: int) -> None:
    """Count one more active user, or raise LicenceExhausted and change nothing."""
    taken = session.execute(_TAKE_SEAT, {"p_org": org_id})
    _forget_loaded_count(session, org_id)
    if taken.rowcount == 0:  # type: ignore[attr-defined]
        seats, in_use = session.execute(
            select(Organisation.licence_seats, Organisation.seats_in_use).where(
                Organisation.id == org_id
            )
        ).one()
        raise LicenceExhausted(seats=seats, in_use=in_use)


def free_seat(session: Session, org_id: int) -> None:
    """Count one active user fewer."""
    session.execute(_FREE_SEAT, {"p_org": org_id})
    _forget_loaded_count(session, org_id)


def activate_user(session: Session, user: User) -> bool:
    """Make the user active, taking a seat; returns whether the status changed.

    Raises LicenceExhausted, changing nothing, when every seat is taken.
    """
    return _settle(session, user, active=True)


def deactivate_user(session: Session, user: User) -> bool:
    """Deactivate the user, freeing their seat if they held one; returns whether the status
    changed."""
    return _settle(session, user, active=False)


def settled_status(
    session: Session, org_id: int, status: UserStatus, *, active: bool
) -> UserStatus:
    """The status a user of `status` takes when made active (or deactivated), with the seat
    taken or freed that it needs: becoming active takes one (LicenceExhausted, changing
    nothing, when every seat is taken), leaving active frees it; an invited user holds none."""
    if active:
        if status is not UserStatus.ACTIVE:
            take_seat(session, org_id)
        return UserStatus.ACTIVE
    if status is UserStatus.ACTIVE:
        free_seat(session, org_id)
    return UserStatus.DEACTIVATED


def _settle(session: Session, user: User, *, active: bool) -> bool:
    status = settled_status(session, user.org_id, user.status, active=active)
    if status is user.status:
        return False
    user.status = status
    session.flush()
    return True


def _forget_loaded_count(session: Session, org_id: int) -> None:
    # The UPDATE ran in SQL; a loaded Organisation would still show the old count.
    loaded = session.identity_map.get(session.identity_key(Organisation, org_id))
    if loaded is not None:
        session.expire(loaded, ["seats_in_use"])
