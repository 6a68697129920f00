"""The built-in Colleagues collection: one record per user, with Job Title, Manager and more.

The collection is created with every organisation and cannot be deleted. Administrators may add
fields; the connector fills them from the directory through the colleague field mapping.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kinabase.collections import Collection, Field, FieldType, Record, RecordLink
from kinabase.errors import DomainError, NotFound
from kinabase.users import User

COLLEAGUES_SLUG = "colleagues"

# (key, name, type, is_system): name and email belong to the user; the rest are ordinary fields.
DEFAULT_COLLEAGUE_FIELDS: tuple[tuple[str, str, FieldType, bool], ...] = (
    ("name", "Name", FieldType.TEXT, True),
    ("email", "Email", FieldType.EMAIL, True),
    ("jobTitle", "Job Title", FieldType.TEXT, False),
    ("department", "Department", FieldType.TEXT, False),
    ("manager", "Manager", FieldType.COLLEAGUE, False),
)


def create_colleagues_collection(session: Session, org_id: int) -> Collection:
    """Create the organisation's Colleagues collection with its default fields."""
    collection = Collection(org_id=org_id, slug=COLLEAGUES_SLUG, name="Colleagues", is_system=True)
    session.add(collection)
    session.flush()
    session.add_all(
        Field(collection_id=collection.id, key=key, name=name, type=type_, is_system=system)
        for key, name, type_, system in DEFAULT_COLLEAGUE_FIELDS
    )
    session.flush()
    return collection


def colleagues_collection(session: Session, org_id: int) -> Collection:
    """The organisation's Colleagues collection."""
    collection = session.scalars(
        select(Collection).where(Collection.org_id == org_id, Collection.slug == COLLEAGUES_SLUG)
    ).one_or_none()
    if collection is None:
        raise NotFound(f"organisation {org_id} has no Colleagues collection")
    return collection


def colleague_fields(session: Session, org_id: int) -> dict[str, Field]:
    """The Colleagues collection's fields by key."""
    collection = colleagues_collection(session, org_id)
    fields = session.scalars(select(Field).where(Field.collection_id == collection.id))
    return {field.key: field for field in fields}


def add_colleague_field(
    session: Session, org_id: int, key: str, name: str, type_: FieldType
) -> Field:
    """Add an administrator-defined field to the Colleagues collection."""
    if key in colleague_fields(session, org_id):
        raise DomainError(f"the Colleagues collection already has a field {key!r}")
    field = Field(
        collection_id=colleagues_collection(session, org_id).id, key=key, name=name, type=type_
    )
    session.add(field)
    session.flush()
    return field


def create_colleague_record(session: Session, user: User) -> Record:
    """Create the Colleague record of a new user."""
    record = Record(
        org_id=user.org_id,
        collection_id=colleagues_collection(session, user.org_id).id,
        user_id=user.id,
        data=_identity(user),
    )
    session.add(record)
    session.flush()
    return record


def refresh_colleague_identity(record: Record, user: User) -> bool:
    """Copy the user's name and email onto their Colleague record; returns whether they changed."""
    identity = _identity(user)
    if all(record.data.get(key) == value for key, value in identity.items()):
        return False
    record.data = {**record.data, **identity}
    return True


def _identity(user: User) -> dict[str, Any]:
    # The system fields "name" and "email" (DEFAULT_COLLEAGUE_FIELDS) mirror the user.
    return {"name": user.name, "email": user.email}


def colleague_record(session: Session, org_id: int, user_id: int) -> Record:
    """The Colleague record of this organisation's user."""
    record = session.scalars(
        select(Record).where(Record.org_id == org_id, Record.user_id == user_id)
    ).one_or_none()
    if record is None:
        raise NotFound(f"user {user_id} has no Colleague record")
    return record


def set_colleague_value(record: Record, field: Field, value: Any) -> bool:
    """Set a non-link field of a Colleague record; returns whether the value changed."""
    if field.type.is_link:
        raise DomainError(f"field {field.key!r} links records; use set_colleague_link")
    if record.data.get(field.key) == value:
        return False
    data = dict(record.data)
    if value is None:
        data.pop(field.key, None)
    else:
        data[field.key] = value
    record.data = data
    return True


def set_colleague_link(
    session: Session, record: Record, field: Field, target: Record | None
) -> bool:
    """Point a single-valued link field (such as Manager) at a record, or clear it.

    The target must be a record of the same organisation and collection; a colleague cannot be
    their own manager. Returns whether the link changed.
    """
    if not field.type.is_link:
        raise DomainError(f"field {field.key!r} is not a link field")
    if target is not None and (target.org_id != record.org_id or target.id == record.id):
        raise DomainError("a link must point at another record of the same organisation")
    current = linked_record_id(session, record, field)
    new = target.id if target is not None else None
    if current == new:
        return False
    session.execute(
        delete(RecordLink).where(RecordLink.record_id == record.id, RecordLink.field_id == field.id)
    )
    if target is not None:
        session.add(RecordLink(record_id=record.id, field_id=field.id, target_record_id=target.id))
    session.flush()
    return True


def linked_record_id(session: Session, record: Record, field: Field) -> int | None:
    """The record a single-valued link field points at, if any."""
    return session.scalars(
        select(RecordLink.target_record_id).where(
            RecordLink.record_id == record.id, RecordLink.field_id == field.id
        )
    ).first()
