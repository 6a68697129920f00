"""Running the `kinabase-m365` command in-process, as a script would, for the CLI tests."""

from __future__ import annotations

import pytest

from kinabase_m365.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command's exit status, stdout and stderr (argparse's exits included)."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return status, out, err
