"""The SharePoint storage provider: a file's bytes in the organisation's document library.

Each record has a folder, `Kinabase/record-{id}`, created by the first upload to it. A file is
stored under its Kinabase name, with the characters SharePoint refuses in names
(`" * : < > ? / \\ |`, leading and trailing dots and spaces) replaced by `_`; when the folder
already holds that name, Graph renames the new file (`report 1.pdf`) and the old one is left
alone. The location is `{drive id}/{item id}`, so a file stays readable after the organisation
picks another library.

While the bytes go up, their SHA-256 and QuickXorHash are computed; Graph's `quickXorHash` of
the new item must match, and its size too, or the item is deleted and StorageFailed raised.
"""

from __future__ import annotations

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
        if size > self.max_bytes:
            raise FileTooLarge(self.max_bytes)
        if not self.drive_id:
            raise StorageFailed("no SharePoint document library is chosen for new files")
        path = f"{FOLDER}/record-{record_id}/{sharepoint_name(name)}"
        sha256, quick_xor = hashlib.sha256(), QuickXorHash()

        def hashed() -> Iterator[bytes]:
            for chunk in read_exactly(stream, size):
                sha256.update(chunk)
                quick_xor.update(chunk)
                yield chunk

        if size <= drive.SMALL_UPLOAD_LIMIT:
            item = drive.put_small(self.tenant_id, self.drive_id, path, b"".join(hashed()))
        else:
            item = drive.upload_large(self.tenant_id, self.drive_id, path, hashed(), size)
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
