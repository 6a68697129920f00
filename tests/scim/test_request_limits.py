"""Request size and URL length limits (scim_server/resources/request_limits.py): 413 and 414 with
SCIM bodies, before the body is read; the limit is a setting and ServiceProviderConfig
advertises it."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import EnvironBuilder, TestResponse, run_wsgi_app

from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from kinabase_m365.settings import SettingsError, load_settings
from tests.conftest import Provisioned, provision_organisation
from tests.scim.test_http_edge import assert_scim_error
from tests.scim_client import entra_user

LIMIT = 64 * 1024


class CountingStream(io.RawIOBase):
    """A request body of `size` blank bytes that counts what the server reads of it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = self.size + offset if whence == io.SEEK_END else offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.size - self.position)
        buffer[:count] = b" " * count
        self.position += count
        self.read_bytes += count
        return count


@pytest.fixture
def small_app(engine: Engine, database_url: str) -> Iterator[Flask]:
    """The service with a 64 KiB request limit."""
    app = create_app(
        {
            "database_url": database_url,
            "environment": "test",
            "secret_key": "test-secret-key",
            "scim_max_request_bytes": LIMIT,
        }
    )
    app.testing = True
    yield app
    get_database(app).engine.dispose()


@pytest.fixture
def small(engine: Engine, small_app: Flask) -> Provisioned:
    return provision_organisation(engine, small_app.test_client())


def _post_stream(
    client: FlaskClient, token: str, stream: CountingStream, *, declared: bool
) -> TestResponse:
    """POST the stream, with its Content-Length or chunked as gunicorn hands that over (no
    length, `wsgi.input_terminated`): the environ goes to the app exactly as built."""
    builder = EnvironBuilder(
        path="/scim/v2/Users",
        method="POST",
        input_stream=stream,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
    )
    environ = builder.get_environ()
    if not declared:
        del environ["CONTENT_LENGTH"]
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    body, status, headers = run_wsgi_app(client.application, environ, buffered=True)
    return TestResponse(body, status, headers, request=builder.get_request())


def test_a_declared_body_over_the_limit_is_413_and_never_read(small: Provisioned) -> None:
    stream = CountingStream(100 * 1024 * 1024)
    response = _post_stream(small.scim.http, small.scim.token, stream, declared=True)
    assert_scim_error(response, 413)
    assert str(LIMIT) in response.json["detail"]
    assert stream.read_bytes == 0
    assert small.scim.get("/Users").status_code == 200


def test_a_streamed_body_is_cut_off_at_the_limit(small: Provisioned) -> None:
    stream = CountingStream(100 * 1024 * 1024)
    response = _post_stream(small.scim.http, small.scim.token, stream, declared=False)
    assert_scim_error(response, 413)
    assert stream.read_bytes <= 2 * LIMIT
    assert small.scim.get("/Users").status_code == 200


def test_a_body_under_the_limit_is_served(small: Provisioned) -> None:
    body = entra_user("ada@acme.test", "Ada", "Lovelace", "ada")
    assert small.scim.post("/Users", body).status_code == 201
    bob = entra_user("bob@acme.test", "Bob", "Builder", "bob")
    padded = json.dumps(bob) + " " * (LIMIT - 2000)
    response = small.scim.http.post(
        "/scim/v2/Users",
        data=padded,
        headers={"Authorization": f"Bearer {small.scim.token}"},
        content_type="application/scim+json",
    )
    assert response.status_code == 201


def test_service_provider_config_advertises_the_limit(small: Provisioned) -> None:
    """/Bulk's own limit (1 MiB by default) cannot exceed every request's: the smaller one is
    what /ServiceProviderConfig promises."""
    config = small.scim.get("/ServiceProviderConfig").json
    assert config["bulk"] == {"supported": True, "maxOperations": 1000, "maxPayloadSize": LIMIT}


def test_the_limit_is_a_setting_with_a_sane_default() -> None:
    env = {"KINABASE_ENV": "test"}
    assert load_settings(env).scim_max_request_bytes == 8 * 1024 * 1024
    assert load_settings(env | {"SCIM_MAX_REQUEST_BYTES": "1048576"}).scim_max_request_bytes == (
        1024 * 1024
    )
    with pytest.raises(SettingsError, match="SCIM_MAX_REQUEST_BYTES"):
        load_settings(env | {"SCIM_MAX_REQUEST_BYTES": "10"})


def test_a_url_over_the_limit_is_a_scim_414(acme: Provisioned) -> None:
    long_filter = "userName eq " + '"' + "a" * 5000 + '"'
    response = acme.scim.filter("/Users", long_filter)
    assert_scim_error(response, 414)
    assert_scim_error(acme.scim.get("/Nothing?x=" + "a" * 5000), 414)
    assert acme.scim.http.get("/login?x=" + "a" * 5000).status_code == 414
    assert acme.scim.filter("/Users", 'userName eq "ada"').status_code == 200


def test_a_10_mb_display_name_is_refused_by_the_default_limit(acme: Provisioned) -> None:
    body = entra_user("ada@acme.test", "Ada", "Lovelace", "ada")
    body["displayName"] = "x" * (10 * 1024 * 1024)
    assert_scim_error(acme.scim.post("/Users", body), 413)
    assert acme.scim.get("/Users").json["totalResults"] == 0
