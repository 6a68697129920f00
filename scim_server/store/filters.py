"""Compile a SCIM filter to a SQLAlchemy condition (RFC 7644 §3.4.2.2).

Entry points::

    condition = compile_filter(query.filter, user_target(), session.get_bind().dialect.name)
    rows = select(ScimUser).where(ScimUser.org_id == org_id, condition)
    order = compile_sort(query.sort_by, user_target(), dialect_name)

`compile_filter` turns a `filter_ast` tree into a `ColumnElement[bool]` over the target's
tables (`user_target()` for `scim_users`, `group_target()` for `scim_groups`), never SQL text:
every value is a bound parameter. It agrees with the in-memory evaluator
(`scim_server.protocol.filter_eval`), which a property test checks on both engines:

* strings compare per `caseExact`; case-insensitively on the stored `fold_case` key where there
  is one (userName, a group's displayName: the same on both engines for every letter), else
  through lower() on both sides (on SQLite, lower() folds ASCII letters only); `co`/`sw`/`ew`
  use LIKE with `%`, `_` and `\\` escaped (on SQLite, case-exact ones use instr/substr: SQLite's
  LIKE ignores case); ordering uses the "C" collation on PostgreSQL, i.e. code point order as
  in Python;
* every comparison requires the value to be present and of the attribute's type, so NULLs never
  leak three-valued logic into `not`;
* a value path over `emails` is an EXISTS on the indexed side table; over `members`, `groups`
  and `manager` an EXISTS on the related rows; over other multi-valued attributes an EXISTS over
  the JSON array's elements.

What cannot be compiled is `invalidFilter` (400), never filtered in Python after the query:
`meta.location`, `meta.version`, `schemas`, sub-attributes of a relation without a column
(`members.$ref`, `manager.displayName`), and dateTime attributes inside the JSON document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, not_, or_, select, true

from scim_server.protocol.case_folding import fold_case
from scim_server.protocol.errors import InvalidFilter, InvalidValue
from scim_server.protocol.filter_ast import (
    ORDERING_OPS,
    SUBSTRING_OPS,
    And,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Operand,
    Or,
    Present,
    ValuePath,
)
from scim_server.protocol.registry import AttributePath
from scim_server.protocol.schema import STRING_TYPES, Attribute, AttributeType
from scim_server.store.filter_targets import FilterTarget, Relation, attribute_key
from scim_server.store.json_sql import JsonAccess, json_access


@dataclass(frozen=True)
class _Located:
    """Where a path's value is: an expression and its presence test, or a related table.

    With `relation`, the value is the column `sub` of the related rows (or, without `sub`,
    the existence of a related row) and `value`/`present` are unused.
    """

    value: ColumnElement[Any]
    present: ColumnElement[bool]
    leaf: Attribute
    relation: Relation | None = None
    sub: str | None = None
    folded: ColumnElement[Any] | None = None  # the value's `fold_case` key, if stored


def compile_filter(node: Filter, target: FilterTarget, dialect_name: str) -> ColumnElement[bool]:
    """The SQL condition for `node` on `target`'s rows; InvalidFilter if it cannot be compiled."""
    return _Compiler(target, json_access(dialect_name), dialect_name).compile(node, None)


def compile_sort(
    path: AttributePath, target: FilterTarget, dialect_name: str
) -> ColumnElement[Any]:
    """The SQL sort key for `sortBy` (RFC 7644 §3.4.2.3), case-folded per caseExact.

    Only single-valued attributes of the resource's own row or document sort; anything else is
    `invalidValue`. Callers add the primary key as a tie-breaker for stable pages.
    """
    compiler = _Compiler(target, json_access(dialect_name), dialect_name)
    leaf = path.leaf
    if path.attribute.multi_valued or leaf.is_complex:
        raise InvalidValue(f"Results cannot be sorted by {path}.")
    try:
        located = compiler.locate(path)
    except InvalidFilter:
        raise InvalidValue(f"Results cannot be sorted by {path}.") from None
    if located.relation is not None:
        raise InvalidValue(f"Results cannot be sorted by {path}.")
    if located.folded is not None:
        return located.folded
    if leaf.type in STRING_TYPES and not leaf.case_exact:
        return func.lower(located.value)
    return located.value


