"""The job worker as the browser tests run it: `python -m tests.browser.served_worker`.

`kinabase-m365 worker` (Huey's consumer) with the served app's settings, its Microsoft traffic
relayed to the test process's emulators like the web server's (`tests.browser.served_app`).
"""

from __future__ import annotations

from jobs.queue import run_worker
from tests.browser.served_app import create


def main() -> None:
    """Run the consumer until stopped."""
    run_worker(create(), workers=2)


if __name__ == "__main__":
    main()
