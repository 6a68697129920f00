"""`python -m benchmarks workload|scale`: see benchmarks/__init__.py and docs/performance.md."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from benchmarks import directory_pull, report, scale
from benchmarks.load import PhaseResult
from benchmarks.runs import (
    add_common_options,
    log,
    machine_summary,
    remove_databases,
    workdir_of,
)
from benchmarks.servers import (
    ALL_SERVERS,
    OURS_POSTGRESQL,
    OURS_SQLITE,
    SCIM2_SERVER_NAME,
    RunningServer,
    postgresql_available,
    prepare_postgresql,
    prepare_sqlite,
    start_ours,
    start_scim2_server,
)
from benchmarks.workload import CEILING_PHASE, PHASES, Limits, ServerRun, run_workload


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen benchmark."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    workload = commands.add_parser("workload", help="the side-by-side Entra workload")
    workload.add_argument("--n", type=int, default=int(os.environ.get("BENCH_N", "2000")))
    workload.add_argument("--concurrency", type=int, default=8)
    workload.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers of ours (default: gunicorn.conf.py's, WEB_CONCURRENCY or 4)",
    )
    workload.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per worker of ours (default: gunicorn.conf.py's, GUNICORN_THREADS or 2)",
    )
    workload.add_argument(
        "--servers",
        default=",".join(ALL_SERVERS),
        help=f"comma-separated, from {', '.join(ALL_SERVERS)}",
    )
    workload.add_argument("--phase-seconds", type=float, default=150.0, help="cap per phase")
    workload.add_argument("--max-seconds", type=float, default=900.0, help="cap for the run")
    workload.add_argument(
        "--profile",
        metavar="SERVER",
        help="record each phase of this server with py-spy (profiles go to the work directory)",
    )
    add_common_options(workload)
    workload.set_defaults(handler=run_workload_command)

    scale.add_parser(commands)
    directory_pull.add_parser(commands)

    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so that every server started so far is stopped on the way out.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        status: int = args.handler(args)
    except KeyboardInterrupt as interruption:
        log(f"interrupted ({interruption or 'Ctrl-C'}); the servers were stopped")
        return 130
    return status


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_workload_command(args: argparse.Namespace) -> int:
    """Start the chosen servers, run the workload on all of them, print the table."""
    started = time.monotonic()
    wanted = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(ALL_SERVERS))
    if unknown or not wanted:
        log(f"unknown servers: {', '.join(unknown)}; choose from {', '.join(ALL_SERVERS)}")
        return 2
    notes: list[str] = []
    if OURS_POSTGRESQL in wanted and not postgresql_available():
        wanted.remove(OURS_POSTGRESQL)
        notes.append("ours-postgresql skipped: PostgreSQL does not answer on 127.0.0.1:5432")
    workdir = workdir_of(args)
    log(f"benchmark workload: N={args.n}, concurrency {args.concurrency}; logs in {workdir}")
    run_id = secrets.token_hex(3)
    limits = Limits(
        concurrency=args.concurrency,
        phase_seconds=args.phase_seconds,
        phase_max_requests=20 * args.n + 1000,
        run_deadline=started + args.max_seconds,
        profile_server=args.profile,
        profile_dir=workdir,
    )
    with ExitStack() as stack:
        servers = [_start(stack, name, workdir, args) for name in wanted]
        states = [ServerRun(server, run_id, args.n) for server in servers]
        log(f"servers ready after {time.monotonic() - started:.1f} s")
        run_workload(states, limits, log)
    if not args.keep_databases:
        remove_databases(workdir)
    results: dict[str, dict[str, PhaseResult]] = {s.server.name: s.results for s in states}
    targets = {
        phase.name: report.Targets(phase.throughput_target, phase.cpu_target_ms) for phase in PHASES
    }
    rows = report.rows_of([phase.name for phase in PHASES], results, targets, CEILING_PHASE)
    for state in states:
        notes.extend(state.server.notes)
        notes.extend(f"{state.server.name}: {note}" for note in state.server.dialect.adaptations())
        notes.extend(f"{state.server.name}: {note}" for note in state.notes)
    print(
        f"N = {args.n} users, concurrency {args.concurrency} for every server; "
        f"{machine_summary()}\n"
    )
    print(report.workload_table(rows))
    if notes:
        print("\nNotes:")
        for note in notes:
            print(f"- {note}")
    print(f"\nTotal wall-clock time: {time.monotonic() - started:.0f} s")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "n": args.n,
                    "concurrency": args.concurrency,
                    "machine": machine_summary(),
                    "rows": [row.as_dict() for row in rows],
                    "notes": notes,
                },
                indent=2,
            )
        )
    return 0


def _start(stack: ExitStack, name: str, workdir: Path, args: argparse.Namespace) -> RunningServer:
    log(f"starting {name}")
    seats = args.n + 100
    if name == SCIM2_SERVER_NAME:
        return start_scim2_server(stack, workdir, threads=args.concurrency)
    if name == OURS_SQLITE:
        database = prepare_sqlite(workdir, name, seats)
    else:
        database = prepare_postgresql(stack, workdir, name, seats)
    return start_ours(stack, name, database, workdir, workers=args.workers, threads=args.threads)


if __name__ == "__main__":
    sys.exit(main())
