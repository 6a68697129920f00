"""The in-process request benchmark runs (its figures are in docs/performance.md only)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.inprocess import PHASES, measure


def test_the_in_process_benchmark_measures_every_request(tmp_path: Path) -> None:
    timed = measure(f"sqlite:///{tmp_path / 'timed.db'}", 12, profile=False, run="t")
    profiled = measure(f"sqlite:///{tmp_path / 'profiled.db'}", 12, profile=True, run="p")

    for phase in PHASES:
        expected = 11 if phase == "PATCH manager" else 12  # the first user has no manager
        assert len(timed[phase].cpu_ms) == len(timed[phase].statements) == expected, phase
        assert all(count > 0 for count in timed[phase].statements), phase
        assert len(profiled[phase].calls) == expected, phase
        assert all(calls > 0 for calls in profiled[phase].calls), phase
