"""Password sign-in is throttled per account and per client address, with growing delays,
counted in the database so that every worker and machine shares the counts (issue 16)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from kinabase.organisations import Organisation
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from sso.throttle import password_throttle
from tests.passwords import password_hash
from tests.sso.support import Scene, add_organisation, add_user, app_settings, assert_refused

PASSWORD = "correct horse battery staple"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def organisation(session: Session) -> Organisation:
    organisation = add_organisation(session, None, microsoft=False)
    add_user(session, organisation, "ada@example.test").password_hash = password_hash(PASSWORD)
    session.commit()
    return organisation


def sign_in(
    browser: FlaskClient, organisation: Organisation, email: str, password: str, address: str
) -> TestResponse:
    form = {"org": str(organisation.id), "email": email, "password": password}
    return browser.post("/login/password", data=form, environ_overrides={"REMOTE_ADDR": address})


def test_guessing_one_accounts_password_is_stopped_and_the_right_one_waits_too(
    browser: FlaskClient, organisation: Organisation
) -> None:
    for attempt in range(5):
        wrong = sign_in(browser, organisation, "ada@example.test", f"guess {attempt}!!", "10.0.0.1")
        assert_refused(wrong, 401, "wrong")

    # From another address too: the account's own limit holds.
    throttled = sign_in(browser, organisation, "ADA@example.test", PASSWORD, "10.0.0.2")

    assert_refused(throttled, 429, "too many failed sign-in attempts")
    assert 0 < int(throttled.headers["Retry-After"]) <= 60


def test_the_answer_does_not_tell_whether_the_account_exists(
    browser: FlaskClient, organisation: Organisation
) -> None:
    answers = {}
    for email in ("ada@example.test", "nobody@example.test"):
        for attempt in range(6):
            answers[email] = sign_in(browser, organisation, email, f"guess {attempt}!!", "10.0.0.3")

    assert answers["ada@example.test"].status_code == answers["nobody@example.test"].status_code
    assert answers["ada@example.test"].text == answers["nobody@example.test"].text


def test_one_address_trying_many_accounts_is_stopped(
    browser: FlaskClient, organisation: Organisation
) -> None:
    for number in range(30):
        sign_in(browser, organisation, f"user{number}@example.test", "guess!!", "10.0.0.4")

    throttled = sign_in(browser, organisation, "ada@example.test", PASSWORD, "10.0.0.4")
    elsewhere = sign_in(browser, organisation, "ada@example.test", PASSWORD, "10.0.0.5")

    assert_refused(throttled, 429, "from your network")
    assert elsewhere.status_code == 303


def test_delays_grow_with_persistence(sso_app: Flask, organisation: Organisation) -> None:
    with sso_app.test_request_context():
        throttle = password_throttle()
        for _ in range(10):
            throttle.record_failure(organisation.id, "ada@example.test", "10.0.0.6")
        browser = sso_app.test_client()

    throttled = sign_in(browser, organisation, "ada@example.test", PASSWORD, "10.0.0.7")

    assert_refused(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 60  # the 15-minute window, not the minute


@pytest.fixture
def second_worker(engine: Engine, database_url: str, scene: Scene) -> Iterator[Flask]:
    """Another instance of the service on the same database, as another worker or machine."""
    app = create_app(app_settings(database_url, scene.registration))
    yield app
    get_database(app).engine.dispose()


def test_counts_are_shared_by_every_worker(
    browser: FlaskClient, second_worker: Flask, organisation: Organisation
) -> None:
    other = second_worker.test_client()
    for attempt in range(5):
        client = browser if attempt % 2 else other
        sign_in(client, organisation, "ada@example.test", f"guess {attempt}!!", "10.0.0.8")

    assert (
        sign_in(browser, organisation, "ada@example.test", PASSWORD, "10.0.0.9").status_code == 429
    )
    assert sign_in(other, organisation, "ada@example.test", PASSWORD, "10.0.0.9").status_code == 429


def test_a_successful_sign_in_clears_the_accounts_count(
    browser: FlaskClient, organisation: Organisation
) -> None:
    for attempt in range(4):
        sign_in(browser, organisation, "ada@example.test", f"guess {attempt}!!", "10.0.1.1")
    assert (
        sign_in(browser, organisation, "ada@example.test", PASSWORD, "10.0.1.1").status_code == 303
    )

    for attempt in range(4):
        wrong = sign_in(browser, organisation, "ada@example.test", f"again {attempt}!!", "10.0.1.2")
        assert wrong.status_code == 401


def test_with_redis_url_the_counts_live_in_redis_and_every_worker_shares_them(
    engine: Engine, database_url: str, scene: Scene, session: Session, organisation: Organisation
) -> None:
    """Redis runs on 127.0.0.1:6379 here and in CI. Its counts outlive the test, so the account
    and the addresses are new at every run."""
    email = f"{uuid.uuid4().hex}@example.test"
    add_user(session, organisation, email).password_hash = password_hash(PASSWORD)
    session.commit()
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    workers = [
        create_app(app_settings(database_url, scene.registration, redis_url=REDIS_URL))
        for _ in range(2)
    ]
    try:
        clients = [worker.test_client() for worker in workers]
        for attempt in range(5):
            sign_in(clients[attempt % 2], organisation, email, f"guess {attempt}!!", address)

        for client in clients:
            assert sign_in(client, organisation, email, PASSWORD, address).status_code == 429
        with redis.Redis.from_url(REDIS_URL) as store:
            keys = [key.decode() for key in store.scan_iter("LIMITS:*")]
        assert any(f"address:{address}/" in key for key in keys)
        assert not any(email in key for key in keys)  # accounts are counted by digest
    finally:
        for worker in workers:
            get_database(worker).engine.dispose()
