"""Migrations create the whole schema on an empty database, and match the models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from kinabase.accounts import create_organisation, create_user
from kinabase.database import make_engine, make_sessionmakers
from kinabase_m365 import migrate
from kinabase_m365.schema import metadata

# SQLite cannot reflect expression indexes (lower(email)); the comparison skips them, saying so.
reflection_limits = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection", "ignore:autogenerate skipping"
)


@reflection_limits
def test_upgrade_creates_every_table_on_an_empty_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
        assert [d for d in diff if d[0] != "add_index"] == []
        migrate.downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL runs when TEST_DATABASE_URL is set"
)
def test_upgrade_creates_every_table_on_an_empty_postgresql_schema() -> None:
    base = os.environ["TEST_DATABASE_URL"]
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_check"))
    url = base + ("&" if "?" in base else "?") + "options=-csearch_path%3Dmigration_check"
    engine = make_engine(url)
    try:
        migrate.upgrade(url)
        names = set(inspect(engine).get_table_names(schema="migration_check"))
        assert set(metadata.tables) <= names
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
        assert diff == []
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA migration_check CASCADE"))
        admin.dispose()


def test_migrations_that_rebuild_a_sqlite_table_keep_every_row_below_it(tmp_path: Path) -> None:
    """SQLite alters a table by copying it; with foreign keys on, dropping the old copy of
    `organisations` would delete every user, record and grant below it (ON DELETE CASCADE)."""
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        _, write_sessions = make_sessionmakers(engine)
        with write_sessions() as session:
            org_id = create_organisation(session, "Acme").id
            create_user(session, org_id, "ada@acme.test", active=True)
            session.commit()

        def rows() -> tuple[int, int, int]:
            with engine.connect() as connection:
                return tuple(  # type: ignore[return-value]
                    connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
                    for table in ("organisations", "users", "records")
                )

        assert rows() == (1, 1, 1)
        engine.dispose()
        migrate.downgrade(url, "0005")  # rebuilds organisations (seats, files, case keys)
        assert rows() == (1, 1, 1)
        migrate.upgrade(url)
        assert rows() == (1, 1, 1)
    finally:
        engine.dispose()
