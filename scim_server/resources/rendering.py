"""Stored resources as the service returns them: `schemas`, `id`, `meta` and projection.

`meta` (RFC 7643 §3.1) is computed, never stored: resourceType, created, lastModified, the
resource's location and its version as a weak ETag. The projection (RFC 7644 §3.4.2.5) decides
the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from scim_server.protocol.etag import etag
from scim_server.protocol.projection import Projection
from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.resource import resource_schemas
from scim_server.protocol.values import format_datetime
from scim_server.resources.http import base_url


def meta(
    resource_type: str, resource_id: str, created: datetime, modified: datetime, version: int
) -> dict[str, Any]:
    """The `meta` attribute of a resource (RFC 7643 §3.1)."""
    return {
        "resourceType": resource_type,
        "created": format_datetime(created),
        "lastModified": format_datetime(modified),
        "location": location(resource_type, resource_id),
        "version": etag(version),
    }


def location(resource_type: str, resource_id: str) -> str:
    """The absolute URL of a resource."""
    return f"{base_url()}/{resource_type}s/{resource_id}"


def references(resource_type: str, pairs: Iterable[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """Reference values (`members`, `groups`) with `value`, `$ref` and `display`."""
    values = []
    for resource_id, display in pairs:
        value: dict[str, Any] = {"value": resource_id, "$ref": location(resource_type, resource_id)}
        if display:
            value["display"] = display
        values.append(value)
    return values


def render(
    resource: Mapping[str, Any],
    schema: ResourceSchema,
    projection: Projection,
    resource_meta: dict[str, Any],
) -> dict[str, Any]:
    """The response form of a stored resource (with its `id`) under a projection."""
    full = {"schemas": resource_schemas(resource, schema), **resource, "meta": resource_meta}
    return projection.apply(full, schema)
