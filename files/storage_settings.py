"""The use cases of the File Storage settings, without Flask: what the organisation stores where,
finding a SharePoint site and its document libraries through Graph, and choosing the provider
for new files. The admin JSON API and the console's page call these.

Graph is read with the organisation's app-only token. A 403 means the app lacks
`Sites.ReadWrite.All` (or a `Sites.Selected` grant on the site) in the tenant: `ConsentMissing`.
Since an app-only token carries the permissions granted when it was issued, a refused read is
tried once more with a new token, so that consent granted a minute ago counts at once.
Site search (`/sites?search=`) does not work with `Sites.Selected`; a site's address
(`https://contoso.sharepoint.com/sites/Files`) finds it either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from graph import drive
from graph.app_tokens import acquire_app_token
from graph.errors import ConsentMissing, GraphNotFound
from graph.sharepoint_storage import FOLDER
from kinabase.errors import InvalidSetting
from kinabase.files import StoredFile
from kinabase.organisations import (
    FileStorageProvider,
    Organisation,
    get_organisation,
    set_file_storage,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Library:
    """A document library of a site, and how many items its top level holds besides Kinabase's
    own folder."""

    id: str
    name: str
    web_url: str | None
    item_count: int

    @property
    def empty(self) -> bool:
        """Whether the library holds nothing yet (the recommended kind)."""
        return self.item_count == 0


@dataclass(frozen=True)
class StorageOverview:
    """Where the organisation's new files go, and where its files are."""

    provider: FileStorageProvider
    site_id: str | None
    library_id: str | None
    connected: bool
    files_by_provider: dict[str, int]
    files_elsewhere: int  # files not where new files go (what a migration would move)


def overview(session: Session, org_id: int) -> StorageOverview:
    """The organisation's storage settings and file counts (no Graph reads)."""
    organisation = get_organisation(session, org_id)
    counts = {provider.value: 0 for provider in FileStorageProvider}
    for provider, count in session.execute(
        select(StoredFile.provider, func.count())
        .where(StoredFile.org_id == org_id)
        .group_by(StoredFile.provider)
    ):
        counts[provider.value] = count
    current, library = organisation.file_storage_provider, organisation.sharepoint_drive_id
    if current is FileStorageProvider.BUILTIN:
        in_place = counts[current.value]
    else:
        in_place = (
            session.scalar(
                select(func.count()).where(
                    StoredFile.org_id == org_id,
                    StoredFile.provider == FileStorageProvider.SHAREPOINT,
                    StoredFile.location.startswith(f"{library}/", autoescape=True),
                )
            )
            or 0
        )
    return StorageOverview(
        current,
        organisation.sharepoint_site_id,
        library,
        organisation.entra_tenant_id is not None,
        counts,
        sum(counts.values()) - in_place,
    )


def tenant(organisation: Organisation) -> str:
    """The organisation's tenant (InvalidSetting when it is not connected)."""
    if organisation.entra_tenant_id is None:
        raise InvalidSetting(
            "SharePoint storage needs a connected Microsoft 365 tenant "
            "(Identity & Provisioning → Connect Microsoft 365)"
        )
    return organisation.entra_tenant_id


def with_new_token_if_refused(tenant_id: str, read: Callable[[], T]) -> T:
    """The read; on ConsentMissing once more with a new token (consent may be new)."""
    try:
        return read()
    except ConsentMissing:
        acquire_app_token(tenant_id, renew=True)
        return read()


def find_sites(organisation: Organisation, query: str) -> list[drive.Site]:
    """Sites matching a search, or the site at an address (`https://host/sites/name`)."""
    tenant_id = tenant(organisation)
    address = urlsplit(query.strip())
    if address.scheme == "https" and address.hostname:
        host, path = address.hostname, address.path

        def by_address() -> list[drive.Site]:
            try:
                return [drive.get_site_by_url(tenant_id, host, path)]
            except GraphNotFound:
                return []

        return with_new_token_if_refused(tenant_id, by_address)
    return with_new_token_if_refused(tenant_id, lambda: drive.search_sites(tenant_id, query))


def site_libraries(organisation: Organisation, site_id: str) -> list[Library]:
    """The document libraries of a site, each with how many items its top level holds."""
    tenant_id = tenant(organisation)

    def others(drive_id: str) -> int:
        count = drive.count_root_items(tenant_id, drive_id)
        if count and drive.get_item_by_path(tenant_id, drive_id, FOLDER) is not None:
            count -= 1  # Kinabase's own folder
        return count

    def read() -> list[Library]:
        return [
            Library(d.id, d.name, d.web_url, others(d.id))
            for d in drive.list_site_drives(tenant_id, site_id)
        ]

    try:
        return with_new_token_if_refused(tenant_id, read)
    except GraphNotFound:
        raise InvalidSetting("there is no such SharePoint site") from None


def choose_storage(
    session: Session,
    org_id: int,
    provider: FileStorageProvider,
    *,
    site_id: str | None = None,
    library_id: str | None = None,
) -> None:
    """Send the organisation's new files to the built-in storage or to a SharePoint library of a
    site (checked through Graph: the library must be the site's). Files already stored stay
    where they are. The caller commits."""
    organisation = get_organisation(session, org_id)
    if provider is FileStorageProvider.SHAREPOINT:
        if not site_id or not library_id:
            raise InvalidSetting("SharePoint storage needs a site and a document library")
        tenant_id = tenant(organisation)
        try:
            libraries = with_new_token_if_refused(
                tenant_id, lambda: drive.list_site_drives(tenant_id, site_id)
            )
        except GraphNotFound:
            raise InvalidSetting("there is no such SharePoint site") from None
        if library_id not in {library.id for library in libraries}:
            raise InvalidSetting("the site has no such document library")
        set_file_storage(organisation, provider, site_id=site_id, drive_id=library_id)
        return
    set_file_storage(organisation, provider)
