"""The value at an attribute path of a resource, for readers outside the protocol (the mapping).

`value_at(resource, schema, "urn:…:enterprise:2.0:User:department")` reads any path that the
resource type resolves (RFC 7644 §3.10), custom extension attributes included. A sub-attribute of
a multi-valued attribute (`emails.value`, `phoneNumbers.value`) reads the primary value's, else
the first value's (RFC 7643 §2.4: the primary value is the preferred one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scim_server.protocol.attribute_values import get_value, lookup
from scim_server.protocol.registry import ResourceSchema


def value_at(resource: Mapping[str, Any], schema: ResourceSchema, path: str) -> Any:
    """The value at `path`, or None when the path is unknown or unassigned."""
    resolved = schema.resolve_text(path)
    if resolved is None:
        return None
    value = get_value(resource, resolved.attribute)
    if resolved.sub_attribute is None or value is None:
        return value
    if isinstance(value, list):
        items = [item for item in value if isinstance(item, Mapping)]
        preferred = next((i for i in items if i.get("primary") is True), None)
        value = preferred or (items[0] if items else None)
    return lookup(value, resolved.sub_attribute.name) if isinstance(value, Mapping) else None
