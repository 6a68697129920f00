"""Uniqueness as the database enforces it, answered as SCIM's 409 `uniqueness`.

Values that must be unique (userName, a group's displayName) are unique indexes, not
check-then-insert: a clash, even between two concurrent requests, surfaces at the flush.
"""

from __future__ import annotations

import functools

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinabase.base import Base
from scim_server.protocol.errors import Uniqueness


def violates(error: IntegrityError, index_name: str) -> bool:
    """Whether the error is a violation of the named unique index.

    PostgreSQL names the index in its message; SQLite names it for expression indexes
    ("UNIQUE constraint failed: index 'uq_…'") and lists the columns of others
    ("UNIQUE constraint failed: scim_users.org_id, scim_users.user_name_folded").
    """
    message = str(error.orig)
    columns = _index_columns(index_name)
    return index_name in message or (columns is not None and message.endswith(columns))


@functools.cache
def _index_columns(index_name: str) -> str | None:
    """The columns of a plain index as SQLite lists them ("table.column, …"), if any."""
    for table in Base.metadata.tables.values():
        for index in table.indexes:
            if index.name == index_name:
                names = [f"{table.name}.{column.name}" for column in index.columns]
                if len(names) == len(index.expressions):
                    return ", ".join(names)
    return None


def flush_unique(session: Session, index_name: str, detail: str) -> None:
    """Flush; a violation of the unique index is 409 `uniqueness` (RFC 7644 §3.3) with `detail`.

    Any other integrity error is a bug and propagates as it is.
    """
    try:
        session.flush()
    except IntegrityError as error:
        if violates(error, index_name):
            raise Uniqueness(detail) from None
        raise
