"""One way to serve: `gunicorn wsgi:app` from the project's root reads gunicorn.conf.py, which
holds the settings `kinabase-m365 serve` (and so `make run`) uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kinabase_m365.server import DEFAULT_THREADS, DEFAULT_WORKERS, gunicorn_settings

REPO_ROOT = Path(__file__).resolve().parents[2]

# What gunicorn itself makes of `gunicorn wsgi:app` in the project's root (its config file
# included), without starting a server.
PRINT_CONFIG = """
import sys
from gunicorn.app.wsgiapp import WSGIApplication
sys.argv = ["gunicorn", "wsgi:app"]
cfg = WSGIApplication().cfg
print(cfg.worker_class_str, cfg.workers, cfg.threads, cfg.keepalive, cfg.limit_request_line,
      cfg.pre_request.__name__, cfg.child_exit.__name__)
"""


def _plain_gunicorn(env: dict[str, str]) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-c", PRINT_CONFIG],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return completed.stdout.split()


def test_plain_gunicorn_serves_as_serve_does(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"PATH": "/usr/bin:/bin", "KINABASE_ENV": "development"}
    assert _plain_gunicorn(env) == [
        "gthread",
        str(DEFAULT_WORKERS),
        str(DEFAULT_THREADS),
        "75",
        "8190",
        "close_after_large_bodies",
        "child_exit",
    ]
    sized = _plain_gunicorn({**env, "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "6"})
    assert sized[1:3] == ["3", "6"]

    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "not a number")
    settings = gunicorn_settings()
    assert (settings["worker_class"], settings["workers"], settings["threads"]) == (
        "gthread",
        5,
        DEFAULT_THREADS,
    )