class _Compiler:
    def __init__(self, target: FilterTarget, json: JsonAccess, dialect_name: str) -> None:
        self.target = target
        self.json = json
        self.dialect_name = dialect_name

    def compile(
        self, node: Filter, element: Callable[[AttributePath], _Located] | None
    ) -> ColumnElement[bool]:
        match node:
            case And(operands):
                return and_(*(self.compile(o, element) for o in operands))
            case Or(operands):
                return or_(*(self.compile(o, element) for o in operands))
            case Not(operand):
                return not_(self.compile(operand, element))
            case Present(path):
                located = element(path) if element else self.locate(path)
                return self._within(located, lambda value, present: present)
            case Comparison(path, op, operand):
                return self._comparison(path, op, operand, element)
            case ValuePath(path, condition):
                return self._value_path(path.attribute, condition)
        raise TypeError(f"not a filter node: {node!r}")

    def _comparison(
        self,
        path: AttributePath,
        op: CompareOp,
        operand: Operand,
        element: Callable[[AttributePath], _Located] | None,
    ) -> ColumnElement[bool]:
        located = element(path) if element else self.locate(path)
        if located.folded is not None and isinstance(operand, str):
            return self._compare_folded(located, op, operand)
        return self._within(
            located, lambda value, present: self._compare(path.leaf, value, op, operand)
        )

    def locate(self, path: AttributePath) -> _Located:
        """Where the value of `path` is, for a condition on the resource's row."""
        attribute, sub, leaf = path.attribute, path.sub_attribute, path.leaf
        relation = self.target.relations.get(attribute_key(attribute))
        if relation is not None:
            return _Located(
                literal(None), true(), leaf, relation, sub.name.lower() if sub else None
            )
        key = (attribute_key(attribute), sub.name.lower() if sub else None)
        column = self.target.columns.get(key)
        if column is not None:
            folded = None if leaf.case_exact else self.target.folded.get(key)
            return _Located(column, _column_present(column, leaf), leaf, folded=folded)
        if self.target.is_common(attribute):
            raise InvalidFilter(f"{path} cannot be used in a filter.")
        if leaf.type is AttributeType.DATETIME:
            raise InvalidFilter(f"{path} is a dateTime stored as text; it cannot be compared.")
        keys = _json_keys(path)
        document = self.target.document
        value = literal(None) if leaf.is_complex else self.json.scalar(document, keys, leaf.type)
        return _Located(value, self.json.present(document, keys), leaf)

    def _within(
        self,
        located: _Located,
        condition: Callable[[ColumnElement[Any], ColumnElement[bool]], ColumnElement[bool]],
    ) -> ColumnElement[bool]:
        if located.relation is None:
            return condition(located.value, located.present)
        sub, leaf = located.sub, located.leaf

        def on_row(columns: Mapping[str, ColumnElement[Any]]) -> ColumnElement[bool]:
            if sub is None:
                return true()
            if sub not in columns:
                raise InvalidFilter(f"The sub-attribute {sub} cannot be used in a filter.")
            column = columns[sub]
            return condition(column, _column_present(column, leaf))

        return located.relation.exists(on_row)

    def _value_path(self, attribute: Attribute, condition: Filter) -> ColumnElement[bool]:
        relation = self.target.relations.get(attribute_key(attribute))
        if relation is not None:
            return relation.exists(lambda columns: self.compile(condition, _row_scope(columns)))
        if self.target.is_common(attribute):
            raise InvalidFilter(f"{attribute.name} cannot be used in a filter.")
        table, element, is_object = self.json.elements(
            self.target.document, _json_keys(AttributePath(attribute))
        )

        def scope(path: AttributePath) -> _Located:
            leaf = path.leaf
            keys = (leaf.name,)
            if leaf.type is AttributeType.DATETIME:
                raise InvalidFilter(f"{path} is a dateTime stored as text; it cannot be compared.")
            value = self.json.scalar(element, keys, leaf.type)
            return _Located(value, self.json.present(element, keys), leaf)

        inner = self.compile(condition, scope)
        return exists(select(literal(1)).select_from(table).where(is_object, inner))

    def _compare_folded(
        self, located: _Located, op: CompareOp, operand: str
    ) -> ColumnElement[bool]:
        """A case-insensitive comparison on a stored `fold_case` key: the same rule on both
        engines and in the evaluator, for non-ASCII letters and normalisation too."""
        assert located.folded is not None  # noqa: S101 - the caller checked
        condition = self._compare_strings(located.folded, op, fold_case(operand), case_exact=True)
        return and_(located.value.is_not(None), condition)

    def _compare(
        self, attribute: Attribute, value: ColumnElement[Any], op: CompareOp, operand: Operand
    ) -> ColumnElement[bool]:
        if attribute.type in STRING_TYPES and isinstance(operand, str):
            condition = self._compare_strings(value, op, operand, attribute.case_exact)
        else:
            condition = _OPERATORS[op](value, literal(operand, value.type))
        return and_(value.is_not(None), condition)

    def _compare_strings(
        self, value: ColumnElement[Any], op: CompareOp, operand: str, case_exact: bool
    ) -> ColumnElement[bool]:
        if op in SUBSTRING_OPS and operand == "":
            return true()
        if op in SUBSTRING_OPS and case_exact and self.dialect_name == "sqlite":
            return _sqlite_case_exact_substring(value, op, operand)
        bound: ColumnElement[Any] = literal(operand)
        if op in SUBSTRING_OPS:
            escaped = operand.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            bound = literal({"co": f"%{escaped}%", "sw": f"{escaped}%", "ew": f"%{escaped}"}[op])
        if not case_exact:
            value, bound = func.lower(value), func.lower(bound)
        if op in SUBSTRING_OPS:
            return value.like(bound, escape="\\")
        if op in ORDERING_OPS and self.dialect_name == "postgresql":
            value = value.collate("C")
        return _OPERATORS[op](value, bound)


