"""The directory pull's benchmark runs (its figures are in docs/performance.md, never asserted)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.directory_pull import import_in_this_process


def test_the_import_benchmark_runs_and_reports(tmp_path: Path) -> None:
    result = import_in_this_process(30, f"sqlite:///{tmp_path / 'pull.db'}")

    assert result["users"] == 30
    assert result["users_per_second"] > 0
    assert result["peak_mb"] >= result["rss_before_mb"] > 0
