"""`python -m benchmarks.directory_memory N DATABASE_URL`: where a directory pull's memory goes.

The import of `benchmarks.directory_pull` (the same seeding, job and code path), with a line on
stderr every `--every` users done: the process's resident size, the C heap in use (glibc's
`mallinfo2`: SQLite's page caches, large Python objects), SQLite's own allocations
(`sqlite3_memory_used`) and the number of objects Python's garbage collector tracks (after a
collection). Flat object counts with a growing RSS point below Python (a cache, the allocator);
growing counts point at something the job keeps. Then the run's JSON line on stdout.

A diagnostic, not a benchmark: each sample costs a full collection, so its users per second are
not the pull's. Read the samples, not the total.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import sys
from typing import Any

from sqlalchemy.orm import Session

from benchmarks.directory_pull import _rss_mb, import_in_this_process
from jobs.models import Job


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _c_heap_mb() -> float | None:
    """The bytes malloc has handed out and not had back (glibc only), in MB."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return None
    info = libc.mallinfo2()
    return float((info.uordblks + info.hblkhd) / 2**20)


def _sqlite_mb() -> float | None:
    """SQLite's allocations in this process (page caches, prepared statements), in MB."""
    try:
        sqlite = ctypes.CDLL("libsqlite3.so.0")
        sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    except (OSError, AttributeError):
        return None
    return float(sqlite.sqlite3_memory_used() / 2**20)


def sampler(every: int) -> Any:
    """A job listener that prints a sample each time `every` more items are done."""
    next_mark = [every]

    def sample(session: Session, job: Job) -> None:
        if job.done < next_mark[0]:
            return
        next_mark[0] = (job.done // every + 1) * every
        gc.collect()
        figures = {
            "done": job.done,
            "rss_mb": round(_rss_mb(), 2),
            "c_heap_mb": _rounded(_c_heap_mb()),
            "sqlite_mb": _rounded(_sqlite_mb()),
            "gc_objects": len(gc.get_objects()),
        }
        print(json.dumps(figures), file=sys.stderr, flush=True)

    return sample


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main() -> int:
    """Run the import with samples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("users", type=int)
    parser.add_argument("database_url")
    parser.add_argument("--every", type=int, default=500)
    args = parser.parse_args()
    result = import_in_this_process(args.users, args.database_url, sampler(args.every))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
