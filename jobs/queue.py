"""Huey, wired to the app: its storage from settings, one task that runs a job by id, and
periodic tasks: one finds jobs whose worker died (every minute), one deletes provisioning
activity older than its retention (every hour, `jobs.retention`).

Huey (huey.readthedocs.io) rather than a queue of our own: a consumer with worker threads,
periodic tasks, and storages for SQLite (one machine, nothing to run beside the service) and
Redis (several machines), in one small dependency. A task runs inside the app's context, as the
Graph reads need.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab

from jobs.progress import queue_depth, queued_jobs, reap_stale
from jobs.retention import prune_provisioning_activity
from jobs.runner import Handler, ProgressListener, run_job
from kinabase_m365.database import get_database
from kinabase_m365.metrics import GaugeSamples, ScrapeGauge, add_scrape_gauge
from kinabase_m365.runtime import current_settings
from kinabase_m365.settings import Settings

log = logging.getLogger(__name__)

EXTENSION_KEY = "kinabase.jobs"
QUEUE_NAME = "kinabase-m365"


def make_huey(settings: Settings) -> Huey:
    """Redis storage when REDIS_URL is set, else SQLite storage in JOBS_SQLITE_PATH."""
    if settings.redis_url:
        return RedisHuey(QUEUE_NAME, url=settings.redis_url)
    Path(settings.jobs_sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=settings.jobs_sqlite_path)


@dataclass
class Jobs:
    """The app's job handlers and, once opened, its Huey with the tasks registered."""

    app: Flask
    handlers: Mapping[str, Handler]
    _huey: Huey | None = field(default=None, repr=False)
    _run_task: Any = field(default=None, repr=False)

    @property
    def huey(self) -> Huey:
        """The Huey instance (its storage is opened now, the first time)."""
        if self._huey is None:
            with self.app.app_context():
                huey = make_huey(current_settings())
            self._run_task = huey.task(name="jobs.run")(self._run)
            huey.periodic_task(crontab(minute="*"), name="jobs.reap")(self._reap_periodically)
            huey.periodic_task(crontab(minute="17"), name="provisioning_activity.prune")(
                self._prune_periodically
            )
            self._huey = huey
        return self._huey

    def enqueue(self, job_id: int) -> None:
        """Hand the job to a worker."""
        _ = self.huey
        self._run_task(job_id)

    def run_here(self, job_id: int, listener: ProgressListener | None = None) -> bool:
        """Run the job in this process (the CLI; the consumer's task)."""
        with self.app.app_context():
            settings = current_settings()
            return run_job(
                get_database(self.app),
                job_id,
                self.handlers,
                heartbeat_seconds=max(settings.job_stale_seconds / 4, 0.5),
                listener=listener,
            )

    def reap(self, *, enqueue_waiting: bool = False) -> None:
        """Resume (or fail) jobs whose worker stopped; at a worker's start (`enqueue_waiting`),
        also enqueue every queued job again, in case the queue lost it (a claim runs each job
        once however often it is enqueued)."""
        with self.app.app_context():
            stale = timedelta(seconds=current_settings().job_stale_seconds)
            write_sessions = get_database(self.app).write_sessions
        with write_sessions() as session:
            requeued, failed = reap_stale(session, stale)
            session.commit()
            waiting = queued_jobs(session) if enqueue_waiting else requeued
        for job_id in requeued:
            log.warning("job %s lost its worker: resumed", job_id)
        for job_id in failed:
            log.warning("job %s lost its worker too often: failed", job_id)
        for job_id in waiting:
            self.enqueue(job_id)

    def prune_activity(self, now: datetime | None = None) -> int:
        """Delete the provisioning activity older than its retention (at `now`, default now)."""
        with self.app.app_context():
            days = current_settings().provisioning_activity_retention_days
            write_sessions = get_database(self.app).write_sessions
        return prune_provisioning_activity(write_sessions, days, now)

    def _reap_periodically(self) -> None:
        self.reap()

    def _prune_periodically(self) -> None:
        self.prune_activity()

    def _run(self, job_id: int) -> None:
        self.run_here(job_id)


def init_app(app: Flask, handlers: Mapping[str, Handler]) -> Jobs:
    """Give the app its job handlers (the queue opens on first use), and /metrics the queue's
    depth (`kinabase_m365_jobs`)."""
    jobs = Jobs(app, dict(handlers))
    app.extensions[EXTENSION_KEY] = jobs
    read_sessions = get_database(app).read_sessions

    def depth() -> GaugeSamples:
        with read_sessions() as session:
            return queue_depth(session, jobs.handlers)

    add_scrape_gauge(
        app,
        ScrapeGauge(
            "kinabase_m365_jobs",
            "Background jobs waiting (queued) or running, by kind, read at each scrape.",
            ("kind", "status"),
            depth,
        ),
    )
    return jobs


def app_jobs(app: Flask | None = None) -> Jobs:
    """The jobs of the given or current app."""
    jobs: Jobs = (app or current_app).extensions[EXTENSION_KEY]
    return jobs


def enqueue(job_id: int) -> None:
    """Hand the job to a worker (call after committing the job's row)."""
    app_jobs().enqueue(job_id)


def run_worker(app: Flask, workers: int = 2) -> None:
    """Run Huey's consumer until stopped: first resume what a dead worker left, then serve the
    queue with `workers` threads and the periodic check every minute."""
    jobs = app_jobs(app)
    jobs.reap(enqueue_waiting=True)
    consumer = jobs.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()
