"""A write that PostgreSQL aborted for a deadlock runs again, and what authentication recorded
(the token's last use) is not lost with the aborted transaction."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine, select, text
from werkzeug.test import TestResponse

from kinabase.organisations import Organisation
from kinabase.provisioning_activity import ProvisioningActivity
from kinabase.provisioning_tokens import ProvisioningToken
from tests.conftest import Provisioned
from tests.scim_client import ScimClient, entra_user


def wait_until_blocked_by(engine: Engine, holder: Connection) -> None:
    """Return once some backend waits for a lock that `holder`'s backend holds (or fail)."""
    holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
    blocked = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        # A new transaction each time: pg_stat_activity is a snapshot held for a transaction.
        with engine.connect() as connection:
            if connection.execute(blocked, {"pid": holder_pid}).scalar_one():
                return
        time.sleep(0.01)
    raise AssertionError("the request never waited for the lock")


def test_a_write_retried_after_a_deadlock_records_the_tokens_last_use(
    app: Flask, engine: Engine, acme: Provisioned, caplog: pytest.LogCaptureFixture
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL breaks deadlocks by aborting a transaction; SQLite queues writers")
    with engine.connect() as connection:
        ((token_id, last_used_at),) = connection.execute(
            select(ProvisioningToken.id, ProvisioningToken.last_used_at).where(
                ProvisioningToken.org_id == acme.org_id
            )
        ).all()
    assert last_used_at is None
    answers: list[TestResponse] = []
    request = threading.Thread(
        target=lambda: answers.append(
            ScimClient(app.test_client(), acme.scim.token).post(
                "/Users", entra_user("ada@acme.test", "Ada", "Lovelace", "ada")
            )
        )
    )

    # Another writer holds the organisation; the request records the token's use (locking the
    # token's row), then waits for the organisation; the writer then waits for the token's row.
    # PostgreSQL aborts the request's transaction (its deadlock check runs first: the other
    # writer's is put off), which runs again once the other writer is gone.
    with engine.connect() as other:
        other.execute(text("SET LOCAL deadlock_timeout = '60s'"))
        other.execute(
            select(Organisation.id).where(Organisation.id == acme.org_id).with_for_update()
        )
        with caplog.at_level(logging.WARNING, logger="scim_server.resources.retries"):
            request.start()
            try:
                wait_until_blocked_by(engine, other)
                other.execute(
                    select(ProvisioningToken.id)
                    .where(ProvisioningToken.id == token_id)
                    .with_for_update()
                )
            finally:
                other.rollback()
                request.join(timeout=30)

    assert [answer.status_code for answer in answers] == [201]
    assert "write aborted by a concurrent one (40P01)" in caplog.text
    with engine.connect() as connection:
        last_used_at = connection.execute(
            select(ProvisioningToken.last_used_at).where(ProvisioningToken.id == token_id)
        ).scalar_one()
    assert last_used_at is not None
    # The aborted attempt's activity entry went with it: the write is recorded once.
    with engine.connect() as connection:
        entries = connection.execute(
            select(ProvisioningActivity.outcome, ProvisioningActivity.name).where(
                ProvisioningActivity.org_id == acme.org_id
            )
        ).all()
    assert [tuple(entry) for entry in entries] == [("succeeded", "ada@acme.test")]
