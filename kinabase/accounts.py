"""Creating users and organisations, with everything that must come along with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kinabase.colleagues import create_colleague_record, create_colleagues_collection
from kinabase.collections import Record
from kinabase.contacts import create_crm_collections
from kinabase.errors import EmailInUse
from kinabase.licences import take_seat
from kinabase.names import clean_name
from kinabase.organisations import Organisation
from kinabase.users import User, UserStatus, UserType, find_user_by_email


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
