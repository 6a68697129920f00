"""Organisations, users, Colleague records and licence seats (the Kinabase model's rules)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.colleagues import (
    colleague_fields,
    colleague_record,
    colleagues_collection,
    linked_record_id,
    set_colleague_link,
)
from kinabase.collections import Record
from kinabase.errors import DomainError, EmailInUse, InvalidName, LicenceExhausted
from kinabase.licences import activate_user, deactivate_user, seats_in_use
from kinabase.organisations import Organisation, set_sign_in_methods
from kinabase.users import User, UserStatus


def test_every_organisation_gets_a_colleagues_collection_with_default_fields(
    session: Session,
) -> None:
    organisation = create_organisation(session, "Acme")

    collection = colleagues_collection(session, organisation.id)
    assert collection.is_system
    assert {"name", "email", "jobTitle", "manager", "department"} <= set(
        colleague_fields(session, organisation.id)
    )


def test_each_user_has_exactly_one_colleague_record(session: Session) -> None:
    organisation = create_organisation(session, "Acme")
    ada = create_user(session, organisation.id, "ada@acme.test", first_name="Ada")
    bob = create_user(session, organisation.id, "bob@acme.test", first_name="Bob")

    records = session.scalars(select(Record).where(Record.org_id == organisation.id)).all()
    assert sorted(r.user_id for r in records if r.user_id) == sorted([ada.id, bob.id])
    assert colleague_record(session, organisation.id, ada.id).data["email"] == "ada@acme.test"


def test_email_is_unique_per_organisation_whatever_its_case(session: Session) -> None:
    acme = create_organisation(session, "Acme")
    other = create_organisation(session, "Other")
    create_user(session, acme.id, "Ada@Acme.test")

    with pytest.raises(EmailInUse):
        create_user(session, acme.id, "ada@acme.TEST")
    create_user(session, other.id, "ada@acme.test")  # another organisation may have it


def test_activation_takes_seats_and_deactivation_frees_them(session: Session) -> None:
    organisation = create_organisation(session, "Acme", licence_seats=2)
    ada = create_user(session, organisation.id, "ada@acme.test", active=True)
    bob = create_user(session, organisation.id, "bob@acme.test", active=True)
    assert seats_in_use(session, organisation.id) == 2

    assert deactivate_user(session, ada)
    assert seats_in_use(session, organisation.id) == 1
    assert activate_user(session, ada)
    assert seats_in_use(session, organisation.id) == 2
    assert not activate_user(session, bob)  # already active: no change


def test_the_seat_count_follows_every_status_change(session: Session) -> None:
    organisation = create_organisation(session, "Acme", licence_seats=3)
    ada = create_user(session, organisation.id, "ada@acme.test", active=True)
    invited = create_user(session, organisation.id, "bob@acme.test")
    assert organisation.seats_in_use == 1

    assert deactivate_user(session, invited)  # an invited user held no seat
    assert organisation.seats_in_use == 1
    assert deactivate_user(session, ada) and not deactivate_user(session, ada)
    assert organisation.seats_in_use == 0
    assert activate_user(session, invited) and activate_user(session, ada)

    active = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.org_id == organisation.id, User.status == UserStatus.ACTIVE)
    )
    assert organisation.seats_in_use == active == 2


def test_activation_beyond_seats_fails_and_changes_nothing(session: Session) -> None:
    organisation = create_organisation(session, "Acme", licence_seats=1)
    create_user(session, organisation.id, "ada@acme.test", active=True)
    invited = create_user(session, organisation.id, "bob@acme.test")
    users_before = session.scalar(select(func.count()).select_from(User))

    with pytest.raises(LicenceExhausted, match="1 of 1 seats in use"):
        activate_user(session, invited)
    with pytest.raises(LicenceExhausted, match="licence allocation exhausted"):
        create_user(session, organisation.id, "cy@acme.test", active=True)

    assert invited.status is UserStatus.INVITED
    assert session.scalar(select(func.count()).select_from(User)) == users_before
    assert seats_in_use(session, organisation.id) == 1


def test_manager_links_another_colleague_record_of_the_same_organisation(
    session: Session,
) -> None:
    acme = create_organisation(session, "Acme")
    other = create_organisation(session, "Other")
    ada = create_user(session, acme.id, "ada@acme.test")
    bob = create_user(session, acme.id, "bob@acme.test")
    eve = create_user(session, other.id, "eve@other.test")
    manager_field = colleague_fields(session, acme.id)["manager"]
    ada_record = colleague_record(session, acme.id, ada.id)
    bob_record = colleague_record(session, acme.id, bob.id)

    assert set_colleague_link(session, ada_record, manager_field, bob_record)
    assert not set_colleague_link(session, ada_record, manager_field, bob_record)
    assert linked_record_id(session, ada_record, manager_field) == bob_record.id
    with pytest.raises(DomainError):
        set_colleague_link(
            session, ada_record, manager_field, colleague_record(session, other.id, eve.id)
        )
    with pytest.raises(DomainError):
        set_colleague_link(session, ada_record, manager_field, ada_record)
    assert set_colleague_link(session, ada_record, manager_field, None)
    assert linked_record_id(session, ada_record, manager_field) is None


def test_at_least_one_sign_in_method_stays_allowed(session: Session) -> None:
    organisation = create_organisation(session, "Acme")
    set_sign_in_methods(organisation, password=False, microsoft=True)
    with pytest.raises(DomainError):
        set_sign_in_methods(organisation, password=False, microsoft=False)
    assert organisation.microsoft_sign_in and not organisation.password_sign_in


def test_organisation_names_lose_surrounding_whitespace(session: Session) -> None:
    assert create_organisation(session, "  Acme Ltd \n").name == "Acme Ltd"


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "Acme\nLtd"])
def test_blank_or_multi_line_organisation_names_are_refused(session: Session, name: str) -> None:
    with pytest.raises(InvalidName, match="the organisation name cannot"):
        create_organisation(session, name)

    assert not session.new
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0
