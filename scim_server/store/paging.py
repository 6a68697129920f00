"""`totalResults` of a query (RFC 7644 §3.4.2), counted only when the page cannot tell it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from scim_server.protocol.query import ListQuery


def count_matches(
    session: Session,
    model: type[Any],
    condition: Sequence[ColumnElement[bool]],
    query: ListQuery,
    page_length: int,
) -> int:
    """The number of resources matching `condition`.

    A page that is not full and has resources before it, or starts at the first one, already
    tells the total: the resources before it plus its own. Otherwise the database counts.
    """
    if 0 < page_length < query.count or (page_length == 0 < query.count and query.offset == 0):
        return query.offset + page_length
    return session.scalar(select(func.count()).select_from(model).where(*condition)) or 0
