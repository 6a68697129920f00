"""A PostgreSQL outage under `kinabase-m365 serve` (gunicorn): 503 with Retry-After and a SCIM
body while the database is unreachable, one log line per refused request and a rate-limited
summary, no traceback and no bound parameters; recovery without a restart.

The outage is a TCP proxy on loopback between the service and the shared PostgreSQL server,
stopped and started by the test: the server itself is never touched. The same server shows that
hostile input and long URLs are answered by the service, not by gunicorn, over a real socket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from tests.conformance.served import ServedService, serve_as_the_readme_says
from tests.scim_client import ERROR, entra_user
from tests.tcp_proxy import LOOPBACK, TcpProxy

SECRET_NAME = "very-personal-name@acme.test"


@pytest.fixture
def proxy(database_url: str) -> Iterator[TcpProxy]:
    if not database_url.startswith("postgresql"):
        pytest.skip("an outage of a database server: PostgreSQL only")
    url = make_url(database_url)
    proxy = TcpProxy(url.host or LOOPBACK, url.port or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def served(
    proxy: TcpProxy, database_url: str, engine: Engine, tmp_path: Path
) -> Iterator[ServedService]:
    proxied = make_url(database_url).set(host=LOOPBACK, port=proxy.port)
    with serve_as_the_readme_says(proxied.render_as_string(hide_password=False), tmp_path) as s:
        yield s


@pytest.fixture
def served_directly(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[ServedService]:
    with serve_as_the_readme_says(database_url, tmp_path) as service:
        yield service


def _client(served: ServedService) -> httpx2.Client:
    return httpx2.Client(
        base_url=served.base_url,
        headers={
            "Authorization": f"Bearer {served.token}",
            "Content-Type": "application/scim+json",
        },
        timeout=30,
    )


def _assert_scim_error(response: httpx2.Response, status: int, scim_type: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type


def test_an_outage_is_503_with_bounded_logs_and_recovery_without_restart(
    served: ServedService, proxy: TcpProxy
) -> None:
    with _client(served) as http:
        created = http.post("/Users", json=entra_user("ada@acme.test", "Ada", "Lovelace", "ada"))
        assert created.status_code == 201
        user_id = created.json()["id"]

        proxy.stop()
        refused = 0
        started = time.monotonic()
        for n in range(10):
            for response in (
                http.get("/Users"),
                http.get(f"/Users/{user_id}"),
                http.post("/Users", json=entra_user(SECRET_NAME, "V", "P", f"secret-{n}")),
            ):
                _assert_scim_error(response, 503, None)
                assert int(response.headers["Retry-After"]) > 0
                refused += 1
        assert time.monotonic() - started < 60
        health = httpx2.get(served.base_url.removesuffix("/scim/v2") + "/healthz")
        assert health.status_code == 503

        proxy.start()
        deadline = time.monotonic() + 20
        while (answer := http.get("/Users")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert answer.status_code == 200
        assert answer.json()["totalResults"] == 1
        after = http.post("/Users", json=entra_user("bob@acme.test", "Bob", "B", "bob"))
        assert after.status_code == 201

    log = served.log()
    assert "Traceback" not in log
    assert SECRET_NAME not in log
    assert "parameters" not in log.lower()
    lines = [line for line in log.splitlines() if "database unavailable" in line]
    per_request = [line for line in lines if "refused GET" in line or "refused POST" in line]
    assert refused <= len(per_request) <= refused + 2  # the health check's own line
    summaries = [line for line in lines if "since the last summary" in line]
    assert 1 <= len(summaries) <= 2  # at most one a minute, per worker


def test_hostile_input_and_long_urls_over_a_real_socket(served_directly: ServedService) -> None:
    served = served_directly
    with _client(served) as http:
        before = len(served.log().splitlines())
        nested = '{"userName": "x", "a": ' + "[" * 10_000 + "]" * 10_000 + "}"
        _assert_scim_error(http.post("/Users", content=nested), 400, "invalidSyntax")
        _assert_scim_error(http.get("/Users?filter=" + "a" * 5000), 414, None)
        big = json.dumps(entra_user("ada@acme.test", "Ada", "L", "a")).encode()
        chunks = iter([big[:-1], b" " * (9 * 1024 * 1024), b"}"])
        _assert_scim_error(http.post("/Users", content=chunks), 413, None)
        assert http.get("/Users").json()["totalResults"] == 0
        # One access log line per request, nothing else.
        assert len(served.log().splitlines()) - before <= 5
