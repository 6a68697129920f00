"""Creating, claiming, reporting on and finishing jobs, in the caller's transaction.

A job is claimed by one worker at a time: the claim is an UPDATE from `queued` to `running`
that only one worker's can match. While it runs, the worker's heartbeat moves `heartbeat_at`;
a `running` job whose heartbeat is older than the stale limit lost its worker (killed, machine
gone) and is queued again to resume, or failed once it has been tried `MAX_ATTEMPTS` times, so no
job says "running" forever.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from jobs.models import Job, JobItem, JobStatus
from kinabase.base import utcnow
from kinabase.database import batches
from kinabase.errors import NotFound

MAX_ATTEMPTS = 3
MAX_ERROR = 2000


@dataclass(frozen=True)
class ItemOutcome:
    """One item's outcome as a job records it."""

    key: str
    label: str
    outcome: str
    reason: str | None = None


def create_job(session: Session, org_id: int, kind: str, request: dict[str, Any]) -> Job:
    """A queued job; the caller commits, then enqueues its id."""
    job = Job(org_id=org_id, kind=kind, request=request, status=JobStatus.QUEUED)
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, org_id: int, job_id: int) -> Job:
    """The organisation's job with this id, or NotFound (also for another organisation's)."""
    job = session.scalars(select(Job).where(Job.id == job_id, Job.org_id == org_id)).first()
    if job is None:
        raise NotFound(f"no job with id {job_id}")
    return job


def job_items(session: Session, job_id: int, limit: int = 1000, after: int = -1) -> list[JobItem]:
    """The job's item outcomes in the order they were done: `limit` of them from the one after
    position `after`."""
    return list(
        session.scalars(
            select(JobItem)
            .where(JobItem.job_id == job_id, JobItem.position > after)
            .order_by(JobItem.position)
            .limit(limit)
        )
    )


def claim(session: Session, job_id: int) -> bool:
    """Take a queued job for this worker; False if another took it or it is finished."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            heartbeat_at=now,
            started_at=func.coalesce(Job.started_at, now),
        )
    )
    return bool(getattr(result, "rowcount", 0))


def beat(session: Session, job_id: int) -> None:
    """The running job's worker is alive."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
        .values(heartbeat_at=utcnow())
    )


def set_step(session: Session, job_id: int, step: str, total: int | None = None) -> None:
    """What the job does now, and how many items it will do when that is known."""
    values: dict[str, Any] = {"step": step[:200], "heartbeat_at": utcnow()}
    if total is not None:
        values["total"] = total
    session.execute(update(Job).where(Job.id == job_id).values(**values))


def record_items(session: Session, job_id: int, outcomes: Sequence[ItemOutcome]) -> None:
    """Record item outcomes and count them as done (failures also as failed)."""
    if not outcomes:
        return
    start = session.scalar(select(func.count()).where(JobItem.job_id == job_id)) or 0
    for position, outcome in enumerate(outcomes, start):
        session.merge(
            JobItem(
                job_id=job_id,
                key=outcome.key,
                label=outcome.label[:320],
                outcome=outcome.outcome,
                reason=outcome.reason,
                position=position,
            )
        )
    failed = sum(outcome.outcome == "failed" for outcome in outcomes)
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(done=Job.done + len(outcomes), failed=Job.failed + failed, heartbeat_at=utcnow())
    )


def done_keys(session: Session, job_id: int) -> set[str]:
    """The keys of the items the job has done (a resumed job skips them)."""
    return set(session.scalars(select(JobItem.key).where(JobItem.job_id == job_id)))


def recorded_keys(session: Session, job_id: int, keys: Collection[str]) -> set[str]:
    """Those of `keys` the job has recorded an item for (one query per BATCH_SIZE keys)."""
    found: set[str] = set()
    for batch in batches(keys):
        found.update(
            session.scalars(
                select(JobItem.key).where(JobItem.job_id == job_id, JobItem.key.in_(batch))
            )
        )
    return found


def finish(session: Session, job_id: int, error: str | None = None) -> None:
    """The job ended: succeeded, or failed with the reason."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=JobStatus.FAILED if error else JobStatus.SUCCEEDED,
            error=error[:MAX_ERROR] if error else None,
            step="failed" if error else "finished",
            finished_at=utcnow(),
        )
    )


def reap_stale(session: Session, stale_after: timedelta) -> tuple[list[int], list[int]]:
    """Queue again the running jobs whose worker stopped beating for `stale_after`, or fail
    them after MAX_ATTEMPTS; returns (requeued ids, failed ids). The caller enqueues the
    requeued ones after committing."""
    cutoff = utcnow() - stale_after
    stale = list(
        session.scalars(
            select(Job)
            .where(Job.status == JobStatus.RUNNING, Job.heartbeat_at < cutoff)
            .with_for_update(skip_locked=True)
        )
    )
    requeued, failed = [], []
    for job in stale:
        if job.attempts >= MAX_ATTEMPTS:
            job.status = JobStatus.FAILED
            job.error = f"the worker stopped during the job {job.attempts} times"
            job.finished_at = utcnow()
            failed.append(job.id)
        else:
            job.status = JobStatus.QUEUED
            job.step = "resuming: the worker running it stopped"
            requeued.append(job.id)
    return requeued, failed


def queued_jobs(session: Session) -> Iterable[int]:
    """The ids of every queued job, oldest first (a worker starting enqueues them again: a
    queue that lost its entries never strands a job)."""
    return list(
        session.scalars(select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id))
    )


def queue_depth(session: Session, kinds: Iterable[str]) -> list[tuple[tuple[str, str], float]]:
    """Jobs waiting (queued) and running, by kind and status, with a zero for each of `kinds`
    that has none: one GROUP BY over the (status, heartbeat) index."""
    counts = {(kind, status.value): 0.0 for kind in kinds for status in _WAITING_OR_RUNNING}
    rows = session.execute(
        select(Job.kind, Job.status, func.count())
        .where(Job.status.in_(_WAITING_OR_RUNNING))
        .group_by(Job.kind, Job.status)
    )
    for kind, status, count in rows:
        counts[kind, JobStatus(status).value] = float(count)
    return sorted(counts.items())


_WAITING_OR_RUNNING = (JobStatus.QUEUED, JobStatus.RUNNING)
