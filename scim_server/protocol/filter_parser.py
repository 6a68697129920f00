"""Parse a SCIM filter into the typed tree of `filter_ast` (RFC 7644 §3.4.2.2).

scim2-filter-parser parses; `FilterBuilder` turns its untyped tree into `filter_ast` nodes,
resolving every attribute against the resource type and checking every operand against the
attribute's type. Anything that cannot be parsed, names an unknown attribute, or compares a
value of the wrong type is a 400 `invalidFilter`.

Corrections and leniencies:

* scim2-filter-parser gives `and` and `or` the same precedence; the builder regroups each chain
  of ungrouped `and`/`or` so that `and` binds tighter (RFC 7644 §3.4.2.2, "order of operations").
* `attr eq null` and `attr ne null` test for an unassigned attribute (RFC 7643 §2.5).
* A comparison on a complex attribute compares its `value` sub-attribute: Entra sends
  `manager eq "<id>"` (documented since 2019) and `members eq "<id>"` for groups.
* Entra's `emails[type eq "work"].value eq "x"` (not in the RFC grammar) means one email that
  is of type "work" and has the value "x".
* A boolean compared with the string "True" or "False" (any case) compares as a boolean, as in
  Entra's `roles[primary eq "True"]`; a number compared with a string attribute compares as the
  number's text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scim2_filter_parser import ast
from scim2_filter_parser.parser import SCIMParser, SCIMParserError

from scim_server.protocol.errors import InvalidFilter
from scim_server.protocol.filter_ast import (
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
from scim_server.protocol.filter_lexer import Literal, tokenize
from scim_server.protocol.registry import AttributePath, PathText, ResourceSchema
from scim_server.protocol.schema import Attribute, AttributeType
from scim_server.protocol.values import parse_boolean, parse_datetime


def parse_filter(text: str, schema: ResourceSchema) -> Filter:
    """The filter `text` on resources of `schema`, or InvalidFilter (RFC 7644 §3.4.2.2)."""
    return FilterBuilder(schema).filter(parse_tree(text))


def parse_tree(text: str) -> Any:
    """scim2-filter-parser's tree of `text` (an `ast.Filter`), or InvalidFilter."""
    tokens = tokenize(text)
    if not tokens:
        raise InvalidFilter("The filter is empty.")
    try:
        return SCIMParser().parse(iter(tokens))
    except SCIMParserError:
        raise InvalidFilter(f"The filter {text!r} is not valid SCIM filter syntax.") from None


class FilterBuilder:
    """Builds `filter_ast` nodes from scim2-filter-parser nodes for one resource type.

    With `parent`, the builder works inside the brackets of a value path: names are
    sub-attributes of `parent` (RFC 7644 §3.4.2.2, valFilter).
    """

    def __init__(self, schema: ResourceSchema, parent: Attribute | None = None) -> None:
        self.schema = schema
        self.parent = parent

    def filter(self, node: Any) -> Filter:
        """Convert an `ast.Filter` node."""
        if node.namespace is not None:
            return self.value_path(node.namespace, node.expr)
        expr = node.expr
        result: Filter
        if isinstance(expr, ast.Filter):
            result = self.filter(expr)
        elif isinstance(expr, ast.LogExpr):
            result = self._logical(expr)
        else:
            result = self._attribute_expression(expr)
        return Not(result) if node.negated else result

    def value_path(self, namespace: Any, inner: Any) -> Filter:
        """`attr[filter]`: the filter applies to one value of `attr` at a time."""
        if self.parent is not None:
            raise InvalidFilter("Value paths cannot be nested.")
        parent = self.resolve(namespace, allow_sub=False)
        attribute = parent.attribute
        if not attribute.is_complex:
            raise InvalidFilter(f"{parent} has no sub-attributes to filter on.")
        condition = FilterBuilder(self.schema, attribute).filter(inner)
        return ValuePath(parent, condition) if attribute.multi_valued else condition

    def resolve(self, node: Any, *, allow_sub: bool = True) -> AttributePath:
        """Resolve an `ast.AttrPath` node (names only; no value path)."""
        sub = node.sub_attr.value if node.sub_attr is not None else None
        if self.parent is not None:
            found = None if (node.uri or sub) else self.parent.sub_attribute(node.attr_name)
            if found is None:
                raise InvalidFilter(f"{self.parent.name} has no sub-attribute {node.attr_name!r}.")
            return AttributePath(self.parent, found)
        if sub is not None and not allow_sub:
            raise InvalidFilter(f"Invalid attribute path {node.attr_name}.{sub}.")
        path = self.schema.resolve(PathText(node.uri, node.attr_name, sub))
        if path is None:
            written = f"{node.uri}:{node.attr_name}" if node.uri else node.attr_name
            raise InvalidFilter(f"Unknown attribute {written}{'.' + sub if sub else ''}.")
        return path

    def _logical(self, expr: Any) -> Filter:
        # Flatten the chain of ungrouped and/or, then regroup it: "and" binds tighter.
        operands: list[Any] = []
        operators: list[str] = []
        pending: list[Any] = [expr]
        while pending:
            item = pending.pop()
            if isinstance(item, str):
                operators.append(item)
            elif isinstance(item, ast.LogExpr):
                pending.extend((item.expr2, item.op.lower(), item.expr1))
            elif not item.negated and item.namespace is None and isinstance(item.expr, ast.LogExpr):
                pending.append(item.expr)
            else:
                operands.append(item)
        groups: list[list[Filter]] = [[self.filter(operands[0])]]
        for operator, operand in zip(operators, operands[1:], strict=True):
            if operator == "or":
                groups.append([])
            groups[-1].append(self.filter(operand))
        terms = [g[0] if len(g) == 1 else And(tuple(g)) for g in groups]
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def _attribute_expression(self, expr: Any) -> Filter:
        op = expr.value.lower()
        literal: Literal | None = expr.comp_value.value if expr.comp_value is not None else None
        if isinstance(expr.attr_path.attr_name, ast.Filter):
            return self._filtered_attribute(expr.attr_path.attr_name, op, literal)
        path = self.resolve(expr.attr_path)
        if op != "pr" and path.leaf.is_complex:
            value_sub = path.leaf.sub_attribute("value")
            if value_sub is None or path.sub_attribute is not None:
                raise InvalidFilter(f"{path} is complex: compare one of its sub-attributes.")
            path = AttributePath(path.attribute, value_sub)
        test = self._test(path, op, literal)
        if self.parent is None and path.attribute.multi_valued and path.sub_attribute:
            return _wrap(AttributePath(path.attribute), test)
        return test

    def _filtered_attribute(self, value_path: Any, op: str, literal: Literal | None) -> Filter:
        # Entra: emails[type eq "work"].value eq "x" -- one value satisfies both.
        namespace = value_path.namespace
        sub = namespace.sub_attr
        parent = ast.AttrPath(namespace.attr_name, None, namespace.uri)
        condition = self.value_path(parent, value_path.expr)
        if sub is None:
            if op != "pr":
                raise InvalidFilter("Compare a sub-attribute after a value path filter.")
            return condition
        if not isinstance(condition, ValuePath):
            raise InvalidFilter("A value path with a sub-attribute needs a multi-valued attribute.")
        inner = FilterBuilder(self.schema, condition.attribute.attribute)
        sub_path = inner.resolve(ast.AttrPath(sub.value, None, None))
        test = inner._test(sub_path, op, literal)
        return ValuePath(condition.attribute, And((condition.filter, test)))

    def _test(self, path: AttributePath, op: str, literal: Literal | None) -> Filter:
        if op == "pr":
            return Present(path)
        if literal is None:
            raise ValueError(f"the grammar gave {path} {op} no value")
        compare = CompareOp(op)
        if literal.value is None:
            if compare is CompareOp.EQ:
                return Not(Present(path))
            if compare is CompareOp.NE:
                return Present(path)
            raise InvalidFilter(f"Only eq and ne compare with null ({path} {op} null).")
        return Comparison(path, compare, _operand(path, compare, literal))


