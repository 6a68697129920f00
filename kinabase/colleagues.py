"""The built-in Colleagues collection: one record per user, with Job Title, Manager and more.

The collection is created with every organisation and cannot be deleted. Administrators may add
fields; the connector fills them from the directory through the colleague field mapping.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinabase.collections import Collection, Field, FieldType, Record, RecordLink
from kinabase.errors import DomainError, FieldExists, InvalidFieldType, InvalidName, NotFound
from kinabase.names import clean_name
from kinabase.users import User

COLLEAGUES_SLUG = "colleagues"
KEY_LENGTH = 100  # fields.key
# A linked_record field links to the records of another collection, which a field here cannot
# name; every other type can be given to a Colleague field.
COLLEAGUE_FIELD_TYPES = tuple(type_ for type_ in FieldType if type_ is not FieldType.LINKED_RECORD)
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits

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


def list_colleague_fields(session: Session, org_id: int) -> list[Field]:
    """The Colleagues collection's fields in the order they were added (the defaults first)."""
    collection = colleagues_collection(session, org_id)
    return list(
        session.scalars(
            select(Field).where(Field.collection_id == collection.id).order_by(Field.id)
        )
    )


def field_key(name: str) -> str:
    """The camelCase key of a field name: Job Title → jobTitle, Cost-centre (EU) → costCentreEu.

    The name's letters and digits (after NFKC normalisation) split into words at everything
    else; the first word in lower case, each later one capitalised. Names that differ only in
    case, spacing or punctuation therefore make the same key. The default fields' keys follow
    this rule too. InvalidName when the name makes no key, or one too long for the column.
    """
    words: list[str] = _WORD.findall(unicodedata.normalize("NFKC", name))
    if not words:
        raise InvalidName(f"the field name {name!r} has no letters or digits to make a key from")
    first, *others = words
    key = first.lower() + "".join(word[:1].upper() + word[1:].lower() for word in others)
    if len(key) > KEY_LENGTH:
        raise InvalidName(
            f"the field name {name!r} makes a key longer than {KEY_LENGTH} characters; "
            "choose a shorter name"
        )
    return key


def colleague_field_type(value: str | FieldType) -> FieldType:
    """The field type called `value` (case-insensitive), if a Colleague field can have it."""
    try:
        type_ = FieldType(value.strip().lower())
    except ValueError:
        type_ = None
    if type_ is FieldType.LINKED_RECORD:
        raise InvalidFieldType(
            "a linked_record field links to another collection, which a Colleague field cannot "
            "name; use colleague to link to colleagues"
        )
    if type_ is None:
        known = ", ".join(COLLEAGUE_FIELD_TYPES)
        raise InvalidFieldType(f"unknown field type {value!r}: choose one of {known}")
    return type_


def create_colleague_field(
    session: Session, org_id: int, name: str, type_: str | FieldType
) -> Field:
    """Add a field an administrator names to the Colleagues collection; its key comes from the name.

    The name loses surrounding whitespace and its key is `field_key(name)`. Refuses (with a
    DomainError, before writing) what `add_colleague_field` refuses.
    """
    name = clean_name(name, "field")
    return add_colleague_field(session, org_id, field_key(name), name, type_)


def add_colleague_field(
    session: Session, org_id: int, key: str, name: str, type_: str | FieldType
) -> Field:
    """Add a field to the Colleagues collection under the key the caller chose.

    Refuses, with a DomainError and before writing: a blank or multi-line name, a key that is
    not letters and digits, a type that does not exist or is linked_record, and a name or key
    that another field already has (both ignoring case).
    """
    name = clean_name(name, "field")
    type_ = colleague_field_type(type_)
    if not _WORD.fullmatch(key) or len(key) > KEY_LENGTH:
        raise InvalidName(f"the field key {key!r} must be 1 to {KEY_LENGTH} letters and digits")
    for field in colleague_fields(session, org_id).values():
        if field.name.casefold() == name.casefold():
            raise FieldExists(
                f"the Colleagues collection already has a field named {field.name!r} "
                f"(key {field.key})"
            )
        # Keys that differ only in case (email, eMail) would be told apart by no one.
        if field.key.casefold() == key.casefold():
            raise FieldExists(
                f"the field {field.name!r} already has the key {field.key!r}, which {name!r} "
                f"would take as {key!r}; choose another name"
            )
    field = Field(
        collection_id=colleagues_collection(session, org_id).id, key=key, name=name, type=type_
    )
    session.add(field)
    try:
        session.flush()
    except IntegrityError as error:
        # Another transaction added the key after the check above (PostgreSQL names the
        # constraint; SQLite, whose writers take turns, names its columns).
        message = str(error.orig)
        if "uq_fields_collection_key" not in message and "fields.key" not in message:
            raise
        raise FieldExists(f"the Colleagues collection already has a field {key!r}") from None
    return field


