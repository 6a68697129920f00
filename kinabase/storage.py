"""Where the bytes of files live: the storage interface, and the built-in provider.

A provider stores a stream (`put`), gives it back as a stream (`open`), deletes it (`delete`) and
says whether it can be used (`health`). Streams are read and written in chunks of `CHUNK` bytes,
so a file of any size never sits in memory. `put` is told the size in advance (an HTTP upload's
Content-Length, a file's size on disk): SharePoint's upload sessions need it, and a stream that
ends early or runs on is refused as an IncompleteUpload, storing nothing.

Storing is two steps, so that bytes and the row naming them appear together: `put` stores the
bytes, and `recording(stored)` is the block in which the caller writes and commits that row. A
caller that does not record what it put calls `discard(stored)`.

The built-in provider keeps files under one directory (FILES_DIRECTORY, default
`instance/files/`), content-addressed by SHA-256 per organisation: `org-{id}/{aa}/{sha256}`.
`put` writes to a temporary file in `tmp/` of the same file system and flushes it to disk;
`recording` renames it to its final name (os.replace is atomic) and keeps the location's lock
until the row is committed. A crash leaves at worst a temporary file (`sweep_temporary_files`
removes old ones) or bytes no row names (`release` them), never a partial file under a final
name. A file with the same content as one already stored is renamed over it, with the same bytes.

Identical contents share one final file, so deleting a file's bytes is "release": under the
location's lock, the bytes go only if no row names them any more. Writers hold the same lock from
the rename to the commit of their row, so a delete racing an upload of the same content either
sees the upload's row (and keeps the bytes) or finishes before the upload renames its bytes into
place: the new file's bytes are never lost. The locks are `flock`s on 256 files under `locks/`
(one per first byte of the hash), which serialise threads and processes of one machine sharing
the directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
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
    staged: str | None = None  # built-in: the temporary file `recording` renames into place


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
        """Store exactly `size` bytes read from the stream, as a file of the record; they are
        kept once `recording(stored)` has ended without error."""
        ...

    def recording(self, stored: StoredBytes) -> AbstractContextManager[None]:
        """The block in which the caller writes and commits the row that names `stored`."""
        ...

    def discard(self, stored: StoredBytes) -> None:
        """Forget bytes `put` stored that will not be recorded."""
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


class ChunkStream:
    """A readable stream over chunks (a provider's `open`), for another provider's `put`."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes (all that is left for -1); b"" at the end."""
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


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
        """Write the stream to a temporary file, flushed to disk; `recording` renames it to its
        content's address."""
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
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        sha256 = digest.hexdigest()
        location = f"org-{org_id}/{sha256[:2]}/{sha256}"
        return StoredBytes(location=location, size=size, sha256=sha256, staged=str(temporary))

    @contextlib.contextmanager
    def recording(self, stored: StoredBytes) -> Iterator[None]:
        """Rename the staged bytes to their final name and hold the location's lock while the
        caller commits its row (see the module's docstring). If the block fails, the bytes stay
        under their final name for `release` to remove when no row names them."""
        with self.lock(stored.location):
            if stored.staged is not None:
                final = self.path(stored.location)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(stored.staged, final)
            yield

    def discard(self, stored: StoredBytes) -> None:
        """Remove staged bytes that will not be recorded."""
        if stored.staged is not None:
            Path(stored.staged).unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self, location: str) -> Iterator[None]:
        """The exclusive lock of a location (shared by the locations of one stripe)."""
        match = _LOCATION.match(location)
        if match is None:
            raise ValueError(f"not a built-in storage location: {location!r}")
        directory = self.root / "locks"
        directory.mkdir(parents=True, exist_ok=True)
        # A new open file description each time: flock then excludes threads of this process too.
        with (directory / f"{match.group(2)}.lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def release(self, location: str, in_use: Callable[[], bool]) -> bool:
        """Delete the bytes unless `in_use()`, asked under the location's lock, says a row still
        names them; True if they were deleted. `in_use` must read committed rows afresh."""
        with self.lock(location):
            if in_use():
                return False
            self.path(location).unlink(missing_ok=True)
            return True

    def locations(self) -> Iterator[str]:
        """The location of every stored file (not temporary ones), in no particular order."""
        for organisation in sorted(self.root.glob("org-*")):
            for path in organisation.glob("??/*"):
                location = path.relative_to(self.root).as_posix()
                if path.is_file() and _LOCATION.match(location):
                    yield location

    def sweep_temporary_files(self, older_than_seconds: float) -> int:
        """Remove temporary files not written to for `older_than_seconds` (left by uploads
        that a crash interrupted); how many were removed."""
        directory = self.root / "tmp"
        if not directory.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in directory.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def open(self, location: str) -> Iterator[bytes]:
        """The file's bytes, a chunk at a time (StorageFailed if they are missing)."""
        try:
            handle = self.path(location).open("rb")
        except FileNotFoundError:
            raise StorageFailed(f"the stored bytes of {location} are missing") from None
        return _chunks(handle)

    def delete(self, location: str) -> None:
        """Remove the file's bytes, whoever else names them (`release` asks first)."""
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
