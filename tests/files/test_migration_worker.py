"""A migration on a real Huey consumer in a process of its own, killed (SIGKILL) halfway and
resumed by the next worker: every file moved exactly once, with matching hashes, and nothing
left behind on either side. Both workers reach the test's emulated cloud through its relay."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from files.migration import start_migration
from files.moves import FileMove
from jobs.models import Job, JobStatus
from jobs.queue import app_jobs
from kinabase.files import StoredFile
from kinabase.organisations import FileStorageProvider
from kinabase.storage import BuiltinStorage
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.browser.relay import MicrosoftRelay
from tests.files.conftest import World
from tests.files.test_migration import BIG, content, upload, use

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def worker(settings: Path, relay_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`kinabase-m365 worker` over the served cloud; killed when the block ends."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.files.worker_process", str(settings), relay_url],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def test_a_migration_whose_worker_is_killed_halfway_is_finished_by_the_next(
    world: World, database_url: str, tmp_path: Path
) -> None:
    acme = world.acme
    use(world, acme, FileStorageProvider.BUILTIN)
    sizes = [1000 + n for n in range(10)] + [BIG, BIG + 1]
    uploaded = {
        upload(world, acme, f"file {n}.bin", content(str(n), s)): s for n, s in enumerate(sizes)
    }
    expected = {
        file_id: hashlib.sha256(content(str(n), size)).hexdigest()
        for n, (file_id, size) in enumerate(uploaded.items())
    }
    seventh = sorted(uploaded)[6]
    # The seventh file's upload is throttled for 30 s: the worker is killed while it waits.
    world.cloud.faults.graph_fault(
        f"/v1.0/drives/{acme.library.drive_id}/root:/Kinabase/record-{acme.record_id}"
        f"/.kinabase-moving-{seventh}:/content",
        429,
        retry_after="30",
    )
    settings = {
        "database_url": database_url,
        "environment": "test",
        "secret_key": "test-secret-key",
        "session_cookie_secure": False,
        "microsoft_client_id": world.registration.client_id,
        "microsoft_client_secret": world.registration.client_secret or "",
        "files_directory": str(tmp_path / "files"),
        "jobs_sqlite_path": str(tmp_path / "queue.db"),
        "job_stale_seconds": 1,
    }
    settings_file = tmp_path / "worker.json"
    settings_file.write_text(json.dumps(settings))
    enqueuing = create_app(settings, http_session=world.microsoft.session)
    with get_database(enqueuing).write_sessions() as session:
        job_id = start_migration(session, acme.org_id, FileStorageProvider.SHAREPOINT).id
        session.commit()
    with enqueuing.app_context():
        app_jobs(enqueuing).enqueue(job_id)

    def job() -> Job:
        with world.database.read_sessions() as session:
            found = session.get_one(Job, job_id)
            session.expunge(found)
            return found

    relay = MicrosoftRelay().start()
    relay.microsoft = world.microsoft
    try:
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
        with worker(settings_file, relay.url, first_log) as first:
            throttled = world.cloud.faults.graph_faults[0]
            wait_for(lambda: throttled.seen >= 1, 60, "the seventh upload was not sent", first_log)
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        stranded = job()
        assert (stranded.status, stranded.done) == (JobStatus.RUNNING, 6)
        time.sleep(1.5)  # longer than JOB_STALE_SECONDS: its heartbeat has stopped

        with worker(settings_file, relay.url, second_log):
            wait_for(
                lambda: job().status in (JobStatus.SUCCEEDED, JobStatus.FAILED),
                90,
                "the migration was not resumed",
                second_log,
            )
    finally:
        relay.stop()

    finished = job()
    assert (finished.status, finished.attempts, finished.done, finished.failed) == (
        JobStatus.SUCCEEDED,
        2,
        12,
        0,
    )
    library_files = acme.library.files()
    assert sorted(item.name for item in library_files) == sorted(
        f"file {n}.bin" for n in range(12)
    )  # each file exactly once, under its own name
    with world.database.read_sessions() as session:
        rows = list(session.scalars(select(StoredFile).where(StoredFile.org_id == acme.org_id)))
        assert session.scalar(select(func.count()).select_from(FileMove)) == 0
        for row in rows:
            assert row.provider is FileStorageProvider.SHAREPOINT
            item = acme.library.items[row.location.split("/", 1)[1]]
            assert hashlib.sha256(item.content).hexdigest() == row.sha256 == expected[row.id]
    assert list(BuiltinStorage(tmp_path / "files", 1).locations()) == []
    get_database(enqueuing).engine.dispose()
