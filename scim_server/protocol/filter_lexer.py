"""Tokens of a SCIM filter (RFC 7644 §3.4.2.2), for scim2-filter-parser's grammar.

scim2-filter-parser's lexer is used with four corrections, made by subclassing it:

* a string is a JSON string (RFC 7159), so escaped quotes and `\\uXXXX` escapes work;
* a number is a JSON number (the original lexer reads one digit);
* `true`, `false` and `null` are keywords only as whole words (`nullable` is a name);
* an unexpected character becomes an ERROR token instead of an exception, so that:

Entra leniency: the comparison value may be written without quotes, as in Entra's
documented `externalId eq jyoung` and the reference Postman collection's
`emails.Value co example.com` and `meta.Created gt 2015-10-10T14:38:21.8617979-07:00`.
Everything written without spaces after a comparison operator is then one string (a lone number
stays a number). Each comparison value is handed to the parser as a `Literal`, already decoded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from scim2_filter_parser.lexer import SCIMLexer

from scim_server.protocol.errors import InvalidFilter, ScimError
from scim_server.protocol.leniencies import Leniency, note
from scim_server.protocol.limits import check_json_value

MAX_FILTER_LENGTH = 4096
MAX_NESTING = 32
COMPARISON_TOKENS = frozenset({"EQ", "NE", "CO", "SW", "EW", "GT", "GE", "LT", "LE"})
_CLOSERS = frozenset({"RPAREN", "RBRACKET"})
_BARE_WORD_STARTS = frozenset({"ATTRNAME", "SCHEMA_URI"})


@dataclass(frozen=True)
class Literal:
    """A decoded comparison value; `text` is how it was written (for numbers used as strings)."""

    value: str | bool | int | float | None
    text: str


class _FilterLexer(SCIMLexer):  # type: ignore[misc]
    tokens = SCIMLexer.tokens
    FALSE = r"false(?![A-Za-z0-9_$-])"
    TRUE = r"true(?![A-Za-z0-9_$-])"
    NULL = r"null(?![A-Za-z0-9_$-])"
    NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    COMP_VALUE = r'"(?:[^"\\]|\\.)*"'

    def error(self, token: Any) -> Any:
        token.value = token.value[0]
        self.index += 1
        return token


def tokenize(text: str) -> list[Any]:
    """The tokens of `text`, comparison values replaced by `Literal`s; InvalidFilter on junk."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilter(f"The filter is longer than {MAX_FILTER_LENGTH} characters.")
    raw = list(_FilterLexer().tokenize(text))
    tokens: list[Any] = []
    depth = 0
    i = 0
    while i < len(raw):
        token = raw[i]
        tokens.append(token)
        i += 1
        if token.type in ("LPAREN", "LBRACKET"):
            depth += 1
            if depth > MAX_NESTING:
                raise InvalidFilter(f"The filter nests deeper than {MAX_NESTING} levels.")
        elif token.type in _CLOSERS:
            depth -= 1
        elif token.type in COMPARISON_TOKENS:
            end = _value_end(raw, i)
            if end > i:
                tokens.append(_literal_token(text, raw[i:end]))
            i = end
    for token in tokens:
        if token.type == "ERROR":
            raise InvalidFilter(f"Unexpected {token.value!r} at position {token.index} in filter.")
    return tokens


def _value_end(raw: list[Any], start: int) -> int:
    """The end of the run of tokens written without spaces from `start` (the value)."""
    end = start
    while end < len(raw) and raw[end].type not in _CLOSERS:
        if end > start and raw[end].index != raw[end - 1].end:
            break
        end += 1
    return end


def _literal_token(text: str, run: list[Any]) -> Any:
    written = text[run[0].index : run[-1].end]
    first = run[0].type
    value: str | bool | int | float | None
    if len(run) == 1 and first in ("COMP_VALUE", "NUMBER"):
        try:
            value = json.loads(written)
            check_json_value(value, "A comparison value")
        except ScimError as error:
            raise InvalidFilter(f"{error.detail} (in filter)") from None
        except ValueError:
            raise InvalidFilter(f"Invalid comparison value {written} in filter.") from None
    elif len(run) == 1 and first in ("TRUE", "FALSE", "NULL"):
        value = {"TRUE": True, "FALSE": False, "NULL": None}[first]
    elif (first in _BARE_WORD_STARTS or (first == "NUMBER" and len(run) > 1)) and (
        '"' not in written
    ):
        note(Leniency.UNQUOTED_FILTER_VALUE)
        value = written
    else:
        raise InvalidFilter(f"Invalid comparison value {written} in filter.")
    token = _copy_token(run[0], "COMP_VALUE", Literal(value, written))
    token.end = run[-1].end
    return token


def _copy_token(token: Any, type_: str, value: Any) -> Any:
    copy = type(token)()
    copy.type, copy.value, copy.lineno, copy.index, copy.end = (
        type_,
        value,
        token.lineno,
        token.index,
        token.end,
    )
    return copy
