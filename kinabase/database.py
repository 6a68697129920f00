"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with foreign keys on and a busy timeout. Its Python driver's implicit
transactions are replaced by explicit ones so that a writing unit of work can start with
`BEGIN IMMEDIATE`: a deferred transaction that reads and then writes fails with "database is
locked" when another process committed in between, whatever the busy timeout.

Writers queue on an advisory file lock (`<database>-writer.lock`, fcntl.flock) before `BEGIN
IMMEDIATE`, and release it once their transaction's COMMIT or ROLLBACK has run
(`WriterLockedConnection`). SQLite's own busy handler polls with sleeps of up to 100 ms, so with
several gunicorn workers most of a writer's time went to sleeping after the lock was already
free; the kernel wakes a flock waiter at once.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "kinabase_write"
# A session that runs one statement alone (`make_lookup_sessions`): no BEGIN on SQLite.
LOOKUP_OPTION = "kinabase_lookup"
# The most values one statement binds from a list (an IN list, an INSERT's rows): under
# PostgreSQL's 65,535 bind parameters and SQLite's 32,766 with room for the statement's own, and
# large enough that 100,000 ids cost ten statements.
BATCH_SIZE = 10_000

T = TypeVar("T")


def batches(values: Iterable[T], size: int = BATCH_SIZE) -> Iterator[list[T]]:
    """The values in lists of at most `size`, read lazily (a group's members may be many)."""
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


# PostgreSQL SQLSTATE classes and codes that say the server cannot serve now: connection
# exceptions, insufficient resources, operator intervention (shutdown, crash, starting up), and
# a database that does not accept connections (ALTER DATABASE … ALLOW_CONNECTIONS false).
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P")
UNAVAILABLE_SQLSTATES = frozenset({"55000"})
# SQLite's equivalents: the file cannot be opened, read, written or locked.
UNAVAILABLE_SQLITE_MESSAGES = (
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
    "database is locked",
)
PG_CONNECT_TIMEOUT_SECONDS = 5


