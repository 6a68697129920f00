"""Alembic environment: runs migrations online against the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from kinabase.database import make_engine
from kinabase_m365.schema import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    """Run the migrations in one transaction (batch mode lets SQLite alter tables)."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _without_foreign_keys_on_sqlite(connection: Connection) -> None:
    """Batch mode alters a SQLite table by copying it and dropping the old one, and dropping a
    table with `foreign_keys=ON` deletes the rows that reference it (ON DELETE CASCADE): an
    ALTER of `organisations` would empty every table below it. The pragma is set on the driver
    connection before any transaction begins (inside one SQLite ignores it); a foreign key
    check after the migrations proves nothing was left dangling."""
    if connection.dialect.name == "sqlite":
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]


def _check_foreign_keys_on_sqlite(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if dangling:
            raise RuntimeError(f"the migration left rows with dangling foreign keys: {dangling}")


url = config.get_main_option("sqlalchemy.url")
assert url is not None, "sqlalchemy.url is set by kinabase_m365.migrate"  # noqa: S101
engine = make_engine(url)
try:
    with engine.connect() as connection:
        _without_foreign_keys_on_sqlite(connection)
        run_migrations(connection)
        _check_foreign_keys_on_sqlite(connection)
        connection.commit()
finally:
    engine.dispose()
