"""OData query options as the Graph emulator serves them: `$filter` (the subset below), `$select`,
`$top` and server-driven paging with `@odata.nextLink`.

`$filter` grammar served: comparisons `property eq value` (a quoted string, true, false or null)
and `startswith(property,'text')`, combined with `and`, `or` and parentheses; both compare
strings case-insensitively, as Graph does for directory properties. Anything else, and any
property outside the resource's filterable ones, is 400 `Request_UnsupportedQuery`.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request

Resource = dict[str, Any]
Condition = Callable[[Resource], bool]
Item = TypeVar("Item")

TOKEN = re.compile(r"\s*(\(|\)|,|'(?:[^']|'')*'|[A-Za-z_][\w.]*)")
MAX_TOP = 999


class QueryError(Exception):
    """A query the emulator (like Graph) refuses: 400 with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_filter(text: str, filterable: frozenset[str]) -> Condition:
    """The `$filter` expression as a predicate over a resource."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, filterable)
    condition = parser.disjunction()
    if parser.position != len(tokens):
        unexpected = tokens[parser.position]
        raise QueryError("BadRequest", f"Invalid filter clause: unexpected {unexpected}")
    return condition


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        if match is None:
            raise QueryError("BadRequest", f"Invalid filter clause: syntax error at {position}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: Sequence[str], filterable: frozenset[str]) -> None:
        self.tokens = tokens
        self.filterable = filterable
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.lower() != expected):
            raise QueryError("BadRequest", f"Invalid filter clause: expected {expected or 'more'}")
        self.position += 1
        return token

    def disjunction(self) -> Condition:
        parts = [self.conjunction()]
        while (self.peek() or "").lower() == "or":
            self.take()
            parts.append(self.conjunction())
        return lambda resource: any(part(resource) for part in parts)

    def conjunction(self) -> Condition:
        parts = [self.atom()]
        while (self.peek() or "").lower() == "and":
            self.take()
            parts.append(self.atom())
        return lambda resource: all(part(resource) for part in parts)

    def atom(self) -> Condition:
        token = self.take()
        if token == "(":
            inner = self.disjunction()
            self.take(")")
            return inner
        if token.lower() == "startswith":
            self.take("(")
            name = self.property()
            self.take(",")
            prefix = _literal(self.take())
            self.take(")")
            if not isinstance(prefix, str):
                raise QueryError("BadRequest", "startswith needs a string")
            return lambda resource: str(resource.get(name) or "").lower().startswith(prefix.lower())
        self.position -= 1
        name = self.property()
        self.take("eq")
        value = _literal(self.take())
        return lambda resource: _equal(resource.get(name), value)

    def property(self) -> str:
        name = self.take()
        if name not in self.filterable:
            raise QueryError(
                "Request_UnsupportedQuery", f"Unsupported or invalid query filter clause: {name}"
            )
        return name


def _literal(token: str) -> Any:
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    constants = {"true": True, "false": False, "null": None}
    if token.lower() not in constants:
        raise QueryError("BadRequest", f"Invalid filter clause: {token} is not a value")
    return constants[token.lower()]


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.lower() == expected.lower()
    return bool(actual == expected)


def selected(resource: Resource, select: str | None, default: Sequence[str]) -> Resource:
    """Only the `$select`ed properties, or the resource's default ones."""
    names = [n for n in select.split(",") if n] if select else list(default)
    return {name: resource.get(name) for name in names}


_END = object()


class Pager:
    """Server-driven paging: a page of at most `$top` (and the cloud's page size) objects, and
    an `@odata.nextLink` with an opaque `$skiptoken` and every other query option of the request,
    as Graph builds it (concepts/paging.md)."""

    def __init__(self) -> None:
        self.skip_tokens: dict[str, int] = {}

    def page_size(self, cloud_page_size: int) -> int:
        """The page size this request gets."""
        top = request.args.get("$top")
        if top is None:
            return cloud_page_size
        if not top.isdigit() or not 1 <= int(top) <= MAX_TOP:
            raise QueryError(
                "Request_BadRequest",
                f"Invalid page size specified: '{top}'. Must be between 1 and {MAX_TOP} inclusive.",
            )
        return min(int(top), cloud_page_size)

    def page(
        self,
        items: Iterable[Item],
        cloud_page_size: int,
        render: Callable[[Item], Resource] | None = None,
    ) -> dict[str, Any]:
        """The page of `items` this request asks for, with its nextLink when more follow.

        `items` is read lazily and `render` (by default, the items are resources already) runs
        on the page's items only: serving a page of a large directory builds that page, never
        every object of the directory (which a process that hosts the emulator, like the
        directory-pull benchmark's, would count as its own memory).
        """
        token = request.args.get("$skiptoken")
        start = 0
        if token is not None:
            if token not in self.skip_tokens:
                raise QueryError("Request_BadRequest", "The specified page token value is invalid.")
            start = self.skip_tokens[token]
        size = self.page_size(cloud_page_size)
        remaining = iter(items)
        for _ in itertools.islice(remaining, start):
            pass
        window = list(itertools.islice(remaining, size))
        more = next(remaining, _END) is not _END
        body: dict[str, Any] = {"@odata.context": _context()}
        if token is None and request.args.get("$count") == "true":
            body["@odata.count"] = len(window) + more + sum(1 for _ in remaining)
        if more:
            body["@odata.nextLink"] = self.link("$skiptoken", start + size)
        body["value"] = [render(item) for item in window] if render else window
        return body

    def link(self, name: str, position: int) -> str:
        """This request's URL with a new opaque `name` token standing for `position`."""
        token = secrets.token_urlsafe(24)
        self.skip_tokens[token] = position
        args = [(k, v) for k, v in request.args.items(multi=True) if not k.startswith("$skip")]
        return f"{request.base_url}?{urlencode([*args, (name, token)])}"


def _context() -> str:
    return f"https://graph.microsoft.com/v1.0/$metadata#{request.path.split('/v1.0/', 1)[-1]}"
