"""What the service accepts in a request, checked in one place before anything else reads it.

Every JSON body (RFC 7644 §3.3, §3.5, §3.4.3), every filter value, query parameter and resource
id in a URL goes through these checks, so that each engine stores and compares the same values
and a hostile input is a 400, never a 500 (docs/scim.md, "Limits"):

* JSON is RFC 8259 JSON: `NaN`, `Infinity` and `-Infinity` are not numbers (`invalidSyntax`);
  it nests at most `MAX_DEPTH` levels (`invalidSyntax`);
* numbers are finite (`1e999` is `invalidValue`) and integers fit in 64 bits, as both engines
  store them;
* strings hold no NUL (PostgreSQL's text cannot) and no lone surrogate (not Unicode: neither
  UTF-8 nor JSON output can carry one), and are at most `MAX_STRING_LENGTH` characters; the
  attributes copied to indexed columns (`INDEXED_ATTRIBUTES`) at most `MAX_INDEXED_LENGTH`,
  Entra's own limit on names, which keeps every index entry far below PostgreSQL's 2,704 bytes.

Sans-I/O: plain values in, `ScimError`s out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, NoReturn

from scim_server.protocol.attribute_values import get_value, lookup
from scim_server.protocol.errors import InvalidSyntax, InvalidValue
from scim_server.protocol.registry import ResourceSchema

MAX_DEPTH: Final = 32
MAX_STRING_LENGTH: Final = 65_536
MAX_INDEXED_LENGTH: Final = 256
MIN_INTEGER: Final = -(2**63)
MAX_INTEGER: Final = 2**63 - 1

# Per resource type, the attribute paths whose values the store copies to indexed columns.
INDEXED_ATTRIBUTES: Final[Mapping[str, tuple[str, ...]]] = {
    "User": ("userName", "externalId", "displayName", "emails.value", "emails.type"),
    "Group": ("displayName", "externalId"),
}


def _reject_constant(name: str) -> NoReturn:
    raise InvalidSyntax(f"{name} is not a JSON number (RFC 8259 §6).")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise InvalidValue(f"The number {text[:40]} is out of range: numbers must be finite.")
    return number


def parse_json(raw: bytes | str) -> Any:
    """The JSON value of a request body, checked (see the module docstring), or a 400."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise InvalidSyntax(f"The JSON nests deeper than {MAX_DEPTH} levels.") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidSyntax(f"The request body is not valid JSON: {error}") from None
    check_json_value(value)
    return value


def check_json_value(value: Any, where: str = "The request body") -> None:
    """Raise unless `value` (parsed JSON) keeps the limits: depth, strings, numbers.

    Iterative, so that a deep value can never exhaust the interpreter's stack.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping | list):
            if depth > MAX_DEPTH:
                raise InvalidSyntax(f"{where} nests deeper than {MAX_DEPTH} levels.")
            children: Iterable[Any] = item
            if isinstance(item, Mapping):
                for key in item:
                    check_text(key, "An attribute name")
                children = item.values()
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            check_text(item, "A string value")
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            check_integer(item, "An integer")
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidValue("Numbers must be finite.")


def check_integer(value: int, where: str) -> None:
    """Raise InvalidValue unless `value` fits in a signed 64-bit integer."""
    if not MIN_INTEGER <= value <= MAX_INTEGER:
        raise InvalidValue(f"{where} is out of range: integers must fit in 64 bits.")


def check_text(text: str, where: str, max_length: int = MAX_STRING_LENGTH) -> None:
    """Raise InvalidValue if `text` holds NUL or a lone surrogate, or is too long."""
    if len(text) > max_length:
        raise InvalidValue(f"{where} is longer than {max_length} characters.")
    if "\x00" in text:
        raise InvalidValue(f"{where} contains a NUL character.")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidValue(f"{where} contains a lone surrogate (not Unicode).") from None


def check_indexed_lengths(resource: Mapping[str, Any], schema: ResourceSchema) -> None:
    """Raise InvalidValue if a value copied to an indexed column is longer than
    MAX_INDEXED_LENGTH characters (after a POST, PUT or PATCH built the new resource)."""
    for path in INDEXED_ATTRIBUTES.get(schema.name, ()):
        name, _, sub = path.partition(".")
        value = get_value(resource, schema.attribute(name))
        values = value if isinstance(value, list) else [value]
        if sub:
            values = [lookup(item, sub) for item in values if isinstance(item, Mapping)]
        for text in values:
            if isinstance(text, str) and len(text) > MAX_INDEXED_LENGTH:
                raise InvalidValue(f"{path} is longer than {MAX_INDEXED_LENGTH} characters.")


def check_parameters(parameters: Iterable[tuple[str, str]]) -> None:
    """Raise InvalidValue unless every URL parameter (query or path) keeps the string limits."""
    for name, value in parameters:
        check_text(name, "A URL parameter name")
        check_text(value, f"The URL parameter {name[:40]!r}")
