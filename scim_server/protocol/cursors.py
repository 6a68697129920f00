"""Cursor paging (RFC 9865): positions in a sorted result, and the cursors that carry them.

A page of a cursor-paged query is cut by keyset: the store orders matches by the sort key
(`sortBy`, resources without a value last) and then by row key, and a page starts just after
(`nextCursor`) or ends just before (`previousCursor`) one row, named by its sort value and
row key: a `Position`. Reading page 1,000 costs what reading page 1 costs, and a row added or
removed elsewhere never shifts a page by one.

A cursor is a `Position` plus the query's scope, serialised by itsdangerous and signed with
HMAC-SHA256 under a key derived from the service's secret, with the time it was issued:

* tamper-proof: a changed byte fails the signature (`invalidCursor`);
* bound to the organisation, the resource type and the query (filter, sortBy, sortOrder):
  used anywhere else it is `invalidCursor`, worded exactly as a forged one (RFC 9865 §5);
* valid for `cursorTimeout` seconds after it was issued (`expiredCursor`, checked only once
  the signature holds);
* opaque to clients and stateless for the server: nothing is stored per cursor, so clients
  cannot exhaust anything by asking for cursors (RFC 9865 §5, availability).

`count`, `attributes` and `excludedAttributes` may change between pages: they do not move the
position.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from scim_server.protocol.errors import ExpiredCursor, InvalidCursor
from scim_server.protocol.query import ListQuery

T = TypeVar("T")
# A sort value as the database returns it.
SortValue = str | bool | int | float | Decimal | datetime | None


@dataclass(frozen=True)
class Position:
    """A row of an ordered result: its sort value (None without sortBy, or when it has none)
    and its row key. `before`: the page ends just before the row, else it starts just after."""

    sort_value: SortValue
    key: int
    before: bool = False


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    """One page of a cursor-paged query: the resources, the matches in all, and the positions
    the page's neighbours start from (None where there is no neighbour)."""

    items: Sequence[T]
    total: int
    next: Position | None
    previous: Position | None


def query_scope(org_id: int, resource_type: str, query: ListQuery) -> str:
    """What a cursor is valid for: the organisation, the resource type and the query's
    matching and ordering (not its page size or projection)."""
    return "\x1f".join(
        (
            str(org_id),
            resource_type,
            repr(query.filter),
            str(query.sort_by) if query.sort_by is not None else "",
            query.sort_order.value if query.sort_by is not None else "",
        )
    )


def _encode_value(value: SortValue) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    return value


def _decode_value(value: Any) -> SortValue:
    if isinstance(value, dict):
        if set(value) == {"t"}:
            return datetime.fromisoformat(value["t"])
        if set(value) == {"d"}:
            return Decimal(value["d"])
        raise ValueError("unknown sort value")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise ValueError("unknown sort value")


class Cursors:
    """Issues and reads the cursors of one service (one secret, one timeout)."""

    def __init__(self, secret_key: str, timeout_seconds: int) -> None:
        key = hmac.new(secret_key.encode(), b"kinabase scim cursors", hashlib.sha256).digest()
        self._serializer = URLSafeTimedSerializer(key, salt=b"rfc9865")
        self.timeout_seconds = timeout_seconds

    @staticmethod
    def _digest(scope: str) -> str:
        return hashlib.sha256(scope.encode()).hexdigest()[:24]

    def issue(self, scope: str, position: Position) -> str:
        """The cursor of `position` in the query `scope` (URL-safe base64 and dots only)."""
        payload = [
            self._digest(scope),
            _encode_value(position.sort_value),
            position.key,
            1 if position.before else 0,
        ]
        return str(self._serializer.dumps(payload))

    def read(self, cursor: str, scope: str) -> Position | None:
        """The position of `cursor` (None for the empty cursor: the first page)."""
        if cursor == "":
            return None
        try:
            payload = self._serializer.loads(cursor, max_age=self.timeout_seconds)
        except SignatureExpired:
            raise ExpiredCursor() from None
        except BadData:
            raise InvalidCursor() from None
        try:
            digest, value, key, before = payload
            if digest != self._digest(scope) or type(key) is not int or before not in (0, 1):
                raise ValueError("another query's cursor")
            return Position(_decode_value(value), key, bool(before))
        except (TypeError, ValueError):
            raise InvalidCursor() from None
