"""Records and activities as the task pane reads them (docs/outlook.md, "Objects").

A `Renderer` is made per request: it knows the organisation's designated collections and loads
what records and activities refer to (linked organisations, authors, files) a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.activities import Activity, activity_files
from kinabase.colleagues import colleagues_collection
from kinabase.collections import Collection, Field, FieldType, Record
from kinabase.contacts import (
    designated_collections,
    linked_organisations,
    record_name,
    values_of,
)
from kinabase.files import StoredFile
from kinabase.users import User

CONTACTS = "contacts"
ORGANISATIONS = "organisations"
COLLEAGUES = "colleagues"


class Renderer:
    """JSON of the organisation's records and activities."""

    def __init__(self, session: Session, org_id: int) -> None:
        self.session = session
        self.org_id = org_id
        designated = designated_collections(session, org_id)
        self.contacts_id = designated.contacts.id if designated.contacts else None
        self.organisations_id = designated.organisations.id if designated.organisations else None
        self.colleagues_id = colleagues_collection(session, org_id).id
        self._rendered: dict[int, dict[str, Any]] = {}
        self._activities: dict[int, dict[str, Any]] = {}
        self._fields: dict[int, list[Field]] = {}

    def _addresses(self, record: Record, type_: FieldType) -> list[str]:
        """The record's values of its email (or domain) fields, as written, each once."""
        fields = self._fields.get(record.collection_id)
        if fields is None:
            fields = list(
                self.session.scalars(
                    select(Field)
                    .where(
                        Field.collection_id == record.collection_id,
                        Field.type.in_((FieldType.EMAIL, FieldType.DOMAIN)),
                    )
                    .order_by(Field.id)
                )
            )
            self._fields[record.collection_id] = fields
        found: list[str] = []
        for field in fields:
            if field.type is type_:
                found.extend(v for v in values_of(record, field) if v not in found)
        return found

    def role_of(self, record: Record) -> str:
        """What the record's collection holds, for the pane: contacts, organisations, colleagues,
        or another collection's own slug."""
        if record.collection_id == self.contacts_id:
            return CONTACTS
        if record.collection_id == self.organisations_id:
            return ORGANISATIONS
        if record.collection_id == self.colleagues_id:
            return COLLEAGUES
        collection = self.session.get(Collection, record.collection_id)
        return collection.slug if collection is not None else ""

    def records(self, records: Sequence[Record]) -> list[dict[str, Any]]:
        """Records as the pane shows them (each rendered once per request)."""
        wanted = [record for record in records if record.id not in self._rendered]
        links: dict[int, Record] = {}
        if self.contacts_id is not None and wanted:
            contacts = [r.id for r in wanted if r.collection_id == self.contacts_id]
            links = linked_organisations(self.session, self.contacts_id, contacts)
        for record in wanted:
            self._rendered[record.id] = self._record(record, links.get(record.id))
        return [self._rendered[record.id] for record in records]

    def record(self, record: Record) -> dict[str, Any]:
        """One record as the pane shows it."""
        return self.records([record])[0]

    def _record(self, record: Record, organisation: Record | None) -> dict[str, Any]:
        return {
            "id": record.id,
            "collection": self.role_of(record),
            "collectionId": record.collection_id,
            "name": record_name(record),
            "emails": self._addresses(record, FieldType.EMAIL),
            "domains": self._addresses(record, FieldType.DOMAIN),
            "organisation": (
                {"id": organisation.id, "name": record_name(organisation)}
                if organisation is not None
                else None
            ),
        }

    def activities(self, activities: Sequence[Activity]) -> list[dict[str, Any]]:
        """Activities as the pane shows them, with their authors and files (each activity
        rendered once per request)."""
        wanted = list({a.id: a for a in activities if a.id not in self._activities}.values())
        if wanted:
            authors = self._authors(a.author_id for a in wanted if a.author_id is not None)
            files = activity_files(self.session, (a.id for a in wanted))
            for activity in wanted:
                self._activities[activity.id] = _activity(
                    activity, authors.get(activity.author_id or 0), files.get(activity.id, [])
                )
        return [self._activities[activity.id] for activity in activities]

    def _authors(self, ids: Iterable[int]) -> dict[int, User]:
        wanted = set(ids)
        if not wanted:
            return {}
        users = self.session.scalars(
            select(User).where(User.org_id == self.org_id, User.id.in_(wanted))
        )
        return {user.id: user for user in users}


def _activity(activity: Activity, author: User | None, files: list[StoredFile]) -> dict[str, Any]:
    is_email = activity.sender_email is not None
    return {
        "id": activity.id,
        "recordId": activity.record_id,
        "type": activity.type.value,
        "timestamp": activity.timestamp.isoformat(),
        "author": {"id": author.id, "name": author.name} if author is not None else None,
        "content": activity.content,
        "subject": activity.subject,
        "sender": (
            {"email": activity.sender_email, "name": activity.sender_name or ""}
            if is_email
            else None
        ),
        "recipients": activity.recipients or [],
        "internetMessageId": activity.internet_message_id,
        "files": [file_json(file) for file in files],
    }


def file_json(file: StoredFile) -> dict[str, Any]:
    """A file of an activity, as the pane lists it."""
    return {
        "id": file.id,
        "name": file.name,
        "size": file.size,
        "contentType": file.content_type,
    }
