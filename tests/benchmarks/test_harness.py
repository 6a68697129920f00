"""`make bench` still works: the harness runs end to end on ten users.

It starts scim2-server and ours on SQLite, runs every phase on both and writes its results. The
test checks that every phase ran on both servers, answered without errors and had a throughput;
it asserts no timing: performance is measured by `make bench`, never asserted by tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.workload import PHASES

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVERS = ("scim2-server", "ours-sqlite")


def test_the_workload_runs_every_phase_on_both_servers(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "workload",
            "--n",
            "10",
            "--concurrency",
            "4",
            "--workers",
            "2",
            "--servers",
            ",".join(SERVERS),
            "--max-seconds",
            "120",
            "--workdir",
            str(tmp_path),
            "--json",
            str(results),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr

    rows = {(row["phase"], row["server"]): row for row in json.loads(results.read_text())["rows"]}
    for phase in PHASES:
        assert f"| {phase.name} |" in completed.stdout
        for server in SERVERS:
            if phase.ceiling and server == "scim2-server":
                assert (phase.name, server) not in rows  # the ceiling is our app's own route
                continue
            row = rows[(phase.name, server)]
            assert row["requests"] > 0, row
            assert row["errors"] == 0, (row, completed.stdout)
            assert row["requests_per_second"] > 0, row

    # Every phase of ours is a share of its own ceiling; the targets of issue 15 are attached.
    create = rows[("create users", "ours-sqlite")]
    assert create["share_of_ceiling"] > 0, create
    assert (create["throughput_target"], create["cpu_target_ms"]) == (1.0, 4.0)
    assert rows[("page /Users?count=100", "ours-sqlite")]["throughput_target"] == 3.0
    assert "gthread workers" in completed.stdout  # served by the project's gunicorn.conf.py
