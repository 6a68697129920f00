"""Rows for filter tests: resources stored the way the store keeps them.

The repository proper is the lead's; these helpers write only what the filter compiler reads,
following the column contract in `scim_server.store.tables`.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from scim_server.protocol.discovery import load_registry
from scim_server.protocol.filter_ast import Filter
from scim_server.protocol.references import attach_manager, detach_manager
from scim_server.protocol.values import format_datetime
from scim_server.store.filter_targets import group_target, user_target
from scim_server.store.filters import compile_filter
from scim_server.store.tables import (
    ScimGroup,
    ScimGroupMember,
    ScimUser,
    ScimUserValue,
    group_columns,
    user_columns,
    user_values,
)

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def add_organisation(session: Session) -> int:
    organisation = create_organisation(session, "Filter tests")
    session.flush()
    return organisation.id


def store_user(
    session: Session,
    org_id: int,
    resource: dict[str, Any],
    *,
    user_id: str,
    modified: datetime = EPOCH,
    manager: ScimUser | None = None,
) -> ScimUser:
    """Store a User resource (its manager, if any, given as the manager's row)."""
    schema = load_registry().user
    stored, _ = detach_manager(resource, schema)
    row = ScimUser(
        id=user_id,
        org_id=org_id,
        resource=stored,
        created=EPOCH,
        last_modified=modified,
        manager_id=manager.pk if manager is not None else None,
        **user_columns(stored, schema),
    )
    session.add(row)
    session.flush()
    for values in user_values(stored, schema):
        session.add(ScimUserValue(user_pk=row.pk, org_id=org_id, **values))
    session.flush()
    return row


def store_group(
    session: Session,
    org_id: int,
    resource: dict[str, Any],
    *,
    group_id: str,
    members: list[ScimUser],
) -> ScimGroup:
    row = ScimGroup(
        id=group_id,
        org_id=org_id,
        resource=resource,
        created=EPOCH,
        last_modified=EPOCH,
        **group_columns(resource, load_registry().group),
    )
    session.add(row)
    session.flush()
    session.add_all(ScimGroupMember(group_pk=row.pk, member_pk=m.pk) for m in members)
    session.flush()
    return row


def user_as_returned(row: ScimUser, manager_id: str | None) -> dict[str, Any]:
    """The resource a client sees: what is stored, with id, meta and the manager."""
    resource = attach_manager(copy.deepcopy(row.resource), load_registry().user, manager_id)
    resource["id"] = row.id
    resource["meta"] = {
        "resourceType": "User",
        "created": format_datetime(row.created),
        "lastModified": format_datetime(row.last_modified),
    }
    return resource


def matching_users(session: Session, org_id: int, condition: Filter) -> set[str]:
    where = compile_filter(condition, user_target(), session.get_bind().dialect.name)
    query = select(ScimUser.id).where(ScimUser.org_id == org_id, where)
    return set(session.scalars(query))


def matching_groups(session: Session, org_id: int, condition: Filter) -> set[str]:
    where = compile_filter(condition, group_target(), session.get_bind().dialect.name)
    query = select(ScimGroup.id).where(ScimGroup.org_id == org_id, where)
    return set(session.scalars(query))
