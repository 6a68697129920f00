"""The colleague field mapping: defaults, an organisation's own choices, and their refusals."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.colleagues import add_colleague_field, colleague_record
from kinabase.collections import FieldType
from kinabase.organisations import Organisation
from scim_server.mapping import (
    DEPARTMENT_PATH,
    MANAGER_PATH,
    InvalidFieldMapping,
    colleague_field_mapping,
    project_user,
    reset_colleague_field_mapping,
    set_colleague_field_source,
    unset_colleague_field_source,
)
from tests.mapping.conftest import directory_user

COST_CENTRE = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User:costCentre"


def _sources(session: Session, org_id: int) -> dict[str, tuple[str | None, bool]]:
    return {
        entry.field.key: (entry.source, entry.is_default)
        for entry in colleague_field_mapping(session, org_id)
    }


def test_default_mapping_fills_job_title_and_department(
    session: Session, acme: Organisation
) -> None:
    assert _sources(session, acme.id) == {
        "department": (DEPARTMENT_PATH, True),
        "jobTitle": ("title", True),
        "manager": (MANAGER_PATH, True),
    }

    result = project_user(
        session, acme.id, directory_user("u1", "ada@acme.test", title="CTO", department="R&D")
    )

    record = colleague_record(session, acme.id, result.user_id)
    assert (record.data["jobTitle"], record.data["department"]) == ("CTO", "R&D")


def test_custom_sources_include_custom_extensions_and_apply_at_the_next_projection(
    session: Session, acme: Organisation
) -> None:
    add_colleague_field(session, acme.id, "costCentre", "Cost Centre", FieldType.TEXT)
    add_colleague_field(session, acme.id, "nickname", "Nickname", FieldType.TEXT)
    extension = {COST_CENTRE.rsplit(":", 1)[0]: {"costCentre": "CC-42"}}
    first = project_user(
        session, acme.id, directory_user("u1", "ada@acme.test", title="CTO", **extension)
    )
    record = colleague_record(session, acme.id, first.user_id)
    assert "costCentre" not in record.data

    set_colleague_field_source(session, acme.id, "costCentre", COST_CENTRE)
    set_colleague_field_source(session, acme.id, "nickname", "name.givenName")
    set_colleague_field_source(session, acme.id, "jobTitle", "displayName")
    project_user(session, acme.id, directory_user("u1", "ada@acme.test", title="CTO", **extension))

    assert record.data["costCentre"] == "CC-42"
    assert record.data["nickname"] == "Ada"
    assert record.data["jobTitle"] == "Ada Lovelace"
    assert _sources(session, acme.id)["department"] == (DEPARTMENT_PATH, True)


def test_unset_switches_a_default_off_and_reset_brings_it_back(
    session: Session, acme: Organisation
) -> None:
    project_user(session, acme.id, directory_user("u1", "ada@acme.test", department="R&D"))
    unset_colleague_field_source(session, acme.id, "department")

    result = project_user(session, acme.id, directory_user("u1", "ada@acme.test", department="Ops"))

    record = colleague_record(session, acme.id, result.user_id)
    assert record.data["department"] == "R&D"  # no longer followed
    assert _sources(session, acme.id)["department"] == (None, False)

    set_colleague_field_source(session, acme.id, "jobTitle", "displayName")
    reset_colleague_field_mapping(session, acme.id, "department")
    assert _sources(session, acme.id)["department"] == (DEPARTMENT_PATH, True)
    assert _sources(session, acme.id)["jobTitle"] == ("displayName", False)
    reset_colleague_field_mapping(session, acme.id)
    assert _sources(session, acme.id)["jobTitle"] == ("title", True)


def test_an_empty_value_clears_the_field(session: Session, acme: Organisation) -> None:
    first = project_user(session, acme.id, directory_user("u1", "ada@acme.test", title="CTO"))
    project_user(session, acme.id, directory_user("u1", "ada@acme.test", title=""))

    assert "jobTitle" not in colleague_record(session, acme.id, first.user_id).data


@pytest.mark.parametrize(
    ("field", "source", "message"),
    [
        ("shoeSize", "title", "no field 'shoeSize'"),
        ("email", "title", "mirrors the user"),
        ("manager", "title", "only be filled from the manager"),
        ("jobTitle", MANAGER_PATH, "fills Colleague fields only"),
        ("jobTitle", "title with spaces", "not a SCIM attribute path"),
        ("jobTitle", "urn:bad", "not a SCIM attribute path"),
    ],
)
def test_impossible_entries_are_refused_before_writing(
    session: Session, acme: Organisation, field: str, source: str, message: str
) -> None:
    before = _sources(session, acme.id)

    with pytest.raises(InvalidFieldMapping, match=message):
        set_colleague_field_source(session, acme.id, field, source)

    assert _sources(session, acme.id) == before


def test_a_filtered_path_and_another_colleague_field_from_the_manager_are_accepted(
    session: Session, acme: Organisation
) -> None:
    add_colleague_field(session, acme.id, "lineManager", "Line Manager", FieldType.COLLEAGUE)
    add_colleague_field(session, acme.id, "mobile", "Mobile", FieldType.PHONE)

    set_colleague_field_source(session, acme.id, "lineManager", MANAGER_PATH.upper())
    set_colleague_field_source(session, acme.id, "mobile", 'phoneNumbers[type eq "mobile"].value')

    sources = _sources(session, acme.id)
    assert sources["lineManager"] == (MANAGER_PATH.upper(), False)
    assert sources["mobile"] == ('phoneNumbers[type eq "mobile"].value', False)


def test_one_organisations_mapping_never_applies_to_another(
    session: Session, acme: Organisation
) -> None:
    other = create_organisation(session, "Other", licence_seats=5)
    set_colleague_field_source(session, acme.id, "jobTitle", "displayName")
    unset_colleague_field_source(session, acme.id, "department")

    result = project_user(
        session, other.id, directory_user("u1", "ada@other.test", title="CTO", department="R&D")
    )

    record = colleague_record(session, other.id, result.user_id)
    assert (record.data["jobTitle"], record.data["department"]) == ("CTO", "R&D")
    assert _sources(session, other.id)["jobTitle"] == ("title", True)
