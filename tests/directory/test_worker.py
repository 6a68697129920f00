"""Jobs on a real Huey consumer in a process of its own (`kinabase-m365 worker`'s consumer), with
Huey's SQLite storage and with Redis; a consumer killed mid-job leaves a job the next one
resumes, creating nobody twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.jobs import start_import
from jobs.models import Job, JobItem, JobStatus
from jobs.queue import app_jobs
from kinabase.organisations import get_organisation
from kinabase.users import User
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from scim_server.store.tables import ScimUser
from tests.directory.conftest import Cloud, Organisations, service_settings
from tests.directory.worker_process import write_spec

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"
QUEUES = ["sqlite", "redis"]


def redis_answers() -> bool:
    import redis  # noqa: PLC0415

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=QUEUES)
def queue_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """Huey's storage: its SQLite file, or Redis (emptied first; CI runs a Redis server)."""
    if request.param == "sqlite":
        return {"jobs_sqlite_path": str(tmp_path / "queue.db"), "job_stale_seconds": 1}
    if not redis_answers() and not os.environ.get("CI"):
        pytest.skip("no Redis server on 127.0.0.1:6379")
    import redis  # noqa: PLC0415

    redis.Redis.from_url(REDIS_URL).flushdb()
    return {"redis_url": REDIS_URL, "job_stale_seconds": 1}


@dataclass
class Workplace:
    """The database, the cloud, the queue both sides share, and where workers keep their logs."""

    database_url: str
    microsoft: Cloud
    orgs: Organisations
    tmp_path: Path
    queue_settings: dict[str, object]
    enqueuing: Flask

    @contextmanager
    def worker(
        self, name: str, faults: Sequence[dict[str, object]] = ()
    ) -> Iterator[subprocess.Popen[bytes]]:
        """A worker process over the same cloud, database and queue; killed when the block
        ends."""
        settings = {
            **service_settings(self.database_url, self.microsoft.registration, self.tmp_path),
            **self.queue_settings,
        }
        spec = write_spec(
            self.tmp_path / f"{name}.json",
            settings,
            self.microsoft.registration,
            [self.microsoft.contoso],
            faults=faults,
            page_size=50,
        )
        log = (self.tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.directory.worker_process", str(spec)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.kill()
            process.wait()
            log.close()

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"


@pytest.fixture
def workplace(
    database_url: str,
    microsoft: Cloud,
    orgs: Organisations,
    tmp_path: Path,
    queue_settings: dict[str, object],
) -> Iterator[Workplace]:
    settings = {
        **service_settings(database_url, microsoft.registration, tmp_path),
        **queue_settings,
    }
    app = create_app(settings, http_session=microsoft.microsoft.session)
    yield Workplace(database_url, microsoft, orgs, tmp_path, queue_settings, app)
    get_database(app).engine.dispose()


def wait_for(condition: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def job_of(session: Session, job_id: int) -> Job:
    session.expire_all()
    job = session.get_one(Job, job_id)
    session.rollback()  # never hold SQLite's write lock while the worker writes
    return job


def queue_import(enqueuing: Flask, session: Session, org_id: int) -> int:
    job = start_import(session, org_id, everyone=True)
    session.commit()
    with enqueuing.app_context():
        app_jobs(enqueuing).enqueue(job.id)
    return job.id


def test_a_real_consumer_runs_a_queued_import(workplace: Workplace, write: Session) -> None:
    job_id = queue_import(workplace.enqueuing, write, workplace.orgs.acme)

    with workplace.worker("worker"):
        wait_for(
            lambda: job_of(write, job_id).status is JobStatus.SUCCEEDED,
            60,
            "the import did not succeed",
            workplace.log("worker"),
        )

    assert job_of(write, job_id).done == 3


def test_a_job_whose_worker_is_killed_is_resumed_by_the_next_and_creates_no_one_twice(
    workplace: Workplace, write: Session
) -> None:
    org_id = workplace.orgs.acme
    get_organisation(write, org_id).licence_seats = 300
    write.commit()
    contoso = workplace.microsoft.contoso
    users = [contoso.add_user(f"user{n:03}", f"User {n:03}") for n in range(247)]
    # The 150th user's photo is throttled for 30 s: the first batch of 100 is written by then.
    slow = {
        "path": f"/v1.0/users/{users[146].object_id}/photo/$value",
        "status": 429,
        "retry_after": "30",
    }
    job_id = queue_import(workplace.enqueuing, write, org_id)

    with workplace.worker("first", [slow]) as first:
        wait_for(
            lambda: job_of(write, job_id).done >= 100,
            60,
            "the first batch was not written",
            workplace.log("first"),
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    stranded = job_of(write, job_id)
    assert stranded.status is JobStatus.RUNNING and stranded.done == 100
    time.sleep(1.5)  # longer than JOB_STALE_SECONDS: its heartbeat has stopped

    with workplace.worker("second"):
        wait_for(
            lambda: job_of(write, job_id).status in (JobStatus.SUCCEEDED, JobStatus.FAILED),
            60,
            "the job was not resumed",
            workplace.log("second"),
        )

    job = job_of(write, job_id)
    assert (job.status, job.attempts, job.done, job.failed) == (JobStatus.SUCCEEDED, 2, 250, 0)
    count = write.scalar(select(func.count()).select_from(User).where(User.org_id == org_id))
    assert count == 250
    assert write.scalar(select(func.count()).select_from(ScimUser)) == 250
    items = write.scalar(select(func.count()).select_from(JobItem).where(JobItem.job_id == job_id))
    assert items == 250
    write.rollback()
