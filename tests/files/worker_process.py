"""`kinabase-m365 worker` in a process of its own whose Microsoft traffic goes to emulators the
test serves on loopback (tests/emulators/served.py), so that every worker the test starts, and
the test itself, see one cloud.

    python -m tests.files.worker_process SETTINGS.json PORT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jobs.queue import run_worker
from kinabase_m365.app import create_app
from tests.emulators.served import forwarding_session


def main(settings_path: str, port: str) -> None:
    settings = json.loads(Path(settings_path).read_text())
    app = create_app(settings, http_session=forwarding_session(int(port)))
    run_worker(app, workers=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
