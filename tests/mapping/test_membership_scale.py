"""Membership changes are set-based: a batch of 1,000 costs the statements a batch of 10 does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.orm import Session

from kinabase.organisations import Organisation
from kinabase.roles import RoleGrant, create_role
from kinabase.users import User, UserStatus, UserType
from scim_server.mapping import (
    DirectoryGroup,
    apply_membership_change,
    create_rule,
    project_group,
)
from scim_server.mapping.links import DirectoryLink


@contextmanager
def counted_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _bulk_directory_users(session: Session, org_id: int, count: int) -> list[str]:
    """Linked Kinabase users, inserted in bulk (projecting each would only slow the test)."""
    session.execute(
        insert(User),
        [
            {"org_id": org_id, "email": f"user{n}@acme.test", "status": UserStatus.DEACTIVATED}
            for n in range(count)
        ],
    )
    ids = session.scalars(select(User.id).where(User.org_id == org_id).order_by(User.id)).all()
    directory_ids = [f"dir-{n}" for n in range(count)]
    session.execute(
        insert(DirectoryLink),
        [
            {"org_id": org_id, "directory_id": directory_id, "user_id": user_id}
            for directory_id, user_id in zip(directory_ids, ids, strict=True)
        ],
    )
    return directory_ids


def _granted(session: Session, source: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(RoleGrant).where(RoleGrant.source == source)
        )
        or 0
    )


def _administrators(session: Session, org_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.org_id == org_id, User.user_type == UserType.ADMINISTRATOR)
        )
        or 0
    )


def test_a_batch_of_1000_members_costs_what_a_batch_of_10_does(
    session: Session, engine: Engine, acme: Organisation
) -> None:
    for name in ("Sales", "Support"):
        create_role(session, acme.id, name)
    rule = create_rule(session, acme.id, "Sales", ["Sales", "Support"], UserType.ADMINISTRATOR)
    project_group(session, acme.id, DirectoryGroup("g1", "Sales"), lambda _: [])
    members = _bulk_directory_users(session, acme.id, 1010)
    small, large = members[:10], members[10:]

    costs = {}
    for label, batch, removed in (("add 10", small, []), ("add 1000", large, [])):
        with counted_statements(engine) as statements:
            apply_membership_change(session, acme.id, "g1", batch, removed)
        costs[label] = len(statements)

    assert _granted(session, rule.source) == 2 * 1010
    assert _administrators(session, acme.id) == 1010

    for label, batch in (("remove 10", small), ("remove 1000", large)):
        with counted_statements(engine) as statements:
            apply_membership_change(session, acme.id, "g1", [], batch)
        costs[label] = len(statements)

    assert _granted(session, rule.source) == 0
    assert _administrators(session, acme.id) == 0
    # Read the rules; one statement per grant table; two to settle user types.
    assert costs["add 10"] == costs["add 1000"] == 5
    assert costs["remove 10"] == costs["remove 1000"] == 5


def test_more_members_than_postgresql_binds_in_one_change(
    session: Session, engine: Engine, acme: Organisation
) -> None:
    """70,000 ids in one change (PostgreSQL takes 65,535 bind parameters per statement): the
    linked ones get and lose the rule's grants, the others (pending users) are ignored."""
    create_role(session, acme.id, "Sales")
    rule = create_rule(session, acme.id, "Sales", ["Sales"], UserType.ADMINISTRATOR)
    project_group(session, acme.id, DirectoryGroup("g1", "Sales"), lambda _: [])
    linked = _bulk_directory_users(session, acme.id, 2000)
    members = [*linked, *(f"pending-{n}" for n in range(68_000))]

    apply_membership_change(session, acme.id, "g1", members, [])
    assert _granted(session, rule.source) == 2000
    assert _administrators(session, acme.id) == 2000

    apply_membership_change(session, acme.id, "g1", [], members)
    assert _granted(session, rule.source) == 0
    assert _administrators(session, acme.id) == 0
