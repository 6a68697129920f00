"""The service under gunicorn on loopback, as a real process, for the browser tests.

`gunicorn 'tests.browser.served_app:create()'` on 127.0.0.1, in production mode (Secure cookies:
Chromium accepts them from http://localhost), on the database under test, with PUBLIC_BASE_URL
http://localhost:PORT and the Microsoft app registration the tests' clouds carry
(`tests.browser.microsoft.REGISTRATION`). One worker with threads: the browser's parallel
requests (page, stylesheet, script) are served at once.

The server is stopped when the `with` block ends: gunicorn's quick shutdown, then SIGKILL for
whatever is left of its process group; Linux sends it SIGTERM should the test process die first.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from gunicorn.config import Config as GunicornConfig

from benchmarks.servers import LOOPBACK, free_port, terminate_with_parent
from kinabase_m365.settings import ENVIRONMENT_VARIABLES
from tests.browser.served_app import RELAY_VARIABLE

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3  # a free port can be taken by someone else before gunicorn binds it


class ServerError(RuntimeError):
    """The service did not start."""


@dataclass(frozen=True)
class ServedConsole:
    """A running service: its address as the browser reaches it, and its log."""

    base_url: str  # http://localhost:PORT
    log_path: Path

    def log(self) -> str:
        """Everything the server has logged so far (requests, errors, tracebacks)."""
        return self.log_path.read_text(errors="replace")


def server_environment(
    database_url: str, port: int, relay_url: str, settings: dict[str, str]
) -> dict[str, str]:
    """This process's environment without the service's settings, then the service's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ENVIRONMENT_VARIABLES
        and name not in ("PORT", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        {
            "KINABASE_ENV": "production",
            "KINABASE_SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": database_url,
            "PUBLIC_BASE_URL": f"http://localhost:{port}",
            RELAY_VARIABLE: relay_url,
            **settings,
        }
    )
    return env


def gunicorn_command(port: int) -> list[str]:
    """gunicorn serving the test entry module on loopback."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{LOOPBACK}:{port}",
        "--workers",
        "1",
        "--threads",
        "4",
        "--timeout",
        "60",
        "--chdir",
        str(REPO_ROOT),
    ]
    # Recent gunicorns open a control socket at one fixed path per user, which concurrent
    # servers would fight over.
    if "control_socket_disable" in GunicornConfig().settings:
        command.append("--no-control-socket")
    return [*command, "tests.browser.served_app:create()"]


@contextlib.contextmanager
def serve_console(
    database_url: str, relay_url: str, workdir: Path, settings: dict[str, str]
) -> Iterator[ServedConsole]:
    """Start the service (another port if someone took the first); stop it on leaving."""
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        log_path = workdir / f"gunicorn-{port}.log"
        env = server_environment(database_url, port, relay_url, settings)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                gunicorn_command(port),
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: master and worker
                preexec_fn=terminate_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
            )
        try:
            if _ready(process, port, log_path, last_attempt=attempt == START_ATTEMPTS):
                yield ServedConsole(f"http://localhost:{port}", log_path)
                return
        finally:
            _stop(process)
    raise ServerError(f"no free port after {START_ATTEMPTS} attempts")


def _ready(
    process: subprocess.Popen[bytes], port: int, log_path: Path, *, last_attempt: bool
) -> bool:
    """Whether /healthz answered 200; False when the port was taken and another may be tried."""
    deadline = time.monotonic() + READY_TIMEOUT
    with requests.Session() as http:
        http.trust_env = False
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = _tail(log_path)
                if "Connection in use" in log and not last_attempt:
                    return False
                raise ServerError(f"gunicorn exited at start:\n{log}")
            with contextlib.suppress(requests.RequestException):
                if http.get(f"http://{LOOPBACK}:{port}/healthz", timeout=5).status_code == 200:
                    return True
            time.sleep(0.05)
    raise ServerError(f"gunicorn not ready in {READY_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(STOP_TIMEOUT)


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
