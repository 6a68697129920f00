"""The manager hierarchy: Colleague Manager fields point at the manager's Colleague record.

The directory names a manager by SCIM id (enterprise extension `manager.value`, RFC 7643 §4.3).
Entra sends managers in a second pass and skips managers out of scope, so a manager may arrive
after their reports: each link remembers the manager's directory id, and projecting a user links
every report still waiting for them, in one INSERT … SELECT per manager field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Integer, Table, bindparam, delete, exists, insert, select, update
from sqlalchemy.orm import Session

from kinabase.collections import Field, Record, RecordLink
from kinabase.errors import DomainError
from scim_server.mapping.links import DirectoryLink

# Core statements on the tables, built once (every write of a provisioned user runs them): no
# ORM unit of work, no autoflush, no construction or cache-key work per request.
_records = cast(Table, Record.__table__)
_links = cast(Table, DirectoryLink.__table__)
_record_links = cast(Table, RecordLink.__table__)

_MANAGER_RECORD = (
    select(_records.c.id)
    .join(_links, _links.c.user_id == _records.c.user_id)
    .where(_links.c.org_id == bindparam("p_org"), _links.c.directory_id == bindparam("p_manager"))
)
_CURRENT_TARGET = (
    select(_record_links.c.target_record_id)
    .where(
        _record_links.c.record_id == bindparam("p_record"),
        _record_links.c.field_id == bindparam("p_field"),
    )
    .limit(1)
)
# The manager's record (NULL: not projected, or no manager) and the field's current target, in
# one query.
_MANAGER_AND_CURRENT = select(_MANAGER_RECORD.scalar_subquery(), _CURRENT_TARGET.scalar_subquery())
_UNLINK = delete(_record_links).where(
    _record_links.c.record_id == bindparam("p_record"),
    _record_links.c.field_id == bindparam("p_field"),
)
_LINK = insert(_record_links)
_WAITING = insert(_record_links).from_select(
    ["record_id", "field_id", "target_record_id"],
    select(
        _records.c.id,
        bindparam("p_field", type_=Integer),
        bindparam("p_target", type_=Integer),
    )
    .join(_links, _links.c.user_id == _records.c.user_id)
    .where(
        _links.c.org_id == bindparam("p_org"),
        _links.c.manager_directory_id == bindparam("p_directory"),
        ~exists().where(
            _record_links.c.record_id == _records.c.id,
            _record_links.c.field_id == bindparam("p_field", type_=Integer),
        ),
    ),
)
_REPORTS = select(_links.c.user_id).where(
    _links.c.org_id == bindparam("p_org"),
    _links.c.manager_directory_id == bindparam("p_directory"),
)
_RELEASE_LINKS = delete(_record_links).where(
    _record_links.c.target_record_id == bindparam("p_record"),
    _record_links.c.field_id.in_(bindparam("p_fields", expanding=True)),
    _record_links.c.record_id.in_(
        select(_records.c.id).where(_records.c.user_id.in_(_REPORTS.scalar_subquery()))
    ),
)
_FORGET_MANAGER = (
    update(_links)
    .where(
        _links.c.org_id == bindparam("p_org"),
        _links.c.manager_directory_id == bindparam("p_directory"),
    )
    .values(manager_directory_id=None)
)


def link_manager(
    session: Session,
    org_id: int,
    record_id: int,
    manager_directory_id: str | None,
    fields: Sequence[Field],
    *,
    new_record: bool = False,
) -> None:
    """Point the record's manager fields at the manager's record: one query per field, then a
    DELETE and an INSERT only for what changes.

    A manager not yet projected leaves the fields empty (the directory link remembers them,
    so that `link_waiting_reports` links them when the manager arrives); no manager clears the
    fields (nothing to clear on a `new_record`). The record must be a row already.
    """
    if manager_directory_id is None and new_record:
        return
    for field in fields:
        manager, current = session.execute(
            _MANAGER_AND_CURRENT,
            {
                "p_org": org_id,
                "p_manager": manager_directory_id,
                "p_record": record_id,
                "p_field": field.id,
            },
        ).one()
        if manager is not None and manager == record_id:
            raise DomainError("a link must point at another record of the same organisation")
        if current == manager:
            continue
        if current is not None:
            session.execute(_UNLINK, {"p_record": record_id, "p_field": field.id})
        if manager is not None:
            session.execute(
                _LINK, {"record_id": record_id, "field_id": field.id, "target_record_id": manager}
            )


def link_waiting_reports(
    session: Session, org_id: int, directory_id: str, record_id: int, fields: Sequence[Field]
) -> None:
    """Link the manager fields of every report that names this directory user but is not linked
    (one INSERT … SELECT per field).

    A report whose field already points somewhere is left alone: it is re-linked when the
    directory next sends it.
    """
    for field in fields:
        session.execute(
            _WAITING,
            {
                "p_org": org_id,
                "p_directory": directory_id,
                "p_field": field.id,
                "p_target": record_id,
            },
        )


def release_reports(
    session: Session, org_id: int, directory_id: str, record_id: int, fields: Sequence[Field]
) -> None:
    """Clear this user as the manager of their reports, as the SCIM store does on DELETE."""
    reports = {"p_org": org_id, "p_directory": directory_id}
    if fields:
        session.execute(
            _RELEASE_LINKS,
            {**reports, "p_record": record_id, "p_fields": [field.id for field in fields]},
        )
    session.execute(_FORGET_MANAGER, reports)
    # The UPDATE ran in SQL: links already loaded in the session would still name the manager.
    for loaded in list(session.identity_map.values()):
        named = (
            loaded.__dict__.get("manager_directory_id")
            if isinstance(loaded, DirectoryLink)
            else None
        )
        if named == directory_id:
            session.expire(loaded, ["manager_directory_id"])
