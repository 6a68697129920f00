"""The SQL compiler and the in-memory evaluator agree, on SQLite and PostgreSQL.

Hypothesis generates small organisations of users and filters over every kind of storage the
compiler uses (indexed columns, the emails side table, the manager relation, JSON scalars,
JSON arrays, a custom extension) with every operator; for each pair, the users the database
returns must be exactly those `filter_eval.matches` accepts on the resources as returned.

Strings come from a small ASCII alphabet that includes `%`, `_`, `\\` and both letter cases:
SQLite's lower() folds ASCII only, which the compiler documents.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from kinabase.database import make_sessionmakers
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.filter_eval import matches
from scim_server.protocol.filter_parser import parse_filter
from tests.store.filter_fixtures import (
    EPOCH,
    add_organisation,
    matching_users,
    store_user,
    user_as_returned,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"
IDS = [f"u{n}" for n in range(5)]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]

words = st.text(alphabet="aAbB%_\\ ", max_size=3)
maybe = st.booleans()


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _without_none(**items: Any) -> dict[str, Any]:
    return {k: v for k, v in items.items() if v is not None}


emails = st.lists(
    st.builds(
        _without_none,
        type=optional(st.sampled_from(["work", "Work", "home"])),
        value=optional(words),
        primary=optional(st.booleans()),
    ),
    max_size=3,
)
addresses = st.lists(
    st.builds(
        _without_none, type=optional(st.sampled_from(["work", "home"])), locality=optional(words)
    ),
    max_size=2,
)


@st.composite
def organisation(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Users u0..uN with unique userNames; `_manager` and `_days` say how to store them."""
    count = draw(st.integers(min_value=1, max_value=len(IDS)))
    names = draw(st.lists(words, min_size=count, max_size=count, unique_by=str.lower))
    users = []
    for index, name in enumerate(names):
        resource = _without_none(
            userName=name + "x",  # never empty: userName is required
            externalId=draw(optional(words)),
            displayName=draw(optional(words)),
            title=draw(optional(words)),
            active=draw(optional(maybe)),
            name=draw(optional(st.builds(_without_none, givenName=optional(words)))) or None,
            emails=draw(emails) or None,
            addresses=draw(addresses) or None,
        )
        enterprise = _without_none(department=draw(optional(words)))
        if enterprise:
            resource[ENTERPRISE] = enterprise
        custom = draw(optional(st.one_of(words, st.integers(0, 2))))
        if custom is not None:
            resource[CUSTOM] = {"costCenter": custom}
        resource["_manager"] = draw(optional(st.integers(0, index - 1))) if index else None
        resource["_days"] = draw(st.integers(0, 2))
        users.append(resource)
    return users


def _string(attribute: str) -> st.SearchStrategy[str]:
    comparison = st.builds(
        lambda op, value: f"{attribute} {op} {json.dumps(value)}", st.sampled_from(OPERATORS), words
    )
    return st.one_of(comparison, st.just(f"{attribute} pr"))


def _boolean(attribute: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda op, value: f"{attribute} {op} {value}",
        st.sampled_from(["eq", "ne"]),
        st.sampled_from(["true", "false", '"True"']),
    )


def _value_path(attribute: str, inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    combined = st.one_of(
        inner,
        st.builds(lambda a, b: f"{a} and {b}", inner, inner),
        st.builds(lambda a, b: f"{a} or {b}", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    )
    return st.builds(lambda condition: f"{attribute}[{condition}]", combined)


email_sub = st.one_of(_string("type"), _string("value"), _boolean("primary"), st.just("value pr"))
atoms = st.one_of(
    *(
        _string(a)
        for a in (
            "userName",
            "externalId",
            "displayName",
            "title",
            "name.givenName",
            "department",
            f"{CUSTOM}:costCenter",
            "emails.value",
            "addresses.locality",
        )
    ),
    _boolean("active"),
    _boolean("emails.primary"),
    st.sampled_from(["emails pr", "addresses pr", "name pr", "manager pr", "active pr"]),
    st.sampled_from([f'manager eq "{i}"' for i in IDS] + [f'id eq "{i}"' for i in IDS]),
    st.sampled_from(["eq null", "ne null"]).map(lambda t: f"title {t}"),
    st.builds(
        lambda op, moment: f'meta.lastModified {op} "{moment}"',
        st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]),
        st.sampled_from(["2024-01-02T00:00:00Z", "2024-01-02T01:00:00+01:00", "2024-01-01"]),
    ),
    _value_path("emails", email_sub),
    _value_path("addresses", st.one_of(_string("type"), _string("locality"))),
)
filters = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} and {b}", inner, inner),
        st.builds(lambda a, b: f"({a} or {b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=4,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(users=organisation(), texts=st.lists(filters, min_size=1, max_size=4))
def test_sql_and_memory_agree(
    engine: Engine, users: list[dict[str, Any]], texts: list[str]
) -> None:
    schema = load_registry().user
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        org_id = add_organisation(session)
        rows, returned = [], []
        for user_id, user in zip(IDS, users, strict=False):
            manager_index, days = user.pop("_manager"), user.pop("_days")
            manager = rows[manager_index] if manager_index is not None else None
            modified = EPOCH + timedelta(days=days, microseconds=days * 250)
            row = store_user(
                session, org_id, user, user_id=user_id, modified=modified, manager=manager
            )
            rows.append(row)
            returned.append(user_as_returned(row, manager.id if manager else None))
        for text in texts:
            condition = parse_filter(text, schema)
            expected = {r["id"] for r in returned if matches(condition, r)}
            assert matching_users(session, org_id, condition) == expected, text
        session.rollback()
