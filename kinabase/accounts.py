"""Creating users and organisations, with everything that must come along with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from kinabase.colleagues import (
    colleague_identity,
    create_colleague_record,
    create_colleagues_collection,
    insert_colleague_record,
)
from kinabase.collections import Record
from kinabase.contacts import create_crm_collections
from kinabase.errors import EmailInUse
from kinabase.licences import take_seat
from kinabase.names import clean_name, fold_case
from kinabase.organisations import Organisation
from kinabase.users import User, UserStatus, UserType, find_user_by_email, shown_name


def create_organisation(session: Session, name: str, licence_seats: int = 25) -> Organisation:
    """Create an organisation with its built-in Colleagues, Contacts and Organisations collections
    (the last two designated to hold contacts and organisations).

    The name loses surrounding whitespace; a blank or multi-line name is InvalidName, and
    nothing is written.
    """
    name = clean_name(name, "organisation")
    if licence_seats < 0:
        raise ValueError("licence seats cannot be negative")
    organisation = Organisation(name=name, licence_seats=licence_seats)
    session.add(organisation)
    session.flush()
    create_colleagues_collection(session, organisation.id)
    create_crm_collections(session, organisation.id)
    return organisation


def create_user(
    session: Session,
    org_id: int,
    email: str,
    *,
    first_name: str = "",
    last_name: str = "",
    display_name: str = "",
    job_title: str | None = None,
    user_type: UserType = UserType.USER,
    active: bool = False,
) -> User:
    """Create a user and their Colleague record; an active user takes a licence seat.

    Raises EmailInUse or LicenceExhausted before anything is written.
    """
    if find_user_by_email(session, org_id, email) is not None:
        raise EmailInUse(email)
    profile = Profile(first_name, last_name, display_name, job_title)
    return add_user(session, org_id, email, profile, user_type=user_type, active=active)[0]


@dataclass(frozen=True)
class Profile:
    """What a new user is called and their job, as `add_user` writes it in its INSERT."""

    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    job_title: str | None = None
    photo_url: str | None = None
    user_principal_name: str | None = None

    def columns(self, email: str) -> dict[str, Any]:
        """The `users` columns this profile and address fill, by name (for Core statements)."""
        return {
            "email": email,
            "email_folded": fold_case(email),
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": self.display_name,
            "job_title": self.job_title,
            "photo_url": self.photo_url,
            "user_principal_name": self.user_principal_name,
        }


def add_user(
    session: Session,
    org_id: int,
    email: str,
    profile: Profile,
    *,
    user_type: UserType = UserType.USER,
    active: bool = False,
    colleague_data: Mapping[str, Any] | None = None,
) -> tuple[User, Record]:
    """`create_user` for a caller that has just found no user with this email: the user, with
    their whole profile, and their Colleague record (holding `colleague_data` too), each in one
    INSERT. The unique index on the email still refuses a concurrent twin.

    Raises LicenceExhausted before anything is written.
    """
    user = User(
        org_id=org_id,
        email=email,
        first_name=profile.first_name,
        last_name=profile.last_name,
        display_name=profile.display_name,
        job_title=profile.job_title,
        photo_url=profile.photo_url,
        user_principal_name=profile.user_principal_name,
        user_type=user_type,
        status=UserStatus.ACTIVE if active else UserStatus.INVITED,
    )
    if active:
        # Take the seat before the user exists, so that a refusal leaves nothing behind.
        take_seat(session, org_id)
    session.add(user)
    session.flush()
    return user, create_colleague_record(session, user, colleague_data)


_INSERT_USER = insert(cast(Table, User.__table__)).returning(User.__table__.c.id)


@dataclass(frozen=True)
class InsertedUser:
    """The keys of a user written by `insert_user`, and their status."""

    user_id: int
    record_id: int
    status: UserStatus


def insert_user(
    session: Session,
    org_id: int,
    email: str,
    profile: Profile,
    *,
    status: UserStatus,
    entra_object_id: str | None = None,
    colleague_data: Mapping[str, Any] | None = None,
) -> InsertedUser:
    """`add_user` in Core statements, for the provisioning hot path: the user (whole profile,
    final status, Entra object id) and their Colleague record are each one INSERT … RETURNING,
    with no ORM object, unit of work or flush. An active user takes a seat first.

    The caller has found no user with this email (the unique index still refuses a concurrent
    twin) and no other user with this Entra object id. Raises LicenceExhausted before anything
    is written.
    """
    if status is UserStatus.ACTIVE:
        take_seat(session, org_id)
    inserted = session.execute(
        _INSERT_USER,
        {
            "org_id": org_id,
            **profile.columns(email),
            "user_type": UserType.USER,
            "status": status,
            "entra_object_id": entra_object_id,
        },
    )
    user_id = int(inserted.scalar_one())
    name = shown_name(profile.display_name, profile.first_name, profile.last_name, email)
    record_id = insert_colleague_record(
        session, org_id, user_id, colleague_data or {}, colleague_identity(name, email)
    )
    return InsertedUser(user_id, record_id, status)
