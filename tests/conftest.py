"""Fixtures shared by the whole suite.

Database tests run on SQLite, and also on PostgreSQL when TEST_DATABASE_URL names a database
(`.ci/run` sets it). The schema is migrated once per engine per run; after each test every table
is emptied, so tests never see each other's rows.

No test may leave this machine: connections to anything but loopback raise.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, exists, literal, select, text, union_all
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.database import WRITE_OPTION, make_engine, make_sessionmakers
from kinabase.provisioning_tokens import issue_token
from kinabase_m365 import migrate
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from kinabase_m365.schema import metadata
from tests.scim_client import ScimClient

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


class UnroutedHostError(RuntimeError):
    """A test tried to reach a host that is not on this machine."""


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # Unix sockets stay on this machine.
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _refuse_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that would leave the machine (Microsoft included)."""
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise UnroutedHostError(f"tests must not reach {address!r}")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (None, "localhost") and not _is_loopback((host, 0)):
            raise UnroutedHostError(f"tests must not resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


def _reset_postgresql(url: str) -> None:
    """An empty public schema; and commits that do not wait for the WAL to reach the disk.

    `synchronous_commit = off` is set on the test database (for every later connection: the
    tests', and those of the services they start): a crash could lose the last commits, never
    leave the database inconsistent, and nothing outlives a test run. Every commit is then a
    few milliseconds quicker, and the suite makes tens of thousands.
    """
    engine = make_engine(url)
    database = make_url(url).database
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        preparer = engine.dialect.identifier_preparer
        connection.execute(
            text(f"ALTER DATABASE {preparer.quote(database or '')} SET synchronous_commit = off")
        )
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database on each engine under test."""
    if request.param == "sqlite":
        path = Path(tmp_path_factory.mktemp("sqlite")) / "kinabase.db"
        url = f"sqlite:///{path}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        _reset_postgresql(url)
    migrate.upgrade(url)
    return url


def empty_all_tables(engine: Engine) -> None:
    """Delete every row of every table (after a test, or a module that shares a database).

    Children before parents, and only the tables that have a row (one query finds them: a test
    writes to a few of them). On PostgreSQL the sequences that were used start again, as after
    TRUNCATE … RESTART IDENTITY; DELETE is used rather than TRUNCATE, which creates new files
    for every table and takes locks that wait for any open transaction on them (half a second
    or more a test with a few dozen tables, against a few tens of milliseconds).
    """
    tables = list(reversed(metadata.sorted_tables))
    # A writer from the start (on SQLite the writer lock and BEGIN IMMEDIATE): a read that then
    # writes fails at once with "database is locked" when a served process or job worker of the
    # session committed in between.
    with engine.execution_options(**{WRITE_OPTION: True}).begin() as connection:
        used = set(connection.execute(_TABLES_WITH_ROWS).scalars())
        for table in tables:
            if table.name in used:
                connection.execute(table.delete())
        if engine.dialect.name == "postgresql":
            connection.execute(_RESTART_USED_SEQUENCES)


# The name of each table that has at least one row.
_TABLES_WITH_ROWS = union_all(
    *(
        select(literal(table.name)).where(exists(select(literal(1)).select_from(table)))
        for table in metadata.sorted_tables
    )
)
# Every sequence of the schema that gave a value since it was created or restarted (its
# last_value is null until then) starts again from its first value.
_RESTART_USED_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test database; every table is emptied after the test."""
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        empty_all_tables(engine)
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A writing session; the test decides when to commit."""
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        yield session


@pytest.fixture
def app(engine: Engine, database_url: str) -> Iterator[Flask]:
    """The service on the test database, in test mode."""
    app = create_app(
        {"database_url": database_url, "environment": "test", "secret_key": "test-secret-key"}
    )
    app.testing = True
    yield app
    get_database(app).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An HTTP client for the app."""
    return app.test_client()


def pytest_report_header(config: pytest.Config) -> str:
    """Say which databases the run covers."""
    return "databases under test: " + ", ".join(BACKENDS)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Count the database tests that passed on each engine, so CI's log shows both ran."""
    passed = terminalreporter.stats.get("passed", [])
    counts = {backend: 0 for backend in BACKENDS}
    for report in passed:
        for backend in BACKENDS:
            if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
                counts[backend] += 1
    summary = ", ".join(f"{backend}: {count} passed" for backend, count in counts.items())
    terminalreporter.write_line(f"database tests by engine: {summary}")


@dataclass
class Provisioned:
    """An organisation with a SCIM token, and a client that uses it."""

    org_id: int
    scim: ScimClient


def provision_organisation(engine: Engine, client: FlaskClient, seats: int = 25) -> Provisioned:
    """Create an organisation and a token for it, committed."""
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        organisation = create_organisation(session, "Acme", licence_seats=seats)
        secret = issue_token(session, organisation.id, "tests").secret
        org_id = organisation.id
        session.commit()
    return Provisioned(org_id=org_id, scim=ScimClient(client, secret))


@pytest.fixture
def acme(engine: Engine, client: FlaskClient) -> Provisioned:
    """Organisation "Acme" (25 seats) with a SCIM client."""
    return provision_organisation(engine, client)


@pytest.fixture
def globex(engine: Engine, client: FlaskClient) -> Provisioned:
    """A second organisation, for isolation tests."""
    return provision_organisation(engine, client)


@pytest.fixture
def read_session(engine: Engine) -> Iterator[Session]:
    """A reading session for checking what requests wrote (expire_all() between requests)."""
    read_sessions, _ = make_sessionmakers(engine)
    with read_sessions() as session:
        yield session


@pytest.fixture
def cli_org_id(cli_env: str, session: Session) -> int:
    """An organisation in the test database, which the command reaches through DATABASE_URL."""
    organisation_id = create_organisation(session, "Acme").id
    session.commit()  # release SQLite's write lock for the command
    return organisation_id


@pytest.fixture
def cli_env(database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the kinabase-m365 command at the test database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("KINABASE_SECRET_KEY", "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0")
    monkeypatch.delenv("KINABASE_ENV", raising=False)
    return database_url
