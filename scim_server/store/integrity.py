"""Telling a uniqueness clash from other integrity errors, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError


def violates(error: IntegrityError, index_name: str) -> bool:
    """Whether the error is a violation of the named unique index.

    PostgreSQL names the index in its message; SQLite names it for expression indexes
    ("UNIQUE constraint failed: index 'uq_…'").
    """
    return index_name in str(error.orig)
