"""The service started the way the README tells an operator to, for suites that speak HTTP to it.

`kinabase-m365 db upgrade`, `org create`, `token create`, then `kinabase-m365 serve --port P` on
127.0.0.1: a real gunicorn (the README's default workers) in production mode, on the
database under test. The commands are the installed console script, run as separate processes
with only the environment the README documents.

The server is always stopped when the `with` block ends, on success, failure or Ctrl-C: first
gunicorn's quick shutdown, then SIGKILL for whatever is left of its process group. Should the test
process itself be killed outright, Linux sends the server SIGTERM (`terminate_with_parent`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2

from benchmarks.servers import LOOPBACK, free_port, terminate_with_parent
from kinabase_m365.settings import ENVIRONMENT_VARIABLES

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3  # a free port can be taken by someone else before gunicorn binds it


class ServeError(RuntimeError):
    """A `kinabase-m365` command failed, or the server did not start."""


@dataclass(frozen=True)
class ServedService:
    """A running `kinabase-m365 serve`, with an organisation and its SCIM token."""

    base_url: str  # the SCIM base URL, http://127.0.0.1:PORT/scim/v2
    org_id: int
    token: str
    log_path: Path  # gunicorn's and the app's log: access lines, errors, tracebacks

    def log(self) -> str:
        """Everything the server has logged so far."""
        return self.log_path.read_text(errors="replace")


def kinabase_m365_command() -> str:
    """The installed `kinabase-m365` console script (beside this interpreter, else on PATH)."""
    beside = Path(sys.executable).with_name("kinabase-m365")
    found = str(beside) if beside.exists() else shutil.which("kinabase-m365")
    if found is None:
        raise ServeError("the kinabase-m365 command is not installed (make dev-install)")
    return found


def service_environment(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the service's settings, then the README's minimum
    (and `extra`, for a test of a setting)."""
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
        }
    )
    env.update(extra or {})
    return env


@contextlib.contextmanager
def serve_as_the_readme_says(
    database_url: str, workdir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[ServedService]:
    """Migrate, create an organisation and a token, serve; stop the server on leaving."""
    env = service_environment(database_url, extra_env)
    setup_log = workdir / "setup.log"
    _run(["db", "upgrade"], env, workdir, setup_log)
    org_id = int(_run(["org", "create", "--name", "Conformance"], env, workdir, setup_log))
    token = _run(
        ["token", "create", "--org", str(org_id), "--label", "conformance"],
        env,
        workdir,
        setup_log,
    )
    process, port, log_path = _start_on_a_free_port(env, workdir)
    try:
        yield ServedService(f"http://{LOOPBACK}:{port}/scim/v2", org_id, token, log_path)
    finally:
        _stop(process)


def _start_on_a_free_port(
    env: dict[str, str], workdir: Path
) -> tuple[subprocess.Popen[bytes], int, Path]:
    """`kinabase-m365 serve --port P`, ready; another port if someone took P first."""
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        log_path = workdir / f"serve-{port}.log"
        process = _start(["serve", "--port", str(port)], env, workdir, log_path)
        try:
            if _wait_until_ready(process, port, log_path, last_attempt=attempt == START_ATTEMPTS):
                return process, port, log_path
        except BaseException:
            _stop(process)
            raise
        _stop(process)
    raise ServeError(f"no free port after {START_ATTEMPTS} attempts")


def _run(arguments: list[str], env: dict[str, str], workdir: Path, log_path: Path) -> str:
    """Run `kinabase-m365 ARGUMENTS`; its stdout, stripped (the README: the id, the token)."""
    with log_path.open("ab") as log:
        completed = subprocess.run(
            [kinabase_m365_command(), *arguments],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            timeout=60,
            check=False,
        )
    if completed.returncode != 0:
        raise ServeError(f"kinabase-m365 {' '.join(arguments)} failed:\n{_tail(log_path)}")
    return completed.stdout.decode().strip()


def _start(
    arguments: list[str], env: dict[str, str], workdir: Path, log_path: Path
) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [kinabase_m365_command(), *arguments],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's master and workers
            preexec_fn=terminate_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
        )


def _wait_until_ready(
    process: subprocess.Popen[bytes], port: int, log_path: Path, *, last_attempt: bool
) -> bool:
    """Whether /healthz answered 200; False when the port was taken and another may be tried."""
    deadline = time.monotonic() + READY_TIMEOUT
    with httpx2.Client(base_url=f"http://{LOOPBACK}:{port}", timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                port_taken = "Connection in use" in _tail(log_path)
                if port_taken and not last_attempt:
                    return False
                raise ServeError(f"kinabase-m365 serve exited at start:\n{_tail(log_path)}")
            with contextlib.suppress(httpx2.TransportError):
                if http.get("/healthz").status_code == 200:
                    return True
            time.sleep(0.05)
    raise ServeError(f"kinabase-m365 serve not ready in {READY_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """gunicorn's quick shutdown (SIGINT), then SIGKILL to whatever is left of its process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)
    # Workers that outlived their master, or a master that would not stop.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(STOP_TIMEOUT)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
