"""A real job worker for the browser tests: `kinabase-m365 worker`'s Huey consumer
(`jobs.queue.run_worker`) in a process of its own, configured as the served service is (the same
database, the same job queue) and reaching Microsoft through the same relay.

    python -m tests.browser.job_worker      (configured by the environment, as the server is)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks.servers import terminate_with_parent
from jobs.queue import run_worker
from kinabase_m365.app import create_app
from tests.browser.relay import relay_session
from tests.browser.served_app import RELAY_VARIABLE

REPO_ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT = 10.0


@contextlib.contextmanager
def job_worker(environment: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process with this environment; killed with its threads when the block ends."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.browser.job_worker"],
            cwd=REPO_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=terminate_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)


def main() -> None:
    """Serve the job queue until killed."""
    app = create_app(http_session=relay_session(os.environ[RELAY_VARIABLE]))
    run_worker(app, workers=1)


if __name__ == "__main__":
    main()
