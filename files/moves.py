"""Where each file of a migration between providers stands, so that a worker killed at any point
leaves enough to finish the file's move exactly once (files/migration.py).

A `file_moves` row is written before the first byte is copied and removed in the transaction
that records the file's outcome. Its state says what is done:

- `copying`: the copy may have begun. Built-in copies are content-addressed and SharePoint
  copies go to a path only this file's move uses, replacing what is there, so copying again
  leaves no second copy behind.
- `copied` (SharePoint): the copy is at `target_location`, checked (size, quickXorHash).
- `switched`: the file's row names the copy; the source's bytes are still to be deleted.

A file has at most one move at a time (`file_id` is the key): a migration job finishes or undoes
the moves an earlier one left. `file_id` is not a foreign key: a file deleted by its user during
its move must not take the row with it, since the row is what says a copy exists to clean up.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, delete
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import Delete

from kinabase.base import Base, UtcDateTime, utcnow
from kinabase.organisations import FileStorageProvider
from kinabase.users import string_enum


class MoveState(enum.StrEnum):
    """How far a file's move has gone (see the module's docstring)."""

    COPYING = "copying"
    COPIED = "copied"
    SWITCHED = "switched"


class FileMove(Base):
    """One file's move in one migration job."""

    __tablename__ = "file_moves"

    file_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[MoveState] = mapped_column(string_enum(MoveState))
    source_provider: Mapped[FileStorageProvider] = mapped_column(string_enum(FileStorageProvider))
    source_location: Mapped[str] = mapped_column(String(1000))
    target_provider: Mapped[FileStorageProvider] = mapped_column(string_enum(FileStorageProvider))
    target_drive_id: Mapped[str | None] = mapped_column(String(300))  # SharePoint's library
    target_location: Mapped[str | None] = mapped_column(String(1000))
    target_quick_xor_hash: Mapped[str | None] = mapped_column(String(28))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def delete_move(file_id: int) -> Delete:
    """The statement that removes a file's move (it is finished or undone)."""
    return delete(FileMove).where(FileMove.file_id == file_id)
