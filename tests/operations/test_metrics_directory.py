"""`kinabase-m365 serve`'s directory for the workers' metrics: empty at start, gone after."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kinabase_m365.metrics import MULTIPROCESS_DIRECTORY
from kinabase_m365.server import metrics_directory


def test_without_the_variable_a_fresh_directory_is_made_and_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MULTIPROCESS_DIRECTORY, raising=False)

    with metrics_directory() as directory:
        assert os.environ[MULTIPROCESS_DIRECTORY] == str(directory)
        assert list(directory.iterdir()) == []
        (directory / "counter_123.db").write_bytes(b"x")

    assert not directory.exists()
    assert MULTIPROCESS_DIRECTORY not in os.environ


def test_a_configured_directory_is_emptied_of_an_earlier_runs_values_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configured = tmp_path / "metrics"
    configured.mkdir()
    (configured / "counter_99.db").write_bytes(b"stale")
    (configured / "README").write_text("not ours")
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, str(configured))

    with metrics_directory() as directory:
        assert directory == configured
        assert sorted(p.name for p in directory.iterdir()) == ["README"]

    assert configured.exists()
