"""Seed a database of ours straight through bulk INSERTs: users, a group and its members.

The rows are what the server itself would have written for Entra's traffic (POST each user,
PATCH its manager, POST a group, PATCH its members), built with the project's own functions:

- the SCIM store: each body goes through `parse_resource`; the indexed copies come from the
  store's `user_columns`, `group_columns` and `user_values`; the manager lives in `manager_id`;
- the Kinabase projection: `directory_user_from_resource` reads the user as the mapping does; the
  account, its Colleague record (identity, and the fields of the organisation's effective
  `colleague_field_mapping`), the directory link and the Manager link follow `project_user`;
- the provisioning activity: one succeeded entry per request (`activity_rows`).

Keys are given explicitly, after the highest already in each table, and PostgreSQL's sequences
are moved past them afterwards, so that the server's own inserts never collide with seeded rows.
tests/benchmarks/test_seed.py checks that seeded rows match what the endpoints write.

Users form a ten-wide management tree (user i reports to user (i - 1) // 10), as in the workload;
every user is active (one seat each) and has a Colleague record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from benchmarks import entra
from benchmarks.scale import Seeded
from benchmarks.servers import OurDatabase
from kinabase.base import utcnow
from kinabase.colleagues import colleagues_collection
from kinabase.collections import Record, RecordLink
from kinabase.database import make_engine
from kinabase.organisations import Organisation
from kinabase.provisioning_activity import ACTIVITY_TABLE, ActivityEntry, Outcome, activity_rows
from kinabase.users import User, UserStatus, UserType
from scim_server.mapping.directory import directory_user_from_resource
from scim_server.mapping.field_mapping import colleague_field_mapping
from scim_server.mapping.links import DirectoryLink
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


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


SCIM_USERS = _table(ScimUser)
SCIM_USER_VALUES = _table(ScimUserValue)
SCIM_GROUPS = _table(ScimGroup)
SCIM_GROUP_MEMBERS = _table(ScimGroupMember)
USERS = _table(User)
RECORDS = _table(Record)
RECORD_LINKS = _table(RecordLink)
DIRECTORY_LINKS = _table(DirectoryLink)
SERIAL_KEYS = {
    SCIM_USERS: "pk",
    SCIM_USER_VALUES: "pk",
    SCIM_GROUPS: "pk",
    USERS: "id",
    RECORDS: "id",
}


@dataclass
class _Context:
    """What every row of one seeding needs: the organisation, its mapping, the next keys."""

    org_id: int
    now: datetime
    colleagues_id: int
    value_fields: list[tuple[str, str]]  # (Colleague field key, SCIM source path)
    manager_field_ids: list[int]
    next_key: dict[Table, int] = field(default_factory=dict)
    scim_ids: list[str] = field(default_factory=list)
    user_pks: list[int] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)

    def take_key(self, table: Table) -> int:
        key = self.next_key[table]
        self.next_key[table] = key + 1
        return key


def seed_database(database: OurDatabase, *, users: int, members: int, sample: int) -> Seeded:
    """Insert `users` users and one group whose members are the first `members` of them."""
    if members > users:
        raise ValueError("a group cannot have more members than there are users")
    engine = make_engine(database.url)
    try:
        with engine.begin() as connection:
            context = _context(connection, database.org_id)
            for indexes in _chunks(users):
                _insert_users(connection, context, indexes)
            group_id = _insert_group(connection, context, members)
            _count_seats(connection, database.org_id)
            _advance_sequences(connection)
    finally:
        engine.dispose()
    chosen = _spread(users, sample)
    chosen_members = _spread(members, sample)
    return Seeded(
        users=users,
        members=members,
        group_id=group_id,
        sample_user_ids=[context.scim_ids[i] for i in chosen],
        sample_user_names=[entra.user_name(SEED_RUN, i) for i in chosen],
        sample_member_ids=[context.scim_ids[i] for i in chosen_members],
    )


def _count_seats(connection: Connection, org_id: int) -> None:
    """What kinabase/licences.py keeps: the organisation's count of active users."""
    active = (
        select(func.count())
        .select_from(User)
        .where(User.org_id == org_id, User.status == UserStatus.ACTIVE)
        .scalar_subquery()
    )
    connection.execute(
        update(Organisation).where(Organisation.id == org_id).values(seats_in_use=active)
    )


def _context(connection: Connection, org_id: int) -> _Context:
    with Session(bind=connection) as session:
        colleagues_id = colleagues_collection(session, org_id).id
        mapping = colleague_field_mapping(session, org_id)
        value_fields = [
            (entry.field.key, entry.source)
            for entry in mapping
            if entry.source is not None and not entry.field.type.is_link
        ]
        manager_field_ids = [
            entry.field.id for entry in mapping if entry.source and entry.field.type.is_link
        ]
    context = _Context(org_id, utcnow(), colleagues_id, value_fields, manager_field_ids)
    for table, key in SERIAL_KEYS.items():
        highest = connection.execute(select(func.max(table.c[key]))).scalar_one()
        context.next_key[table] = (highest or 0) + 1
    return context


def _spread(count: int, sample: int) -> list[int]:
    """Up to `sample` indexes spread evenly over range(count), the last one included."""
    if count <= sample:
        return list(range(count))
    step = (count - 1) / (sample - 1)
    return [round(k * step) for k in range(sample)]


def _chunks(count: int) -> Iterator[range]:
    for start in range(0, count, CHUNK):
        yield range(start, min(start + CHUNK, count))


def _manager_of(index: int) -> int | None:
    return None if index == 0 else (index - 1) // 10