def _wrap(attribute: AttributePath, test: Filter) -> Filter:
    # eq null / ne null on a sub-attribute of a multi-valued attribute: "no value has it".
    if isinstance(test, Not):
        return Not(ValuePath(attribute, test.operand))
    return ValuePath(attribute, test)


def _operand(path: AttributePath, op: CompareOp, literal: Literal) -> Operand:
    kind = path.leaf.type
    if op not in ALLOWED_OPERATORS[kind]:
        allowed = ", ".join(sorted(ALLOWED_OPERATORS[kind]))
        raise InvalidFilter(f"{path} is a {kind.value}: only {allowed} and pr apply.")
    operand = _OPERANDS[kind](literal)
    if operand is None:
        raise InvalidFilter(f"{path} is a {kind.value} and cannot be compared with {literal.text}.")
    return operand


def _string_operand(literal: Literal) -> Operand | None:
    value = literal.value
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return literal.text
    return None


def _number_operand(literal: Literal) -> Operand | None:
    value = literal.value
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer_operand(literal: Literal) -> Operand | None:
    value = literal.value
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _datetime_operand(literal: Literal) -> Operand | None:
    return parse_datetime(literal.value) if isinstance(literal.value, str) else None


_EQUALITY = frozenset({CompareOp.EQ, CompareOp.NE})
_ALL = frozenset(CompareOp)

# RFC 7644 §3.4.2.2, Table 3: gt/ge/lt/le on boolean or binary attributes is invalidFilter.
ALLOWED_OPERATORS: dict[AttributeType, frozenset[CompareOp]] = {
    AttributeType.STRING: _ALL,
    AttributeType.REFERENCE: _ALL,
    AttributeType.BINARY: _EQUALITY,
    AttributeType.BOOLEAN: _EQUALITY,
    AttributeType.INTEGER: _ALL - SUBSTRING_OPS,
    AttributeType.DECIMAL: _ALL - SUBSTRING_OPS,
    AttributeType.DATETIME: _ALL - SUBSTRING_OPS,
    AttributeType.COMPLEX: frozenset(),
}

_OPERANDS: dict[AttributeType, Callable[[Literal], Operand | None]] = {
    AttributeType.STRING: _string_operand,
    AttributeType.REFERENCE: _string_operand,
    AttributeType.BINARY: _string_operand,
    AttributeType.BOOLEAN: lambda literal: parse_boolean(literal.value),
    AttributeType.INTEGER: _integer_operand,
    AttributeType.DECIMAL: _number_operand,
    AttributeType.DATETIME: _datetime_operand,
    AttributeType.COMPLEX: lambda literal: None,
}
