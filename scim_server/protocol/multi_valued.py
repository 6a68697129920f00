"""Rules for the values of multi-valued complex attributes (RFC 7643 §2.4; RFC 7644 §3.5.2).

* `primary` may be true for at most one value (RFC 7643 §2.4); when an operation makes one
  value primary, the others stop being primary.
* A PATCH whose value filter matches no value creates the value when the filter only states
  equalities (`emails[type eq "work"].value`, `phoneNumbers[type eq "mobile"].value`,
  `addresses[type eq "work"].formatted`): Entra sends these for attributes the user does not
  have yet (an Entra leniency; RFC 7644 §3.5.2.3 would answer `noTarget`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from scim_server.protocol.errors import InvalidValue
from scim_server.protocol.filter_ast import And, CompareOp, Comparison, Filter
from scim_server.protocol.schema import Attribute, AttributeType


def primary_attribute(attribute: Attribute) -> Attribute | None:
    """The boolean `primary` sub-attribute of a multi-valued complex attribute, if any."""
    sub = attribute.sub_attribute("primary")
    return sub if sub is not None and sub.type is AttributeType.BOOLEAN else None


def is_primary(attribute: Attribute, item: Any) -> bool:
    primary = primary_attribute(attribute)
    return primary is not None and isinstance(item, dict) and item.get(primary.name) is True


def check_single_primary(attribute: Attribute, items: Iterable[Any], where: str) -> None:
    """Reject values of which more than one is primary (RFC 7643 §2.4)."""
    if sum(1 for item in items if is_primary(attribute, item)) > 1:
        raise InvalidValue(f"At most one value of {where} may be primary.")


def keep_primary(attribute: Attribute, items: list[Any], chosen: Iterable[int]) -> None:
    """If a value at one of the `chosen` indexes is primary, the others stop being primary."""
    primary = primary_attribute(attribute)
    if primary is None:
        return
    winners = [i for i in chosen if is_primary(attribute, items[i])]
    if len(winners) > 1:
        raise InvalidValue(f"At most one value of {attribute.name} may be primary.")
    if not winners:
        return
    for index, item in enumerate(items):
        if index != winners[0] and is_primary(attribute, item):
            item[primary.name] = False


def value_from_filter(condition: Filter) -> dict[str, Any] | None:
    """The value a filter of equalities describes (`type eq "work"` gives {"type": "work"}).

    None when the filter states anything but equalities joined by `and`.
    """
    terms = condition.operands if isinstance(condition, And) else (condition,)
    seed: dict[str, Any] = {}
    for term in terms:
        if (
            not isinstance(term, Comparison)
            or term.op is not CompareOp.EQ
            or term.path.sub_attribute is None
            or isinstance(term.value, datetime)
        ):
            return None
        seed[term.path.sub_attribute.name] = term.value
    return seed
