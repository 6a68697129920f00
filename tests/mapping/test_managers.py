"""Manager links between Colleague records, including managers who arrive after their reports."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.colleagues import add_colleague_field, colleague_fields, linked_record_id
from kinabase.collections import FieldType, Record
from kinabase.organisations import Organisation
from scim_server.mapping import (
    MANAGER_PATH,
    InvalidManager,
    project_user,
    set_colleague_field_source,
    unlink_user,
    unset_colleague_field_source,
)
from scim_server.mapping.links import find_link
from tests.mapping.conftest import directory_user


def _remembered_manager(session: Session, org_id: int, directory_id: str) -> str | None:
    link = find_link(session, org_id, directory_id)
    return link.manager_directory_id if link is not None else None


def _manager_of(session: Session, org_id: int, record_id: int, key: str = "manager") -> int | None:
    field = colleague_fields(session, org_id)[key]
    return linked_record_id(session, session.get_one(Record, record_id), field)


def test_manager_link_change_and_removal(session: Session, acme: Organisation) -> None:
    boss = project_user(session, acme.id, directory_user("m1", "boss@acme.test"))
    other = project_user(session, acme.id, directory_user("m2", "other@acme.test"))

    ada = project_user(session, acme.id, directory_user("u1", "ada@acme.test", manager="m1"))
    assert _manager_of(session, acme.id, ada.record_id) == boss.record_id

    project_user(session, acme.id, directory_user("u1", "ada@acme.test", manager="m2"))
    assert _manager_of(session, acme.id, ada.record_id) == other.record_id

    project_user(session, acme.id, directory_user("u1", "ada@acme.test", manager=None))
    assert _manager_of(session, acme.id, ada.record_id) is None


def test_a_pending_manager_is_linked_when_they_arrive(session: Session, acme: Organisation) -> None:
    add_colleague_field(session, acme.id, "lineManager", "Line Manager", FieldType.COLLEAGUE)
    set_colleague_field_source(session, acme.id, "lineManager", MANAGER_PATH)
    ada = project_user(session, acme.id, directory_user("u1", "ada@acme.test", manager="m1"))
    grace = project_user(session, acme.id, directory_user("u2", "grace@acme.test", manager="m1"))
    assert (
        _remembered_manager(session, acme.id, "u1")
        == _remembered_manager(session, acme.id, "u2")
        == "m1"
    )
    assert _manager_of(session, acme.id, ada.record_id) is None

    boss = project_user(session, acme.id, directory_user("m1", "boss@acme.test"))

    for report in (ada, grace):
        assert _manager_of(session, acme.id, report.record_id) == boss.record_id
        assert _manager_of(session, acme.id, report.record_id, "lineManager") == boss.record_id


def test_deleting_the_manager_clears_them_from_their_reports(
    session: Session, acme: Organisation
) -> None:
    boss = project_user(session, acme.id, directory_user("m1", "boss@acme.test"))
    ada = project_user(session, acme.id, directory_user("u1", "ada@acme.test", manager="m1"))

    unlink_user(session, acme.id, "m1")

    assert _manager_of(session, acme.id, ada.record_id) is None
    again = project_user(session, acme.id, directory_user("m9", "boss@acme.test"))
    assert again.record_id == boss.record_id
    assert _manager_of(session, acme.id, ada.record_id) is None  # m1 is gone for good


def test_a_user_cannot_be_their_own_manager(session: Session, acme: Organisation) -> None:
    project_user(session, acme.id, directory_user("u1", "ada@acme.test"))

    with pytest.raises(InvalidManager):
        project_user(session, acme.id, directory_user("u1", "ada@acme.test", manager="u1"))


def test_no_manager_field_mapped_links_nothing(session: Session, acme: Organisation) -> None:
    project_user(session, acme.id, directory_user("m1", "boss@acme.test"))
    unset_colleague_field_source(session, acme.id, "manager")

    ada = project_user(session, acme.id, directory_user("u1", "ada@acme.test", manager="m1"))

    assert _manager_of(session, acme.id, ada.record_id) is None


def test_a_manager_in_another_organisation_is_never_linked(
    session: Session, acme: Organisation
) -> None:
    other = create_organisation(session, "Other", licence_seats=5)
    project_user(session, acme.id, directory_user("m1", "boss@acme.test"))

    ada = project_user(session, other.id, directory_user("u1", "ada@other.test", manager="m1"))

    assert _remembered_manager(session, other.id, "u1") == "m1"
    assert _manager_of(session, other.id, ada.record_id) is None
    project_user(session, acme.id, directory_user("m1", "boss@acme.test", title="CEO"))
    assert _manager_of(session, other.id, ada.record_id) is None
