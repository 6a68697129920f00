"""The directory pull's memory diagnostic samples as the job goes (figures never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.directory_memory import sampler
from benchmarks.directory_pull import import_in_this_process


def test_a_sample_is_printed_each_time_enough_users_are_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = import_in_this_process(30, f"sqlite:///{tmp_path / 'pull.db'}", sampler(10))

    samples = [
        json.loads(line)
        for line in capsys.readouterr().err.splitlines()
        if line.startswith('{"done"')
    ]
    assert result["users"] == 30
    assert [sample["done"] for sample in samples] == [30]  # one batch: 0, then 30 done
    (sample,) = samples
    assert sample["rss_mb"] > 0 and sample["gc_objects"] > 0
    assert set(sample) == {"done", "rss_mb", "c_heap_mb", "sqlite_mb", "gc_objects"}
