"""Evaluate a filter against a resource dict in memory (RFC 7644 §3.4.2.2).

The same semantics as the SQL compiler (`scim_server.store.filters`); a property test holds the
two to each other. PATCH uses it for value-path filters (`emails[type eq "work"]`,
RFC 7644 §3.5.2) through `matches_value`.

Semantics, per RFC 7644 §3.4.2.2:

* a multi-valued attribute matches when any of its values matches;
* strings compare per the attribute's `caseExact`, case-insensitively by `fold_case` (NFC,
  Unicode case fold, NFC); ordering compares code points;
* dateTimes compare chronologically; booleans support eq and ne only;
* a comparison with an unassigned attribute, or with a value of another JSON type than the
  attribute's, does not match (so `ne` requires the attribute to be present);
* "pr" is false for null, "", [] and {}.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from scim_server.protocol.attribute_values import get_value, is_present, lookup
from scim_server.protocol.case_folding import fold_case
from scim_server.protocol.filter_ast import (
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
from scim_server.protocol.schema import Attribute, AttributeType
from scim_server.protocol.values import parse_datetime


def matches(node: Filter, resource: Mapping[str, Any]) -> bool:
    """Whether `resource` (a dict as returned to clients) matches the filter."""
    return _evaluate(node, resource, None)


def matches_value(node: Filter, value: Mapping[str, Any]) -> bool:
    """Whether one value of a multi-valued complex attribute matches a value-path filter."""
    return _evaluate(node, {}, value)


def _evaluate(node: Filter, resource: Mapping[str, Any], value: Mapping[str, Any] | None) -> bool:
    match node:
        case And(operands):
            return all(_evaluate(o, resource, value) for o in operands)
        case Or(operands):
            return any(_evaluate(o, resource, value) for o in operands)
        case Not(operand):
            return not _evaluate(operand, resource, value)
        case Present(path):
            return is_present(_value_at(path, resource, value))
        case Comparison(path, op, operand):
            actual = _value_at(path, resource, value)
            candidates = actual if isinstance(actual, list) else [actual]
            return any(_compare(path.leaf, c, op, operand) for c in candidates)
        case ValuePath(path, condition):
            values = get_value(resource, path.attribute)
            items = values if isinstance(values, list) else []
            return any(
                _evaluate(condition, resource, item) for item in items if isinstance(item, Mapping)
            )
    raise TypeError(f"not a filter node: {node!r}")


def _value_at(
    path: AttributePath, resource: Mapping[str, Any], value: Mapping[str, Any] | None
) -> Any:
    if value is not None and path.sub_attribute is not None:
        return lookup(value, path.sub_attribute.name)
    top = get_value(resource, path.attribute)
    if path.sub_attribute is None:
        return top
    return lookup(top, path.sub_attribute.name) if isinstance(top, Mapping) else None


def _compare(attribute: Attribute, actual: Any, op: CompareOp, operand: Operand) -> bool:
    comparable = _COMPARABLE[attribute.type](attribute, actual, operand)
    return comparable is not None and OPERATORS[op](*comparable)


def _strings(attribute: Attribute, actual: Any, operand: Operand) -> tuple[str, str] | None:
    if not isinstance(actual, str) or not isinstance(operand, str):
        return None
    if attribute.case_exact:
        return actual, operand
    return fold_case(actual), fold_case(operand)


def _booleans(attribute: Attribute, actual: Any, operand: Operand) -> tuple[bool, bool] | None:
    if not isinstance(actual, bool) or not isinstance(operand, bool):
        return None
    return actual, operand


def _numbers(attribute: Attribute, actual: Any, operand: Operand) -> tuple[float, float] | None:
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return None
    if isinstance(operand, bool) or not isinstance(operand, int | float):
        return None
    return actual, operand


def _datetimes(
    attribute: Attribute, actual: Any, operand: Operand
) -> tuple[datetime, datetime] | None:
    moment = parse_datetime(actual) if isinstance(actual, str) else None
    if moment is None or not isinstance(operand, datetime):
        return None
    return moment, operand


_COMPARABLE: dict[AttributeType, Callable[[Attribute, Any, Operand], tuple[Any, Any] | None]] = {
    AttributeType.STRING: _strings,
    AttributeType.REFERENCE: _strings,
    AttributeType.BINARY: _strings,
    AttributeType.BOOLEAN: _booleans,
    AttributeType.INTEGER: _numbers,
    AttributeType.DECIMAL: _numbers,
    AttributeType.DATETIME: _datetimes,
    AttributeType.COMPLEX: lambda attribute, actual, operand: None,
}

OPERATORS: dict[CompareOp, Callable[[Any, Any], bool]] = {
    CompareOp.EQ: operator.eq,
    CompareOp.NE: operator.ne,
    CompareOp.CO: lambda actual, operand: operand in actual,
    CompareOp.SW: lambda actual, operand: actual.startswith(operand),
    CompareOp.EW: lambda actual, operand: actual.endswith(operand),
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
}
