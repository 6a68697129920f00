"""The typed syntax tree of a SCIM filter (RFC 7644 §3.4.2.2).

`filter_parser.parse_filter` builds it with every attribute already resolved against the
resource type's schema and every operand already of the attribute's type, so that the two
interpreters of a filter, the in-memory evaluator (`filter_eval`) and the SQL compiler
(`scim_server.store.filters`), need no schema knowledge of their own and agree by construction.

Normal form guaranteed by the parser:

* a comparison or presence test on a sub-attribute of a multi-valued attribute
  (`emails.value co "@x"`) is wrapped in a `ValuePath` over that attribute, so "any value
  matches" (RFC 7644 §3.4.2.2) is always explicit;
* inside a `ValuePath`, every path is `AttributePath(parent, sub_attribute)`;
* `attr eq null` is `Not(Present(attr))` and `attr ne null` is `Present(attr)`;
* `And` and `Or` are n-ary, nested according to RFC precedence (`and` binds tighter than `or`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from scim_server.protocol.registry import AttributePath


class CompareOp(enum.StrEnum):
    """The attribute operators of RFC 7644 §3.4.2.2, Table 3 (all but "pr")."""

    EQ = "eq"
    NE = "ne"
    CO = "co"
    SW = "sw"
    EW = "ew"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"


SUBSTRING_OPS = frozenset({CompareOp.CO, CompareOp.SW, CompareOp.EW})
ORDERING_OPS = frozenset({CompareOp.GT, CompareOp.GE, CompareOp.LT, CompareOp.LE})

# A comparison operand, already of the attribute's type: str for string, reference and binary
# attributes, bool for boolean, int or float for integer and decimal, aware datetime for dateTime.
Operand = str | bool | int | float | datetime


@dataclass(frozen=True)
class Comparison:
    """`attrPath compareOp compValue` on a single value (RFC 7644 §3.4.2.2)."""

    path: AttributePath
    op: CompareOp
    value: Operand


@dataclass(frozen=True)
class Present:
    """`attrPath pr`: the attribute has a non-empty, non-null value (RFC 7644 §3.4.2.2)."""

    path: AttributePath


@dataclass(frozen=True)
class And:
    """Every operand matches."""

    operands: tuple[Filter, ...]


@dataclass(frozen=True)
class Or:
    """At least one operand matches."""

    operands: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    """`not (FILTER)`: the operand does not match."""

    operand: Filter


@dataclass(frozen=True)
class ValuePath:
    """`attrPath "[" valFilter "]"`: one value of a multi-valued attribute matches the filter.

    `attribute` is the multi-valued attribute itself (no sub-attribute); the paths inside
    `filter` name its sub-attributes and are evaluated against one value at a time.
    """

    attribute: AttributePath
    filter: Filter


Filter = Comparison | Present | And | Or | Not | ValuePath
