"""Reading and writing an attribute's value in a resource dict (RFC 7643 §2.1, §3.3).

Core and common attributes sit at the top level of a resource; an extension's attributes sit in
an object keyed by the extension's schema URN (RFC 7643 §3.3). Names match case-insensitively
(§2.1), so a custom extension attribute stored as `costCenter` is found as `CostCenter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scim_server.protocol.schema import Attribute


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists and immutable scalars), several times faster
    than `copy.deepcopy`, which a resource on its way through a request needs more than once."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def find_key(mapping: Mapping[str, Any], name: str) -> str | None:
    """The key of `mapping` equal to `name` ignoring case (the exact key first)."""
    if name in mapping:
        return name
    lowered = name.lower()
    return next((k for k in mapping if k.lower() == lowered), None)


def lookup(mapping: Mapping[str, Any], name: str) -> Any:
    """The value stored under `name` ignoring case, or None."""
    key = find_key(mapping, name)
    return None if key is None else mapping[key]


def container(resource: Mapping[str, Any], attribute: Attribute) -> Mapping[str, Any] | None:
    """The object that holds `attribute`: the resource, or its extension's object."""
    if not attribute.in_extension:
        return resource
    holder = lookup(resource, attribute.schema)
    return holder if isinstance(holder, Mapping) else None


def get_value(resource: Mapping[str, Any], attribute: Attribute) -> Any:
    """The value of a top-level attribute, or None when unassigned."""
    holder = container(resource, attribute)
    return None if holder is None else lookup(holder, attribute.name)


def set_value(resource: dict[str, Any], attribute: Attribute, value: Any) -> None:
    """Assign a top-level attribute; None unassigns it (and drops an emptied extension)."""
    if attribute.in_extension:
        key = find_key(resource, attribute.schema) or attribute.schema
        holder = resource.get(key)
        if not isinstance(holder, dict):
            if value is None:
                return
            holder = resource[key] = {}
        _assign(holder, attribute.name, value)
        if not holder:
            del resource[key]
    else:
        _assign(resource, attribute.name, value)


def _assign(holder: dict[str, Any], name: str, value: Any) -> None:
    key = find_key(holder, name)
    if value is None:
        if key is not None:
            del holder[key]
        return
    holder[key if key is not None else name] = value


def is_present(value: Any) -> bool:
    """Whether a value is assigned and non-empty, as "pr" tests it (RFC 7644 §3.4.2.2)."""
    if value is None:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True
