"""Authentication, media types and error bodies at /scim/v2 (RFC 7644 §2, §3.1, §3.12)."""

from __future__ import annotations

import logging
import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from kinabase.database import make_sessionmakers
from kinabase.provisioning_tokens import list_tokens, revoke_token
from tests.conftest import Provisioned
from tests.scim_client import ERROR, ScimClient, entra_user


def assert_scim_error(response: object, status: int, scim_type: str | None = None) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.content_type.startswith("application/scim+json")  # type: ignore[attr-defined]
    body = response.json  # type: ignore[attr-defined]
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz"])
def test_missing_or_wrong_token_is_401_with_a_challenge(
    client: FlaskClient, acme: Provisioned, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/scim/v2/Users", headers=headers)
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(acme: Provisioned, engine: Engine) -> None:
    assert acme.scim.get("/Users").status_code == 200
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        revoke_token(session, list_tokens(session, acme.org_id)[0].id)
        session.commit()
    assert_scim_error(acme.scim.get("/Users"), 401)


def test_unknown_endpoints_and_methods_get_scim_bodies(acme: Provisioned) -> None:
    assert_scim_error(acme.scim.get("/Nothing"), 404)
    assert_scim_error(acme.scim.get("/Users/no-such-id"), 404)
    response = acme.scim.request("DELETE", "/Users")
    assert_scim_error(response, 405)
    assert "POST" in response.headers["Allow"]


def test_plain_json_requests_are_accepted(acme: Provisioned) -> None:
    scim = ScimClient(acme.scim.http, acme.scim.token, content_type="application/json")
    response = scim.post("/Users", entra_user("ada@acme.test", "Ada", "Lovelace", "ada"))
    assert response.status_code == 201
    assert response.content_type == "application/scim+json; charset=utf-8"


def test_bodies_that_are_not_json_objects_are_invalid_syntax(acme: Provisioned) -> None:
    for raw in (b"{not json", b"[]", b""):
        response = acme.scim.http.post(
            "/scim/v2/Users",
            data=raw,
            headers={"Authorization": f"Bearer {acme.scim.token}"},
            content_type="application/scim+json",
        )
        assert_scim_error(response, 400, "invalidSyntax")


def test_a_missing_user_name_is_invalid_value(acme: Provisioned) -> None:
    body = entra_user("ada@acme.test", "Ada", "Lovelace", "ada")
    del body["userName"]
    assert_scim_error(acme.scim.post("/Users", body), 400, "invalidValue")


def test_a_bug_is_a_generic_500_with_a_logged_traceback(
    app: Flask, acme: Provisioned, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> str:
        raise RuntimeError("secret internals")

    app.view_functions["scim.get_users_query"] = broken
    with caplog.at_level(logging.ERROR):
        response = acme.scim.get("/Users")
    assert_scim_error(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert any("secret internals" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_etags_and_preconditions(acme: Provisioned) -> None:
    created = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "Lovelace", "ada"))
    user_id, tag = created.json["id"], created.headers["ETag"]
    assert created.json["meta"]["version"] == tag

    assert acme.scim.get(f"/Users/{user_id}", headers={"If-None-Match": tag}).status_code == 304
    replace_title = [{"op": "replace", "path": "title", "value": "Engineer"}]
    response = acme.scim.patch(f"/Users/{user_id}", replace_title, headers={"If-Match": tag})
    assert response.status_code == 200 and response.headers["ETag"] != tag
    stale = acme.scim.patch(f"/Users/{user_id}", replace_title, headers={"If-Match": tag})
    assert_scim_error(stale, 412)


def test_a_patch_that_changes_nothing_keeps_the_version(acme: Provisioned) -> None:
    created = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "Lovelace", "ada"))
    user_id = created.json["id"]
    same = [{"op": "replace", "path": "displayName", "value": "Ada Lovelace"}]
    response = acme.scim.patch(f"/Users/{user_id}", same)
    assert response.headers["ETag"] == created.headers["ETag"]
    assert response.json["meta"]["lastModified"] == created.json["meta"]["lastModified"]


def test_a_write_with_a_wrong_token_does_not_queue_behind_the_writers(
    client: FlaskClient, acme: Provisioned, engine: Engine
) -> None:
    """On SQLite a write's credentials are read before it takes the write lock, so that a
    refused write never waits for another's transaction (and an accepted one holds the lock
    only for its own work). On PostgreSQL nothing is locked at this point either."""
    _, write_sessions = make_sessionmakers(engine)
    answers: list[int] = []
    with write_sessions() as holder:  # another writer, in the middle of its transaction
        holder.execute(
            text("UPDATE organisations SET name = name WHERE id = :id"), {"id": acme.org_id}
        )
        refused = threading.Thread(
            target=lambda: answers.append(
                client.post(
                    "/scim/v2/Users",
                    json=entra_user("ada@acme.test", "Ada", "L", "ada"),
                    headers={"Authorization": "Bearer not-a-token"},
                ).status_code
            )
        )
        refused.start()
        refused.join(timeout=10)
        waited = refused.is_alive()
        holder.commit()
    refused.join(timeout=10)
    assert not waited, "the refused write waited for the other writer's transaction"
    assert answers == [401]
    assert (
        acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "ada")).status_code == 201
    )
