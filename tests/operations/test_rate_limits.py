"""Rate limits per provisioning token and per OAuth client: 429, Retry-After, a SCIM body; in
memory by default, in Redis (shared by every app on the database) with REDIS_URL."""

from __future__ import annotations

import logging
import time

import pytest
from flask import Flask
from sqlalchemy import Engine

from kinabase_m365.metrics import EXTENSION_KEY as METRICS
from scim_server.resources.rate_limits import SweepingMemoryStorage, get_rate_limits
from tests.conftest import provision_organisation
from tests.operations.conftest import MakeApp
from tests.operations.redis_support import forget_counts, require_redis
from tests.scim.test_oauth_client_credentials import access_token, new_client
from tests.scim_client import ERROR, ScimClient

TOKEN_URL = "/scim/oauth/token"


def rate_limited_count(app: Flask, scope: str) -> float | None:
    registry = app.extensions[METRICS].registry
    return registry.get_sample_value(  # type: ignore[no-any-return]
        "kinabase_m365_rate_limited_requests_total", {"scope": scope}
    )


def test_a_token_over_its_allowance_gets_429_with_retry_after(
    make_app: MakeApp, engine: Engine
) -> None:
    app = make_app(scim_rate_limit="3/minute")
    client = app.test_client()
    acme = provision_organisation(engine, client)
    globex = provision_organisation(engine, client)

    statuses = [acme.scim.get("/Users").status_code for _ in range(3)]
    refused = acme.scim.get("/Users")

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.get_json()
    assert body["schemas"] == [ERROR] and body["status"] == "429"
    assert "try again" in body["detail"]
    assert globex.scim.get("/Users").status_code == 200  # another token's own allowance
    assert rate_limited_count(app, "scim") == 1.0
    # A request without a valid token is refused before it is counted.
    assert ScimClient(client, "kbm365_wrong").get("/Users").status_code == 401


def test_an_oauth_client_has_one_allowance_for_all_its_access_tokens(
    make_app: MakeApp, engine: Engine
) -> None:
    app = make_app(scim_rate_limit="4/minute")
    client = app.test_client()
    acme = provision_organisation(engine, client)
    client_id, secret = new_client(engine, acme.org_id)
    first = ScimClient(client, access_token(client, client_id, secret))
    second = ScimClient(client, access_token(client, client_id, secret))

    statuses = [scim.get("/Users").status_code for scim in (first, second, first, second, first)]

    assert statuses == [200, 200, 200, 200, 429]
    assert acme.scim.get("/Users").status_code == 200


def test_the_token_endpoint_limits_each_client_id(make_app: MakeApp, engine: Engine) -> None:
    app = make_app(oauth_token_rate_limit="2/minute")
    client = app.test_client()
    acme = provision_organisation(engine, client)
    client_id, secret = new_client(engine, acme.org_id)
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}

    statuses = [client.post(TOKEN_URL, data=form).status_code for _ in range(2)]
    refused = client.post(TOKEN_URL, data=form)

    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.get_json()["error"] == "temporarily_unavailable"
    assert rate_limited_count(app, "oauth_token") == 1.0


def test_off_switches_a_limit_off(make_app: MakeApp, engine: Engine) -> None:
    app = make_app(scim_rate_limit="off")
    acme = provision_organisation(engine, app.test_client())

    assert {acme.scim.get("/Users").status_code for _ in range(30)} == {200}


def test_the_default_allowance_is_far_above_entras_pace(make_app: MakeApp, engine: Engine) -> None:
    app = make_app()
    acme = provision_organisation(engine, app.test_client())

    # Entra's gallery asks for 25 requests a second per tenant; two seconds' worth pass at once.
    assert {acme.scim.get("/Users").status_code for _ in range(50)} == {200}
    # A second's allowance above what one client sending one request after another reaches
    # (scim2-tester reached 263 a second on a quiet machine), and 4 times Entra's pace sustained.
    limits = [str(item) for item in get_rate_limits(app).scim]
    assert limits == ["1000 per 1 second", "6000 per 1 minute"]


def test_with_redis_every_app_on_the_database_shares_one_allowance(
    make_app: MakeApp, engine: Engine, database_url: str
) -> None:
    redis_url = require_redis()
    forget_counts(database_url)
    worker_a = make_app(scim_rate_limit="4/minute", redis_url=redis_url)
    worker_b = make_app(scim_rate_limit="4/minute", redis_url=redis_url)
    acme = provision_organisation(engine, worker_a.test_client())
    via_b = ScimClient(worker_b.test_client(), acme.scim.token)
    try:
        statuses = [
            scim.get("/Users").status_code for scim in (acme.scim, via_b, acme.scim, via_b, via_b)
        ]
    finally:
        forget_counts(database_url)

    assert statuses == [200, 200, 200, 200, 429]


def test_an_unreachable_redis_lets_requests_through_and_says_so(
    make_app: MakeApp, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    app = make_app(scim_rate_limit="1/minute", redis_url="redis://127.0.0.1:9/0")
    acme = provision_organisation(engine, app.test_client())

    with caplog.at_level(logging.WARNING):
        statuses = [acme.scim.get("/Users").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    warnings = [r for r in caplog.records if "rate limit storage unreachable" in r.getMessage()]
    assert len(warnings) == 1  # at most once a minute


class _RareSweeps(SweepingMemoryStorage):
    SWEEP_INTERVAL = 3600.0


class _EverySweep(SweepingMemoryStorage):
    SWEEP_INTERVAL = 0.0


def test_the_memory_storage_starts_no_sweep_thread_per_hit() -> None:
    """`limits`' own MemoryStorage starts a new 10 ms timer thread whenever its last one has
    ended, so nearly every request started a thread; ours starts none within its interval.
    This also fails should a release of `limits` stop calling the hook the storage overrides."""
    storage = _RareSweeps()
    first = storage.timer
    first.join()

    for _ in range(20):
        storage.incr("token:1/second", 60)

    assert storage.timer is first
    assert storage.get("token:1/second") == 20


def test_the_memory_storage_still_sweeps_expired_counters() -> None:
    """Once its interval has passed, the sweep still frees counters nobody reads again."""
    storage = _EverySweep()
    storage.timer.join()
    storage.incr("token:1/past-window", 0.01)
    storage.timer.join()
    time.sleep(0.05)
    before = storage.timer

    storage.incr("token:1/this-window", 60)
    assert storage.timer is not before, "no sweep was started once the interval had passed"
    storage.timer.join()

    assert "token:1/past-window" not in storage.storage
    assert storage.get("token:1/this-window") == 1
