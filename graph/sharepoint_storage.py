"""The SharePoint storage provider: a file's bytes in the organisation's document library.

Each record has a folder, `Kinabase/record-{id}`, created by the first upload to it. A file is
stored under its Kinabase name, with the characters SharePoint refuses in names
(`" * : < > ? / \\ |`, leading and trailing dots and spaces) replaced by `_`; when the folder
already holds that name, Graph renames the new file (`report 1.pdf`) and the old one is left
alone. The location is `{drive id}/{item id}`, so a file stays readable after the organisation
picks another library.

While the bytes go up, their SHA-256 and QuickXorHash are computed; Graph's `quickXorHash` of
the new item must match, and its size too, or the item is deleted and StorageFailed raised.

`put_at` uploads to a path of the caller's choosing, replacing what is there: the migration
between providers (files/migration.py) uploads each file under a name only it uses, so that a
copy interrupted by a crash is replaced rather than left behind, and then `rename`s it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator

from graph import drive
from graph.errors import GraphNotFound, MicrosoftError
from graph.quickxorhash import QuickXorHash
from kinabase.errors import FileTooLarge, StorageFailed
from kinabase.organisations import FileStorageProvider
from kinabase.storage import Health, Readable, StoredBytes, read_exactly

FOLDER = "Kinabase"
_REFUSED_CHARACTERS = re.compile(r'["*:<>?/\\|#%]')


def sharepoint_name(name: str) -> str:
    """A file name SharePoint accepts, as close to `name` as it can be."""
    cleaned = _REFUSED_CHARACTERS.sub("_", name).strip(" .")
    return cleaned or "file"


class SharePointStorage:
    """Files in one tenant's document library; `drive_id` is where new files go."""

    provider = FileStorageProvider.SHAREPOINT

    def __init__(self, tenant_id: str, drive_id: str | None, max_bytes: int) -> None:
        self.tenant_id = tenant_id
        self.drive_id = drive_id
        self.max_bytes = max_bytes

    def put(
        self, stream: Readable, *, size: int, org_id: int, record_id: int, name: str
    ) -> StoredBytes:
        """Upload the stream to the record's folder, check Graph's hash, and say where it is."""
        path = f"{FOLDER}/record-{record_id}/{sharepoint_name(name)}"
        return self.put_at(stream, size=size, path=path, conflict_behavior=drive.CONFLICT_BEHAVIOR)

    def put_at(
        self, stream: Readable, *, size: int, path: str, conflict_behavior: str
    ) -> StoredBytes:
        """Upload the stream to this path of the library (`rename` or `replace` an item of the
        same name), check Graph's hash, and say where it is."""
        if size > self.max_bytes:
            raise FileTooLarge(self.max_bytes)
        if not self.drive_id:
            raise StorageFailed("no SharePoint document library is chosen for new files")
        sha256, quick_xor = hashlib.sha256(), QuickXorHash()

        def hashed() -> Iterator[bytes]:
            for chunk in read_exactly(stream, size):
                sha256.update(chunk)
                quick_xor.update(chunk)
                yield chunk

        if size <= drive.SMALL_UPLOAD_LIMIT:
            content = b"".join(hashed())
            item = drive.put_small(
                self.tenant_id, self.drive_id, path, content, conflict_behavior=conflict_behavior
            )
        else:
            item = drive.upload_large(
                self.tenant_id,
                self.drive_id,
                path,
                hashed(),
                size,
                conflict_behavior=conflict_behavior,
            )
        expected = quick_xor.b64digest()
        if item.size != size or item.quick_xor_hash != expected:
            drive.delete_item(self.tenant_id, self.drive_id, item.id)
            raise StorageFailed(
                f"SharePoint stored {item.size} bytes with quickXorHash {item.quick_xor_hash}; "
                f"{size} bytes with {expected} were sent. The copy was deleted; upload again."
            )
        return StoredBytes(
            location=f"{self.drive_id}/{item.id}",
            size=size,
            sha256=sha256.hexdigest(),
            quick_xor_hash=expected,
            name=item.name,
        )

    def recording(self, stored: StoredBytes) -> contextlib.AbstractContextManager[None]:
        """Nothing to hold: an item's location is its own."""
        return contextlib.nullcontext()

    def discard(self, stored: StoredBytes) -> None:
        """Delete an uploaded item that will not be recorded."""
        self.delete(stored.location)

    def item(self, location: str) -> drive.DriveItem | None:
        """The item at a location, or None if SharePoint no longer has it."""
        drive_id, item_id = split_location(location)
        try:
            return drive.get_item(self.tenant_id, drive_id, item_id)
        except GraphNotFound:
            return None

    def item_at(self, path: str) -> drive.DriveItem | None:
        """The item at a path of the library for new files, or None."""
        if not self.drive_id:
            raise StorageFailed("no SharePoint document library is chosen for new files")
        return drive.get_item_by_path(self.tenant_id, self.drive_id, path)

    def rename(self, location: str, name: str) -> drive.DriveItem:
        """Give the item at a location the SharePoint form of `name` (or a free variant)."""
        drive_id, item_id = split_location(location)
        return drive.rename_item(self.tenant_id, drive_id, item_id, sharepoint_name(name))

    def open(self, location: str) -> Iterator[bytes]:
        """The file's content from SharePoint, streamed."""
        drive_id, item_id = split_location(location)
        try:
            return drive.download(self.tenant_id, drive_id, item_id)
        except GraphNotFound:
            raise StorageFailed("the file is no longer in SharePoint") from None

    def delete(self, location: str) -> None:
        """Delete the file from SharePoint (to the site's recycle bin)."""
        drive_id, item_id = split_location(location)
        drive.delete_item(self.tenant_id, drive_id, item_id)

    def health(self) -> Health:
        """Whether the library for new files can be reached with the app's permissions."""
        if not self.drive_id:
            return Health(False, "no SharePoint document library is chosen")
        try:
            library = drive.get_drive(self.tenant_id, self.drive_id)
        except MicrosoftError as error:
            return Health(False, error.message)
        return Health(True, f"files are stored in the SharePoint library {library.name!r}")


def split_location(location: str) -> tuple[str, str]:
    """A SharePoint location's drive id and item id."""
    drive_id, _, item_id = location.partition("/")
    if not drive_id or not item_id:
        raise ValueError(f"not a SharePoint location: {location!r}")
    return drive_id, item_id
