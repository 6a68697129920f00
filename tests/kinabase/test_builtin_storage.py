"""The built-in provider: content-addressed files, written whole or not at all, within a limit."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from pathlib import Path

import pytest

from kinabase.errors import FileTooLarge, IncompleteUpload, StorageFailed
from kinabase.storage import CHUNK, BuiltinStorage, StoredBytes


def final_files(root: Path) -> list[Path]:
    """Every file under the storage's final names (not its temporary or lock directories)."""
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and not {"tmp", "locks"} & set(p.relative_to(root).parts)
    ]


def put_and_record(storage: BuiltinStorage, content: bytes, org_id: int = 1) -> StoredBytes:
    """Store and keep the content (as a caller does once its row is committed)."""
    stored = storage.put(
        io.BytesIO(content), size=len(content), org_id=org_id, record_id=1, name="a"
    )
    with storage.recording(stored):
        pass
    return stored


def test_a_file_is_stored_under_its_sha256_and_read_back(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=10 * CHUNK)
    content = b"x" * (2 * CHUNK + 5)

    stored = storage.put(io.BytesIO(content), size=len(content), org_id=3, record_id=1, name="a")
    assert final_files(tmp_path) == []  # staged until its row is recorded
    with storage.recording(stored):
        assert final_files(tmp_path) == [tmp_path / stored.location]

    digest = hashlib.sha256(content).hexdigest()
    assert stored.location == f"org-3/{digest[:2]}/{digest}"
    assert (stored.size, stored.sha256) == (len(content), digest)
    assert b"".join(storage.open(stored.location)) == content
    assert final_files(tmp_path) == [tmp_path / stored.location]


def test_the_same_content_twice_is_stored_once(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=100)
    first = put_and_record(storage, b"same")
    second = put_and_record(storage, b"same")
    assert first.location == second.location
    assert len(final_files(tmp_path)) == 1


class FailingStream(io.BytesIO):
    """Gives `good` bytes, then fails as a dropped connection or a dying process would."""

    def __init__(self, good: bytes, root: Path) -> None:
        super().__init__(good)
        self.root = root
        self.visible_while_writing: list[Path] = []

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.visible_while_writing.extend(final_files(self.root))
        if not chunk:
            raise ConnectionResetError("the client went away")
        return chunk


def test_a_write_that_fails_half_way_leaves_no_file_at_all(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=10 * CHUNK)
    stream = FailingStream(b"y" * (CHUNK + 10), tmp_path)

    with pytest.raises(ConnectionResetError):
        storage.put(stream, size=3 * CHUNK, org_id=1, record_id=1, name="a")

    assert stream.visible_while_writing == []  # never a partial file under a final name
    assert final_files(tmp_path) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # and the temporary file is gone


def test_content_shorter_or_longer_than_announced_is_refused(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=100)
    with pytest.raises(IncompleteUpload, match="ended 2 bytes before"):
        storage.put(io.BytesIO(b"abc"), size=5, org_id=1, record_id=1, name="a")
    with pytest.raises(IncompleteUpload, match="longer"):
        storage.put(io.BytesIO(b"abcdef"), size=5, org_id=1, record_id=1, name="a")
    assert final_files(tmp_path) == []


def test_a_file_over_the_limit_is_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=4)
    stream = io.BytesIO(b"12345")

    with pytest.raises(FileTooLarge, match="limit of 4 bytes"):
        storage.put(stream, size=5, org_id=1, record_id=1, name="a")

    assert stream.tell() == 0
    assert final_files(tmp_path) == []


def test_delete_and_missing_bytes(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=100)
    stored = put_and_record(storage, b"bye")
    storage.delete(stored.location)
    storage.delete(stored.location)  # already gone: nothing happens
    with pytest.raises(StorageFailed, match="missing"):
        storage.open(stored.location)
    with pytest.raises(ValueError, match="not a built-in storage location"):
        storage.open("../../etc/passwd")


def test_health_says_whether_the_directory_is_writable(tmp_path: Path) -> None:
    assert BuiltinStorage(tmp_path / "files", 1).health().ok
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the directory should be")
    health = BuiltinStorage(blocker, 1).health()
    assert not health.ok
    assert str(blocker) in health.detail


def test_discarded_bytes_never_reach_a_final_name(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=100)
    stored = storage.put(io.BytesIO(b"unwanted"), size=8, org_id=1, record_id=1, name="a")

    storage.discard(stored)

    assert final_files(tmp_path) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_release_keeps_bytes_in_use_and_deletes_the_others(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=100)
    kept = put_and_record(storage, b"kept")
    gone = put_and_record(storage, b"gone")

    assert storage.release(kept.location, in_use=lambda: True) is False
    assert storage.release(gone.location, in_use=lambda: False) is True

    assert final_files(tmp_path) == [tmp_path / kept.location]
    assert sorted(storage.locations()) == [kept.location]


def test_a_release_waits_for_a_recording_of_the_same_bytes(tmp_path: Path) -> None:
    """A delete of one file racing an upload of the same content: the delete's check waits for
    the upload's row, so the new file's bytes stay."""
    storage = BuiltinStorage(tmp_path, max_bytes=100)
    old = put_and_record(storage, b"shared content")
    rows: set[str] = set()  # the rows naming the bytes: the old file's is deleted already
    new = storage.put(io.BytesIO(b"shared content"), size=14, org_id=1, record_id=2, name="b")
    released: list[bool] = []

    with storage.recording(new):
        releasing = threading.Thread(
            target=lambda: released.append(storage.release(old.location, lambda: bool(rows)))
        )
        releasing.start()
        releasing.join(0.5)
        assert releasing.is_alive()  # it waits for the lock the recording holds
        rows.add("new")  # the new file's row is committed before the lock is let go
    releasing.join(5)

    assert released == [False]
    assert b"".join(storage.open(new.location)) == b"shared content"


def test_stale_temporary_files_are_swept(tmp_path: Path) -> None:
    storage = BuiltinStorage(tmp_path, max_bytes=100)
    stale = storage.put(io.BytesIO(b"crashed"), size=7, org_id=1, record_id=1, name="a")
    fresh = storage.put(io.BytesIO(b"in flight"), size=9, org_id=1, record_id=1, name="b")
    assert stale.staged and fresh.staged
    an_hour_ago = time.time() - 3600
    os.utime(stale.staged, (an_hour_ago, an_hour_ago))

    assert storage.sweep_temporary_files(older_than_seconds=600) == 1

    assert [p.name for p in (tmp_path / "tmp").iterdir()] == [Path(fresh.staged).name]
    assert storage.sweep_temporary_files(older_than_seconds=600) == 0
