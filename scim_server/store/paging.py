"""What users and groups queries share (RFC 7644 §3.4.2): the WHERE and ORDER BY of a
`ListQuery`, and `totalResults`, counted only when the page cannot tell it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from scim_server.protocol.query import ListQuery, SortOrder
from scim_server.store.filter_targets import FilterTarget
from scim_server.store.filters import compile_filter, compile_sort


def where_and_order(
    org_condition: ColumnElement[bool],
    primary_key: QueryableAttribute[Any],
    target: FilterTarget,
    query: ListQuery,
    dialect_name: str,
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[Any]]]:
    """The conditions (the organisation's, then the filter's) and the sort keys of a query.

    Ties, and unsorted queries, are ordered by the primary key (creation order), so that pages
    are stable.
    """
    condition = [org_condition]
    if query.filter is not None:
        condition.append(compile_filter(query.filter, target, dialect_name))
    order: list[ColumnElement[Any]] = []
    if query.sort_by is not None:
        key = compile_sort(query.sort_by, target, dialect_name)
        order.append(key.desc() if query.sort_order is SortOrder.DESCENDING else key.asc())
    order.append(primary_key.asc())
    return condition, order


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
