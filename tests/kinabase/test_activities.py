"""Activities of records: once per message and record, newest first, per organisation; and the
access rule that decides who may log them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.activities import (
    ActivityType,
    EmailMessage,
    add_activity,
    get_activity,
    log_email,
    recent_activities,
    recent_activities_by_record,
    records_with_message,
)
from kinabase.contacts import create_contact, designated_collections
from kinabase.errors import NotFound
from kinabase.permissions import collection_access
from kinabase.roles import PermissionLevel, create_role, grant_role, set_permission
from kinabase.users import UserStatus, UserType

WHEN = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _message(message_id: str = "<a@b>") -> EmailMessage:
    return EmailMessage(
        internet_message_id=message_id,
        subject="Hello",
        sender_email="ada@engines.example",
        sender_name="Ada",
        recipients=[{"email": "grace@acme.test", "name": "Grace", "kind": "to"}],
        timestamp=WHEN,
        content="Hi",
    )


def test_a_message_is_logged_once_per_record_and_found_in_its_organisation(
    session: Session,
) -> None:
    acme = create_organisation(session, "Acme").id
    globex = create_organisation(session, "Globex").id
    ada = create_contact(session, acme, name="Ada", email="ada@engines.example")
    other = create_contact(session, globex, name="Ada", email="ada@engines.example")

    first, created = log_email(session, ada, _message(), author_id=None)
    again, created_again = log_email(session, ada, _message(), author_id=None)
    log_email(session, other, _message(), author_id=None)

    assert created and not created_again and again.id == first.id
    assert records_with_message(session, acme, "<a@b>") == [ada.id]
    with pytest.raises(NotFound):
        get_activity(session, globex, first.id)


def test_recent_activities_are_newest_first_and_limited(session: Session) -> None:
    org_id = create_organisation(session, "Acme").id
    ada = create_contact(session, org_id, name="Ada", email="ada@engines.example")
    for day in range(5):
        add_activity(
            session, ada, ActivityType.NOTE, content=f"n{day}", timestamp=WHEN + timedelta(days=day)
        )

    found = recent_activities(session, org_id, [ada.id], 3)

    assert [a.content for a in found] == ["n4", "n3", "n2"]
    assert recent_activities(session, org_id + 1000, [ada.id], 3) == []


def test_collection_access_follows_roles_once_a_role_names_the_collection(
    session: Session,
) -> None:
    org_id = create_organisation(session, "Acme").id
    contacts = designated_collections(session, org_id).contacts
    assert contacts is not None
    user = create_user(session, org_id, "u@acme.test", active=True)
    admin = create_user(
        session, org_id, "a@acme.test", active=True, user_type=UserType.ADMINISTRATOR
    )
    assert collection_access(session, user, contacts.id) is PermissionLevel.VIEW_AND_EDIT

    readers = create_role(session, org_id, "Readers")
    set_permission(session, readers, contacts.id, PermissionLevel.VIEW)
    assert collection_access(session, user, contacts.id) is PermissionLevel.NONE
    assert collection_access(session, admin, contacts.id) is PermissionLevel.VIEW_AND_EDIT

    grant_role(session, user.id, readers)
    assert collection_access(session, user, contacts.id) is PermissionLevel.VIEW
    user.status = UserStatus.DEACTIVATED
    assert collection_access(session, user, contacts.id) is PermissionLevel.NONE


def test_recent_activities_by_record_keep_the_newest_of_each(session: Session) -> None:
    org_id = create_organisation(session, "Acme").id
    ada = create_contact(session, org_id, name="Ada", email="ada@engines.example")
    bob = create_contact(session, org_id, name="Bob", email="bob@engines.example")
    for day in range(4):
        for record in (ada, bob):
            add_activity(
                session,
                record,
                ActivityType.NOTE,
                content=f"{record.data['name']}{day}",
                timestamp=WHEN + timedelta(days=day),
            )

    found = recent_activities_by_record(session, org_id, [ada.id, bob.id, ada.id], 2)

    assert {r: [a.content for a in acts] for r, acts in found.items()} == {
        ada.id: ["Ada3", "Ada2"],
        bob.id: ["Bob3", "Bob2"],
    }
    assert recent_activities_by_record(session, org_id + 1000, [ada.id], 2) == {}
