"""Per-request cost of Entra's single-user requests, in-process (issue 15).

`python -m benchmarks.inprocess [--n 300] [--database-url URL]` runs the workload's request
bodies through Flask's test client against a fresh, migrated database (a new SQLite file unless a
URL is given): create, PATCH manager, filter by userName, PATCH title, delete, `n` users per
phase. It runs the phases twice: once to measure, per request, the CPU time of this process
(`time.process_time`, the database's own work included only for SQLite) and the SQL statements
(BEGIN included), and once under cProfile to count Python calls, a measure that does not depend
on the machine's load. Printed: one line per phase with the medians and means.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from benchmarks import entra
from kinabase.accounts import create_organisation
from kinabase.database import make_sessionmakers
from kinabase.provisioning_tokens import issue_token
from kinabase_m365 import migrate
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database

BASE = "/scim/v2"
PHASES = ("create", "PATCH manager", "filter", "PATCH title", "delete")
UNREACHED_RATE_LIMIT = "1000000/second"


@dataclass
class Costs:
    """What each request of one phase cost."""

    cpu_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)


def _app(database_url: str) -> tuple[Flask, str]:
    migrate.upgrade(database_url)
    app = create_app(
        {
            "database_url": database_url,
            "environment": "test",
            "secret_key": "bench-secret",
            # Counted as in production, but never reached: one client in-process can outrun a
            # per-second allowance on a fast machine, and a 429 is not what is measured.
            "scim_rate_limit": UNREACHED_RATE_LIMIT,
        }
    )
    _, write_sessions = make_sessionmakers(get_database(app).engine)
    with write_sessions() as session:
        organisation = create_organisation(session, "Bench", licence_seats=1_000_000)
        secret = issue_token(session, organisation.id, "bench").secret
        session.commit()
    return app, secret


@contextmanager
def _counting(app: Flask) -> Iterator[list[int]]:
    count = [0]

    def record(*args: Any) -> None:
        count[0] += 1

    engine = get_database(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _requests(
    run: str, n: int, ids: dict[int, str]
) -> Iterator[tuple[str, str, str, dict[str, Any] | None, int | None]]:
    """(phase, method, path, body, index of a user created) in the workload's order; lazily, so
    that `ids` has filled in as users are created."""
    for i in range(n):
        yield "create", "POST", "/Users", entra.create_user(run, i), i
    for i in range(1, n):
        body = entra.set_manager(ids[(i - 1) // 10], entra.ENTRA)
        yield "PATCH manager", "PATCH", f"/Users/{ids[i]}", body, None
    for i in range(n):
        query = entra.user_name_filter(entra.user_name(run, i))
        yield "filter", "GET", f"/Users?{query}", None, None
    for i in range(n):
        yield "PATCH title", "PATCH", f"/Users/{ids[i]}", entra.replace_title(f"P {i}"), None
    for i in range(n):
        yield "delete", "DELETE", f"/Users/{ids[i]}", None, None


def measure(database_url: str, n: int, *, profile: bool, run: str) -> dict[str, Costs]:
    """Run the phases once against the database; profile=True counts calls instead of CPU."""
    app, secret = _app(database_url)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Accept": "application/scim+json"}
    client.get(BASE + "/Users?count=1", headers=headers)  # warm-up: token last use, caches
    ids: dict[int, str] = {}
    costs = {phase: Costs() for phase in PHASES}
    with _counting(app) as count:
        for phase, method, path, body, index in _requests(run, n, ids):
            kwargs: dict[str, Any] = {"headers": headers}
            if body is not None:
                kwargs.update(json=body, content_type="application/scim+json")
            before_statements = count[0]
            profiler = cProfile.Profile() if profile else None
            started = time.process_time()
            if profiler is not None:
                profiler.enable()
            response = client.open(BASE + path, method=method, **kwargs)
            response.get_data()
            response.close()
            if profiler is not None:
                profiler.disable()
            elapsed = time.process_time() - started
            if response.status_code >= 300:
                raise SystemExit(f"{phase} {path}: {response.status_code} {response.get_data()!r}")
            if index is not None:
                ids[index] = response.json["id"]  # type: ignore[index]
            cost = costs[phase]
            cost.statements.append(count[0] - before_statements)
            if profiler is not None:
                stats = pstats.Stats(profiler)
                cost.calls.append(stats.total_calls)  # type: ignore[attr-defined]
            else:
                cost.cpu_ms.append(elapsed * 1000)
    get_database(app).engine.dispose()
    return costs


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--database-url", help="default: a new SQLite file per pass")
    parser.add_argument(
        "--no-calls", action="store_true", help="skip the cProfile pass (to sample with py-spy)"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:

        def url(name: str) -> str:
            return arguments.database_url or f"sqlite:///{Path(directory) / name}"

        timed = measure(url("timed.db"), arguments.n, profile=False, run="t")
        profiled = (
            timed
            if arguments.no_calls
            else measure(url("profiled.db"), arguments.n, profile=True, run="p")
        )
    print(f"{'request':<14} {'calls':>8} {'stmts':>6} {'CPU ms median':>14} {'CPU ms mean':>12}")
    for phase in PHASES:
        cpu = timed[phase].cpu_ms
        print(
            f"{phase:<14} {statistics.median(profiled[phase].calls or [0]):>8.0f} "
            f"{statistics.median(timed[phase].statements):>6.0f} "
            f"{statistics.median(cpu):>14.2f} {statistics.fmean(cpu):>12.2f}"
        )


if __name__ == "__main__":
    main()
