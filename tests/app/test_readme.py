"""The README's command-line examples run as printed, in order, on an empty database.

The commands are read from the README's "Command line" block, so the README and this test cannot
drift apart: `db upgrade` (the test database is migrated already), `user` (set-password reads a
file through the shell's `<`) and `serve` (it would not return) are left out; every other line
runs exactly as written, its `--org 1` being the organisation that its `org create` makes.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.cli_support import run_cli

README = Path(__file__).resolve().parents[2] / "README.md"
NOT_RUN = {"db", "user", "serve"}
CUSTOM_SOURCE = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User:costCentre"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def readme_commands() -> list[list[str]]:
    """The arguments of each `kinabase-m365` line of the README's "Command line" block."""
    section = README.read_text(encoding="utf-8").split("\n## Command line\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("\n```", 1)[0]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "kinabase-m365", line
            commands.append(words[1:])
    return commands


def test_the_readme_command_line_examples_run_as_printed(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = readme_commands()
    assert {argv[0] for argv in commands} >= {"org", "token", "role", "rule", "field", "mapping"}
    printed = {}
    for argv in commands:
        if argv[0] in NOT_RUN:
            continue
        status, out, err = run_cli(capsys, *argv)
        assert status == 0, f"kinabase-m365 {shlex.join(argv)}: {err}"
        printed[" ".join(argv[:2])] = out  # the last of each kind of command

    assert printed["org create"] == "1\n"
    assert printed["field add"] == "costCentre\n"
    assert printed["rule add"] == "3\n"
    # What the sequence left behind: two rules, the new field mapped, department back to default.
    assert run_cli(capsys, *["rule", "list", "--org", "1"])[1] == (
        "1\tgroup=Sales\tscim_id=-\troles=Sales\tuser_type=-\n"
        "3\tapp-role=Finance.Approver\tscim_id=-\troles=Sales\tuser_type=-\n"
    )
    assert printed["provisioning pending"] == ""
    assert run_cli(capsys, *["mapping", "show", "--org", "1"])[1] == (
        f"costCentre\t{CUSTOM_SOURCE}\tcustom\n"
        f"department\t{ENTERPRISE}:department\tdefault\n"
        "jobTitle\ttitle\tdefault\n"
        f"manager\t{ENTERPRISE}:manager\tdefault\n"
    )
    assert run_cli(capsys, *["token", "list", "--org", "1"])[1].startswith("1\trevoked\tentra\t")
