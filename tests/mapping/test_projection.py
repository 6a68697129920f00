"""Projecting provisioned users onto Kinabase users, seats and Colleague records."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinabase.accounts import create_user
from kinabase.colleagues import colleague_record
from kinabase.collections import Record
from kinabase.errors import EmailInUse, LicenceExhausted
from kinabase.licences import seats_in_use
from kinabase.organisations import Organisation
from kinabase.roles import create_role, grant_role, roles_of_user
from kinabase.users import User, UserStatus, UserType, find_user_by_email
from scim_server.mapping import (
    AlreadyLinked,
    PendingUser,
    ProjectionResult,
    project_user,
    unlink_user,
)
from scim_server.mapping.directory import missing_email
from scim_server.mapping.links import find_link
from tests.mapping.conftest import directory_user


def test_first_projection_creates_an_active_user_with_a_colleague_record(
    session: Session, acme: Organisation
) -> None:
    result = project_user(session, acme.id, directory_user("u1", "ada@acme.test", title="Engineer"))

    user = session.get_one(User, result.user_id)
    assert result.outcome == "created"
    assert (user.email, user.first_name, user.last_name) == ("ada@acme.test", "Ada", "Lovelace")
    assert (user.display_name, user.job_title) == ("Ada Lovelace", "Engineer")
    assert user.status is UserStatus.ACTIVE and seats_in_use(session, acme.id) == 1
    record = colleague_record(session, acme.id, user.id)
    assert record.id == result.record_id
    assert record.data == {"name": "Ada Lovelace", "email": "ada@acme.test", "jobTitle": "Engineer"}


def test_an_inactive_newcomer_is_created_deactivated_without_a_seat(
    session: Session, acme: Organisation
) -> None:
    result = project_user(session, acme.id, directory_user("u1", "ada@acme.test", active=False))

    assert result.status is UserStatus.DEACTIVATED
    assert seats_in_use(session, acme.id) == 0


def test_adopts_an_unlinked_user_with_the_same_email_keeping_type_and_roles(
    session: Session, acme: Organisation
) -> None:
    existing = create_user(
        session, acme.id, "Ada@Acme.test", user_type=UserType.ADMINISTRATOR, active=True
    )
    sales = create_role(session, acme.id, "Sales")
    grant_role(session, existing.id, sales)

    result = project_user(session, acme.id, directory_user("u1", "ada@acme.test"))

    assert (result.outcome, result.user_id) == ("adopted", existing.id)
    assert existing.email == "ada@acme.test"
    assert existing.user_type is UserType.ADMINISTRATOR
    assert roles_of_user(session, acme.id, existing.id) == [sales]
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_refuses_to_adopt_a_user_linked_to_another_directory_user(
    session: Session, acme: Organisation
) -> None:
    first = project_user(session, acme.id, directory_user("u1", "ada@acme.test"))
    session.commit()

    with pytest.raises(AlreadyLinked, match="already linked to directory user 'u1'"):
        project_user(session, acme.id, directory_user("u2", "ada@acme.test", given="Eve"))

    assert find_link(session, acme.id, "u2") is None
    assert session.get_one(User, first.user_id).first_name == "Ada"
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_follows_name_title_email_and_photo_changes(session: Session, acme: Organisation) -> None:
    first = project_user(session, acme.id, directory_user("u1", "ada@acme.test"))

    again = project_user(
        session,
        acme.id,
        directory_user(
            "u1",
            "ada.byron@acme.test",
            given="Augusta",
            family="Byron",
            title="Countess",
            photos=[{"value": "https://photos.test/ada.jpg", "primary": True}],
        ),
    )

    user = session.get_one(User, first.user_id)
    assert (again.outcome, again.user_id) == ("updated", first.user_id)
    assert (user.email, user.first_name, user.last_name) == (
        "ada.byron@acme.test",
        "Augusta",
        "Byron",
    )
    assert (user.job_title, user.photo_url) == ("Countess", "https://photos.test/ada.jpg")
    record = colleague_record(session, acme.id, user.id)
    assert record.data["name"] == "Augusta Byron"
    assert record.data["email"] == "ada.byron@acme.test"
    assert record.data["jobTitle"] == "Countess"


def test_an_email_taken_by_another_user_is_refused_before_writing(
    session: Session, acme: Organisation
) -> None:
    create_user(session, acme.id, "grace@acme.test")
    result = project_user(session, acme.id, directory_user("u1", "ada@acme.test"))

    with pytest.raises(EmailInUse):
        project_user(session, acme.id, directory_user("u1", "grace@acme.test", given="Eve"))

    assert session.get_one(User, result.user_id).first_name == "Ada"


def test_missing_email_falls_back_to_user_name_or_leaves_the_user_pending(
    session: Session, acme: Organisation
) -> None:
    result = project_user(
        session, acme.id, directory_user("u1", None, userName="ada@acme.onmicrosoft.com")
    )
    assert isinstance(result, ProjectionResult)
    assert session.get_one(User, result.user_id).email == "ada@acme.onmicrosoft.com"

    pending = project_user(session, acme.id, directory_user("u2", None, userName="grace"))
    assert pending == PendingUser("u2", "grace", missing_email("grace"))
    assert "no email address" in pending.reason
    assert find_link(session, acme.id, "u2") is None
    assert seats_in_use(session, acme.id) == 1


def test_a_linked_user_whose_email_goes_keeps_their_address(
    session: Session, acme: Organisation
) -> None:
    first = project_user(session, acme.id, directory_user("u1", "ada@acme.test", title="CTO"))
    again = project_user(
        session, acme.id, directory_user("u1", None, userName="ada", title="Chief")
    )
    assert isinstance(first, ProjectionResult) and isinstance(again, ProjectionResult)
    assert (again.user_id, again.outcome) == (first.user_id, "updated")
    user = session.get_one(User, first.user_id)
    assert (user.email, user.job_title) == ("ada@acme.test", "Chief")


def test_deactivation_frees_the_seat(session: Session, acme: Organisation) -> None:
    project_user(session, acme.id, directory_user("u1", "ada@acme.test"))
    assert seats_in_use(session, acme.id) == 1

    result = project_user(session, acme.id, directory_user("u1", "ada@acme.test", active=False))

    assert result.status is UserStatus.DEACTIVATED
    assert seats_in_use(session, acme.id) == 0


def test_reactivation_beyond_the_seats_changes_nothing(
    session: Session, acme: Organisation
) -> None:
    acme.licence_seats = 1
    ada = project_user(session, acme.id, directory_user("u1", "ada@acme.test", active=False))
    project_user(session, acme.id, directory_user("u2", "grace@acme.test"))
    session.commit()

    with pytest.raises(LicenceExhausted):
        project_user(session, acme.id, directory_user("u1", "ada.new@acme.test", given="Augusta"))
    with pytest.raises(LicenceExhausted):
        project_user(session, acme.id, directory_user("u3", "linus@acme.test"))

    session.commit()  # whatever the session holds would be written now
    session.expire_all()
    user = session.get_one(User, ada.user_id)
    assert (user.status, user.email, user.first_name) == (
        UserStatus.DEACTIVATED,
        "ada@acme.test",
        "Ada",
    )
    assert find_user_by_email(session, acme.id, "linus@acme.test") is None
    assert find_link(session, acme.id, "u3") is None
    assert seats_in_use(session, acme.id) == 1


def test_unlink_deactivates_keeps_the_record_and_manual_roles_and_relinks_by_email(
    session: Session, acme: Organisation
) -> None:
    first = project_user(session, acme.id, directory_user("u1", "ada@acme.test", title="CTO"))
    sales = create_role(session, acme.id, "Sales")
    grant_role(session, first.user_id, sales)

    assert unlink_user(session, acme.id, "u1") is True
    assert unlink_user(session, acme.id, "u1") is False

    user = session.get_one(User, first.user_id)
    assert user.status is UserStatus.DEACTIVATED and seats_in_use(session, acme.id) == 0
    assert find_link(session, acme.id, "u1") is None
    record = session.get_one(Record, first.record_id)
    assert (record.user_id, record.data["jobTitle"]) == (user.id, "CTO")
    assert roles_of_user(session, acme.id, user.id) == [sales]

    again = project_user(session, acme.id, directory_user("u9", "ada@acme.test"))

    assert (again.outcome, again.user_id, again.record_id) == (
        "adopted",
        first.user_id,
        first.record_id,
    )
    assert user.status is UserStatus.ACTIVE
