"""`kinabase-m365 directory …`, `org connect` and their refusals, against the Graph emulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kinabase.organisations import get_organisation
from kinabase.roles import create_role, roles_of_user
from kinabase.users import UserType
from kinabase_m365.cli import main
from tests.directory.conftest import Cloud, Organisations, kinabase_users


@pytest.fixture
def cli(cli_env: str, microsoft: Cloud, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cloud:
    """The command pointed at the test database and the app registration."""
    monkeypatch.setenv("MICROSOFT_CLIENT_ID", microsoft.registration.client_id)
    monkeypatch.setenv("MICROSOFT_CLIENT_SECRET", microsoft.registration.client_secret or "")
    monkeypatch.setenv("JOBS_SQLITE_PATH", str(tmp_path / "jobs.db"))
    return microsoft


def run(cli: Cloud, *argv: str) -> int:
    return main(list(argv), http_session=cli.microsoft.session)


def test_groups_and_candidates(
    cli: Cloud, orgs: Organisations, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(cli, "directory", "groups", "--org", str(orgs.acme)) == 0
    groups = capsys.readouterr().out.splitlines()
    assert groups == [f"{cli.emea.object_id}\tEMEA", f"{cli.sales.object_id}\tSales"]

    assert run(cli, "directory", "candidates", "--org", str(orgs.acme), "--group", "Sales") == 0
    listed = capsys.readouterr().out.splitlines()
    assert sorted(line.split("\t")[1] for line in listed) == [
        "dana@contoso.test",
        "erin@contoso.test",
    ]
    assert run(cli, "directory", "candidates", "--org", str(orgs.acme), "--search", "ga") == 0
    assert capsys.readouterr().out == f"{cli.gail.object_id}\tgail@contoso.test\tGail Green\n"


def test_import_prints_one_line_per_user_off_a_terminal_then_sync(
    cli: Cloud, orgs: Organisations, write: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    create_role(write, orgs.acme, "Sales")
    write.commit()

    status = run(
        cli, "directory", "import", "--org", str(orgs.acme),
        "--user", "dana@contoso.test", cli.erin.object_id,
        "--type", "administrator", "--role", "Sales",
    )  # fmt: skip

    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.splitlines() == ["dana@contoso.test\tcreated\t", "erin@contoso.test\tcreated\t"]
    assert err.strip().endswith("2 users: 0 failed")
    users = kinabase_users(write, orgs.acme)
    assert users["erin@contoso.test"].user_type is UserType.ADMINISTRATOR
    assert [r.name for r in roles_of_user(write, orgs.acme, users["dana@contoso.test"].id)] == [
        "Sales"
    ]
    write.rollback()

    cli.contoso.update_user(cli.dana, job_title="Chair")
    assert run(cli, "directory", "sync", "--org", str(orgs.acme)) == 0
    assert capsys.readouterr().out.splitlines() == [
        "dana@contoso.test\tupdated\t",
        "erin@contoso.test\tupdated\t",
    ]
    assert kinabase_users(write, orgs.acme)["dana@contoso.test"].job_title == "Chair"


def test_import_all_and_by_group(
    cli: Cloud, orgs: Organisations, write: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(cli, "directory", "import", "--org", str(orgs.acme), "--group", "EMEA") == 0
    assert capsys.readouterr().out == "erin@contoso.test\tcreated\t\n"
    assert run(cli, "directory", "import", "--org", str(orgs.acme), "--all") == 0
    assert sorted(capsys.readouterr().out.splitlines()) == [
        "dana@contoso.test\tcreated\t",
        "erin@contoso.test\tupdated\t",
        "gail@contoso.test\tcreated\t",
    ]


def test_an_organisation_without_a_tenant_exits_2_with_one_line(
    cli: Cloud, orgs: Organisations, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ("directory", "groups"),
        ("directory", "candidates"),
        ("directory", "import", "--all"),
        ("directory", "sync"),
    ):
        assert run(cli, *argv, "--org", str(orgs.initech)) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1 and "not connected to a Microsoft 365 tenant" in err


def test_consent_missing_exits_2_with_one_line(
    cli: Cloud, orgs: Organisations, capsys: pytest.CaptureFixture[str]
) -> None:
    del cli.cloud.consents[(cli.contoso.tenant_id, cli.registration.client_id)]

    assert run(cli, "directory", "groups", "--org", str(orgs.acme)) == 2
    assert "admin consent is missing" in capsys.readouterr().err
    assert run(cli, "directory", "import", "--org", str(orgs.acme), "--all") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "admin consent is missing" in err


def test_a_seat_shortfall_exits_2_saying_how_many_are_missing(
    cli: Cloud, orgs: Organisations, write: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    get_organisation(write, orgs.acme).licence_seats = 1
    write.commit()

    assert run(cli, "directory", "import", "--org", str(orgs.acme), "--all") == 2
    assert "2 licence seats missing" in capsys.readouterr().err
    assert kinabase_users(write, orgs.acme) == {}


def test_org_connect_binds_the_tenant(
    cli: Cloud, orgs: Organisations, write: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = "3f2c1a9e-0000-4000-8000-00000000abcd"

    assert run(cli, "org", "connect", "--org", str(orgs.initech), "--tenant", tenant.upper()) == 0
    assert get_organisation(write, orgs.initech).entra_tenant_id == tenant
    write.rollback()
    assert (
        run(cli, "org", "connect", "--org", str(orgs.initech), "--tenant", cli.contoso.tenant_id)
        == 2
    )
    assert "already connected to another organisation" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        run(cli, "org", "connect", "--org", str(orgs.initech), "--tenant", "contoso")
    assert usage.value.code == 2
