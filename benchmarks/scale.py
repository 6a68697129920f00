"""Scale mode: single operations at 100,000 users and members against the same at 1,000 and 10.

For each backend (SQLite, PostgreSQL) two databases are seeded straight into the SCIM store
tables (benchmarks/seed.py): a small one (1,000 users, a 10-member group) and a large one
(100,000 users, a 100,000-member group). One gunicorn serves each. The operations run one at a
time (concurrency 1), alternating small and large request by request so that the noise of the
machine falls on both alike; each is repeated (50 times by default, after a warm-up) on a
different user or member, and the median is compared with the targets of issue 6:

- `userName eq` lookup, single-user PATCH and GET by id: at most 1.5 times their cost at 1,000;
- adding or removing one member of the 100,000-member group: at most 1.5 times the cost for 10;
- GET of that group with `excludedAttributes=members`: likewise;
- creating a user (POST): at most 1.2 times its cost at 1,000 (issue 15: the seat check is a
  counter on the organisation, not a count of its users).

Then a gunicorn with a single worker serves the large database, and its peak resident memory
(VmHWM in /proc/PID/status; no dependency needed) is read before and after it serves a GET of the
full 100,000-member group: the target is growth within 50 MB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from benchmarks import entra
from benchmarks.load import OK_CREATE, OK_DELETE, OK_WRITE, Call, send
from benchmarks.runs import add_common_options, machine_summary, remove_databases, workdir_of
from benchmarks.servers import (
    OurDatabase,
    RunningServer,
    postgresql_available,
    prepare_postgresql,
    prepare_sqlite,
    start_ours,
)

COST_TARGET = 1.5
MEMORY_TARGET_MB = 50.0
WARM_UP = 5
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Seeded:
    """What the seeder put in a database, and samples of it for the timed operations."""

    users: int
    members: int
    group_id: str
    sample_user_ids: list[str]  # users spread over the whole table
    sample_user_names: list[str]  # the userNames of the same users
    sample_member_ids: list[str]  # members of the group, spread over it


@dataclass
class Site:
    """A seeded database and the server that serves it."""

    label: str
    seeded: Seeded
    server: RunningServer
    session: requests.Session = field(init=False)
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    created: dict[int, str] = field(default_factory=dict)  # repetition -> id of the user it made

    def __post_init__(self) -> None:
        self.session = self.server.target.session()


Operation = Callable[[Site, int], Call]


def _pick(values: list[str], repetition: int) -> str:
    return values[repetition % len(values)]


def _one_match(response: requests.Response) -> str | None:
    total = response.json().get("totalResults")
    return None if total == 1 else f"totalResults={total}, expected 1"


def _no_members(response: requests.Response) -> str | None:
    return "members were returned" if "members" in response.json() else None


OPERATIONS: tuple[tuple[str, Operation], ...] = (
    (
        "filter userName eq",
        lambda site, i: Call(
            "GET",
            "/Users?" + entra.user_name_filter(_pick(site.seeded.sample_user_names, i)),
            check=_one_match,
        ),
    ),
    (
        "GET user by id",
        lambda site, i: Call("GET", f"/Users/{_pick(site.seeded.sample_user_ids, i)}"),
    ),
    (
        "PATCH user (replace title)",
        lambda site, i: Call(
            "PATCH",
            f"/Users/{_pick(site.seeded.sample_user_ids, i)}",
            entra.replace_title(f"Scale {i}"),
            OK_WRITE,
        ),
    ),
    # Remove a member, then add it back: the group keeps its size across repetitions.
    (
        "group: remove 1 member",
        lambda site, i: Call(
            "PATCH",
            f"/Groups/{site.seeded.group_id}",
            entra.remove_member(_pick(site.seeded.sample_member_ids, i)),
            OK_WRITE,
        ),
    ),
    (
        "group: add 1 member",
        lambda site, i: Call(
            "PATCH",
            f"/Groups/{site.seeded.group_id}",
            entra.add_members([_pick(site.seeded.sample_member_ids, i)]),
            OK_WRITE,
        ),
    ),
    (
        "GET group excl. members",
        lambda site, i: Call(
            "GET", f"/Groups/{site.seeded.group_id}?excludedAttributes=members", check=_no_members
        ),
    ),
)


def _create(site: Site, repetition: int) -> Call:
    def remember(response: requests.Response) -> str | None:
        site.created[repetition] = response.json()["id"]
        return None

    body = entra.create_user("scale", repetition)
    return Call("POST", "/Users", body, OK_CREATE, remember)


# Entra's first cycle creates every user, and deprovisioning deletes them; a DELETE is reported
# beside the targets, without one of its own.
EXTRA_OPERATIONS: tuple[tuple[str, Operation], ...] = (
    ("POST user (create)", _create),
    (
        "DELETE user (the one just created)",
        lambda site, i: Call("DELETE", f"/Users/{site.created.get(i, 'none')}", expect=OK_DELETE),
    ),
)
CREATE_TARGET = 1.2
TARGETS: dict[str, float] = {name: COST_TARGET for name, _ in OPERATIONS} | {
    "POST user (create)": CREATE_TARGET
}


def time_operations(small: Site, large: Site, repetitions: int, deadline: float) -> None:
    """Run every operation `repetitions` times on both sites, alternating; fill `timings`."""
    for repetition in range(WARM_UP + repetitions):
        if time.monotonic() >= deadline:
            large.errors.append(f"time cap reached after {repetition} repetitions")
            return
        for name, operation in OPERATIONS + EXTRA_OPERATIONS:
            for site in (small, large) if repetition % 2 == 0 else (large, small):
                call = operation(site, repetition)
                began = time.perf_counter()
                response = send(site.session, site.server.target.base_url, call)
                elapsed = time.perf_counter() - began
                problem = None
                if response.status_code not in call.expect:
                    problem = f"{response.status_code}: {response.text[:200]}"
                elif call.check is not None:
                    problem = call.check(response)
                if problem is not None:
                    site.errors.append(f"{name}: {problem}")
                if repetition >= WARM_UP:
                    site.timings.setdefault(name, []).append(elapsed)


# --- memory ---------------------------------------------------------------------------------


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


@dataclass(frozen=True)
class MemoryReading:
    """A single worker's memory around one GET of the full group."""

    rss_before_mb: float
    hwm_before_mb: float
    hwm_after_mb: float
    sampled_peak_mb: float
    seconds: float
    status: int
    members_returned: int
    body_mb: float

    @property
    def growth_mb(self) -> float:
        """How far the peak (VmHWM, or a higher 10 ms sample of VmRSS) rose above the RSS before.

        The kernel updates VmHWM lazily, so a sample of VmRSS can read slightly above it.
        """
        return max(self.hwm_after_mb, self.sampled_peak_mb) - self.rss_before_mb


