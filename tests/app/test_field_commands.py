"""`kinabase-m365 field list` and `field add`: the Colleagues collection's fields."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinabase.colleagues import colleague_fields
from tests.cli_support import run_cli as run


def test_field_add_prints_the_key_and_field_list_shows_the_field_last(
    cli_org_id: int, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    org = str(cli_org_id)

    status, out, _ = run(capsys, "field", "add", "--org", org, "--name", "Line Manager",
                         "--type", "colleague")  # fmt: skip
    assert (status, out) == (0, "lineManager\n")
    status, out, _ = run(capsys, "field", "list", "--org", org)

    assert status == 0
    assert out == (
        "name\tName\ttext\tsystem=yes\n"
        "email\tEmail\temail\tsystem=yes\n"
        "jobTitle\tJob Title\ttext\tsystem=no\n"
        "department\tDepartment\ttext\tsystem=no\n"
        "manager\tManager\tcolleague\tsystem=no\n"
        "lineManager\tLine Manager\tcolleague\tsystem=no\n"
    )
    session.expire_all()
    assert colleague_fields(session, cli_org_id)["lineManager"].name == "Line Manager"


@pytest.mark.parametrize(
    ("name", "type_", "message"),
    [
        ("  ", "text", "the field name cannot be blank"),
        ("Cost Centre", "string", "unknown field type 'string': choose one of text, email,"),
        ("Job Title", "text", "already has a field named 'Job Title' (key jobTitle)"),
        ("job-title", "number", "'Job Title' already has the key 'jobTitle'"),
    ],
)
def test_field_add_refusals_are_one_line_and_status_2(
    cli_org_id: int, capsys: pytest.CaptureFixture[str], name: str, type_: str, message: str
) -> None:
    status, out, err = run(
        capsys, "field", "add", "--org", str(cli_org_id), "--name", name, "--type", type_
    )

    assert (status, out) == (2, "")
    assert err.startswith("kinabase-m365: error: ") and err.count("\n") == 1
    assert message in err
    assert len(run(capsys, "field", "list", "--org", str(cli_org_id))[1].splitlines()) == 5


@pytest.mark.parametrize(
    "argv",
    [
        ["field", "list", "--org", "999"],
        ["field", "add", "--org", "999", "--name", "Cost Centre", "--type", "text"],
        ["field", "add", "--org", "1", "--name", "Cost Centre"],
        ["field", "list"],
    ],
)
def test_unknown_organisations_and_missing_arguments_are_status_2(
    cli_env: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    status, out, err = run(capsys, *argv)

    assert (status, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "error" in err
