"""What users and groups queries share (RFC 7644 §3.4.2): the WHERE and ORDER BY of a
`ListQuery`, `totalResults` (counted only when an index page cannot tell it), and keyset pages
for cursor paging (RFC 9865).

The order is the sort key (when there is `sortBy`), resources without a value last whichever
the sortOrder (on both engines alike), then the row key ascending. A cursor page is the rows
strictly after (or before) a `Position` in that order, found by a condition on the sort key
and row key (`key >= v AND (key > v OR pk > p)`, which an index on the key can start from), so
its cost does not depend on how far into the result it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from scim_server.protocol.cursors import CursorPage, Position
from scim_server.protocol.query import ListQuery, SortOrder
from scim_server.store.filter_targets import FilterTarget
from scim_server.store.filters import compile_filter, compile_sort

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class Ordering:
    """The order of a query's matches: an optional sort key, then the row key."""

    key: ColumnElement[Any] | None
    descending: bool
    primary_key: QueryableAttribute[int]

    def order_by(self, *, reverse: bool = False) -> list[ColumnElement[Any]]:
        """ORDER BY terms: values ascending or descending, missing ones last; then row keys.
        `reverse` gives the exact opposite order (for reading a previous page)."""
        terms: list[ColumnElement[Any]] = []
        if self.key is not None:
            key = self.key.asc() if self.descending == reverse else self.key.desc()
            terms.append(key.nulls_first() if reverse else key.nulls_last())
        terms.append(self.primary_key.desc() if reverse else self.primary_key.asc())
        return terms

    def beyond(self, position: Position) -> ColumnElement[bool]:
        """The rows strictly after `position` in this order (strictly before if
        `position.before`)."""
        pk, p = self.primary_key, position.key
        if self.key is None:
            return pk < p if position.before else pk > p
        key = self.key
        value = position.sort_value
        if value is None:  # the position is among the rows without a value, which come last
            if position.before:
                return or_(key.is_not(None), and_(key.is_(None), pk < p))
            return and_(key.is_(None), pk > p)
        v = literal(value, key.type)
        if position.before:
            nearer = key < v if not self.descending else key > v
            return and_(key.is_not(None), or_(nearer, and_(key == v, pk < p)))
        if self.descending:
            within = and_(key <= v, or_(key < v, pk > p))
        else:
            within = and_(key >= v, or_(key > v, pk > p))
        return or_(within, key.is_(None))


def where_and_order(
    org_condition: ColumnElement[bool],
    primary_key: QueryableAttribute[int],
    target: FilterTarget,
    query: ListQuery,
    dialect_name: str,
) -> tuple[list[ColumnElement[bool]], Ordering]:
    """The conditions (the organisation's, then the filter's) and the order of a query.

    Ties, and unsorted queries, are ordered by the primary key (creation order), so that pages
    are stable.
    """
    condition = [org_condition]
    if query.filter is not None:
        condition.append(compile_filter(query.filter, target, dialect_name))
    key = None
    if query.sort_by is not None:
        key = compile_sort(query.sort_by, target, dialect_name)
    return condition, Ordering(key, query.sort_order is SortOrder.DESCENDING, primary_key)


def index_page(statement: Select[*Ts], ordering: Ordering, query: ListQuery) -> Select[*Ts]:
    """`statement` cut to the index page of `query` (startIndex, count)."""
    return statement.order_by(*ordering.order_by()).offset(query.offset).limit(query.count)


def cursor_page(
    session: Session,
    statement: Select[*Ts],
    model: type[Any],
    condition: Sequence[ColumnElement[bool]],
    ordering: Ordering,
    *,
    query: ListQuery,
    position: Position | None,
    item: Callable[[Any], T],
) -> CursorPage[T]:
    """The keyset page of `query` after (or before) `position`, from the start when None.

    `statement` selects what `item` turns each row into; the sort value and the row key are
    added as its last two columns. One more row than the page is read to know whether the
    page has a neighbour on that side; the other side has one when a cursor led here.
    """
    backwards = position is not None and position.before
    key = ordering.key if ordering.key is not None else literal(None)
    paged = statement.add_columns(key, ordering.primary_key).where(*condition)
    if position is not None:
        paged = paged.where(ordering.beyond(position))
    rows = list(
        session.execute(
            paged.order_by(*ordering.order_by(reverse=backwards)).limit(query.count + 1)
        )
    )
    more = len(rows) > query.count
    rows = rows[: query.count]
    if backwards:
        rows.reverse()
    total = session.scalar(select(func.count()).select_from(model).where(*condition)) or 0
    if not rows:
        return CursorPage([], total, None, None)
    first, last = rows[0], rows[-1]
    after_last = Position(last[-2], last[-1])
    before_first = Position(first[-2], first[-1], before=True)
    has_next = more if not backwards else True
    has_previous = more if backwards else position is not None
    return CursorPage(
        [item(row) for row in rows],
        total,
        after_last if has_next else None,
        before_first if has_previous else None,
    )


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