def create_colleague_record(
    session: Session, user: User, data: Mapping[str, Any] | None = None
) -> Record:
    """Create the Colleague record of a new user, holding `data` (values of non-system fields)
    besides the user's name and email."""
    record = Record(
        org_id=user.org_id,
        collection_id=colleagues_collection(session, user.org_id).id,
        user_id=user.id,
        data={**(data or {}), **_identity(user)},
    )
    session.add(record)
    session.flush()
    return record


_COLLEAGUES_ID = (
    select(Collection.id)
    .where(Collection.org_id == bindparam("p_org"), Collection.slug == COLLEAGUES_SLUG)
    .scalar_subquery()
)
_INSERT_RECORD = (
    insert(cast(Table, Record.__table__))
    .values(collection_id=_COLLEAGUES_ID)
    .returning(Record.__table__.c.id)
)


def insert_colleague_record(
    session: Session,
    org_id: int,
    user_id: int,
    data: Mapping[str, Any],
    identity: Mapping[str, Any],
) -> int:
    """`create_colleague_record` as one Core INSERT … RETURNING for a user inserted by
    `kinabase.accounts.insert_user` (no ORM object): the new record's id. `identity` is
    `colleague_identity`'s for the user."""
    inserted = session.execute(
        _INSERT_RECORD,
        {"p_org": org_id, "org_id": org_id, "user_id": user_id, "data": {**data, **identity}},
    )
    return int(inserted.scalar_one())


def colleague_identity(name: str, email: str) -> dict[str, Any]:
    """The system fields "name" and "email" of a Colleague record, which mirror the user's."""
    return {"name": name, "email": email}


def refresh_colleague_identity(record: Record, user: User) -> bool:
    """Copy the user's name and email onto their Colleague record; returns whether they changed."""
    identity = _identity(user)
    if all(record.data.get(key) == value for key, value in identity.items()):
        return False
    record.data = {**record.data, **identity}
    return True


def _identity(user: User) -> dict[str, Any]:
    # The system fields "name" and "email" (DEFAULT_COLLEAGUE_FIELDS) mirror the user.
    return colleague_identity(user.name, user.email)


# Built once (every provisioned write runs them): no construction or cache-key work.
_RECORD_OF_USER = select(Record).where(
    Record.org_id == bindparam("org_id"), Record.user_id == bindparam("user_id")
)
_LINK_TARGET = select(RecordLink.target_record_id).where(
    RecordLink.record_id == bindparam("record_id"), RecordLink.field_id == bindparam("field_id")
)


def colleague_record(session: Session, org_id: int, user_id: int) -> Record:
    """The Colleague record of this organisation's user."""
    record = session.scalars(_RECORD_OF_USER, {"org_id": org_id, "user_id": user_id}).one_or_none()
    if record is None:
        raise NotFound(f"user {user_id} has no Colleague record")
    return record


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
    if current is not None:
        session.execute(
            delete(RecordLink).where(
                RecordLink.record_id == record.id, RecordLink.field_id == field.id
            )
        )
    if target is not None:
        session.add(RecordLink(record_id=record.id, field_id=field.id, target_record_id=target.id))
    session.flush()
    return True


def linked_record_id(session: Session, record: Record, field: Field) -> int | None:
    """The record a single-valued link field points at, if any."""
    return session.scalars(_LINK_TARGET, {"record_id": record.id, "field_id": field.id}).first()
