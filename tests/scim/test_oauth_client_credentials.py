"""OAuth 2.0 client credentials for provisioning (RFC 6749 §4.4): the token endpoint, its errors
(§5.2), access tokens on /scim/v2, revocation, and the wall between them and session tokens."""

from __future__ import annotations

import base64
import logging
import time
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from kinabase.accounts import create_organisation, create_user
from kinabase.database import make_sessionmakers
from kinabase.provisioning_clients import ProvisioningClient, register_client, revoke_client
from kinabase.users import UserType
from scim_server.resources.access_tokens import issue_access_token, signing_key
from tests.conftest import Provisioned
from tests.scim_client import ERROR, ScimClient, entra_user

TOKEN_URL = "/scim/oauth/token"
FORM = "application/x-www-form-urlencoded"


def new_client(engine: Engine, org_id: int) -> tuple[str, str]:
    """Register a client as `kinabase-m365 client create` does; its id and secret."""
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        issued = register_client(session, org_id, "entra")
        session.commit()
        return issued.record.client_id, issued.secret


def ask_for_token(
    client: FlaskClient,
    form: dict[str, str],
    headers: dict[str, str] | None = None,
    query: str = "",
) -> TestResponse:
    return client.post(TOKEN_URL + query, data=form, headers=headers or {}, content_type=FORM)


def basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def access_token(client: FlaskClient, client_id: str, secret: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    response = ask_for_token(client, form)
    assert response.status_code == 200, response.get_json()
    token: str = response.get_json()["access_token"]
    return token


def assert_oauth_error(response: TestResponse, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert body["error"] == error
    assert body["error_description"]
    assert response.headers["Cache-Control"] == "no-store"
    return body


def test_client_secret_post_gets_a_bearer_token_that_provisions_its_organisation(
    client: FlaskClient, engine: Engine, acme: Provisioned
) -> None:
    client_id, secret = new_client(engine, acme.org_id)
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}

    response = ask_for_token(client, form)

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "refresh_token" not in body and "scope" not in body
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    oauth = ScimClient(client, body["access_token"])
    created = oauth.post("/Users", entra_user("ada@acme.test", "Ada", "L", "e-1"))
    assert created.status_code == 201
    # The same organisation as the provisioning token's.
    listed = acme.scim.filter("/Users", 'userName eq "ada@acme.test"').get_json()
    assert listed["totalResults"] == 1


def test_client_secret_basic_works_and_a_scope_is_answered_with_scim(
    client: FlaskClient, engine: Engine, acme: Provisioned
) -> None:
    client_id, secret = new_client(engine, acme.org_id)

    response = ask_for_token(
        client, {"grant_type": "client_credentials", "scope": "anything"}, basic(client_id, secret)
    )

    assert response.status_code == 200
    assert response.get_json()["scope"] == "scim"
    token = response.get_json()["access_token"]
    assert ScimClient(client, token).get("/Users").status_code == 200


def test_an_access_token_sees_only_its_own_organisation(
    client: FlaskClient, engine: Engine, acme: Provisioned, globex: Provisioned
) -> None:
    created = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "e-1"))
    client_id, secret = new_client(engine, globex.org_id)
    globex_oauth = ScimClient(client, access_token(client, client_id, secret))

    assert globex_oauth.get("/Users").get_json()["totalResults"] == 0
    assert globex_oauth.get(f"/Users/{created.get_json()['id']}").status_code == 404


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_id": "{id}", "client_secret": "{secret}"}, 400, "invalid_request"),
        (
            {"grant_type": "password", "client_id": "{id}", "client_secret": "{secret}"},
            400,
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "{id}", "client_secret": "wrong"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "kbc_nobody", "client_secret": "x"},
            401,
            "invalid_client",
        ),
        ({"grant_type": "client_credentials"}, 401, "invalid_client"),
    ],
    ids=["no-grant-type", "password-grant", "wrong-secret", "unknown-client", "no-credentials"],
)
def test_token_request_errors_follow_rfc6749_5_2(
    client: FlaskClient,
    engine: Engine,
    acme: Provisioned,
    *,
    form: dict[str, str],
    status: int,
    error: str,
) -> None:
    client_id, secret = new_client(engine, acme.org_id)
    filled = {k: v.format(id=client_id, secret=secret) for k, v in form.items()}

    response = ask_for_token(client, filled)

    assert_oauth_error(response, status, error)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_malformed_token_requests_are_invalid_request(
    client: FlaskClient, engine: Engine, acme: Provisioned
) -> None:
    client_id, secret = new_client(engine, acme.org_id)
    good = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}

    as_json = client.post(TOKEN_URL, json=good)
    both_methods = ask_for_token(client, good, basic(client_id, secret))
    in_the_url = ask_for_token(
        client, {"grant_type": "client_credentials"}, query=f"?client_id={client_id}"
    )
    twice = client.post(
        TOKEN_URL,
        data="grant_type=client_credentials&grant_type=client_credentials"
        f"&client_id={client_id}&client_secret={secret}",
        content_type=FORM,
    )
    bad_basic = ask_for_token(
        client, {"grant_type": "client_credentials"}, {"Authorization": "Basic !!!"}
    )

    for response in (as_json, both_methods, in_the_url, twice):
        assert_oauth_error(response, 400, "invalid_request")
    assert_oauth_error(bad_basic, 401, "invalid_client")
    assert client.get(TOKEN_URL).status_code == 405


