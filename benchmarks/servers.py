"""Start and stop the servers under test, each on its own free loopback port.

- scim2-server: python-scim's reference server (a dev dependency), resources in memory, one
  static bearer token, under gunicorn with one process and several threads. It cannot run in
  several processes: each would hold its own resources.
- ours: `kinabase-m365 db upgrade`, `org create`, `token create`, then gunicorn with the
  project's gunicorn.conf.py (as production serves; `--workers`/`--threads` as given) serving
  `benchmarks.ceiling_app:app` (the service plus the ceiling's trivial route), on a fresh SQLite
  file or a fresh PostgreSQL database that the harness creates and drops.

Logs go to files in the run's work directory. A server is ready when its
`/ServiceProviderConfig` answers 200 to its token; a server that exits or does not get ready in
time fails the run with the tail of its log.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
import requests
from gunicorn.config import Config as GunicornConfig

from benchmarks.entra import ENTRA, SCIM2_SERVER, Dialect
from benchmarks.load import Target
from benchmarks.scim2_app import TOKEN_VARIABLE

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
READY_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_TIMEOUT = 15.0

SCIM2_SERVER_NAME = "scim2-server"
OURS_SQLITE = "ours-sqlite"
OURS_POSTGRESQL = "ours-postgresql"
ALL_SERVERS = (SCIM2_SERVER_NAME, OURS_SQLITE, OURS_POSTGRESQL)


class ServerError(RuntimeError):
    """A server under test could not be prepared or started."""


@dataclass
class RunningServer:
    """A server under test, started by the harness."""

    name: str
    target: Target
    dialect: Dialect
    process: subprocess.Popen[bytes]
    log_path: Path
    notes: list[str] = field(default_factory=list)
    postgresql_database: str | None = None  # whose backends' CPU counts as this server's

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes and, on PostgreSQL, its backends."""
        pids = [self.process.pid, *child_pids(self.process.pid)]
        if self.postgresql_database is not None:
            pids.extend(postgresql_backends(self.postgresql_database))
        return sum(process_cpu_seconds(pid) for pid in pids)

    def worker_pids(self) -> list[int]:
        """The pids of the processes that serve requests (gunicorn's workers, or the server)."""
        children = child_pids(self.process.pid)
        return children or [self.process.pid]

    def stop(self) -> None:
        """Ask the server to stop; kill its process group if it does not within a few seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)


@dataclass(frozen=True)
class OurDatabase:
    """A migrated database of ours with one organisation and a SCIM token for it."""

    url: str
    org_id: int
    token: str
    postgresql_database: str | None = None


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def child_pids(parent: int) -> list[int]:
    """The pids of the live processes whose parent is `parent` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: the fields after it are fixed.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a live process (0 when it is gone), from /proc/PID/stat."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    # fields[0] is field 3 of proc(5), the state; utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgresql_backends(database: str) -> list[int]:
    """The pids of the PostgreSQL backends connected to `database`."""
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchall()
    return [int(row[0]) for row in rows]


def postgresql_available() -> bool:
    """Whether the local PostgreSQL answers as user postgres."""
    try:
        with psycopg.connect(POSTGRES_ADMIN):
            return True
    except psycopg.OperationalError:
        return False


def start_scim2_server(stack: ExitStack, workdir: Path, *, threads: int) -> RunningServer:
    """python-scim's scim2-server under gunicorn: one process, `threads` threads.

    One process because its resources live in memory; see benchmarks/scim2_app.py for why not
    its own `scim2-server` command.
    """
    token = secrets.token_urlsafe(24)
    port = free_port()
    command = [
        *_gunicorn(port, workers=1, timeout=300),
        # Not the project's gunicorn.conf.py (read from the working directory by default):
        # scim2_app defines no gunicorn setting, so this is gunicorn's defaults.
        "--config",
        "python:benchmarks.scim2_app",
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "benchmarks.scim2_app:create_app()",
    ]
    server = _spawn(
        stack,
        SCIM2_SERVER_NAME,
        command,
        target=Target(f"http://{LOOPBACK}:{port}/v2", token),
        dialect=SCIM2_SERVER,
        workdir=workdir,
        env={**os.environ, TOKEN_VARIABLE: token},
    )
    server.notes.append(
        f"scim2-server {version('scim2-server')}: gunicorn, 1 process (in-memory storage), "
        f"{threads} threads"
    )
    return server


def _gunicorn(port: int, *, workers: int, timeout: int) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"{LOOPBACK}:{port}",
        "--timeout",
        str(timeout),
    ]
    # Recent gunicorns open a control socket at one fixed path per user; several servers at
    # once (ours, scim2-server, a developer's `make run`) would take it from each other.
    if "control_socket_disable" in GunicornConfig().settings:
        command.append("--no-control-socket")
    return command


