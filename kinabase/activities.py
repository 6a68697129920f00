"""Activities: the timeline of a record (notes, emails, calls, meetings), with their files.

An email activity keeps its subject, sender, recipients and the message's `internetMessageId`
(RFC 5322 Message-ID, as Outlook and Graph give it). A message is logged on a record at most once:
(organisation, record, internetMessageId) is unique in the database, so that logging the same
email again, from two places at once too, never makes a second activity.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow
from kinabase.collections import Record
from kinabase.errors import NotFound
from kinabase.files import StoredFile

MESSAGE_ID_LENGTH = 998  # RFC 5322 §2.1.1: a line has at most 998 characters
SUBJECT_LENGTH = 998


class ActivityType(enum.StrEnum):
    """The kinds of activity Kinabase logs on records."""

    NOTE = "note"
    EMAIL = "email"
    CALL = "call"
    MEETING = "meeting"


class Activity(Base):
    """One entry of a record's timeline."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint(
            "org_id", "record_id", "internet_message_id", name="uq_activities_org_record_message"
        ),
        Index("ix_activities_record_timestamp", "record_id", "timestamp"),
        Index("ix_activities_org_message", "org_id", "internet_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    type: Mapped[ActivityType] = mapped_column(
        Enum(
            ActivityType,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    content: Mapped[str] = mapped_column(Text, default="")
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(SUBJECT_LENGTH))
    sender_email: Mapped[str | None] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(String(400))
    # [{"email", "name", "kind": "to" | "cc" | "bcc"}]
    recipients: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    internet_message_id: Mapped[str | None] = mapped_column(String(MESSAGE_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ActivityFile(Base):
    """A file of the record that came with an activity (an email's attachment)."""

    __tablename__ = "activity_files"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    file_id: Mapped[int] = mapped_column(
        ForeignKey("files.id", ondelete="CASCADE"), primary_key=True, index=True
    )


@dataclass(frozen=True)
class EmailMessage:
    """An email as it is logged: who wrote to whom, when, about what."""

    internet_message_id: str
    subject: str
    sender_email: str
    sender_name: str
    recipients: Sequence[dict[str, str]]
    timestamp: datetime
    content: str


def add_activity(
    session: Session,
    record: Record,
    type_: ActivityType,
    *,
    content: str,
    timestamp: datetime | None = None,
    author_id: int | None = None,
) -> Activity:
    """Log a note, call or meeting (or an email without its headers) on the record."""
    activity = Activity(
        org_id=record.org_id,
        record_id=record.id,
        type=type_,
        content=content,
        timestamp=(timestamp or utcnow()).astimezone(UTC),
        author_id=author_id,
    )
    session.add(activity)
    session.flush()
    return activity


def log_email(
    session: Session, record: Record, message: EmailMessage, *, author_id: int | None
) -> tuple[Activity, bool]:
    """The record's activity for this message: the one logged before, or a new one.

    Returns the activity and whether it was created now. A concurrent writer that logged the
    same message first is caught by the unique constraint (in a savepoint) and its activity
    returned.
    """
    existing = _logged(session, record, message.internet_message_id)
    if existing is not None:
        return existing, False
    activity = Activity(
        org_id=record.org_id,
        record_id=record.id,
        type=ActivityType.EMAIL,
        content=message.content,
        timestamp=message.timestamp.astimezone(UTC),
        author_id=author_id,
        subject=message.subject,
        sender_email=message.sender_email,
        sender_name=message.sender_name,
        recipients=[dict(recipient) for recipient in message.recipients],
        internet_message_id=message.internet_message_id,
    )
    try:
        with session.begin_nested():
            session.add(activity)
            session.flush()
    except IntegrityError:
        existing = _logged(session, record, message.internet_message_id)
        if existing is None:
            raise
        return existing, False
    return activity, True


def _logged(session: Session, record: Record, internet_message_id: str) -> Activity | None:
    return session.scalars(
        select(Activity).where(
            Activity.org_id == record.org_id,
            Activity.record_id == record.id,
            Activity.internet_message_id == internet_message_id,
        )
    ).one_or_none()


def records_with_message(session: Session, org_id: int, internet_message_id: str) -> list[int]:
    """The records of the organisation on which this message is logged."""
    return list(
        session.scalars(
            select(Activity.record_id)
            .where(Activity.org_id == org_id, Activity.internet_message_id == internet_message_id)
            .order_by(Activity.record_id)
        )
    )


def get_activity(
    session: Session, org_id: int, activity_id: int, *, for_update: bool = False
) -> Activity:
    """The organisation's activity with this id, or NotFound (another organisation's too);
    `for_update` locks its row to the end of the transaction (on PostgreSQL; SQLite's write
    transactions hold the whole database)."""
    query = select(Activity).where(Activity.org_id == org_id, Activity.id == activity_id)
    activity = session.scalars(query.with_for_update() if for_update else query).one_or_none()
    if activity is None:
        raise NotFound(f"no activity with id {activity_id}")
    return activity


def recent_activities(
    session: Session, org_id: int, record_ids: Iterable[int], limit: int
) -> list[Activity]:
    """The most recent activities of these records together, newest first."""
    ids = list(record_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Activity)
            .where(Activity.org_id == org_id, Activity.record_id.in_(ids))
            .order_by(Activity.timestamp.desc(), Activity.id.desc())
            .limit(limit)
        )
    )


def recent_activities_by_record(
    session: Session, org_id: int, record_ids: Iterable[int], limit: int
) -> dict[int, list[Activity]]:
    """The `limit` most recent activities of each of these records, newest first, in one query
    (a window function: the same on SQLite and PostgreSQL)."""
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=Activity.record_id,
            order_by=(Activity.timestamp.desc(), Activity.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(Activity.id, rank)
        .where(Activity.org_id == org_id, Activity.record_id.in_(ids))
        .subquery()
    )
    activities = session.scalars(
        select(Activity)
        .join(ranked, ranked.c.id == Activity.id)
        .where(ranked.c.rank <= limit)
        .order_by(Activity.timestamp.desc(), Activity.id.desc())
    )
    found: dict[int, list[Activity]] = {}
    for activity in activities:
        found.setdefault(activity.record_id, []).append(activity)
    return found


def attach_file(session: Session, activity: Activity, file: StoredFile) -> None:
    """Link a file of the activity's record to the activity."""
    if file.record_id != activity.record_id or file.org_id != activity.org_id:
        raise NotFound("the file belongs to another record")
    session.add(ActivityFile(activity_id=activity.id, file_id=file.id))
    session.flush()


def activity_files(session: Session, activity_ids: Iterable[int]) -> dict[int, list[StoredFile]]:
    """The files of each of these activities, in the order they were added."""
    ids = list(activity_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ActivityFile.activity_id, StoredFile)
        .join(StoredFile, StoredFile.id == ActivityFile.file_id)
        .where(ActivityFile.activity_id.in_(ids))
        .order_by(StoredFile.id)
    ).all()
    found: dict[int, list[StoredFile]] = {}
    for activity_id, file in rows:
        found.setdefault(activity_id, []).append(file)
    return found


def file_named(session: Session, activity: Activity, name: str) -> StoredFile | None:
    """The activity's file of this name, if it has one."""
    return session.scalars(
        select(StoredFile)
        .join(ActivityFile, ActivityFile.file_id == StoredFile.id)
        .where(ActivityFile.activity_id == activity.id, StoredFile.name == name)
    ).first()
