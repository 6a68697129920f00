"""The link between a provisioned directory user and the Kinabase user it is projected onto.

The link is a row of its own (`directory_user_links`) rather than a column on `users`:

- the Kinabase model stays free of SCIM: a SCIM resource id is this server's own identifier, and
  `kinabase/` knows nothing of SCIM (docs/architecture.md);
- both directions are one-to-one by constraint: a directory id names one Kinabase user per
  organisation (unique `org_id, directory_id`) and a Kinabase user has at most one directory user
  (`user_id` is the key), so adopting a user already linked elsewhere fails even under a race;
- the per-directory-user facts the mapping needs travel with it (the manager the directory names,
  which may not be projected yet), and unlinking is deleting one row.

Set-based statements reach Kinabase users through `linked_user_ids`, an indexed subquery.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Select, String, UniqueConstraint, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow
from kinabase.collections import Record
from kinabase.users import User

DIRECTORY_ID_LENGTH = 255


class DirectoryLink(Base):
    """A Kinabase user provisioned from a directory, and what the directory says about them."""

    __tablename__ = "directory_user_links"
    __table_args__ = (
        UniqueConstraint("org_id", "directory_id", name="uq_directory_user_links_org_directory_id"),
        Index("ix_directory_user_links_org_manager", "org_id", "manager_directory_id"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    directory_id: Mapped[str] = mapped_column(String(DIRECTORY_ID_LENGTH))
    # The manager's SCIM id as the directory gives it, kept even before the manager is
    # projected: their reports are linked as soon as they are (managers.py).
    manager_directory_id: Mapped[str | None] = mapped_column(String(DIRECTORY_ID_LENGTH))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# Built once (every write of a user runs them): no construction or cache-key work.
_LINK = select(DirectoryLink).where(
    DirectoryLink.org_id == bindparam("org_id"),
    DirectoryLink.directory_id == bindparam("directory_id"),
)
_LINKED_RECORD = (
    select(Record)
    .join(DirectoryLink, DirectoryLink.user_id == Record.user_id)
    .where(
        DirectoryLink.org_id == bindparam("org_id"),
        DirectoryLink.directory_id == bindparam("directory_id"),
    )
)


def find_link(session: Session, org_id: int, directory_id: str) -> DirectoryLink | None:
    """The link of this directory user in this organisation, if it is projected."""
    return session.scalars(_LINK, {"org_id": org_id, "directory_id": directory_id}).one_or_none()


_LINKED = (
    select(DirectoryLink, User, Record)
    .join(User, User.id == DirectoryLink.user_id)
    .outerjoin(Record, (Record.user_id == User.id) & (Record.org_id == DirectoryLink.org_id))
    .where(
        DirectoryLink.org_id == bindparam("org_id"),
        DirectoryLink.directory_id == bindparam("directory_id"),
    )
)


def find_linked(
    session: Session, org_id: int, directory_id: str
) -> tuple[DirectoryLink, User, Record | None] | None:
    """The link of this directory user, their Kinabase user and Colleague record, in one query
    (None: not projected)."""
    row = session.execute(_LINKED, {"org_id": org_id, "directory_id": directory_id}).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


def link_of_user(session: Session, user_id: int) -> DirectoryLink | None:
    """The directory user this Kinabase user is linked to, if any."""
    return session.get(DirectoryLink, user_id)


def linked_user_ids(org_id: int, directory_ids: Collection[str]) -> Select[int]:
    """The ids of the organisation's Kinabase users linked to these directory users."""
    return select(DirectoryLink.user_id).where(
        DirectoryLink.org_id == org_id, DirectoryLink.directory_id.in_(directory_ids)
    )


def linked_record(session: Session, org_id: int, directory_id: str) -> Record | None:
    """The Colleague record of the Kinabase user linked to this directory user, if projected."""
    return session.scalars(
        _LINKED_RECORD, {"org_id": org_id, "directory_id": directory_id}
    ).one_or_none()