def measure_full_group_memory(server: RunningServer, seeded: Seeded) -> MemoryReading:
    """Warm a single-worker server up, then read its memory around a GET of the full group."""
    (worker,) = server.worker_pids()
    with server.target.session() as session:
        base = server.target.base_url
        # Warm-up: import and cache whatever the first requests load, on small responses.
        for path in (
            f"/Users/{seeded.sample_user_ids[0]}",
            f"/Groups/{seeded.group_id}?excludedAttributes=members",
            "/Users?" + entra.user_name_filter(seeded.sample_user_names[0]),
        ):
            session.get(base + path, timeout=60)
        before = memory_kb(worker)
        peak = [before["VmRSS"]]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.01):
                try:
                    peak[0] = max(peak[0], memory_kb(worker)["VmRSS"])
                except OSError:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.perf_counter()
        response = session.get(f"{base}/Groups/{seeded.group_id}", timeout=600)
        seconds = time.perf_counter() - began
        done.set()
        sampler.join()
        after = memory_kb(worker)
    members = len(response.json().get("members", [])) if response.status_code == 200 else 0
    return MemoryReading(
        rss_before_mb=before["VmRSS"] / 1024,
        hwm_before_mb=before["VmHWM"] / 1024,
        hwm_after_mb=after["VmHWM"] / 1024,
        sampled_peak_mb=peak[0] / 1024,
        seconds=seconds,
        status=response.status_code,
        members_returned=members,
        body_mb=len(response.content) / 1024 / 1024,
    )


# --- the command ----------------------------------------------------------------------------