def _insert_users(connection: Connection, context: _Context, indexes: range) -> None:
    """One chunk of users, in index order: every manager precedes their reports."""
    schema = load_registry().user
    rows: dict[Table, list[dict[str, Any]]] = {
        table: []
        for table in (
            SCIM_USERS,
            SCIM_USER_VALUES,
            USERS,
            RECORDS,
            DIRECTORY_LINKS,
            RECORD_LINKS,
            ACTIVITY_TABLE,
        )
    }
    now = context.now
    for i in indexes:
        resource = parse_resource(entra.create_user(SEED_RUN, i), schema).resource
        scim_id, user_pk = str(uuid.uuid4()), context.take_key(SCIM_USERS)
        manager = _manager_of(i)
        context.scim_ids.append(scim_id)
        context.user_pks.append(user_pk)
        rows[SCIM_USERS].append(
            {
                "pk": user_pk,
                "id": scim_id,
                "org_id": context.org_id,
                **user_columns(resource, schema),
                "manager_id": None if manager is None else context.user_pks[manager],
                "version": 1,
                "created": now,
                "last_modified": now,
                "resource": resource,
            }
        )
        rows[SCIM_USER_VALUES].extend(
            {
                "pk": context.take_key(SCIM_USER_VALUES),
                "user_pk": user_pk,
                "org_id": context.org_id,
                **row,
            }
            for row in user_values(resource, schema)
        )
        manager_id = None if manager is None else context.scim_ids[manager]
        _project(rows, context, {**resource, "id": scim_id}, manager_id, manager)
        requests = [("POST", 201)] + ([] if manager is None else [("PATCH", 200)])
        rows[ACTIVITY_TABLE].extend(
            _activity(context, "User", scim_id, resource["userName"], requests)
        )
    for table, table_rows in rows.items():
        if table_rows:
            connection.execute(insert(table), table_rows)


def _project(
    rows: dict[Table, list[dict[str, Any]]],
    context: _Context,
    resource: dict[str, Any],
    manager_id: str | None,
    manager: int | None,
) -> None:
    """The Kinabase rows `project_user` writes for a new active user (see the module doc)."""
    user = directory_user_from_resource(resource)
    email = user.email_address
    if email is None:
        raise ValueError(f"seeded user {user.user_name} has no email")
    account = User(
        id=context.take_key(USERS),
        org_id=context.org_id,
        email=email,
        first_name=user.given_name or "",
        last_name=user.family_name or "",
        display_name=user.display_name or "",
        job_title=user.title,
        photo_url=user.photo_url,
        user_type=UserType.USER,
        status=UserStatus.ACTIVE if user.active else UserStatus.DEACTIVATED,
        created_at=context.now,
        updated_at=context.now,
    )
    rows[USERS].append({column.key: getattr(account, column.key) for column in USERS.columns})
    data: dict[str, Any] = {"name": account.name, "email": account.email}
    for key, source in context.value_fields:
        value = user.value_at(source)
        if value not in (None, "", [], {}):
            data[key] = value
    record_id = context.take_key(RECORDS)
    context.record_ids.append(record_id)
    rows[RECORDS].append(
        {
            "id": record_id,
            "org_id": context.org_id,
            "collection_id": context.colleagues_id,
            "user_id": account.id,
            "data": data,
            "created_at": context.now,
            "updated_at": context.now,
        }
    )
    rows[DIRECTORY_LINKS].append(
        {
            "user_id": account.id,
            "org_id": context.org_id,
            "directory_id": user.directory_id,
            "manager_directory_id": manager_id,
            "linked_at": context.now,
        }
    )
    if manager is not None:
        rows[RECORD_LINKS].extend(
            {
                "record_id": record_id,
                "field_id": field_id,
                "target_record_id": context.record_ids[manager],
            }
            for field_id in context.manager_field_ids
        )


def _insert_group(connection: Connection, context: _Context, members: int) -> str:
    schema = load_registry().group
    body = entra.create_group(SEED_RUN, f"{members} members", entra.ENTRA)
    resource = parse_resource(body, schema).resource
    group_id, group_pk = str(uuid.uuid4()), context.take_key(SCIM_GROUPS)
    connection.execute(
        insert(SCIM_GROUPS),
        [
            {
                "pk": group_pk,
                "id": group_id,
                "org_id": context.org_id,
                **group_columns(resource, schema),
                "version": 1,
                "created": context.now,
                "last_modified": context.now,
                "resource": resource,
            }
        ],
    )
    for indexes in _chunks(members):
        connection.execute(
            insert(SCIM_GROUP_MEMBERS),
            [{"group_pk": group_pk, "member_pk": context.user_pks[i]} for i in indexes],
        )
    name = resource["displayName"]
    requests = [("POST", 201)] + ([("PATCH", 204)] if members else [])
    connection.execute(
        insert(ACTIVITY_TABLE), _activity(context, "Group", group_id, name, requests)
    )
    return group_id


def _activity(
    context: _Context, resource_type: str, resource_id: str, name: str, requests: list[Any]
) -> list[dict[str, object]]:
    """The provisioning activity's entries for the requests (method, status) that wrote this."""
    entries = [
        ActivityEntry(SEED_RUN, method, resource_type, resource_id, name, Outcome.SUCCEEDED, status)
        for method, status in requests
    ]
    return activity_rows(context.org_id, entries, context.now)


def _advance_sequences(connection: Connection) -> None:
    """Move PostgreSQL's serial sequences past the explicit keys (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    for table, key in SERIAL_KEYS.items():
        highest = connection.execute(select(func.max(table.c[key]))).scalar_one()
        if highest is not None:
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, :key), :value)"),
                {"table": table.name, "key": key, "value": highest},
            )
