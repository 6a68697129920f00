"""SQLite writers take turns on the writer lock; readers never wait for it."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kinabase.database import make_engine, make_sessionmakers


def test_a_writer_waits_for_the_other_and_readers_do_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    first_engine, second_engine = make_engine(url), make_engine(url)  # as two processes would
    with first_engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    read_first, write_first = make_sessionmakers(first_engine)
    read_second, write_second = make_sessionmakers(second_engine)
    order: list[str] = []
    second_started = threading.Event()

    def second_writer() -> None:
        with write_second() as session:
            second_started.set()
            session.execute(text("INSERT INTO t VALUES (2)"))  # BEGIN waits for the lock
            order.append("second wrote")
            session.commit()

    with write_first() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        thread = threading.Thread(target=second_writer)
        thread.start()
        second_started.wait()
        time.sleep(0.2)
        with read_second() as reader:  # a reader is not held up by the writers
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        order.append("first committed")
        session.commit()
    thread.join(timeout=10)

    assert order == ["first committed", "second wrote"]
    with read_first() as reader:
        assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 2
    assert Path(f"{tmp_path / 'lock.db'}-writer.lock").exists()
    first_engine.dispose()
    second_engine.dispose()


def test_closing_the_pool_closes_the_lock_files(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fds.db'}")
    _, write_sessions = make_sessionmakers(engine)
    before = len(list(Path("/proc/self/fd").iterdir()))
    for _ in range(3):
        with write_sessions() as session:
            session.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
            session.commit()
    engine.dispose()
    assert len(list(Path("/proc/self/fd").iterdir())) <= before


def test_a_commit_that_failed_leaves_nothing_for_the_next_session(tmp_path: Path) -> None:
    """SQLite keeps a transaction open when its COMMIT fails; the pool rolls it back, so the
    next session on the connection begins afresh, without the failed writes."""
    engine = make_engine(f"sqlite:///{tmp_path / 'failed.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        connection.execute(
            text(
                "CREATE TABLE child (parent INTEGER REFERENCES parent (id) "
                "DEFERRABLE INITIALLY DEFERRED, note TEXT)"
            )
        )
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        session.execute(text("INSERT INTO child VALUES (-1, 'orphan')"))
        try:
            session.commit()
        except IntegrityError:
            pass
        else:
            raise AssertionError("the deferred foreign key should have refused the commit")
    with write_sessions() as session:
        session.execute(text("INSERT INTO parent VALUES (1)"))
        session.commit()  # without the rollback, BEGIN fails inside the failed transaction
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM child")).scalar_one() == 0
        assert connection.execute(text("SELECT count(*) FROM parent")).scalar_one() == 1
    engine.dispose()


def test_the_writer_lock_is_held_until_commit_and_rollback_have_run(tmp_path: Path) -> None:
    """SQLAlchemy's commit and rollback events fire before the driver's call; a lock released
    there let the next writer's BEGIN IMMEDIATE meet a database still locked, and sleep in
    SQLite's busy handler. Seen from another open file, the lock is still taken while the
    driver runs COMMIT and ROLLBACK."""
    database = tmp_path / "held.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    _, write_sessions = make_sessionmakers(engine)
    observer = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    seen: dict[str, bool] = {}

    def note_whether_locked(statement: str) -> None:
        if statement in ("COMMIT", "ROLLBACK"):
            try:
                fcntl.flock(observer, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen[statement] = True
            else:
                fcntl.flock(observer, fcntl.LOCK_UN)
                seen[statement] = False

    try:
        for finish in ("commit", "rollback"):
            with write_sessions() as session:
                session.execute(text("INSERT INTO t VALUES (1)"))
                driver = session.connection().connection.driver_connection
                driver.set_trace_callback(note_whether_locked)
                getattr(session, finish)()
                driver.set_trace_callback(None)
        assert seen == {"COMMIT": True, "ROLLBACK": True}
        # and released afterwards: another writer takes it at once
        fcntl.flock(observer, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(observer, fcntl.LOCK_UN)
    finally:
        os.close(observer)
        engine.dispose()
