"""Seed a database of ours straight through bulk INSERTs: users, a group and its members.

Rows are built the way the server builds them for an Entra POST: each body goes through
`parse_resource`, and the indexed copies come from the store's own `user_columns`,
`group_columns` and `user_values`, so the seeded rows are what the repository would have
written. Primary keys are given explicitly (the database is fresh) and PostgreSQL's sequences are
moved past them afterwards, so the server's own inserts do not collide with seeded rows.

Users form a ten-wide management tree (user i reports to user (i - 1) // 10), as in the workload.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text

from benchmarks import entra
from benchmarks.scale import Seeded
from benchmarks.servers import OurDatabase
from kinabase.base import utcnow
from kinabase.database import make_engine
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.resource import parse_resource
from scim_server.store.tables import (
    ScimGroup,
    ScimGroupMember,
    ScimUser,
    ScimUserValue,
    group_columns,
    user_columns,
    user_values,
)

CHUNK = 5_000
SEED_RUN = "seed"


@dataclass(frozen=True)
class _Plan:
    org_id: int
    users: int
    members: int


def seed_database(database: OurDatabase, *, users: int, members: int, sample: int) -> Seeded:
    """Insert `users` users and one group whose members are the first `members` of them."""
    if members > users:
        raise ValueError("a group cannot have more members than there are users")
    plan = _Plan(database.org_id, users, members)
    engine = make_engine(database.url)
    try:
        with engine.begin() as connection:
            user_ids = _insert_users(connection, plan)
            group_id = _insert_group(connection, plan)
            _advance_sequences(connection)
    finally:
        engine.dispose()
    chosen = _spread(users, sample)
    chosen_members = _spread(members, sample)
    return Seeded(
        users=users,
        members=members,
        group_id=group_id,
        sample_user_ids=[user_ids[i] for i in chosen],
        sample_user_names=[entra.user_name(SEED_RUN, i) for i in chosen],
        sample_member_ids=[user_ids[i] for i in chosen_members],
    )


def _spread(count: int, sample: int) -> list[int]:
    """Up to `sample` indexes spread evenly over range(count), the last one included."""
    if count <= sample:
        return list(range(count))
    step = (count - 1) / (sample - 1)
    return [round(k * step) for k in range(sample)]


def _chunks(count: int) -> Iterator[range]:
    for start in range(0, count, CHUNK):
        yield range(start, min(start + CHUNK, count))


def _insert_users(connection: Connection, plan: _Plan) -> list[str]:
    schema = load_registry().user
    user_table: Table = ScimUser.__table__  # type: ignore[assignment]
    value_table: Table = ScimUserValue.__table__  # type: ignore[assignment]
    now = utcnow()
    ids: list[str] = []
    value_pk = 0
    for indexes in _chunks(plan.users):
        user_rows: list[dict[str, Any]] = []
        value_rows: list[dict[str, Any]] = []
        for i in indexes:
            resource = parse_resource(entra.create_user(SEED_RUN, i), schema).resource
            user_id = str(uuid.uuid4())
            ids.append(user_id)
            user_rows.append(
                {
                    "pk": i + 1,
                    "id": user_id,
                    "org_id": plan.org_id,
                    **user_columns(resource, schema),
                    "manager_id": None if i == 0 else (i - 1) // 10 + 1,
                    "version": 1,
                    "created": now,
                    "last_modified": now,
                    "resource": resource,
                }
            )
            for row in user_values(resource, schema):
                value_pk += 1
                value_rows.append({"pk": value_pk, "user_pk": i + 1, "org_id": plan.org_id, **row})
        connection.execute(insert(user_table), user_rows)
        if value_rows:
            connection.execute(insert(value_table), value_rows)
    return ids


def _insert_group(connection: Connection, plan: _Plan) -> str:
    schema = load_registry().group
    body = entra.create_group(SEED_RUN, f"{plan.members} members", entra.ENTRA)
    resource = parse_resource(body, schema).resource
    group_id = str(uuid.uuid4())
    now = utcnow()
    group_table: Table = ScimGroup.__table__  # type: ignore[assignment]
    member_table: Table = ScimGroupMember.__table__  # type: ignore[assignment]
    connection.execute(
        insert(group_table),
        [
            {
                "pk": 1,
                "id": group_id,
                "org_id": plan.org_id,
                **group_columns(resource, schema),
                "version": 1,
                "created": now,
                "last_modified": now,
                "resource": resource,
            }
        ],
    )
    for indexes in _chunks(plan.members):
        connection.execute(
            insert(member_table), [{"group_pk": 1, "member_pk": i + 1} for i in indexes]
        )
    return group_id


def _advance_sequences(connection: Connection) -> None:
    """Move PostgreSQL's serial sequences past the explicit keys (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    tables: list[Table] = [ScimUser.__table__, ScimUserValue.__table__, ScimGroup.__table__]  # type: ignore[list-item]
    for table in tables:
        highest = connection.execute(select(func.max(table.c.pk))).scalar_one()
        if highest is not None:
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'pk'), :value)"),
                {"table": table.name, "value": highest},
            )
