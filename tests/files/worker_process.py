"""`kinabase-m365 worker` in a process of its own whose Microsoft traffic goes through the test
process's relay to its emulators (tests/browser/relay.py), so that every worker the test starts,
and the test itself, see one cloud.

    python -m tests.files.worker_process SETTINGS.json RELAY_URL
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jobs.queue import run_worker
from kinabase_m365.app import create_app
from tests.browser.relay import relay_session


def main(settings_path: str, relay_url: str) -> None:
    settings = json.loads(Path(settings_path).read_text())
    app = create_app(settings, http_session=relay_session(relay_url))
    run_worker(app, workers=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
