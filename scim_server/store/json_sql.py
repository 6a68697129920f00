"""Reading JSON documents in SQL on SQLite (JSON1) and PostgreSQL (jsonb).

The filter compiler reads attributes that have no column of their own from the `resource`
document. Every accessor checks the JSON type first, so a value of another type than the
attribute's reads as NULL and never matches, exactly as in the in-memory evaluator. Paths and
values are bound parameters; nothing from a request becomes SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    FromClause,
    Numeric,
    String,
    Text,
    case,
    cast,
    false,
    func,
    literal,
    null,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from scim_server.protocol.schema import STRING_TYPES, AttributeType


class JsonAccess(Protocol):
    """How one database engine reads JSON documents."""

    def scalar(
        self, document: ColumnElement[Any], keys: Sequence[str], kind: AttributeType
    ) -> ColumnElement[Any]:
        """The value at `keys` when its JSON type fits `kind`, else NULL."""

    def present(self, document: ColumnElement[Any], keys: Sequence[str]) -> ColumnElement[bool]:
        """Whether the value at `keys` is present: not null, "", [] or {} (RFC 7644 "pr")."""

    def elements(
        self, document: ColumnElement[Any], keys: Sequence[str]
    ) -> tuple[FromClause, ColumnElement[Any], ColumnElement[bool]]:
        """The array at `keys` as rows: the table, its value column, and "is an object"."""


class SqliteJson:
    """JSON1 functions: json_type, json_extract, json_array_length, json_each."""

    @staticmethod
    def _path(keys: Sequence[str]) -> ColumnElement[str]:
        if any('"' in key for key in keys):
            raise ValueError(f"attribute names cannot contain quotes: {keys!r}")
        return literal("$" + "".join(f'."{key}"' for key in keys), String)

    def scalar(
        self, document: ColumnElement[Any], keys: Sequence[str], kind: AttributeType
    ) -> ColumnElement[Any]:
        path = self._path(keys)
        json_type = func.json_type(document, path)
        value = func.json_extract(document, path)
        if kind in STRING_TYPES:
            return type_coerce(case((json_type == "text", value), else_=null()), Text)
        if kind is AttributeType.BOOLEAN:
            fits = json_type.in_(("true", "false"))
            return type_coerce(case((fits, value), else_=null()), Boolean)
        if kind in (AttributeType.INTEGER, AttributeType.DECIMAL):
            fits = json_type.in_(("integer", "real"))
            return type_coerce(case((fits, value), else_=null()), Float)
        raise ValueError(f"no SQL reading of JSON {kind.value} values")

    def present(self, document: ColumnElement[Any], keys: Sequence[str]) -> ColumnElement[bool]:
        path = self._path(keys)
        json_type = func.json_type(document, path)
        value = func.json_extract(document, path)
        return type_coerce(
            case(
                (json_type == "text", value != ""),
                (json_type == "array", func.json_array_length(document, path) > 0),
                (json_type == "object", value != "{}"),
                (json_type == "null", false()),
                else_=json_type.is_not(None),
            ),
            Boolean,
        )

    def elements(
        self, document: ColumnElement[Any], keys: Sequence[str]
    ) -> tuple[FromClause, ColumnElement[Any], ColumnElement[bool]]:
        table = func.json_each(document, self._path(keys)).table_valued("value", "type")
        return table, table.c.value, table.c.type == "object"


class PostgresqlJson:
    """jsonb operators: #>, #>>, jsonb_typeof, jsonb_array_length, jsonb_array_elements."""

    @staticmethod
    def _path(keys: Sequence[str]) -> ColumnElement[Any]:
        return literal(list(keys), ARRAY(Text()))

    def _at(self, document: ColumnElement[Any], keys: Sequence[str]) -> ColumnElement[Any]:
        return document.op("#>", return_type=JSONB())(self._path(keys))

    def _text(self, document: ColumnElement[Any], keys: Sequence[str]) -> ColumnElement[str]:
        return document.op("#>>", return_type=Text())(self._path(keys))

    def scalar(
        self, document: ColumnElement[Any], keys: Sequence[str], kind: AttributeType
    ) -> ColumnElement[Any]:
        json_type = func.jsonb_typeof(self._at(document, keys))
        text = self._text(document, keys)
        if kind in STRING_TYPES:
            return case((json_type == "string", text), else_=null())
        if kind is AttributeType.BOOLEAN:
            return case((json_type == "boolean", cast(text, Boolean)), else_=null())
        if kind in (AttributeType.INTEGER, AttributeType.DECIMAL):
            return case((json_type == "number", cast(text, Numeric)), else_=null())
        raise ValueError(f"no SQL reading of JSON {kind.value} values")

    def present(self, document: ColumnElement[Any], keys: Sequence[str]) -> ColumnElement[bool]:
        value = self._at(document, keys)
        json_type = func.jsonb_typeof(value)
        return case(
            (json_type == "string", self._text(document, keys) != ""),
            (json_type == "array", func.jsonb_array_length(value) > 0),
            (json_type == "object", value != cast(literal("{}"), JSONB())),
            (json_type == "null", false()),
            else_=value.is_not(None),
        )

    def elements(
        self, document: ColumnElement[Any], keys: Sequence[str]
    ) -> tuple[FromClause, ColumnElement[Any], ColumnElement[bool]]:
        value = self._at(document, keys)
        array = case((func.jsonb_typeof(value) == "array", value), else_=null())
        table = func.jsonb_array_elements(array).table_valued("value")
        return table, table.c.value, func.jsonb_typeof(table.c.value) == "object"


def json_access(dialect_name: str) -> JsonAccess:
    """The JSON accessor for a SQLAlchemy dialect name ("sqlite" or "postgresql")."""
    if dialect_name == "sqlite":
        return SqliteJson()
    if dialect_name == "postgresql":
        return PostgresqlJson()
    raise ValueError(f"no JSON filtering for the {dialect_name!r} dialect")
