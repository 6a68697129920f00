"""Attribute values checked against their schema type (RFC 7643 §2.3, §2.5).

`coerce` turns a JSON value from a request into the value the resource stores: sub-attribute
names in the schema's canonical case, null meaning "unassigned" (§2.5), and otherwise the value
exactly as sent (Entra re-PATCHes forever when a stored value is reformatted). A value of the
wrong type is a 400 `invalidValue`.

Client leniencies, each driven by the attribute's type rather than its name:

* Entra's default `active` mapping emits the strings "True" and "False": a boolean attribute
  accepts those strings in any case and stores a real boolean.
* Entra's null-update test replaces every mapped attribute with "": for a non-string attribute
  (boolean, number, dateTime, complex) "" means unassigned.
* Entra sends `manager` as a plain string, an object, or a one-element array of `{$ref, value}`:
  a complex attribute with a `value` sub-attribute accepts a string as that `value`, and a
  single-valued complex attribute accepts a one-element array.
* For an attribute that references resources of this service provider (manager, members),
  only `value` is kept: `$ref`, `display` and `type` are the server's to compute, and Entra
  sends `$ref: null` or its own URL.
* A multi-valued attribute given a single value holds that one value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from scim_server.protocol.attribute_values import lookup
from scim_server.protocol.errors import InvalidValue
from scim_server.protocol.leniencies import Leniency, note
from scim_server.protocol.schema import STRING_TYPES, Attribute, AttributeType


class _Unassigned:
    """The state of an attribute without a value (RFC 7643 §2.5)."""

    def __repr__(self) -> str:
        return "UNASSIGNED"


UNASSIGNED: Final = _Unassigned()


def parse_datetime(text: str) -> datetime | None:
    """An xsd:dateTime (RFC 7643 §2.3.5) as an aware datetime, or None if it is not one.

    A value without an offset is taken as UTC.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def format_datetime(moment: datetime) -> str:
    """An aware datetime as the xsd:dateTime the service provider returns, in UTC with "Z"."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_boolean(value: object) -> bool | None:
    """A JSON boolean, or the strings "true"/"false" in any case (Entra), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        note(Leniency.STRING_BOOLEAN)
        return value.lower() == "true"
    return None


def coerce(attribute: Attribute, value: Any, where: str) -> Any:
    """The stored form of `value` for `attribute`, or UNASSIGNED; `where` names it in errors."""
    if value is None:
        return UNASSIGNED
    if attribute.custom:
        return value
    if attribute.multi_valued:
        if not isinstance(value, list):
            note(Leniency.SINGLE_VALUE_AS_ARRAY)
        items = value if isinstance(value, list) else [value]
        kept = [v for v in (coerce_item(attribute, item, where) for item in items)]
        kept = [v for v in kept if v is not UNASSIGNED]
        return kept or UNASSIGNED
    if attribute.is_complex and isinstance(value, list) and len(value) <= 1:
        note(Leniency.ARRAY_AS_SINGLE_VALUE)
        return coerce_item(attribute, value[0], where) if value else UNASSIGNED
    return coerce_item(attribute, value, where)


def coerce_item(attribute: Attribute, value: Any, where: str) -> Any:
    """The stored form of one value (one element, for a multi-valued attribute)."""
    if value is None:
        return UNASSIGNED
    if attribute.is_complex:
        return _coerce_complex(attribute, value, where)
    return coerce_simple(attribute, value, where)


def _coerce_complex(attribute: Attribute, value: Any, where: str) -> Any:
    value_sub = attribute.sub_attribute("value")
    if value == "":
        note(Leniency.EMPTY_STRING_AS_NULL)
        return UNASSIGNED
    if isinstance(value, str) and value_sub is not None:
        note(Leniency.STRING_AS_COMPLEX)
        value = {value_sub.name: value}
    if not isinstance(value, Mapping):
        raise InvalidValue(f"{where} must be an object with sub-attributes, not {value!r}")
    if attribute.references_resources and value_sub is not None:
        return _reference(value_sub, value, where)
    result: dict[str, Any] = {}
    for key, sub_value in value.items():
        sub = attribute.sub_attribute(str(key))
        if sub is None or not sub.writable:
            continue
        coerced = coerce_simple(sub, sub_value, f"{where}.{sub.name}")
        if coerced is not UNASSIGNED:
            result[sub.name] = coerced
    return result or UNASSIGNED


def _reference(value_sub: Attribute, value: Mapping[str, Any], where: str) -> Any:
    # Only the referenced id is kept: $ref, display and type are the server's to compute.
    reference = lookup(value, value_sub.name)
    if reference is None or reference == "":
        if any(v not in (None, "") for v in value.values()):
            raise InvalidValue(f"{where} needs a 'value' naming the referenced resource")
        return UNASSIGNED
    if not isinstance(reference, str):
        raise InvalidValue(f"{where}.value must be a string id, not {reference!r}")
    return {value_sub.name: reference}


def coerce_simple(attribute: Attribute, value: Any, where: str) -> Any:
    """The stored form of one value of a non-complex attribute, or UNASSIGNED."""
    if value is None:
        return UNASSIGNED
    if value == "" and attribute.type not in STRING_TYPES:
        note(Leniency.EMPTY_STRING_AS_NULL)
        return UNASSIGNED
    coerced = _SIMPLE[attribute.type](value)
    if coerced is None:
        raise InvalidValue(f"{where} must be {_EXPECTED[attribute.type]}, not {value!r}")
    return coerced


def _string(value: Any) -> Any:
    return value if isinstance(value, str) else None


def _integer(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _decimal(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _datetime(value: Any) -> Any:
    return value if isinstance(value, str) and parse_datetime(value) is not None else None


_SIMPLE: dict[AttributeType, Callable[[Any], Any]] = {
    AttributeType.STRING: _string,
    AttributeType.REFERENCE: _string,
    AttributeType.BINARY: _string,
    AttributeType.BOOLEAN: parse_boolean,
    AttributeType.INTEGER: _integer,
    AttributeType.DECIMAL: _decimal,
    AttributeType.DATETIME: _datetime,
    AttributeType.COMPLEX: lambda value: None,
}

_EXPECTED = {
    AttributeType.STRING: "a string",
    AttributeType.REFERENCE: "a string (a URI)",
    AttributeType.BINARY: "a string (base64)",
    AttributeType.BOOLEAN: "a boolean",
    AttributeType.INTEGER: "an integer",
    AttributeType.DECIMAL: "a number",
    AttributeType.DATETIME: "an xsd:dateTime",
    AttributeType.COMPLEX: "an object",
}
