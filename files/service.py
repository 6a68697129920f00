"""The use cases of files, without Flask: the API and the CLI call these.

Bytes move outside database transactions: a file is streamed to its provider before the
transaction that records it begins, so that an upload of any length never holds SQLite's write
lock (or a PostgreSQL connection) while it runs. The costs of that order:

- The row is written inside the provider's `recording` block (kinabase/storage.py): the
  built-in provider renames the bytes into place and holds their location's lock until the row
  is committed. If recording fails, the SharePoint copy is deleted again and built-in bytes are
  released (deleted unless another file has the same content).
- Deleting a SharePoint file deletes its bytes first, so that a refusal (a missing permission)
  changes nothing; then the row. Deleting a built-in file deletes the row first and then
  releases the bytes: under the location's lock, they go only if no other file of the
  organisation has the same content, counting a concurrent upload's row, which is committed
  under the same lock. A file the migration between providers moved while it was being deleted
  is deleted where it went (the row's delete names the location it read).

Every call runs inside a Flask app context (the SharePoint provider uses the app's Microsoft
client); a worker or the CLI pushes one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete

from graph.errors import MicrosoftError
from graph.sharepoint_storage import SharePointStorage
from kinabase.errors import StorageFailed
from kinabase.files import (
    StoredFile,
    add_file,
    clean_file_name,
    files_sharing_bytes,
    get_file,
    get_record,
    list_record_files,
)
from kinabase.organisations import FileStorageProvider, Organisation, get_organisation
from kinabase.storage import BuiltinStorage, FileStorage, Readable, StoredBytes
from kinabase_m365.database import Database
from kinabase_m365.runtime import current_settings

log = logging.getLogger(__name__)
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class FileInfo:
    """A file as its users see it."""

    id: int
    record_id: int
    name: str
    size: int
    content_type: str
    sha256: str
    quick_xor_hash: str | None
    provider: str
    created_by_id: int | None
    created_at: str

    @classmethod
    def of(cls, stored: StoredFile) -> FileInfo:
        """The information of a stored file."""
        return cls(
            id=stored.id,
            record_id=stored.record_id,
            name=stored.name,
            size=stored.size,
            content_type=stored.content_type,
            sha256=stored.sha256,
            quick_xor_hash=stored.quick_xor_hash,
            provider=stored.provider.value,
            created_by_id=stored.created_by_id,
            created_at=stored.created_at.isoformat(),
        )


def builtin_storage() -> BuiltinStorage:
    """The built-in provider, with the app's directory and size limit."""
    settings = current_settings()
    return BuiltinStorage(Path(settings.files_directory), settings.files_max_bytes)


def storage_for(provider: FileStorageProvider, organisation: Organisation) -> FileStorage:
    """The provider of this kind for the organisation (SharePoint: its tenant and library)."""
    if provider is FileStorageProvider.BUILTIN:
        return builtin_storage()
    if organisation.entra_tenant_id is None:
        raise StorageFailed("the organisation is not connected to a Microsoft 365 tenant")
    return SharePointStorage(
        organisation.entra_tenant_id,
        organisation.sharepoint_drive_id,
        current_settings().files_max_bytes,
    )


def upload_file(
    database: Database,
    org_id: int,
    record_id: int,
    *,
    stream: Readable,
    size: int,
    name: str,
    content_type: str | None,
    user_id: int | None,
) -> FileInfo:
    """Store a file of the record with the organisation's current provider, and record it.

    NotFound (another organisation's record too) before a byte is read; InvalidName,
    FileTooLarge, IncompleteUpload, StorageFailed or a MicrosoftError with nothing recorded.
    """
    name = clean_file_name(name)
    with database.read_sessions() as session:
        get_record(session, org_id, record_id)
        organisation = get_organisation(session, org_id)
        storage = storage_for(organisation.file_storage_provider, organisation)
    stored = storage.put(stream, size=size, org_id=org_id, record_id=record_id, name=name)
    try:
        with storage.recording(stored), database.write_sessions() as session:
            record = get_record(session, org_id, record_id)
            row = add_file(
                session,
                record,
                name=name,
                size=stored.size,
                content_type=content_type or DEFAULT_CONTENT_TYPE,
                sha256=stored.sha256,
                quick_xor_hash=stored.quick_xor_hash,
                provider=storage.provider,
                location=stored.location,
                created_by_id=user_id,
            )
            session.commit()
            return FileInfo.of(row)
    except BaseException:
        forget_unrecorded(database, storage, stored)
        raise


def forget_unrecorded(database: Database, storage: FileStorage, stored: StoredBytes) -> None:
    """Remove bytes stored for a row that was not written (built-in: unless another row has the
    same content)."""
    try:
        storage.discard(stored)
        if isinstance(storage, BuiltinStorage):
            release_builtin(database, storage, stored.location)
    except (MicrosoftError, OSError):
        log.warning("unrecorded bytes stay at %s (%s)", stored.location, storage.provider.value)


def release_builtin(database: Database, storage: BuiltinStorage, location: str) -> bool:
    """Delete built-in bytes if no file names them any more (asked under their lock)."""

    def in_use() -> bool:
        with database.read_sessions() as session:
            return files_sharing_bytes(session, FileStorageProvider.BUILTIN, location) > 0

    return storage.release(location, in_use)


def record_files(database: Database, org_id: int, record_id: int) -> list[FileInfo]:
    """The files of a record of the organisation (NotFound for another organisation's)."""
    with database.read_sessions() as session:
        return [FileInfo.of(f) for f in list_record_files(session, org_id, record_id)]


def open_file(database: Database, org_id: int, file_id: int) -> tuple[FileInfo, Iterator[bytes]]:
    """A file's information and its content as a stream, from the provider that holds it (read
    again from its new place if the migration moved it meanwhile)."""
    for attempt in (1, 2):
        with database.read_sessions() as session:
            stored = get_file(session, org_id, file_id)
            organisation = get_organisation(session, org_id)
            storage = storage_for(stored.provider, organisation)
            info = FileInfo.of(stored)
            location = stored.location
        try:
            return info, storage.open(location)
        except StorageFailed:
            if attempt == 2 or not _moved(database, org_id, file_id, location):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _moved(database: Database, org_id: int, file_id: int, location: str) -> bool:
    with database.read_sessions() as session:
        return get_file(session, org_id, file_id).location != location


def delete_file(database: Database, org_id: int, file_id: int) -> None:
    """Delete a file and its bytes (see the module's docstring for the order)."""
    while True:
        with database.read_sessions() as session:
            stored = get_file(session, org_id, file_id)
            storage = storage_for(stored.provider, get_organisation(session, org_id))
            provider, location = stored.provider, stored.location
        if provider is FileStorageProvider.SHAREPOINT:
            storage.delete(location)
        with database.write_sessions() as session:
            deleted = session.execute(
                delete(StoredFile).where(
                    StoredFile.id == file_id,
                    StoredFile.org_id == org_id,
                    StoredFile.provider == provider,
                    StoredFile.location == location,
                )
            )
            session.commit()
        if getattr(deleted, "rowcount", 0):
            break
        # Moved by a migration since it was read (else get_file raises NotFound): again.
    if isinstance(storage, BuiltinStorage):
        release_builtin(database, storage, location)
