"""`kinabase-m365 client create|list|revoke`: OAuth clients for provisioning services."""

from __future__ import annotations

import hashlib

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kinabase.provisioning_clients import ProvisioningClient, authenticate_client
from tests.cli_support import run_cli


def created_client(capsys: pytest.CaptureFixture[str], org_id: int) -> tuple[str, str]:
    status, out, err = run_cli(capsys, "client", "create", "--org", str(org_id), "--label", "Entra")
    assert status == 0, err
    lines = out.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["client_id", "client_secret"]
    assert "shown once" in err
    return lines[0].split("=", 1)[1], lines[1].split("=", 1)[1]


def test_create_prints_the_id_and_secret_once_and_stores_only_a_digest(
    cli_org_id: int, capsys: pytest.CaptureFixture[str], session: Session
) -> None:
    client_id, secret = created_client(capsys, cli_org_id)

    session.expire_all()
    row = session.query(ProvisioningClient).filter_by(client_id=client_id).one()
    assert row.org_id == cli_org_id and row.label == "Entra"
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.secret_hash, row.client_id, row.label}
    assert authenticate_client(session, client_id, secret) is not None
    assert authenticate_client(session, client_id, secret + "x") is None
    session.rollback()  # release SQLite's write lock for the command

    status, out, _ = run_cli(capsys, "client", "list", "--org", str(cli_org_id))
    assert status == 0
    assert out.startswith(f"{client_id}\tactive\tEntra\tcreated=")
    assert out.rstrip().endswith("last_used=never")
    assert secret not in out


def test_revoke_ends_the_client_and_its_tokens(
    cli_org_id: int,
    capsys: pytest.CaptureFixture[str],
    session: Session,
    cli_env: str,
) -> None:
    client_id, secret = created_client(capsys, cli_org_id)

    status, _, err = run_cli(capsys, "client", "revoke", client_id)

    assert status == 0 and "revoked" in err
    session.expire_all()
    assert authenticate_client(session, client_id, secret) is None
    session.rollback()  # release SQLite's write lock for the commands
    assert "\trevoked\t" in run_cli(capsys, "client", "list", "--org", str(cli_org_id))[1]
    assert run_cli(capsys, "client", "revoke", client_id)[0] == 0  # idempotent


@pytest.mark.parametrize(
    "argv",
    [
        ["client", "create", "--org", "999"],
        ["client", "list", "--org", "999"],
        ["client", "revoke", "kbc_nobody"],
        ["client", "create"],
    ],
)
def test_unknown_organisations_and_clients_are_one_line_and_status_2(
    cli_env: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    status, out, err = run_cli(capsys, *argv)

    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1


def test_a_cli_created_client_gets_a_token_from_the_endpoint(
    cli_org_id: int, capsys: pytest.CaptureFixture[str], client: FlaskClient
) -> None:
    client_id, secret = created_client(capsys, cli_org_id)

    response = client.post(
        "/scim/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )

    assert response.status_code == 200
