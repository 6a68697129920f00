"""The manager hierarchy: Colleague Manager fields point at the manager's Colleague record.

The directory names a manager by SCIM id (enterprise extension `manager.value`, RFC 7643 §4.3).
Entra sends managers in a second pass and skips managers out of scope, so a manager may arrive
after their reports: each link remembers the manager's directory id, and projecting a user links
every report still waiting for them, in one INSERT … SELECT per manager field.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, exists, insert, literal, select, update
from sqlalchemy.orm import Session

from kinabase.colleagues import set_colleague_link
from kinabase.collections import Field, Record, RecordLink
from scim_server.mapping.links import DirectoryLink, linked_record


def link_manager(
    session: Session,
    link: DirectoryLink,
    record: Record,
    manager_directory_id: str | None,
    fields: Sequence[Field],
    *,
    new_record: bool = False,
) -> None:
    """Point the record's manager fields at the manager's record.

    A manager not yet projected leaves the fields empty and is remembered, so that
    `link_waiting_reports` links them when the manager arrives; no manager clears the fields
    (nothing to clear on a `new_record`).
    """
    if link.manager_directory_id != manager_directory_id:
        link.manager_directory_id = manager_directory_id
    manager = (
        linked_record(session, link.org_id, manager_directory_id) if manager_directory_id else None
    )
    if manager is None and new_record:
        return
    for field in fields:
        set_colleague_link(session, record, field, manager)


def link_waiting_reports(
    session: Session, org_id: int, directory_id: str, record: Record, fields: Sequence[Field]
) -> None:
    """Link the manager fields of every report that names this directory user but is not linked.

    A report whose field already points somewhere is left alone: it is re-linked when the
    directory next sends it.
    """
    for field in fields:
        waiting = (
            select(Record.id, literal(field.id), literal(record.id))
            .join(DirectoryLink, DirectoryLink.user_id == Record.user_id)
            .where(
                DirectoryLink.org_id == org_id,
                DirectoryLink.manager_directory_id == directory_id,
                ~exists().where(RecordLink.record_id == Record.id, RecordLink.field_id == field.id),
            )
        )
        session.execute(
            insert(RecordLink).from_select(["record_id", "field_id", "target_record_id"], waiting)
        )


def release_reports(
    session: Session, org_id: int, directory_id: str, record: Record, fields: Sequence[Field]
) -> None:
    """Clear this user as the manager of their reports, as the SCIM store does on DELETE."""
    reports = (
        select(DirectoryLink.user_id)
        .where(DirectoryLink.org_id == org_id, DirectoryLink.manager_directory_id == directory_id)
        .scalar_subquery()
    )
    if fields:
        session.execute(
            delete(RecordLink)
            .where(
                RecordLink.target_record_id == record.id,
                RecordLink.field_id.in_([field.id for field in fields]),
                RecordLink.record_id.in_(select(Record.id).where(Record.user_id.in_(reports))),
            )
            .execution_options(synchronize_session="fetch")
        )
    session.execute(
        update(DirectoryLink)
        .where(DirectoryLink.org_id == org_id, DirectoryLink.manager_directory_id == directory_id)
        .values(manager_directory_id=None)
        .execution_options(synchronize_session="fetch")
    )