def test_revoking_a_client_ends_its_unexpired_tokens_at_once(
    client: FlaskClient, engine: Engine, acme: Provisioned, read_session: Session
) -> None:
    client_id, secret = new_client(engine, acme.org_id)
    oauth = ScimClient(client, access_token(client, client_id, secret))
    assert oauth.get("/Users").status_code == 200
    read_session.expire_all()
    used = read_session.query(ProvisioningClient).filter_by(client_id=client_id).one()
    assert used.last_used_at is not None

    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        revoke_client(session, client_id)
        session.commit()

    refused = oauth.get("/Users")
    assert refused.status_code == 401
    assert refused.get_json()["schemas"] == [ERROR]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer ")
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert_oauth_error(ask_for_token(client, form), 401, "invalid_client")


def test_expired_tampered_and_foreign_tokens_are_refused(
    app: Flask, client: FlaskClient, engine: Engine, acme: Provisioned
) -> None:
    client_id, secret = new_client(engine, acme.org_id)
    good = access_token(client, client_id, secret)
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        row = session.query(ProvisioningClient).filter_by(client_id=client_id).one()
        row_id = row.id
    key = signing_key("test-secret-key")
    claims = {"client_row_id": row_id, "client_id": client_id, "org_id": acme.org_id}
    expired = issue_access_token(key, **claims, lifetime_seconds=60, now=time.time() - 3600)
    foreign_key = issue_access_token(signing_key("another secret"), **claims, lifetime_seconds=60)
    header, payload, signature = good.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"

    answers = {
        name: ScimClient(client, token).get("/Users")
        for name, token in {
            "expired": expired,
            "foreign": foreign_key,
            "tampered": tampered,
        }.items()
    }

    assert {name: r.status_code for name, r in answers.items()} == {
        "expired": 401,
        "foreign": 401,
        "tampered": 401,
    }
    assert "expired" in answers["expired"].get_json()["detail"]


def test_session_tokens_and_scim_tokens_never_stand_for_each_other(
    app: Flask,
    client: FlaskClient,
    engine: Engine,
    acme: Provisioned,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        organisation = create_organisation(session, "Sessions")
        user = create_user(
            session,
            organisation.id,
            "ada@sessions.test",
            user_type=UserType.ADMINISTRATOR,
            active=True,
        )
        user_id, org_id = user.id, organisation.id
        session.commit()
    with app.test_request_context():
        claims = {"org": org_id, "sid": str(uuid.uuid4()), "method": "password"}
        session_token = create_access_token(str(user_id), additional_claims=claims)
    client_id, secret = new_client(engine, acme.org_id)
    scim_token = access_token(client, client_id, secret)

    browser = app.test_client()
    browser.set_cookie("access_token_cookie", session_token)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="kinabase_m365.requests"):
        assert browser.get("/account").status_code == 200  # a real session token
    assert [getattr(r, "org_id", None) for r in caplog.records] == [org_id]  # page log line
    assert ScimClient(client, session_token).get("/Users").status_code == 401

    browser.set_cookie("access_token_cookie", scim_token)
    refused = browser.get("/account")
    assert refused.status_code == 303
    assert refused.headers["Location"].startswith("/login")
