"""Organisations: the tenant boundary of every row, with licence seats and sign-in settings."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Enum, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow
from kinabase.errors import InvalidSetting, NotFound


class FileStorageProvider(enum.StrEnum):
    """Where the organisation's new files are stored."""

    BUILTIN = "builtin"
    SHAREPOINT = "sharepoint"


class Organisation(Base):
    """A Kinabase organisation (one customer), bound to at most one Entra tenant."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("licence_seats >= 0", name="seats_not_negative"),
        CheckConstraint("seats_in_use >= 0", name="seats_in_use_not_negative"),
        CheckConstraint(
            "password_sign_in OR microsoft_sign_in", name="at_least_one_sign_in_method"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    licence_seats: Mapped[int] = mapped_column(Integer, default=25)
    # How many of its users are active: kept by kinabase/licences.py in the same transaction as
    # every status change, so that taking a seat costs one UPDATE however many users there are.
    seats_in_use: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    password_sign_in: Mapped[bool] = mapped_column(Boolean, default=True)
    microsoft_sign_in: Mapped[bool] = mapped_column(Boolean, default=False)
    entra_tenant_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # When the current tenant was bound (None while none is, and for bindings before 0012).
    entra_connected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    file_storage_provider: Mapped[FileStorageProvider] = mapped_column(
        Enum(
            FileStorageProvider,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=FileStorageProvider.BUILTIN,
    )
    # The SharePoint document library new files go to when the provider is SharePoint: the site
    # (Graph's "host,siteCollection,web" id) and the drive (library) id. Files already stored
    # keep their own location (kinabase/files.py), so changing these strands nothing.
    sharepoint_site_id: Mapped[str | None] = mapped_column(String(300))
    sharepoint_drive_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def get_organisation(session: Session, org_id: int) -> Organisation:
    """The organisation with this id, or NotFound."""
    organisation = session.get(Organisation, org_id)
    if organisation is None:
        raise NotFound(f"no organisation with id {org_id}")
    return organisation


def list_organisations(session: Session) -> list[Organisation]:
    """Every organisation, oldest first (operators only: this crosses the tenant boundary)."""
    return list(session.scalars(select(Organisation).order_by(Organisation.id)))


def find_organisation_by_tenant(session: Session, tenant_id: str) -> Organisation | None:
    """The organisation bound to this Entra tenant id, if any."""
    return session.scalars(
        select(Organisation).where(Organisation.entra_tenant_id == tenant_id.lower())
    ).one_or_none()


def set_sign_in_methods(organisation: Organisation, *, password: bool, microsoft: bool) -> None:
    """Allow or refuse each sign-in method; at least one must stay allowed."""
    if not (password or microsoft):
        raise InvalidSetting("at least one sign-in method must stay allowed")
    organisation.password_sign_in = password
    organisation.microsoft_sign_in = microsoft


def bind_entra_tenant(session: Session, organisation: Organisation, tenant_id: str) -> None:
    """Bind the organisation to an Entra tenant; a tenant serves one organisation only."""
    tenant_id = tenant_id.lower()
    other = find_organisation_by_tenant(session, tenant_id)
    if other is not None and other.id != organisation.id:
        raise InvalidSetting(
            "this Microsoft 365 tenant is already connected to another organisation"
        )
    if organisation.entra_tenant_id != tenant_id:
        organisation.entra_connected_at = utcnow()
    organisation.entra_tenant_id = tenant_id


def unbind_entra_tenant(organisation: Organisation) -> str | None:
    """Disconnect the organisation from its Entra tenant; returns the tenant id it had.

    Microsoft sign-in goes with the tenant; password sign-in is allowed if it was the only other
    method, so that the organisation keeps a way in. Users, their records and the object ids
    their Microsoft sign-ins recorded are kept: connecting the same tenant again links them.
    """
    tenant_id = organisation.entra_tenant_id
    organisation.entra_tenant_id = None
    organisation.entra_connected_at = None
    set_sign_in_methods(organisation, password=True, microsoft=False)
    return tenant_id


def set_file_storage(
    organisation: Organisation,
    provider: FileStorageProvider,
    *,
    site_id: str | None = None,
    drive_id: str | None = None,
) -> None:
    """Choose where the organisation's new files are stored.

    SharePoint needs a connected Microsoft 365 tenant, a site and a document library (drive);
    the built-in storage keeps any SharePoint library chosen before, for switching back.
    Files stored before keep their provider and location: nothing moves.
    """
    if provider is FileStorageProvider.SHAREPOINT:
        if organisation.entra_tenant_id is None:
            raise InvalidSetting(
                "SharePoint storage needs a connected Microsoft 365 tenant "
                "(Identity & Provisioning → Connect Microsoft 365)"
            )
        if not site_id or not drive_id:
            raise InvalidSetting("SharePoint storage needs a site and a document library")
        organisation.sharepoint_site_id = site_id
        organisation.sharepoint_drive_id = drive_id
    organisation.file_storage_provider = provider
