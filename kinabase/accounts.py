"""Creating users and organisations, with everything that must come along with them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kinabase.colleagues import create_colleague_record, create_colleagues_collection
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
    user = User(
        org_id=org_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        display_name=display_name,
        job_title=job_title,
        user_type=user_type,
        status=UserStatus.ACTIVE if active else UserStatus.INVITED,
    )
    if active:
        # Take the seat before the user exists, so that a refusal leaves nothing behind.
        take_seat(session, org_id)
    session.add(user)
    session.flush()
    create_colleague_record(session, user)
    return user
