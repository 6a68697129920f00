"""The kinabase-m365 command: scripts read ids and tokens from stdout, errors are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kinabase.provisioning_tokens import verify_token
from tests.cli_support import run_cli as run


def test_org_create_prints_only_the_id_and_token_create_only_the_token(
    cli_env: str, capsys: pytest.CaptureFixture[str], session: Session
) -> None:
    status, out, _ = run(capsys, "org", "create", "--name", "Acme", "--seats", "10")
    assert status == 0
    org_id = int(out.strip())

    status, out, _ = run(capsys, "token", "create", "--org", str(org_id), "--label", "entra")
    assert status == 0
    secret = out.strip()
    assert "\n" not in secret
    token = verify_token(session, secret)
    assert token is not None and token.org_id == org_id
    session.commit()  # release SQLite's write lock before the next command

    status, out, _ = run(capsys, "token", "list", "--org", str(org_id))
    assert status == 0 and "entra" in out and secret not in out
    status, out, _ = run(capsys, "org", "list")
    assert f"{org_id}\tAcme\tseats=10" in out


def test_revoke_makes_the_token_unusable(
    cli_env: str, capsys: pytest.CaptureFixture[str], session: Session
) -> None:
    _, out, _ = run(capsys, "org", "create", "--name", "Acme")
    _, secret, _ = run(capsys, "token", "create", "--org", out.strip())
    token = verify_token(session, secret.strip())
    assert token is not None
    token_id = token.id
    session.commit()  # release SQLite's write lock before the next command

    status, _, _ = run(capsys, "token", "revoke", str(token_id))

    assert status == 0
    session.expire_all()
    assert verify_token(session, secret.strip()) is None


@pytest.mark.parametrize(
    "argv",
    [
        ["token", "create", "--org", "999"],
        ["token", "list", "--org", "999"],
        ["token", "revoke", "999"],
        ["org", "create"],
        ["org", "create", "--name", "X", "--seats", "-1"],
        ["token", "create", "--org", "abc"],
        ["nonsense"],
    ],
)
def test_wrong_arguments_and_unknown_ids_give_one_line_and_status_2(
    cli_env: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "error" in err


def test_demo_reuses_the_organisation_and_its_token(
    cli_env: str,
    capsys: pytest.CaptureFixture[str],
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    status, first, _ = run(capsys, "demo")
    assert status == 0
    status, second, _ = run(capsys, "demo")
    assert first == second
    secret = first.split("SCIM token:")[1].split()[0]
    assert verify_token(session, secret) is not None
    assert "/scim/v2" in first


@pytest.mark.parametrize("name", ["", "   "])
def test_org_create_refuses_a_blank_name(
    cli_env: str, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    status, out, err = run(capsys, "org", "create", "--name", name)

    assert (status, out) == (2, "")
    assert err == "kinabase-m365: error: the organisation name cannot be blank\n"
    assert run(capsys, "org", "list")[1] == ""


def test_org_create_strips_the_name(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "org", "create", "--name", "  Acme  ")

    assert run(capsys, "org", "list")[1].startswith(f"{out.strip()}\tAcme\tseats=")
