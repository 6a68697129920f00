"""The value at an attribute path of a resource, for readers outside the protocol (the mapping).

One reader for every consumer of a stored resource: `value_at(resource, schema, path)` reads any
path that the resource type resolves, written as RFC 7644 §3.10 writes it:

* `title`, `name.givenName`, `urn:…:enterprise:2.0:User:department`, custom extension
  attributes such as `urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User:costCentre`;
* a value path with a filter, `emails[type eq "work"].value` or
  `phoneNumbers[type eq "mobile"].value` (the grammar of PATCH paths, RFC 7644 §3.5.2), which
  reads the first value that matches the filter (the primary one if it matches).

A sub-attribute of a multi-valued attribute (`emails.value`) reads the primary value's, else the
first value's (RFC 7643 §2.4: the primary value is the preferred one). A path that names no
attribute of the resource type, or does not parse, reads None: the mapping's sources were checked
for shape when they were saved, and a custom attribute may simply not have arrived yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scim_server.protocol.attribute_values import get_value, lookup
from scim_server.protocol.errors import InvalidPath
from scim_server.protocol.filter_eval import matches_value
from scim_server.protocol.leniencies import noting
from scim_server.protocol.patch_path import PatchPath, parse_patch_path
from scim_server.protocol.registry import ResourceSchema


def value_at(resource: Mapping[str, Any], schema: ResourceSchema, path: str) -> Any:
    """The value at `path`, or None when the path is unknown or unassigned."""
    resolved = _resolved(path, schema)
    if resolved is None or resolved.attribute is None:
        return None
    value = get_value(resource, resolved.attribute)
    if value is None:
        return None
    if resolved.value_filter is None and resolved.sub_attribute is None:
        return value
    if isinstance(value, list):
        items = [item for item in value if isinstance(item, Mapping)]
        if resolved.value_filter is not None:
            items = [item for item in items if matches_value(resolved.value_filter, item)]
        value = next((i for i in items if i.get("primary") is True), items[0] if items else None)
    elif resolved.value_filter is not None:
        return None  # a filter selects values of a multi-valued attribute only
    if resolved.sub_attribute is None:
        return value
    return lookup(value, resolved.sub_attribute.name) if isinstance(value, Mapping) else None


_CACHE_SIZE = 1024
# Resolved paths per resource type, keyed by the schema object's identity: parsing a filter costs
# far more than reading a value, a mapping reads the same few paths for every user, and hashing a
# ResourceSchema (a deep frozen dataclass) would cost more than the read itself.
_resolved_paths: dict[int, tuple[ResourceSchema, dict[str, PatchPath | None]]] = {}


def _resolved(path: str, schema: ResourceSchema) -> PatchPath | None:
    entry = _resolved_paths.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _resolved_paths[id(schema)] = (schema, {})
    paths = entry[1]
    if path not in paths:
        if len(paths) >= _CACHE_SIZE:
            paths.clear()
        # The service's own paths (the field mapping's sources): no leniency of the client's.
        with noting():
            try:
                paths[path] = parse_patch_path(path, schema)
            except InvalidPath:
                paths[path] = None
    return paths[path]
