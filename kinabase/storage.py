"""Where the bytes of files live: the storage interface, and the built-in provider.

A provider stores a stream (`put`), gives it back as a stream (`open`), deletes it (`delete`) and
says whether it can be used (`health`). Streams are read and written in chunks of `CHUNK` bytes,
so a file of any size never sits in memory. `put` is told the size in advance (an HTTP upload's
Content-Length, a file's size on disk): SharePoint's upload sessions need it, and a stream that
ends early or runs on is refused as an IncompleteUpload, storing nothing.

The built-in provider keeps files under one directory (FILES_DIRECTORY, default
`instance/files/`), content-addressed by SHA-256 per organisation: `org-{id}/{aa}/{sha256}`. It
writes to a temporary file in `tmp/` of the same file system, flushes it to disk, and renames it
to its final name (os.replace is atomic): a crash leaves at worst a temporary file, never a
partial file under a final name. A file with the same content as one already stored is written
and renamed again over it, with the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from kinabase.errors import FileTooLarge, IncompleteUpload, StorageFailed
from kinabase.organisations import FileStorageProvider

CHUNK = 1024 * 1024
_LOCATION = re.compile(r"^org-(\d+)/([0-9a-f]{2})/([0-9a-f]{64})$")


class Readable(Protocol):
    """A binary stream: a file, a request's body."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes; b"" at the end."""
        ...


@dataclass(frozen=True)
class StoredBytes:
    """What a provider stored: where, how many bytes, and their hashes."""

    location: str
    size: int
    sha256: str
    quick_xor_hash: str | None = None
    name: str | None = None  # the name the provider gave them, if it names files (SharePoint)


@dataclass(frozen=True)
class Health:
    """Whether a provider can be used now, and why not."""

    ok: bool
    detail: str


class FileStorage(Protocol):
    """A place for the bytes of files."""

    provider: FileStorageProvider

    def put(
        self, stream: Readable, *, size: int, org_id: int, record_id: int, name: str
    ) -> StoredBytes:
        """Store exactly `size` bytes read from the stream, as a file of the record."""
        ...

    def open(self, location: str) -> Iterator[bytes]:
        """The stored bytes, chunk by chunk."""
        ...

    def delete(self, location: str) -> None:
        """Delete the stored bytes (nothing happens if they are already gone)."""
        ...

    def health(self) -> Health:
        """Whether files can be stored and read now."""
        ...


def read_exactly(stream: Readable, size: int) -> Iterator[bytes]:
    """The stream's chunks up to `size` bytes; IncompleteUpload if it is shorter or longer."""
    left = size
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            raise IncompleteUpload(f"the content ended {left} bytes before its announced size")
        left -= len(chunk)
        yield chunk
    if stream.read(1):
        raise IncompleteUpload(f"the content is longer than its announced size of {size} bytes")


class BuiltinStorage:
    """Files on the service's own disk, content-addressed (see the module's docstring)."""

    provider = FileStorageProvider.BUILTIN

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def put(
        self, stream: Readable, *, size: int, org_id: int, record_id: int, name: str
    ) -> StoredBytes:
        """Write the stream to a temporary file, then rename it to its content's address."""
        if size > self.max_bytes:
            raise FileTooLarge(self.max_bytes)
        temporary_directory = self.root / "tmp"
        temporary_directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary_name = tempfile.mkstemp(dir=temporary_directory, suffix=".part")
        temporary = Path(temporary_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(descriptor, "wb") as output:
                for chunk in read_exactly(stream, size):
                    digest.update(chunk)
                    output.write(chunk)
                output.flush()
                os.fsync(output.fileno())
            sha256 = digest.hexdigest()
            location = f"org-{org_id}/{sha256[:2]}/{sha256}"
            final = self.root / location
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return StoredBytes(location=location, size=size, sha256=sha256)

    def open(self, location: str) -> Iterator[bytes]:
        """The file's bytes, a chunk at a time (StorageFailed if they are missing)."""
        try:
            handle = self.path(location).open("rb")
        except FileNotFoundError:
            raise StorageFailed(f"the stored bytes of {location} are missing") from None
        return _chunks(handle)

    def delete(self, location: str) -> None:
        """Remove the file's bytes."""
        self.path(location).unlink(missing_ok=True)

    def health(self) -> Health:
        """Whether a file can be written in the storage directory."""
        try:
            directory = self.root / "tmp"
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=directory, suffix=".probe"):
                pass
        except OSError as error:
            return Health(False, f"cannot write in {self.root}: {error.strerror or error}")
        return Health(True, f"files are stored in {self.root}")

    def path(self, location: str) -> Path:
        """The file holding a location's bytes (ValueError for a location not of this kind)."""
        if _LOCATION.match(location) is None:
            raise ValueError(f"not a built-in storage location: {location!r}")
        return self.root / location


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk
