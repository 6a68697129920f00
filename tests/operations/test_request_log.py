"""One JSON log line per request, with a request id, the organisation and no secrets."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from kinabase_m365.request_log import REQUEST_LOGGER, JsonFormatter, RequestIdFilter
from tests.conftest import Provisioned
from tests.scim.test_oauth_client_credentials import access_token, new_client
from tests.scim_client import ScimClient, entra_user


def request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == REQUEST_LOGGER]


def test_each_request_logs_one_line_with_its_organisation_and_never_a_secret(
    client: FlaskClient, engine: Engine, acme: Provisioned, caplog: pytest.LogCaptureFixture
) -> None:
    client_id, secret = new_client(engine, acme.org_id)
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        token = access_token(client, client_id, secret)
        acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "e-1"))
        ScimClient(client, token).filter("/Users", 'userName eq "ada@acme.test"')
        client.get("/healthz")

    records = request_records(caplog)
    assert [(r.method, r.path, r.status) for r in records] == [  # type: ignore[attr-defined]
        ("POST", "/scim/oauth/token", 200),
        ("POST", "/scim/v2/Users", 201),
        ("GET", "/scim/v2/Users", 200),  # without its query: filter values are personal data
        ("GET", "/healthz", 200),
    ]
    assert [getattr(r, "org_id", None) for r in records] == [acme.org_id] * 3 + [None]
    credentials = [getattr(r, "credential", None) for r in records]
    assert credentials[0] == credentials[2] == f"client:{client_id}"
    assert str(credentials[1]).startswith("token:") and credentials[3] is None
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in records]
    for line in lines:
        for secret_value in (secret, token, acme.scim.token, "ada@acme.test"):
            assert secret_value not in line
        entry = json.loads(line)
        assert entry["duration_ms"] >= 0 and entry["level"] == "INFO"


def test_a_sane_request_id_is_kept_and_anything_else_replaced(client: FlaskClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-Id": "entra-1234.abc:5"})
    replaced = [
        client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        for bad in ("x" * 129, "a b", "<script>", "")
    ]
    fresh = client.get("/healthz").headers["X-Request-Id"]

    assert kept.headers["X-Request-Id"] == "entra-1234.abc:5"
    assert len(set(replaced)) == 4
    for value in [*replaced, fresh]:
        assert len(value) == 32 and value.isalnum()


def test_a_refused_request_is_logged_with_its_request_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        response = client.get(
            "/scim/v2/Users",
            headers={"Authorization": "Bearer kbm365_wrong", "X-Request-Id": "r-1"},
        )

    assert response.status_code == 401 and response.headers["X-Request-Id"] == "r-1"
    (record,) = request_records(caplog)
    assert record.status == 401  # type: ignore[attr-defined]
    assert not hasattr(record, "org_id")
    assert "kbm365_wrong" not in JsonFormatter().format(record)


def test_every_record_in_a_request_carries_its_id_and_a_traceback_stays_on_one_line(
    app: Flask,
) -> None:
    with app.test_request_context("/x", headers={"X-Request-Id": "abc"}):
        app.preprocess_request()
        try:
            raise ValueError("boom")
        except ValueError:
            record = logging.LogRecord(
                "kinabase", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
            )
        RequestIdFilter().filter(record)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "abc"
    assert entry["message"] == "failed here"
    assert "ValueError: boom" in entry["exc_info"]
