"""`python -m benchmarks directory`: the directory pull's import of N users, as a worker runs it.

Each run is a process of its own: it seeds the Graph emulator (tests/emulators, in-process, so
Microsoft is never reached) with N users of one tenant, in a management tree ten wide, on
Graph's 999-user pages; migrates a fresh database; then runs one import job of every user
(`directory.jobs.run_import` through `jobs.queue.Jobs.run_here`, what a worker's task calls)
and reports users per second and memory: the process's resident size before the job (the
emulator's directory included) and its peak during the job (VmHWM). The import streams
the directory a page at a time, so the peak's growth over the start must not grow with N: the
run at N/4 beside the run at N shows it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.runner import ProgressListener

BACKENDS = ("sqlite", "postgresql")


def add_parser(commands: Any) -> None:
    """Register the `directory` command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "directory", help="import N directory users from the Graph emulator as a job"
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.set_defaults(handler=run_directory_command)


def run_directory_command(args: argparse.Namespace) -> int:
    """Run the import at N/4 and N users on each backend, print a table (and JSON lines)."""
    from benchmarks.servers import POSTGRES_ADMIN, POSTGRES_URL, postgresql_available  # noqa: PLC0415

    results = []
    for backend in args.backends.split(","):
        if backend == "postgresql" and not postgresql_available():
            print("postgresql skipped: PostgreSQL does not answer on 127.0.0.1:5432")
            continue
        for users in (args.n // 4, args.n):
            with tempfile.TemporaryDirectory() as workdir:
                if backend == "sqlite":
                    url = f"sqlite:///{Path(workdir) / 'pull.db'}"
                    results.append(_child(users, url, backend))
                    continue
                import psycopg  # noqa: PLC0415

                name = f"bench_pull_{os.getpid()}_{secrets.token_hex(3)}"
                with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                    admin.execute(f"CREATE DATABASE {name}")  # [a-z0-9_] only
                try:
                    results.append(_child(users, POSTGRES_URL.format(name=name), backend))
                finally:
                    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(f"{'backend':<11}{'users':>8}{'seconds':>9}{'users/s':>9}{'RSS before':>12}"
          f"{'peak':>9}{'growth':>9}")  # fmt: skip
    for r in results:
        print(
            f"{r['backend']:<11}{r['users']:>8}{r['seconds']:>9.1f}{r['users_per_second']:>9.0f}"
            f"{r['rss_before_mb']:>10.0f}MB{r['peak_mb']:>7.0f}MB{r['growth_mb']:>7.0f}MB"
        )
    for r in results:
        print(json.dumps(r))
    return 0


def _child(users: int, database_url: str, backend: str) -> dict[str, Any]:
    print(f"importing {users} directory users ({backend}) …", file=sys.stderr, flush=True)
    command = [sys.executable, "-m", "benchmarks.directory_pull", str(users), database_url]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"the import run failed:\n{finished.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(finished.stdout.splitlines()[-1])
    return {"backend": backend, **result}


class _Unrecorded(list[Any]):
    """A request log that keeps nothing."""

    def append(self, item: Any) -> None:
        """Forget the request."""


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def _status_mb(field: str) -> float:
    """A memory figure of /proc/self/status in MiB. VmRSS and VmHWM come from the same kernel
    counters, so a peak read later is never below an RSS read before (statm and `ru_maxrss`
    could disagree by a fraction of a MiB, and a small run then showed a peak under its start)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def import_in_this_process(
    users: int, database_url: str, listener: ProgressListener | None = None
) -> dict[str, Any]:
    """Seed, migrate, import; the figures of the run. `listener` is called after each of the job's
    transactions (`benchmarks.directory_memory` samples the memory there)."""
    from directory.jobs import start_import  # noqa: PLC0415
    from jobs.models import Job, JobStatus  # noqa: PLC0415
    from jobs.queue import app_jobs  # noqa: PLC0415
    from kinabase.accounts import create_organisation  # noqa: PLC0415
    from kinabase.organisations import bind_entra_tenant  # noqa: PLC0415
    from kinabase_m365 import migrate  # noqa: PLC0415
    from kinabase_m365.app import create_app  # noqa: PLC0415
    from kinabase_m365.database import get_database  # noqa: PLC0415
    from tests.emulators import emulate_microsoft  # noqa: PLC0415
    from tests.emulators.cloud import MicrosoftCloud  # noqa: PLC0415
    from tests.emulators.transport import transport_of  # noqa: PLC0415

    cloud = MicrosoftCloud(page_size=999)
    tenant = cloud.add_tenant("contoso.test")
    people = []
    for n in range(users):
        manager = people[(n - 1) // 10].object_id if n else None
        people.append(
            tenant.add_user(
                f"user{n:06}", f"User {n:06}", given_name="User", surname=f"{n:06}",
                job_title="Engineer", department="R&D", manager_id=manager,
            )
        )  # fmt: skip
    registration = cloud.register_app([])
    cloud.grant_consent(tenant.tenant_id, registration.client_id)
    microsoft = emulate_microsoft(cloud)
    # The emulators' transport keeps every request for tests to inspect; a worker talking to
    # Microsoft keeps none, so the benchmark's process must not either.
    transport_of(microsoft.session).recorded = _Unrecorded()
    migrate.upgrade(database_url)
    app = create_app(
        {
            "database_url": database_url,
            "secret_key": "benchmark",
            "environment": "test",
            "log_level": "WARNING",
            "microsoft_client_id": registration.client_id,
            "microsoft_client_secret": registration.client_secret or "",
        },
        http_session=microsoft.session,
    )
    with get_database(app).write_sessions() as session:
        organisation = create_organisation(session, "Bench", licence_seats=users + 10)
        bind_entra_tenant(session, organisation, tenant.tenant_id)
        job_id = start_import(session, organisation.id, everyone=True).id
        session.commit()
    before = _rss_mb()
    started = time.perf_counter()
    app_jobs(app).run_here(job_id, listener)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    with get_database(app).read_sessions() as session:
        job = session.get_one(Job, job_id)
        if job.status is not JobStatus.SUCCEEDED or job.done != users or job.failed:
            raise RuntimeError(f"the import did not succeed: {job.status} {job.error}")
    return {
        "users": users,
        "seconds": round(seconds, 2),
        "users_per_second": round(users / seconds, 1),
        "rss_before_mb": round(before, 1),
        "peak_mb": round(peak, 1),
        "growth_mb": round(peak - before, 1),
    }


if __name__ == "__main__":
    print(json.dumps(import_in_this_process(int(sys.argv[1]), sys.argv[2])))