def prepare_sqlite(workdir: Path, name: str, seats: int) -> OurDatabase:
    """A fresh SQLite database file under `workdir`, migrated, with an organisation and a token."""
    url = f"sqlite:///{workdir / (name + '.db')}"
    return _provision(url, seats, workdir / f"{name}-setup.log")


def prepare_postgresql(stack: ExitStack, workdir: Path, name: str, seats: int) -> OurDatabase:
    """A fresh PostgreSQL database (dropped when `stack` closes), migrated and provisioned."""
    database = f"bench_{name.replace('-', '_')}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")  # name made above from [a-z0-9_] only

    def drop() -> None:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")

    stack.callback(drop)
    provisioned = _provision(
        POSTGRES_URL.format(name=database), seats, workdir / f"{name}-setup.log"
    )
    return dataclasses.replace(provisioned, postgresql_database=database)


def start_ours(
    stack: ExitStack,
    name: str,
    database: OurDatabase,
    workdir: Path,
    *,
    workers: int | None = None,
    threads: int | None = None,
) -> RunningServer:
    """gunicorn with the repository's gunicorn.conf.py on a free loopback port, serving the
    service and the ceiling's route; `workers` (and `threads`, if given) override it."""
    port = free_port()
    configured = _configured()
    workers = workers if workers is not None else int(configured["workers"])
    threads = threads if threads is not None else int(configured["threads"])
    command = [*_gunicorn(port, workers=workers, timeout=300)]
    if threads is not None:
        command += ["--threads", str(threads)]
    command.append("benchmarks.ceiling_app:app")
    server = _spawn(
        stack,
        name,
        command,
        target=Target(f"http://{LOOPBACK}:{port}/scim/v2", database.token),
        dialect=ENTRA,
        workdir=workdir,
        env=_our_environment(database.url),
    )
    server.postgresql_database = database.postgresql_database
    server.notes.append(
        f"{name}: gunicorn (gunicorn.conf.py), {workers} gthread workers x {threads} threads"
    )
    return server


def _configured() -> dict[str, Any]:
    """gunicorn.conf.py's settings (WEB_CONCURRENCY and GUNICORN_THREADS applied)."""
    from kinabase_m365.server import gunicorn_settings  # noqa: PLC0415 - imports the app

    return gunicorn_settings()


def _our_environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "KINABASE_ENV": "production",
            "KINABASE_SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": database_url,
            # The benchmark measures the server at full speed (400 reads a second from one
            # token), past the per-token allowance that protects it in service.
            "SCIM_RATE_LIMIT": "off",
        }
    )
    return env


def _provision(url: str, seats: int, log_path: Path) -> OurDatabase:
    env = _our_environment(url)
    _cli(["db", "upgrade"], env, log_path)
    org_id = int(
        _cli(["org", "create", "--name", "Benchmark", "--seats", str(seats)], env, log_path)
    )
    token = _cli(["token", "create", "--org", str(org_id), "--label", "benchmark"], env, log_path)
    return OurDatabase(url=url, org_id=org_id, token=token)


def _cli(arguments: list[str], env: dict[str, str], log_path: Path) -> str:
    """Run `kinabase-m365 ARGUMENTS` and return its stdout, stripped."""
    command = [
        sys.executable,
        "-c",
        "import sys; from kinabase_m365.cli import main; sys.exit(main())",
        *arguments,
    ]
    with log_path.open("ab") as log:
        completed = subprocess.run(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=log, check=False
        )
    if completed.returncode != 0:
        raise ServerError(f"kinabase-m365 {' '.join(arguments)} failed; see {log_path}")
    return completed.stdout.decode().strip()


def _spawn(
    stack: ExitStack,
    name: str,
    command: list[str],
    *,
    target: Target,
    dialect: Dialect,
    workdir: Path,
    env: dict[str, str],
) -> RunningServer:
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=terminate_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
        )
    server = RunningServer(name, target, dialect, process, log_path)
    stack.callback(server.stop)
    _wait_until_ready(server)
    return server


def terminate_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the harness dies.

    The harness stops its servers itself on a normal exit, Ctrl-C or SIGTERM; this covers a
    harness killed outright (SIGKILL, a test's timeout), so that no server outlives it.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_until_ready(server: RunningServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    url = server.target.base_url + "/ServiceProviderConfig"
    with server.target.session() as session:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise ServerError(f"{server.name} exited at start:\n{_tail(server.log_path)}")
            with contextlib.suppress(requests.RequestException):
                if session.get(url, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
    raise ServerError(
        f"{server.name} was not ready within {READY_TIMEOUT:.0f} s:\n{_tail(server.log_path)}"
    )


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
