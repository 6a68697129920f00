"""What every benchmark command shares: options, the work directory, the machine, progress."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """--workdir, --json and --keep-databases."""
    parser.add_argument("--workdir", type=Path, help="logs and SQLite files (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--keep-databases",
        action="store_true",
        help="keep the SQLite files in the work directory (they are deleted by default)",
    )


def remove_databases(workdir: Path) -> None:
    """Delete the run's SQLite files (up to a few hundred MB in scale mode); logs stay."""
    for pattern in ("*.db", "*.db-wal", "*.db-shm"):
        for path in workdir.glob(pattern):
            path.unlink(missing_ok=True)


def workdir_of(args: argparse.Namespace) -> Path:
    """The run's work directory: --workdir, or a new temporary one that is kept for its logs."""
    if args.workdir is not None:
        path: Path = args.workdir
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="kinabase-bench-"))


def log(message: str) -> None:
    """Progress goes to stderr, so that stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


def machine_summary() -> str:
    """nproc, memory and CPU model, for the report's header."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.1f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPUs ({model}){memory}, Python {platform.python_version()}"