def add_parser(commands: Any) -> None:
    """Register the `scale` command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "scale", help="single operations at 100,000 users/members vs 1,000 users/10 members"
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--small-users", type=int, default=1_000)
    parser.add_argument("--small-members", type=int, default=10)
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers for timings")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="cap for the run")
    add_common_options(parser)
    parser.set_defaults(handler=run_scale_command)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_scale_command(args: argparse.Namespace) -> int:
    """Seed, time, measure memory and print the tables, for each backend."""

    started = time.monotonic()
    deadline = started + args.max_seconds
    workdir = workdir_of(args)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    notes: list[str] = []
    if "postgresql" in backends and not postgresql_available():
        backends.remove("postgresql")
        notes.append("postgresql skipped: PostgreSQL does not answer on 127.0.0.1:5432")
    sample = WARM_UP + args.repetitions
    timing_rows: list[dict[str, Any]] = []
    memory_rows: list[dict[str, Any]] = []
    _log(f"benchmark scale: {args.users} users / {args.members} members; logs in {workdir}")
    for backend in backends:
        with ExitStack() as stack:
            small_db, small = _seed(
                stack,
                backend,
                "small",
                users=args.small_users,
                members=args.small_members,
                sample=sample,
                workdir=workdir,
            )
            large_db, large = _seed(
                stack,
                backend,
                "large",
                users=args.users,
                members=args.members,
                sample=sample,
                workdir=workdir,
            )
            small_site = Site(
                f"{args.small_users:,} users / {args.small_members} members",
                small,
                start_ours(stack, f"{backend}-small", small_db, workdir, workers=args.workers),
            )
            large_site = Site(
                f"{args.users:,} users / {args.members:,} members",
                large,
                start_ours(stack, f"{backend}-large", large_db, workdir, workers=args.workers),
            )
            _log(f"{backend}: timing {args.repetitions} repetitions of each operation")
            time_operations(small_site, large_site, args.repetitions, deadline)
            timing_rows.extend(_timing_rows(backend, small_site, large_site))
            for site in (small_site, large_site):
                site.session.close()
                notes.extend(f"{backend} {site.label}: {error}" for error in site.errors[:5])
                site.server.stop()
            _log(f"{backend}: memory of one worker around a GET of the full group")
            single = start_ours(stack, f"{backend}-large-1worker", large_db, workdir, workers=1)
            reading = measure_full_group_memory(single, large)
            memory_rows.append(
                {"backend": backend, **reading.__dict__, "growth_mb": reading.growth_mb}
            )
    if not args.keep_databases:
        remove_databases(workdir)
    print(f"Scale mode; {machine_summary()}\n")
    print(timing_table(timing_rows, args.repetitions))
    print()
    print(memory_table(memory_rows, args.members))
    if notes:
        print("\nNotes:")
        for note in notes:
            print(f"- {note}")
    print(f"\nTotal wall-clock time: {time.monotonic() - started:.0f} s")
    if args.json is not None:
        args.json.write_text(
            json.dumps({"timings": timing_rows, "memory": memory_rows, "notes": notes}, indent=2)
        )
    return 0


def _seed(
    stack: ExitStack,
    backend: str,
    size: str,
    *,
    users: int,
    members: int,
    sample: int,
    workdir: Path,
) -> tuple[OurDatabase, Seeded]:
    from benchmarks.seed import seed_database  # noqa: PLC0415 - needs the store tables

    name = f"{backend}-{size}"
    seats = users + 100
    if backend == "sqlite":
        database = prepare_sqlite(workdir, name, seats)
    else:
        database = prepare_postgresql(stack, workdir, name, seats)
    began = time.monotonic()
    seeded = seed_database(database, users=users, members=members, sample=sample)
    _log(f"{name}: seeded {users} users, {members} members in {time.monotonic() - began:.1f} s")
    return database, seeded


def _timing_rows(backend: str, small: Site, large: Site) -> list[dict[str, Any]]:
    rows = []
    for name, _ in OPERATIONS + EXTRA_OPERATIONS:
        small_times, large_times = small.timings.get(name, []), large.timings.get(name, [])
        if not small_times or not large_times:
            continue
        small_ms = statistics.median(small_times) * 1000
        large_ms = statistics.median(large_times) * 1000
        rows.append(
            {
                "operation": name,
                "backend": backend,
                "repetitions": len(large_times),
                "small_median_ms": round(small_ms, 2),
                "large_median_ms": round(large_ms, 2),
                "ratio": round(large_ms / small_ms, 2),
                "target": TARGETS.get(name),
            }
        )
    return rows


def timing_table(rows: list[dict[str, Any]], repetitions: int) -> str:
    """Medians at the small and the large size, their ratio, and each operation's target."""
    lines = [
        "| operation | backend | median small (ms) | median large (ms) | large / small "
        "| target | verdict |",
        "|---|---|---:|---:|---:|---:|:---:|",
    ]
    for row in rows:
        target = row["target"]
        verdict = "(no target)"
        if target is not None:
            verdict = "met" if row["ratio"] <= target else "MISSED"
        lines.append(
            f"| {row['operation']} | {row['backend']} | {row['small_median_ms']:.2f} "
            f"| {row['large_median_ms']:.2f} | {row['ratio']:.2f} "
            f"| {'-' if target is None else f'{target}x'} | {verdict} |"
        )
    return "\n".join(lines)


def memory_table(rows: list[dict[str, Any]], members: int) -> str:
    """One worker's memory before and during a GET of the full group."""
    lines = [
        f"| backend | RSS before (MB) | peak after GET of {members:,}-member group (MB) "
        f"| growth (MB) | target {MEMORY_TARGET_MB:.0f} MB | GET time (s) | members returned "
        f"| body (MB) |",
        "|---|---:|---:|---:|:---:|---:|---:|---:|",
    ]
    for row in rows:
        verdict = "met" if row["growth_mb"] <= MEMORY_TARGET_MB else "MISSED"
        lines.append(
            f"| {row['backend']} | {row['rss_before_mb']:.1f} "
            f"| {max(row['hwm_after_mb'], row['sampled_peak_mb']):.1f} "
            f"| {row['growth_mb']:.1f} | {verdict} | {row['seconds']:.2f} "
            f"| {row['members_returned']:,} | {row['body_mb']:.1f} |"
        )
    return "\n".join(lines)
