"""Logging an email as activities on records, and saving its attachments as their files.

The use cases, without Flask: the API calls them with a session and the caller's user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from files.service import FileInfo, delete_file, upload_file
from kinabase.activities import (
    Activity,
    EmailMessage,
    attach_file,
    file_named,
    get_activity,
    log_email,
)
from kinabase.collections import Record
from kinabase.errors import NotFound
from kinabase.files import clean_file_name, get_file, get_record
from kinabase.permissions import can_edit
from kinabase.storage import Readable
from kinabase.users import User, get_user
from kinabase_m365.database import Database
from outlook.errors import AccessDenied, NotFoundHere, NothingToLogOn
from outlook.matching import Address, match_addresses


@dataclass(frozen=True)
class Logged:
    """The email's activity on each record, and which of them this call created."""

    activities: list[Activity]
    created: list[int]
    existing: list[int]


def records_to_log_on(
    session: Session, user: User, record_ids: Sequence[int] | None, addresses: Sequence[Address]
) -> list[Record]:
    """The records chosen, or by default the contacts matched by the email's addresses; each
    must be the organisation's and in a collection the user may edit (checked for all before
    anything is written)."""
    if record_ids is None:
        found: dict[int, Record] = {}
        for match in match_addresses(session, user, addresses):
            for contact in match.contacts:
                found.setdefault(contact.id, contact)
        if not found:
            raise NothingToLogOn(
                "No contact matches the sender or recipients; choose records to log on."
            )
        records = list(found.values())
    else:
        records = []
        for record_id in dict.fromkeys(record_ids):
            try:
                records.append(get_record(session, user.org_id, record_id))
            except NotFound:
                raise NotFoundHere(f"There is no record {record_id}.") from None
    for record in records:
        if not can_edit(session, user, record.collection_id):
            raise AccessDenied(
                "You cannot log activities on records of this collection: ask an Administrator "
                "for edit access."
            )
    return records


def log_email_on(
    session: Session, user: User, message: EmailMessage, records: Sequence[Record]
) -> Logged:
    """Log the message on each record once (idempotent by its internetMessageId)."""
    activities: list[Activity] = []
    created: list[int] = []
    existing: list[int] = []
    for record in records:
        activity, new = log_email(session, record, message, author_id=user.id)
        activities.append(activity)
        (created if new else existing).append(activity.id)
    return Logged(activities, created, existing)


def editable_activity(session: Session, user: User, activity_id: int) -> Activity:
    """The organisation's activity, if the user may edit its record's collection."""
    try:
        activity = get_activity(session, user.org_id, activity_id)
    except NotFound:
        raise NotFoundHere(f"There is no activity {activity_id}.") from None
    record = get_record(session, user.org_id, activity.record_id)
    if not can_edit(session, user, record.collection_id):
        raise AccessDenied("You cannot add files to records of this collection.")
    return activity


def existing_attachment(
    database: Database, org_id: int, user_id: int, activity_id: int, name: str
) -> FileInfo | None:
    """The activity's file of this name if it has one (after the access checks), else None."""
    with database.read_sessions() as session:
        user = get_user(session, org_id, user_id)
        activity = editable_activity(session, user, activity_id)
        found = file_named(session, activity, clean_file_name(name))
        return FileInfo.of(found) if found is not None else None


def save_attachment(
    database: Database,
    org_id: int,
    user_id: int,
    activity_id: int,
    *,
    stream: Readable,
    size: int,
    name: str,
    content_type: str | None,
) -> FileInfo:
    """Stream an attachment to the organisation's storage provider as a file of the activity's
    record (files.service.upload_file: no transaction is open while bytes move), then link it
    to the activity. The activity's row is locked while it is linked: when a request racing
    this one linked a file of the same name first, that file is the answer and this upload is
    deleted, so an attachment is stored once however often it is sent."""
    with database.read_sessions() as session:
        user = get_user(session, org_id, user_id)
        record_id = editable_activity(session, user, activity_id).record_id
    info = upload_file(
        database,
        org_id,
        record_id,
        stream=stream,
        size=size,
        name=name,
        content_type=content_type,
        user_id=user_id,
    )
    uploaded = info.id
    with database.write_sessions() as session:
        activity = get_activity(session, org_id, activity_id, for_update=True)
        earlier = file_named(session, activity, info.name)
        if earlier is None:
            attach_file(session, activity, get_file(session, org_id, info.id))
        else:
            info = FileInfo.of(earlier)  # the same attachment saved by a request racing this one
        session.commit()
    if info.id != uploaded:
        delete_file(database, org_id, uploaded)
    return info
