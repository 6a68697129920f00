"""Serving with gunicorn: the settings that `kinabase-m365 serve`, `make run` and a plain
`gunicorn wsgi:app` (through the project's gunicorn.conf.py) all use.

Workers and threads (chosen by measurement, docs/performance.md, "Serving"):
`WEB_CONCURRENCY` processes (default 4, two per core of a small machine), each a `gthread`
worker with `GUNICORN_THREADS` threads (default 2). Threads overlap a request's waits
(PostgreSQL's round trips, SQLite's writer lock) with another's work; fewer threads per process
leave the holder of SQLite's writer lock fewer threads to share its process's GIL with. The
gthread worker keeps a client's connection alive between requests, as Entra's provisioning
service reuses it.

Metrics are shared by the workers through prometheus-client's multiprocess mode: `serve` points
PROMETHEUS_MULTIPROC_DIR at an empty directory before gunicorn starts (a new temporary one,
removed on exit, unless the variable names one, which is emptied), and gunicorn's `child_exit`
hook tells prometheus-client when a worker is gone. The request log replaces gunicorn's access
log: one JSON line per request from the app itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.config import Config
from prometheus_client import multiprocess

from kinabase_m365.app import create_app
from kinabase_m365.metrics import MULTIPROCESS_DIRECTORY

DEFAULT_WORKERS = 4
DEFAULT_THREADS = 2
KEEPALIVE_SECONDS = 75  # longer than the idle timeout of the usual reverse proxies


def _positive(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def gunicorn_settings() -> dict[str, Any]:
    """gunicorn's settings for this service (bind and workers may be overridden)."""
    settings: dict[str, Any] = {
        "workers": _positive("WEB_CONCURRENCY", DEFAULT_WORKERS),
        "worker_class": "gthread",
        "threads": _positive("GUNICORN_THREADS", DEFAULT_THREADS),
        "keepalive": KEEPALIVE_SECONDS,
        "accesslog": None,
        "child_exit": child_exit,
        "pre_request": close_after_large_bodies,
        # Entra gives up on a request after about 60 s; answer or fail before it does.
        "timeout": 60,
        # gunicorn's longest request line, so that the service answers URLs over its own
        # limit (scim_server.resources.request_limits) with 414 and a SCIM body.
        "limit_request_line": 8190,
    }
    # gunicorn 25+ opens a control socket at one fixed path per user, which a second server on
    # the same machine would fight over; the service does not use it.
    if "control_socket_disable" in Config().settings:
        settings["control_socket_disable"] = True
    return settings


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app()


# gthread drains at most 64 KiB of a body the application did not read (a 413 refuses a body
# unread) before it keeps the connection; past that it closes without saying so.
DRAINED_BODY_BYTES = 64 * 1024


def close_after_large_bodies(worker: Any, req: Any) -> None:
    """gunicorn hook: a request whose body may be larger than gunicorn drains (chunked, or
    declared over 64 KiB) is answered with `Connection: close`, so that a client whose body was
    refused unread is told that the connection ends, rather than finding it closed under its
    next request. Every other connection is kept alive."""
    for name, value in req.headers:
        if name == "TRANSFER-ENCODING" or (
            name == "CONTENT-LENGTH" and (not value.isdigit() or int(value) > DRAINED_BODY_BYTES)
        ):
            req.must_close = True
            return


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook: a worker is gone; its live gauges go with it (its counts stay)."""
    if os.environ.get(MULTIPROCESS_DIRECTORY):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """An empty PROMETHEUS_MULTIPROC_DIR for this server's workers, set in the environment."""
    configured = os.environ.get(MULTIPROCESS_DIRECTORY)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="kinabase-m365-metrics-"))
    os.environ[MULTIPROCESS_DIRECTORY] = str(directory)
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROCESS_DIRECTORY, None)
        shutil.rmtree(directory, ignore_errors=True)


def serve(host: str, port: int, workers: int | None = None) -> None:
    """Serve the app with gunicorn until interrupted (`workers` None: `gunicorn_settings`')."""
    options = {**gunicorn_settings(), "bind": f"{host}:{port}"}
    if workers is not None:
        options["workers"] = workers
    with metrics_directory():
        _Gunicorn(options).run()
