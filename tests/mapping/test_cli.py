"""The roles, group rules and colleague field mapping commands of kinabase-m365."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kinabase.user_types import user_type_source
from kinabase.users import User, UserType
from scim_server.mapping import DEPARTMENT_PATH, ProjectionResult
from scim_server.provisioning import groups, users
from tests.cli_support import run_cli as run
from tests.provisioning.conftest import group_body, user_body


def test_rule_add_list_remove(
    cli_org_id: int, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    org = str(cli_org_id)
    for name in ("Sales", "Support"):
        status, out, _ = run(capsys, "role", "add", "--org", org, "--name", name)
        assert status == 0 and out.strip().isdigit()

    status, out, _ = run(
        capsys, "rule", "add", "--org", org, "--group", "Sales",
        "--role", "Sales", "--role", "Support", "--user-type", "administrator",
    )  # fmt: skip
    assert status == 0
    rule_id = int(out)
    status, out, _ = run(capsys, "rule", "list", "--org", org)
    assert out == (
        f"{rule_id}\tgroup=Sales\tscim_id=-\troles=Sales,Support\tuser_type=administrator\n"
    )

    ada = users.create_user(session, cli_org_id, user_body("ada@acme.test"))
    groups.create_group(session, cli_org_id, group_body("Sales", [ada.stored.row.id]))
    assert isinstance(ada.kinabase, ProjectionResult)
    assert session.get_one(User, ada.kinabase.user_id).user_type is UserType.ADMINISTRATOR
    session.commit()  # release SQLite's write lock for the command

    status, out, err = run(capsys, "rule", "remove", str(rule_id), "--org", org)
    assert (status, out) == (0, "")
    assert f"rule {rule_id} removed" in err
    session.expire_all()
    user = session.get_one(User, ada.kinabase.user_id)
    assert user.user_type is UserType.USER and user_type_source(user) == "manual"
    session.rollback()  # release SQLite's write lock for the command
    assert run(capsys, "rule", "list", "--org", org)[1] == ""


def test_app_role_rules(cli_org_id: int, capsys: pytest.CaptureFixture[str]) -> None:
    org = str(cli_org_id)
    run(capsys, "role", "add", "--org", org, "--name", "Finance")

    status, out, _ = run(
        capsys, "rule", "add", "--org", org, "--app-role", "Finance.Approver", "--role", "Finance"
    )

    assert status == 0
    listed = run(capsys, "rule", "list", "--org", org)[1]
    assert (
        listed == f"{int(out)}\tapp-role=Finance.Approver\tscim_id=-\troles=Finance\tuser_type=-\n"
    )


def test_mapping_show_set_unset_reset(cli_org_id: int, capsys: pytest.CaptureFixture[str]) -> None:
    org = str(cli_org_id)
    status, out, _ = run(capsys, "mapping", "show", "--org", org)
    assert status == 0
    assert f"department\t{DEPARTMENT_PATH}\tdefault\n" in out
    assert "jobTitle\ttitle\tdefault\n" in out

    assert (
        run(capsys, "mapping", "set", "--org", org, "--field", "jobTitle", "--source", "nickName")[
            0
        ]
        == 0
    )
    assert run(capsys, "mapping", "unset", "--org", org, "--field", "department")[0] == 0
    out = run(capsys, "mapping", "show", "--org", org)[1]
    assert "jobTitle\tnickName\tcustom\n" in out
    assert "department\t-\tcustom\n" in out

    assert run(capsys, "mapping", "reset", "--org", org)[0] == 0
    out = run(capsys, "mapping", "show", "--org", org)[1]
    assert "jobTitle\ttitle\tdefault\n" in out
    assert f"department\t{DEPARTMENT_PATH}\tdefault\n" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rule", "add", "--group", "Sales", "--role", "Nope"], "no role named 'Nope'"),
        (["rule", "add", "--group", "Sales"], "at least one role or a user type"),
        (["rule", "add", "--group", "Sales", "--user-type", "boss"], "invalid choice"),
        (["rule", "remove", "999"], "no group rule with id 999"),
        (["rule", "add", "--role", "Sales"], "one of the arguments --group --app-role"),
        (["rule", "add", "--group", "S", "--app-role", "A"], "not allowed with argument"),
        (["rule", "add", "--app-role", " ", "--role", "Sales"], "either a group"),
        (["rule", "list", "--org", "999"], "no organisation with id 999"),
        (["role", "add", "--name", "Sales", "--name-typo"], "unrecognized arguments"),
        (["mapping", "set", "--field", "nope", "--source", "title"], "no field 'nope'"),
        (["mapping", "set", "--field", "manager", "--source", "title"], "filled from the manager"),
        (["mapping", "set", "--field", "jobTitle", "--source", "a b"], "not a SCIM attribute"),
        (["mapping", "unset", "--field", "email"], "mirrors the user"),
        (["mapping", "show"], "--org"),
    ],
)
def test_refusals_are_one_line_with_status_2(
    cli_org_id: int, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    if "--org" not in argv and argv != ["mapping", "show"]:
        argv = [*argv, "--org", str(cli_org_id)]

    status, out, err = run(capsys, *argv)

    assert (status, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and "error" in err and message in err


def test_a_duplicate_role_is_refused(cli_org_id: int, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "role", "add", "--org", str(cli_org_id), "--name", "Sales")

    status, out, err = run(capsys, "role", "add", "--org", str(cli_org_id), "--name", "Sales")

    assert (status, out) == (2, "")
    assert "already exists" in err
    assert run(capsys, "role", "list", "--org", str(cli_org_id))[1].endswith("\tSales\n")
