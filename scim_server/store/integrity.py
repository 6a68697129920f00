"""Uniqueness as the database enforces it, answered as SCIM's 409 `uniqueness`.

Values that must be unique (userName, a group's displayName) are unique indexes, not
check-then-insert: a clash, even between two concurrent requests, surfaces at the flush.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scim_server.protocol.errors import Uniqueness


def violates(error: IntegrityError, index_name: str) -> bool:
    """Whether the error is a violation of the named unique index.

    PostgreSQL names the index in its message; SQLite names it for expression indexes
    ("UNIQUE constraint failed: index 'uq_…'").
    """
    return index_name in str(error.orig)


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
