"""Running one job: claim it, keep its heartbeat, hand it to its kind's handler, finish it.

A handler gets a `JobRun`: the job's request, short writing transactions of its own
(`run.transaction()`), and ways to report progress that the Administrator sees. It does its
items in batches, recording each item's outcome in the batch's transaction, so that a failure on
one item is that item's outcome and a worker killed mid-job leaves the items done so far.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from jobs.models import Job
from jobs.progress import (
    ItemOutcome,
    beat,
    claim,
    done_keys,
    finish,
    record_items,
    recorded_keys,
    set_step,
)
from kinabase_m365.database import Database

log = logging.getLogger(__name__)

ProgressListener = Callable[[Session, Job], None]  # after each transaction of the job


@dataclass
class JobRun:
    """A claimed job as its handler sees it."""

    job_id: int
    org_id: int
    request: Mapping[str, Any]
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    listener: ProgressListener | None = None
    _done: set[str] | None = field(default=None, repr=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A writing session committed when the block ends (rolled back if it raises)."""
        with self.write_sessions() as session:
            yield session
            session.commit()
        self._tell()

    def step(self, text: str, total: int | None = None) -> None:
        """Say what the job does now (and how many items there are, when known)."""
        with self.transaction() as session:
            set_step(session, self.job_id, text, total)

    def already_done(self, key: str) -> bool:
        """Whether a previous attempt of this job recorded this item (resume skips it).

        Only the keys of earlier attempts are held (none for a job's first attempt); what this
        attempt records is in `job_items`, not in memory, so a worker's memory does not grow
        with the number of items. An item the source lists twice in one attempt is written
        twice, which the writes make harmless, and recorded once (`record_items` merges).
        """
        if self._done is None:
            with self.write_sessions() as session:
                self._done = done_keys(session, self.job_id)
        return key in self._done

    def record(self, session: Session, outcomes: Sequence[ItemOutcome]) -> None:
        """Record outcomes in the session of the work they describe."""
        record_items(session, self.job_id, outcomes)

    def recorded(self, keys: Collection[str]) -> set[str]:
        """Those of `keys` that this job (any attempt) has recorded, read from `job_items`."""
        with self.read_sessions() as session:
            return recorded_keys(session, self.job_id, keys)

    def _tell(self) -> None:
        if self.listener is not None:
            with self.write_sessions() as session:
                job = session.get(Job, self.job_id)
                if job is not None:
                    self.listener(session, job)


Handler = Callable[[JobRun], None]


def run_job(
    database: Database,
    job_id: int,
    handlers: Mapping[str, Handler],
    *,
    heartbeat_seconds: float,
    listener: ProgressListener | None = None,
) -> bool:
    """Run the job if it is queued (returns False if another worker has it or it is done).

    Whatever the handler raises fails the job with the reason, after the items already done
    were recorded; the process keeps going.
    """
    write_sessions = database.write_sessions
    with write_sessions() as session:
        if not claim(session, job_id):
            session.rollback()
            return False
        job = session.get_one(Job, job_id)
        run = JobRun(
            job.id, job.org_id, dict(job.request), database.read_sessions, write_sessions, listener
        )
        kind = job.kind
        session.commit()
    stop = threading.Event()
    heart = threading.Thread(
        target=_keep_beating,
        args=(write_sessions, job_id, heartbeat_seconds, stop),
        name=f"job-{job_id}-heartbeat",
        daemon=True,
    )
    heart.start()
    error: str | None = None
    try:
        handlers[kind](run)
    except Exception as failure:
        log.exception("job %s (%s) failed", job_id, kind)
        error = str(failure) or type(failure).__name__
    finally:
        stop.set()
        heart.join()
    with run.transaction() as session:
        finish(session, job_id, error)
    return True


def _keep_beating(
    write_sessions: sessionmaker[Session], job_id: int, every: float, stop: threading.Event
) -> None:
    while not stop.wait(every):
        try:
            with write_sessions() as session:
                beat(session, job_id)
                session.commit()
        except Exception:
            log.warning("job %s: heartbeat not written", job_id, exc_info=True)
