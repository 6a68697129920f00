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


url = config.get_main_option("sqlalchemy.url")
assert url is not None, "sqlalchemy.url is set by kinabase_m365.migrate"  # noqa: S101
engine = make_engine(url)
try:
    with engine.connect() as connection:
        run_migrations(connection)
        connection.commit()
finally:
    engine.dispose()
