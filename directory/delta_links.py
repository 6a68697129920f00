"""The Graph delta link of each organisation's last complete sync (`directory_delta_links`).

Sync asks Graph's `/users/delta` with it for only the users added, changed or removed since;
without one (the first sync, or after the organisation connected another tenant), or when Graph
has forgotten it (410), Sync reads the whole directory in a first delta round, which gives the
next link. The link is stored only when a round has been read to its end and every change in it
written, in the transaction of the last write; a sync that fails keeps the previous link, so the
changes are asked for again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow


class DirectoryDeltaLink(Base):
    """The delta link of an organisation's tenant, from its last complete sync."""

    __tablename__ = "directory_delta_links"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[str] = mapped_column(String(36))
    delta_link: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def stored_delta_link(session: Session, org_id: int, tenant_id: str) -> str | None:
    """The organisation's delta link, if it is one of this tenant."""
    return session.scalar(
        select(DirectoryDeltaLink.delta_link).where(
            DirectoryDeltaLink.org_id == org_id, DirectoryDeltaLink.tenant_id == tenant_id
        )
    )


def store_delta_link(session: Session, org_id: int, tenant_id: str, delta_link: str) -> None:
    """Keep `delta_link` as the organisation's, replacing the one before."""
    session.merge(
        DirectoryDeltaLink(
            org_id=org_id, tenant_id=tenant_id, delta_link=delta_link, updated_at=utcnow()
        )
    )
