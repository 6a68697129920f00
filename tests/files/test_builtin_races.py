"""Built-in storage under concurrency, through the service: deleting a file while another of
the same content is uploaded never loses the new file's bytes; the sweep removes what crashes
leave and nothing that a file names."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

from files.service import delete_file, open_file, release_builtin, upload_file
from kinabase.organisations import FileStorageProvider
from kinabase.storage import BuiltinStorage
from tests.files.conftest import World
from tests.files.test_migration import upload, use

SAME = b"the same content, uploaded again and again" * 100


def race(world: World, previous: int, name: str) -> int:
    """Delete `previous` while a file of the same content is uploaded; the new file's id."""
    acme = world.acme
    start = threading.Barrier(2)
    uploaded: list[int] = []
    errors: list[BaseException] = []

    def upload_again() -> None:
        try:
            start.wait()
            with world.app.app_context():
                info = upload_file(
                    world.database,
                    acme.org_id,
                    acme.record_id,
                    stream=io.BytesIO(SAME),
                    size=len(SAME),
                    name=name,
                    content_type=None,
                    user_id=None,
                )
            uploaded.append(info.id)
        except BaseException as error:  # reported by the test
            errors.append(error)

    def delete_previous() -> None:
        try:
            start.wait()
            with world.app.app_context():
                delete_file(world.database, acme.org_id, previous)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=upload_again), threading.Thread(target=delete_previous)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    return uploaded[0]


def test_deleting_a_file_while_its_content_is_uploaded_again_keeps_the_new_bytes(
    world: World,
) -> None:
    acme = world.acme
    use(world, acme, FileStorageProvider.BUILTIN)
    previous = upload(world, acme, "v0.txt", SAME)

    for round_number in range(1, 21):
        previous = race(world, previous, f"v{round_number}.txt")
        with world.app.app_context():
            _, chunks = open_file(world.database, acme.org_id, previous)
            assert b"".join(chunks) == SAME, f"round {round_number}: the new file lost its bytes"


def test_the_sweep_removes_stale_temporary_files_and_unnamed_bytes_only(
    world: World, tmp_path: Path
) -> None:
    acme = world.acme
    use(world, acme, FileStorageProvider.BUILTIN)
    kept = upload(world, acme, "kept.txt", b"named by a file")
    storage = BuiltinStorage(tmp_path / "files", 1000)
    crashed = storage.put(
        io.BytesIO(b"a crash left me"), size=15, org_id=acme.org_id, record_id=1, name="x"
    )
    with storage.recording(crashed):
        pass  # renamed into place, and then the process died before its row was written
    stale = storage.put(
        io.BytesIO(b"half an upload"), size=14, org_id=acme.org_id, record_id=1, name="y"
    )
    assert stale.staged is not None
    yesterday = time.time() - 86_400
    os.utime(stale.staged, (yesterday, yesterday))

    assert storage.sweep_temporary_files(older_than_seconds=3600) == 1
    with world.app.app_context():
        released = [
            location
            for location in list(storage.locations())
            if release_builtin(world.database, storage, location)
        ]
        _, chunks = open_file(world.database, acme.org_id, kept)

    assert released == [crashed.location]
    assert b"".join(chunks) == b"named by a file"
    assert list((tmp_path / "files" / "tmp").iterdir()) == []
