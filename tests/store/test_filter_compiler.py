"""The filter compiler on SQLite and PostgreSQL (RFC 7644 §3.4.2.2).

The differential property test covers the general agreement with the in-memory evaluator;
these tests pin down the cases a user would notice: LIKE wildcards in values, case rules, the
side table, relations, what cannot be filtered, and sorting.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scim_server.protocol.discovery import load_registry
from scim_server.protocol.errors import InvalidFilter, InvalidValue
from scim_server.protocol.filter_parser import parse_filter
from scim_server.store.filter_targets import group_target, user_target
from scim_server.store.filters import compile_filter, compile_sort
from scim_server.store.tables import ScimUser
from tests.store.filter_fixtures import (
    EPOCH,
    add_organisation,
    matching_groups,
    matching_users,
    store_group,
    store_user,
)

USER = load_registry().user
GROUP = load_registry().group
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def users(session: Session, text: str, org_id: int) -> set[str]:
    return matching_users(session, org_id, parse_filter(text, USER))


@pytest.fixture
def org_id(session: Session) -> int:
    return add_organisation(session)


def test_like_wildcards_in_values_are_literal(session: Session, org_id: int) -> None:
    for user_id, name in [("pct", "50%off"), ("any", "50Xoff"), ("und", "a_b"), ("bsl", "a\\b")]:
        store_user(session, org_id, {"userName": name}, user_id=user_id)
    assert users(session, 'userName co "%"', org_id) == {"pct"}
    assert users(session, 'userName sw "50%"', org_id) == {"pct"}
    assert users(session, 'userName co "_"', org_id) == {"und"}
    assert users(session, 'userName ew "\\\\b"', org_id) == {"bsl"}
    assert users(session, 'userName co ""', org_id) == {"pct", "any", "und", "bsl"}


def test_case_follows_case_exact(session: Session, org_id: int) -> None:
    store_user(session, org_id, {"userName": "BJensen", "externalId": "AbC"}, user_id="u1")
    assert users(session, 'userName eq "bjensen"', org_id) == {"u1"}  # caseExact false
    assert users(session, 'userName co "JEN"', org_id) == {"u1"}
    assert users(session, 'externalId eq "abc"', org_id) == set()  # caseExact true
    assert users(session, 'externalId co "bC"', org_id) == {"u1"}
    assert users(session, 'externalId co "BC"', org_id) == set()
    assert users(session, 'externalId sw "Ab"', org_id) == {"u1"}
    assert users(session, 'externalId ew "bc"', org_id) == set()


def test_entra_match_queries(session: Session, org_id: int) -> None:
    manager = store_user(session, org_id, {"userName": "boss@contoso.com"}, user_id="m1")
    store_user(
        session,
        org_id,
        {
            "userName": "jdoe@contoso.com",
            "externalId": "jyoung",
            "emails": [{"type": "work", "value": "JDoe@Contoso.com", "primary": True}],
        },
        user_id="u1",
        manager=manager,
    )
    assert users(session, 'userName eq "cf4d78e8-5bd4-4b1b-9c0e-0a21f0f28d2a"', org_id) == set()
    assert users(session, "externalId eq jyoung", org_id) == {"u1"}
    assert users(session, 'emails[type eq "work"].value eq "jdoe@contoso.com"', org_id) == {"u1"}
    assert users(session, 'id eq "u1" and manager eq "m1"', org_id) == {"u1"}
    assert users(session, 'id eq "u1" and manager eq "m2"', org_id) == set()
    assert users(session, "manager pr", org_id) == {"u1"}
    assert users(session, 'meta.resourceType eq "User"', org_id) == {"u1", "m1"}


def test_filters_stay_inside_the_organisation(session: Session, org_id: int) -> None:
    other = add_organisation(session)
    store_user(session, org_id, {"userName": "same"}, user_id="mine")
    store_user(session, other, {"userName": "same"}, user_id="theirs")
    assert users(session, 'userName eq "same"', org_id) == {"mine"}


def test_dates_compare_chronologically(session: Session, org_id: int) -> None:
    store_user(session, org_id, {"userName": "old"}, user_id="old")
    store_user(session, org_id, {"userName": "new"}, user_id="new", modified=EPOCH + timedelta(1))
    assert users(session, 'meta.lastModified gt "2024-01-01T00:00:00Z"', org_id) == {"new"}
    assert users(session, 'meta.lastModified le "2024-01-01T01:00:00+01:00"', org_id) == {"old"}


def test_group_members_and_user_groups(session: Session, org_id: int) -> None:
    alice = store_user(session, org_id, {"userName": "alice", "displayName": "Alice"}, user_id="a")
    bob = store_user(session, org_id, {"userName": "bob"}, user_id="b")
    store_group(session, org_id, {"displayName": "Sales"}, group_id="g1", members=[alice, bob])
    store_group(session, org_id, {"displayName": "Empty"}, group_id="g2", members=[])

    def groups(text: str) -> set[str]:
        return matching_groups(session, org_id, parse_filter(text, GROUP))

    assert groups('displayName eq "sales"') == {"g1"}
    assert groups('members eq "a"') == {"g1"}
    assert groups('id eq "g1" and members eq "b"') == {"g1"}
    assert groups('members[display sw "ali"]') == {"g1"}
    assert groups("members pr") == {"g1"}
    assert groups("not (members pr)") == {"g2"}
    assert users(session, 'groups.value eq "g1"', org_id) == {"a", "b"}
    assert users(session, 'groups[display eq "SALES"]', org_id) == {"a", "b"}


@pytest.mark.parametrize(
    "text",
    [
        'meta.location eq "https://example.com/Users/1"',
        'meta.version eq "W/\\"1\\""',
        'schemas eq "urn:ietf:params:scim:schemas:core:2.0:User"',
        'manager.displayName eq "Boss"',
        'groups.type eq "direct"',
    ],
)
def test_what_cannot_be_compiled_is_invalid_filter(session: Session, text: str) -> None:
    with pytest.raises(InvalidFilter):
        compile_filter(parse_filter(text, USER), user_target(), session.get_bind().dialect.name)


def test_members_ref_cannot_be_compiled() -> None:
    with pytest.raises(InvalidFilter):
        compile_filter(parse_filter('members.$ref eq "x"', GROUP), group_target(), "sqlite")


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_values_are_bound_parameters(dialect: object) -> None:
    name = "evil'); drop table scim_users; --"
    condition = compile_filter(
        parse_filter(f'userName eq "{name}" or emails.value co "{name}"', USER),
        user_target(),
        dialect.name,  # type: ignore[attr-defined]
    )
    sql = str(select(ScimUser.id).where(condition).compile(dialect=dialect))  # type: ignore[arg-type]
    assert "drop table" not in sql


def test_sort_keys(session: Session, org_id: int) -> None:
    for user_id, name, title in [("1", "b", "Zed"), ("2", "A", "alpha"), ("3", "c", None)]:
        resource = {"userName": name} | ({"title": title} if title else {})
        store_user(session, org_id, resource, user_id=user_id)
    dialect = session.get_bind().dialect.name

    def order(path: str) -> list[str]:
        key = compile_sort(USER.resolve_text(path), user_target(), dialect)  # type: ignore[arg-type]
        query = select(ScimUser.id).where(ScimUser.org_id == org_id)
        return list(session.scalars(query.order_by(key.asc().nulls_last(), ScimUser.pk)))

    assert order("userName") == ["2", "1", "3"]
    assert order("title") == ["2", "1", "3"]
    for unsortable in ("emails", "emails.value", "manager", "name", "meta.location"):
        with pytest.raises(InvalidValue):
            compile_sort(USER.resolve_text(unsortable), user_target(), dialect)  # type: ignore[arg-type]
