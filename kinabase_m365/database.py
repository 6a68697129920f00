"""The request-scoped database session: opened on first use, closed at teardown.

The request owns the transaction: handlers commit once when they succeed; anything not committed
is rolled back when the request ends. Requests that change data (POST, PUT, PATCH, DELETE) get a
writing session, which on SQLite takes the write lock at BEGIN; so do GET views marked with
`writes_data` (a redirect back from another site that must record its outcome).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kinabase.database import make_engine, make_lookup_sessions, make_sessionmakers

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXTENSION_KEY = "kinabase.database"
OUTAGE_SUMMARY_SECONDS = 60.0
View = TypeVar("View", bound=Callable[..., Any])

log = logging.getLogger(__name__)


class OutageReport:
    """What the log says while the database is unreachable: one line per failed request (no
    traceback, no SQL, no parameters), and a summary at most once per OUTAGE_SUMMARY_SECONDS
    with the number of requests refused since the last one."""

    def __init__(self, interval: float = OUTAGE_SUMMARY_SECONDS) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._refused = 0
        self._last_summary: float | None = None

    def failed(self, what: str, error: SQLAlchemyError) -> None:
        """Log that `what` (a request) failed because the database is unavailable."""
        reason = describe_outage(error)
        log.warning("database unavailable, refused %s: %s", what, reason)
        now = time.monotonic()
        with self._lock:
            self._refused += 1
            due = self._last_summary is None or now - self._last_summary >= self.interval
            if not due:
                return
            refused, self._refused, self._last_summary = self._refused, 0, now
        log.error(
            "database unavailable: %d request(s) refused since the last summary "
            "(next summary in %.0f s at the earliest): %s",
            refused,
            self.interval,
            reason,
        )


def describe_outage(error: SQLAlchemyError) -> str:
    """The driver's first line of the error: its kind and why, never a statement or values."""
    original = error.orig if isinstance(error, DBAPIError) else error
    first_line = (str(original).strip().splitlines() or [""])[0][:200]
    return f"{type(original).__name__}: {first_line}"


@dataclass(frozen=True)
class Database:
    """The app's engine, its session factories, and the report of its outages."""

    engine: Engine
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    lookup_sessions: sessionmaker[Session]
    outages: OutageReport = field(default_factory=OutageReport)


def init_app(app: Flask, database_url: str) -> Database:
    """Create the engine for the app and close each request's session at teardown."""
    engine = make_engine(database_url)
    read, write = make_sessionmakers(engine)
    database = Database(
        engine=engine,
        read_sessions=read,
        write_sessions=write,
        lookup_sessions=make_lookup_sessions(engine),
    )
    app.extensions[EXTENSION_KEY] = database
    app.teardown_appcontext(_close_session)
    return database


def get_database(app: Flask | None = None) -> Database:
    """The Database of the given or current app."""
    database: Database = (app or current_app).extensions[EXTENSION_KEY]
    return database


def is_writing() -> bool:
    """Whether this request changes data (and so has a writing session)."""
    return has_request_context() and _request_writes()


def db_session() -> Session:
    """This request's session (a writing one for requests that change data)."""
    session: Session | None = g.get("_db_session")
    if session is None:
        database = get_database()
        session = (database.write_sessions if is_writing() else database.read_sessions)()
        g._db_session = session
    return session


@contextmanager
def lookup_session() -> Iterator[Session]:
    """A session for the one statement a request reads before its work (its credentials).

    On SQLite a writing session holds the database's one write lock from its `BEGIN IMMEDIATE`
    to its commit, and every writer of every worker queues for it: a write's lookup runs before
    that, as a statement of its own (`kinabase.database.make_lookup_sessions`), outside the
    lock. Otherwise, and on PostgreSQL, which locks rows rather than the database, it is the
    request's own session.
    """
    database = get_database()
    if not (is_writing() and database.engine.dialect.name == "sqlite"):
        yield db_session()
        return
    with database.lookup_sessions() as session:
        yield session


def writes_data(view: View) -> View:
    """Mark a GET view that changes data, so that its session is a writing one."""
    view.writes_data = True  # type: ignore[attr-defined]
    return view


def _request_writes() -> bool:
    if request.method in WRITE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_data", False))


def commit_write() -> None:
    """Commit this request's write now that its answer has read all it needs (once; a read
    commits nothing).

    What follows only renders and encodes the answer, outside the transaction: on SQLite,
    outside the write lock that every writer queues for.
    """
    if not is_writing() or g.get("_write_committed", False):
        return
    db_session().commit()
    g._write_committed = True


def write_committed() -> bool:
    """Whether this request's write has been committed (`commit_write`)."""
    return bool(g.get("_write_committed", False))


def discard_session() -> None:
    """Close this request's session (rolling back); the next db_session() opens a new one."""
    _close_session(None)


def _close_session(exc: BaseException | None) -> None:
    session: Session | None = g.pop("_db_session", None)
    if session is not None:
        session.close()