PG_POOL_SIZE = 10


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the URL, configured for concurrent use by several workers.

    Errors never show bound parameters (`hide_parameters`): they hold personal data, and an
    outage would write them to the log with every failed request.
    """
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() != "sqlite":
        connect_args = kwargs.pop("connect_args", {})
        if "connect_timeout" not in parsed.query:
            connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_SECONDS)
        # A gthread worker's threads (GUNICORN_THREADS, 2 by default) may each hold two
        # connections at once (a read's own and the token's last-use write): a pool of 10 never
        # closes and reopens them, which would cost a PostgreSQL backend's start each time.
        kwargs.setdefault("pool_size", PG_POOL_SIZE)
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    sqlite_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if _is_file(parsed.database):
        sqlite_args["factory"] = WriterLockedConnection
    engine = create_engine(url, connect_args=sqlite_args, **kwargs)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "checkin", _end_leftover_transaction)
    if _is_file(parsed.database):
        lock_path = f"{parsed.database}-writer.lock"

        def name_lock(dbapi_connection: WriterLockedConnection, record: Any) -> None:
            dbapi_connection.writer_lock_path = lock_path

        event.listen(engine, "connect", name_lock)

    def begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(LOOKUP_OPTION, False):
            return  # one statement, which SQLite runs as a transaction of its own
        writing = options.get(WRITE_OPTION, False)
        driver_connection = connection.connection.driver_connection
        if writing and isinstance(driver_connection, WriterLockedConnection):
            driver_connection.take_writer_lock()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    event.listen(engine, "begin", begin)
    return engine


def is_unavailable(error: SQLAlchemyError) -> bool:
    """Whether the error says the database cannot be reached or cannot serve now (an outage),
    rather than that a statement is wrong (a bug)."""
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    return error.connection_invalidated or _driver_says_unavailable(error.orig)


def _driver_says_unavailable(original: BaseException | None) -> bool:
    module = type(original).__module__
    if module.startswith("psycopg"):
        state = getattr(original, "sqlstate", None)
        if state is None:  # no answer from a server: refused, reset, timed out
            return type(original).__name__ in ("OperationalError", "InterfaceError")
        return state.startswith(UNAVAILABLE_SQLSTATE_PREFIXES) or state in UNAVAILABLE_SQLSTATES
    if module.startswith("sqlite3"):
        message = str(original).lower()
        return any(text in message for text in UNAVAILABLE_SQLITE_MESSAGES)
    return False


def _is_file(database: str | None) -> bool:
    return bool(database) and database != ":memory:" and not str(database).startswith("file:")


class WriterLockedConnection(sqlite3.Connection):
    """A SQLite driver connection whose writers take turns on an advisory file lock
    (fcntl.flock on `<database>-writer.lock`), with the writers of every other process.

    A writing transaction takes the lock before its `BEGIN IMMEDIATE` (`take_writer_lock`) and
    releases it once its COMMIT or ROLLBACK has run, never before. SQLAlchemy's `commit` and
    `rollback` events fire before the driver's call: a lock released there let the next writer's
    `BEGIN IMMEDIATE` find the database still locked, and sleep in SQLite's busy handler (1 ms at
    least) while the lock was free. The lock file is opened once per connection and closed with
    it; flock locks belong to the open file, so two connections of one process exclude each
    other too, and a process that dies releases its locks with its files.
    """

    writer_lock_path: str | None = None
    _writer_lock_fd: int | None = None
    _writer_lock_held = False

    def take_writer_lock(self) -> None:
        """Wait for the lock and take it for this connection's transaction."""
        if self.writer_lock_path is None:
            return
        if self._writer_lock_fd is None:
            self._writer_lock_fd = os.open(self.writer_lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writer_lock_fd, fcntl.LOCK_EX)
        self._writer_lock_held = True

    def commit(self) -> None:
        """COMMIT, then let the next writer in (even if the COMMIT failed: SQLite's own lock
        still holds it back until this transaction is rolled back)."""
        try:
            super().commit()
        finally:
            self._release_writer_lock()

    def rollback(self) -> None:
        """ROLLBACK, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._release_writer_lock()

    def close(self) -> None:
        """Close the connection and its lock file (releasing the lock if it held it)."""
        try:
            super().close()
        finally:
            if self._writer_lock_fd is not None:
                os.close(self._writer_lock_fd)
                self._writer_lock_fd = None
                self._writer_lock_held = False

    def _release_writer_lock(self) -> None:
        if self._writer_lock_held and self._writer_lock_fd is not None:
            self._writer_lock_held = False
            fcntl.flock(self._writer_lock_fd, fcntl.LOCK_UN)


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    # Take transaction control away from the driver; _begin_sqlite_transaction emits BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _end_leftover_transaction(dbapi_connection: Any, connection_record: Any) -> None:
    """Roll back what a failed COMMIT left open before the connection goes back to the pool.

    SQLite keeps a transaction open when its COMMIT fails (a deferred foreign key, a full disk),
    and SQLAlchemy, taking the transaction for ended, returns the connection as it is: the next
    session on it would fail at BEGIN ("cannot start a transaction within a transaction"), still
    inside the failed transaction.
    """
    if dbapi_connection is not None and dbapi_connection.in_transaction:
        dbapi_connection.rollback()


def make_sessionmakers(engine: Engine) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """Session factories for reading and for writing units of work.

    Both behave the same on PostgreSQL; on SQLite the writing one takes the write lock at BEGIN.
    """
    read = sessionmaker(bind=engine, expire_on_commit=False)
    write = sessionmaker(
        bind=engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
    )
    return read, write


def make_lookup_sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory for a single read of one statement, such as a request's credentials.

    On SQLite no BEGIN is sent: the statement runs as a transaction of its own, and a writer's
    lookup before its `BEGIN IMMEDIATE` costs one statement, not two. Use it for one statement
    only; several statements on it would each see a different moment. On PostgreSQL it is an
    ordinary session.
    """
    return sessionmaker(
        bind=engine.execution_options(**{LOOKUP_OPTION: True}), expire_on_commit=False
    )