def _row_scope(columns: Mapping[str, ColumnElement[Any]]) -> Callable[[AttributePath], _Located]:
    def scope(path: AttributePath) -> _Located:
        name = path.leaf.name.lower()
        if name not in columns:
            raise InvalidFilter(f"{path} cannot be used in a filter.")
        column = columns[name]
        return _Located(column, _column_present(column, path.leaf), path.leaf)

    return scope


def _column_present(column: ColumnElement[Any], attribute: Attribute) -> ColumnElement[bool]:
    if attribute.type in STRING_TYPES:
        return and_(column.is_not(None), column != "")
    return column.is_not(None)


def _json_keys(path: AttributePath) -> tuple[str, ...]:
    attribute = path.attribute
    keys = (attribute.schema, attribute.name) if attribute.in_extension else (attribute.name,)
    return keys + ((path.sub_attribute.name,) if path.sub_attribute else ())


def _sqlite_case_exact_substring(
    value: ColumnElement[Any], op: CompareOp, operand: str
) -> ColumnElement[bool]:
    # SQLite's LIKE ignores ASCII case; instr and substr compare exactly.
    bound = literal(operand)
    if op is CompareOp.CO:
        return func.instr(value, bound) > 0
    if op is CompareOp.SW:
        return func.substr(value, 1, func.length(bound)) == bound
    start = func.length(value) - func.length(bound) + 1
    return and_(start >= 1, func.substr(value, start) == bound)


_OPERATORS: dict[CompareOp, Callable[[Any, Any], ColumnElement[bool]]] = {
    CompareOp.EQ: lambda a, b: a == b,
    CompareOp.NE: lambda a, b: a != b,
    CompareOp.GT: lambda a, b: a > b,
    CompareOp.GE: lambda a, b: a >= b,
    CompareOp.LT: lambda a, b: a < b,
    CompareOp.LE: lambda a, b: a <= b,
}
