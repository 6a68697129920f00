"""Collections, their fields and records: the generic data model every Kinabase app uses.

A field whose type links to records (a Colleague field, a linked collection) keeps its value in
`record_links`, so that a link always points at a real record of the same organisation and goes
away with it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow


class FieldType(enum.StrEnum):
    """The kinds of field a collection can have (a subset of Kinabase's field types)."""

    TEXT = "text"
    EMAIL = "email"
    DOMAIN = "domain"  # an Internet domain (engines.example), as organisations have
    PHONE = "phone"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    COLLEAGUE = "colleague"
    LINKED_RECORD = "linked_record"

    @property
    def is_link(self) -> bool:
        """Whether values of this type are links to other records."""
        return self in (FieldType.COLLEAGUE, FieldType.LINKED_RECORD)


class Collection(Base):
    """A collection of records of one organisation; the built-in Colleagues cannot be deleted."""

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("org_id", "slug", name="uq_collections_org_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Field(Base):
    """A field of a collection, addressed by its camelCase key (Job Title → jobTitle)."""

    __tablename__ = "fields"
    __table_args__ = (UniqueConstraint("collection_id", "key", name="uq_fields_collection_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[FieldType] = mapped_column(
        Enum(
            FieldType, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e]
        )
    )
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    # The collection a linked_record field links to (a contact's Organisation field links to the
    # organisations collection); None for other types and for fields made before it was kept.
    target_collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="SET NULL")
    )


class Record(Base):
    """A record of a collection; a Colleague record also names its user."""

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class RecordLink(Base):
    """The value of a link field: record → target record, one row per linked target."""

    __tablename__ = "record_links"

    record_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True
    )
    target_record_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True, index=True
    )
