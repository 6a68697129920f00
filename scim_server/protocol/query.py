"""Query parameters of a list request and the SearchRequest message (RFC 7644 §3.4.2, §3.4.3).

`parse_list_query` reads the URL parameters of `GET /Users` and `GET /Groups`;
`parse_search_request` reads the body of `POST /.search`. Both give a `ListQuery`:

* `filter` (§3.4.2.2), parsed against the resource type; a bad filter is `invalidFilter`;
* `startIndex` (1-based) and `count` (§3.4.2.4): a startIndex below 1 is 1, a negative count is
  0, and a count above the configured maximum page size is that maximum (which
  /ServiceProviderConfig advertises as `filter.maxResults`); a missing count is the maximum;
* `sortBy` and `sortOrder` (§3.4.2.3): sortOrder defaults to ascending;
* `attributes` / `excludedAttributes` (§3.4.2.5), as a `Projection`;
* `cursor` (RFC 9865 §2): present, even empty, it asks for cursor paging, read by
  `scim_server.protocol.cursors`. It cannot be combined with `startIndex`
  (`invalidValue`), must hold only URI unreserved characters (`invalidCursor`), and makes
  `count` a positive integer (`invalidCount` below 1; capped at the maximum page size).

Parameter names are matched case-insensitively (clients differ in `startindex`/`startIndex`).
A value that is not a number or is outside ±(2^31 - 1), an unknown sortBy attribute or sortOrder
is `invalidValue`.
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scim_server.protocol.attribute_values import lookup
from scim_server.protocol.errors import InvalidCount, InvalidCursor, InvalidSyntax, InvalidValue
from scim_server.protocol.filter_ast import Filter
from scim_server.protocol.filter_parser import parse_filter
from scim_server.protocol.projection import Projection, parse_projection
from scim_server.protocol.registry import AttributePath, ResourceSchema

SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
# startIndex and count are 32-bit (RFC 7644 §3.4.2.4 gives no bound; both engines take these).
MAX_QUERY_INTEGER = 2**31 - 1
_MAX_DIGITS = 40
# RFC 3986 §2.3 unreserved characters, which RFC 9865 §2 allows in a cursor; cursors this
# service issues are far shorter than the bound.
_CURSOR = re.compile(r"[A-Za-z0-9._~-]{0,1024}")


class SortOrder(enum.StrEnum):
    """The order of sorted results (RFC 7644 §3.4.2.3)."""

    ASCENDING = "ascending"
    DESCENDING = "descending"


@dataclass(frozen=True)
class ListQuery:
    """A resolved query: which resources, which page, in which order, with which attributes."""

    count: int
    filter: Filter | None = None
    start_index: int = 1
    sort_by: AttributePath | None = None
    sort_order: SortOrder = SortOrder.ASCENDING
    projection: Projection = field(default_factory=Projection)
    # RFC 9865: None for index paging; "" for the first page of cursor paging, else the cursor.
    cursor: str | None = None

    @property
    def offset(self) -> int:
        """The number of matching resources before the page (startIndex is 1-based)."""
        return self.start_index - 1


def parse_list_query(
    params: Mapping[str, str], schema: ResourceSchema, *, max_page_size: int
) -> ListQuery:
    """The query of a GET on a resource type's endpoint (RFC 7644 §3.4.2)."""
    return _query(params, schema, max_page_size)


def parse_search_request(body: Any, schema: ResourceSchema, *, max_page_size: int) -> ListQuery:
    """The query of a POST to `/.search` (RFC 7644 §3.4.3).

    `attributes` and `excludedAttributes` may be JSON arrays (as the RFC says) or
    comma-separated strings; numbers may be JSON numbers or numeric strings.
    """
    if not isinstance(body, Mapping):
        raise InvalidSyntax("The body must be a SearchRequest object.")
    return _query(body, schema, max_page_size)


def _query(params: Mapping[str, Any], schema: ResourceSchema, max_page_size: int) -> ListQuery:
    filter_text = lookup(params, "filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise InvalidValue("filter must be a string.")
    start_index = _integer(params, "startIndex")
    count = _integer(params, "count")
    cursor = _cursor(params, start_index, count)
    return ListQuery(
        filter=parse_filter(filter_text, schema) if filter_text else None,
        start_index=max(start_index if start_index is not None else 1, 1),
        count=max_page_size if count is None else min(max(count, 0), max_page_size),
        cursor=cursor,
        sort_by=_sort_by(lookup(params, "sortBy"), schema),
        sort_order=_sort_order(lookup(params, "sortOrder")),
        projection=parse_projection(
            lookup(params, "attributes"), lookup(params, "excludedAttributes"), schema
        ),
    )


def _integer(params: Mapping[str, Any], name: str) -> int | None:
    value = lookup(params, name)
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and len(value) <= _MAX_DIGITS:
        with contextlib.suppress(ValueError):
            number = int(value.strip())
    if number is None:
        raise InvalidValue(f"{name} must be an integer, not {str(value)[:40]!r}.")
    if not -MAX_QUERY_INTEGER <= number <= MAX_QUERY_INTEGER:
        raise InvalidValue(f"{name} is out of range: at most {MAX_QUERY_INTEGER}.")
    return number


def _cursor(params: Mapping[str, Any], start_index: int | None, count: int | None) -> str | None:
    value = lookup(params, "cursor")
    if value is None:
        return None
    if not isinstance(value, str) or not _CURSOR.fullmatch(value):
        raise InvalidCursor()
    if start_index is not None:
        raise InvalidValue("startIndex and cursor cannot be used together: choose one paging.")
    if count is not None and count < 1:
        raise InvalidCount()
    return value


def _sort_by(value: Any, schema: ResourceSchema) -> AttributePath | None:
    if value is None or value == "":
        return None
    path = schema.resolve_text(value) if isinstance(value, str) else None
    if path is None:
        raise InvalidValue(f"sortBy names no attribute of {schema.name}: {value!r}.")
    return path


def _sort_order(value: Any) -> SortOrder:
    if value is None or value == "":
        return SortOrder.ASCENDING
    try:
        return SortOrder(str(value).lower())
    except ValueError:
        raise InvalidValue(f"sortOrder must be ascending or descending, not {value!r}.") from None
