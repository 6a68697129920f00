"""Administrators' fields of the Colleagues collection: keys from names, and what is refused."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.colleagues import (
    DEFAULT_COLLEAGUE_FIELDS,
    colleague_fields,
    create_colleague_field,
    field_key,
    list_colleague_fields,
)
from kinabase.collections import Field, FieldType
from kinabase.database import make_sessionmakers
from kinabase.errors import DomainError, FieldExists, InvalidFieldType, InvalidName


def _field_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Field)) or 0


def test_a_new_field_takes_its_key_from_its_name_and_comes_last(session: Session) -> None:
    org_id = create_organisation(session, "Acme").id

    field = create_colleague_field(session, org_id, "  Cost Centre ", "text")

    assert (field.key, field.name, field.type, field.is_system) == (
        "costCentre",
        "Cost Centre",
        FieldType.TEXT,
        False,
    )
    listed = [(f.key, f.is_system) for f in list_colleague_fields(session, org_id)]
    assert listed == [
        ("name", True),
        ("email", True),
        ("jobTitle", False),
        ("department", False),
        ("manager", False),
        ("costCentre", False),
    ]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Job Title", "jobTitle"),
        ("cost centre", "costCentre"),
        ("COST-CENTRE", "costCentre"),
        ("Cost-centre (EU)", "costCentreEu"),
        ("Employee ID 2", "employeeId2"),
        ("Département", "département"),
        ("\uff26ull \uff37idth", "fullWidth"),  # full-width F and W (NFKC)
    ],
)
def test_field_key_is_the_names_letters_and_digits_in_camel_case(name: str, key: str) -> None:
    assert field_key(name) == key


def test_the_default_fields_follow_the_key_rule() -> None:
    assert [(field_key(name), key) for key, name, _, _ in DEFAULT_COLLEAGUE_FIELDS] == [
        (key, key) for key, _, _, _ in DEFAULT_COLLEAGUE_FIELDS
    ]


@pytest.mark.parametrize(
    ("name", "type_", "error", "message"),
    [
        ("", "text", InvalidName, "the field name cannot be blank"),
        ("   ", "text", InvalidName, "the field name cannot be blank"),
        ("Cost\nCentre", "text", InvalidName, "cannot contain tabs, line breaks"),
        ("Cost\tCentre", "text", InvalidName, "cannot contain tabs, line breaks"),
        ("x" * 201, "text", InvalidName, "at most 200 characters"),
        ("word " * 30, "text", InvalidName, "makes a key longer than 100 characters"),
        ("—!?", "text", InvalidName, "has no letters or digits to make a key from"),
        ("Cost Centre", "string", InvalidFieldType, "unknown field type 'string': choose one of"),
        ("Cost Centre", "", InvalidFieldType, "unknown field type ''"),
        ("Cost Centre", "linked_record", InvalidFieldType, "a linked_record field links"),
        ("job title", "text", FieldExists, "already has a field named 'Job Title' (key jobTitle)"),
        ("Job-Title", "text", FieldExists, "'Job Title' already has the key 'jobTitle'"),
        ("NAME", "text", FieldExists, "already has a field named 'Name'"),
        ("E-mail", "email", FieldExists, "'Email' already has the key 'email', which 'E-mail'"),
    ],
)
def test_refused_fields_are_refused_before_anything_is_written(
    session: Session,
    name: str,
    type_: str,
    error: type[DomainError],
    message: str,
) -> None:
    org_id = create_organisation(session, "Acme").id
    session.flush()
    before = _field_count(session)

    with pytest.raises(error) as refused:
        create_colleague_field(session, org_id, name, type_)

    assert message in str(refused.value)
    assert not session.new
    assert _field_count(session) == before


def test_field_types_are_read_whatever_their_case(session: Session) -> None:
    org_id = create_organisation(session, "Acme").id

    assert create_colleague_field(session, org_id, "Mobile", " Phone ").type is FieldType.PHONE
    assert create_colleague_field(session, org_id, "Mentor", FieldType.COLLEAGUE).type.is_link


def test_a_second_field_with_the_same_name_is_refused(session: Session) -> None:
    org_id = create_organisation(session, "Acme").id
    create_colleague_field(session, org_id, "Cost Centre", "text")

    with pytest.raises(FieldExists, match="already has a field named 'Cost Centre'"):
        create_colleague_field(session, org_id, "cost centre", "number")
    with pytest.raises(FieldExists, match="'Cost Centre' already has the key 'costCentre'"):
        create_colleague_field(session, org_id, "Cost-Centre", "text")


def test_each_organisation_names_its_own_fields(session: Session) -> None:
    acme = create_organisation(session, "Acme").id
    globex = create_organisation(session, "Globex").id
    initech = create_organisation(session, "Initech").id
    create_colleague_field(session, acme, "Cost Centre", "text")

    create_colleague_field(session, globex, "Cost Centre", "number")

    assert colleague_fields(session, acme)["costCentre"].type is FieldType.TEXT
    assert colleague_fields(session, globex)["costCentre"].type is FieldType.NUMBER
    assert "costCentre" not in colleague_fields(session, initech)


def test_two_writers_adding_one_key_end_with_one_field_and_one_refusal(engine: Engine) -> None:
    """The unique key is the database's: a writer whose check ran first still gets FieldExists.

    On PostgreSQL the second writer's check passes (the first has not committed) and its insert
    waits on the unique index until the first commits; on SQLite writers take turns, so the
    second one's check already sees the field.
    """
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as setup:
        org_id = create_organisation(setup, "Acme").id
        setup.commit()
    outcome: list[BaseException | str] = []

    def second_writer() -> None:
        with write_sessions() as session:
            try:
                outcome.append(create_colleague_field(session, org_id, "Cost Centre", "text").key)
                session.commit()
            except BaseException as error:
                outcome.append(error)

    with write_sessions() as first:
        create_colleague_field(first, org_id, "Cost Centre", "text")
        writer = threading.Thread(target=second_writer)
        writer.start()
        waited = engine.dialect.name == "postgresql" and _a_backend_waits_for_a_lock(first)
        if engine.dialect.name != "postgresql":
            time.sleep(0.2)
        first.commit()
    writer.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], FieldExists), outcome
    # PostgreSQL: refused by the unique index, once the second writer was seen waiting on it;
    # SQLite (or a second writer slower than the observer's patience): by the check.
    by_index = "already has a field 'costCentre'"
    by_check = "field named 'Cost Centre'"
    allowed = [by_index] if waited else [by_index, by_check]
    assert any(reason in str(outcome[0]) for reason in allowed), outcome[0]
    with write_sessions() as check:
        keys = [f.key for f in list_colleague_fields(check, org_id)]
    assert keys.count("costCentre") == 1


def _a_backend_waits_for_a_lock(session: Session) -> bool:
    """Whether another backend is seen waiting for a lock within 10 s (on a loaded machine the
    second writer may be slower than that; the test's outcome must hold either way)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + 10
    with session.get_bind().connect() as observer:  # type: ignore[union-attr]
        while observer.execute(waiting).scalar() == 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
    return True
