"""Files attached to records: what Kinabase knows of each, and where its bytes live.

A file belongs to a record, and so to the record's organisation (`org_id` is kept on the row so
that every query filters by organisation without a join). Each row names the provider that holds
its bytes and the provider's location for them: switching the organisation's provider affects new
files only, and an old file is always read from where it was put.

- `builtin` locations are `org-{id}/{aa}/{sha256}`: content-addressed, so two files with the same
  content share their bytes; the bytes go when the last file naming them goes.
- `sharepoint` locations are `{drive id}/{item id}`: the library is part of the location, so a
  file stays readable after the organisation chooses another library.

The bytes themselves are handled by a storage provider (kinabase/storage.py); this module only
writes rows, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow
from kinabase.collections import Record
from kinabase.errors import InvalidName, NotFound
from kinabase.organisations import FileStorageProvider
from kinabase.users import string_enum

MAX_NAME_LENGTH = 255
# Characters no file name may hold: path separators and control characters.
FORBIDDEN_NAME_CHARACTERS = frozenset("/\\\x00") | {chr(c) for c in range(32)} | {"\x7f"}


class StoredFile(Base):
    """A file of a record: its name and metadata, and the provider and location of its bytes."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LENGTH))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    quick_xor_hash: Mapped[str | None] = mapped_column(String(28))  # SharePoint's, base64
    provider: Mapped[FileStorageProvider] = mapped_column(string_enum(FileStorageProvider))
    location: Mapped[str] = mapped_column(String(1000), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def clean_file_name(name: str) -> str:
    """The name a file is kept under: without any directory part or surrounding spaces.

    Raises InvalidName for a name that is blank, too long, or holds control characters.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or base in (".", ".."):
        raise InvalidName("a file needs a name")
    if len(base) > MAX_NAME_LENGTH:
        raise InvalidName(f"a file name has at most {MAX_NAME_LENGTH} characters")
    if any(character in FORBIDDEN_NAME_CHARACTERS for character in base):
        raise InvalidName("a file name cannot hold control characters")
    return base


def get_record(session: Session, org_id: int, record_id: int) -> Record:
    """The record of this organisation, or NotFound (also for another organisation's record)."""
    record = session.scalars(
        select(Record).where(Record.id == record_id, Record.org_id == org_id)
    ).one_or_none()
    if record is None:
        raise NotFound(f"no record with id {record_id}")
    return record


def add_file(session: Session, record: Record, **values: object) -> StoredFile:
    """Record a file whose bytes a provider has stored (see StoredFile for the values)."""
    stored = StoredFile(org_id=record.org_id, record_id=record.id, **values)
    session.add(stored)
    session.flush()
    return stored


def get_file(session: Session, org_id: int, file_id: int) -> StoredFile:
    """The file of this organisation, or NotFound (also for another organisation's file)."""
    stored = session.scalars(
        select(StoredFile).where(StoredFile.id == file_id, StoredFile.org_id == org_id)
    ).one_or_none()
    if stored is None:
        raise NotFound(f"no file with id {file_id}")
    return stored


def list_record_files(session: Session, org_id: int, record_id: int) -> list[StoredFile]:
    """The files of a record of this organisation, oldest first (NotFound for no such record)."""
    get_record(session, org_id, record_id)
    return list(
        session.scalars(
            select(StoredFile)
            .where(StoredFile.org_id == org_id, StoredFile.record_id == record_id)
            .order_by(StoredFile.id)
        )
    )


def files_sharing_bytes(session: Session, provider: FileStorageProvider, location: str) -> int:
    """How many files name these bytes (content-addressed storage shares them)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(StoredFile)
            .where(StoredFile.provider == provider, StoredFile.location == location)
        )
        or 0
    )
