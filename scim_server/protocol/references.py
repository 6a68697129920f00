"""Attributes that reference other resources of this service provider (RFC 7643 §2.3.7).

A complex attribute whose `$ref` sub-attribute has a resource type among its referenceTypes
holds, in `value`, the id of another resource: the enterprise `manager` (single-valued) and the
Group `members` (multi-valued). They are found from the schema documents, not by name.

Neither is stored in the resource JSON. Members live in their own table (see `members`). The
manager lives in a foreign-key column, so that deleting a user clears it as anyone's manager:
`detach_manager` takes it out of a resource before it is stored and `attach_manager` puts it back,
always as `{"value": "<id>"}` under the enterprise extension (Entra cannot read a string there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scim_server.protocol.attribute_values import copy_json, get_value, set_value
from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.schema import Attribute


def _references(schema: ResourceSchema, *, multi_valued: bool) -> Attribute | None:
    def find() -> Attribute | None:
        return next(
            (
                a
                for a in schema.attributes()
                if a.references_resources and a.writable and a.multi_valued == multi_valued
            ),
            None,
        )

    return schema.remembered(f"references multi_valued={multi_valued}", find)


def manager_attribute(schema: ResourceSchema) -> Attribute | None:
    """The single-valued writable reference of the resource type (the enterprise manager)."""
    return _references(schema, multi_valued=False)


def member_attribute(schema: ResourceSchema) -> Attribute | None:
    """The multi-valued writable reference of the resource type (Group members)."""
    return _references(schema, multi_valued=True)


def reference_id(resource: Mapping[str, Any], attribute: Attribute) -> str | None:
    """The id a single-valued reference holds, or None."""
    value = get_value(resource, attribute)
    reference = value.get("value") if isinstance(value, Mapping) else None
    return reference if isinstance(reference, str) and reference else None


def referenced_ids(resource: Mapping[str, Any], schema: ResourceSchema) -> frozenset[str]:
    """The ids the resource's single-valued references hold (the manager's id)."""
    attribute = manager_attribute(schema)
    reference = reference_id(resource, attribute) if attribute is not None else None
    return frozenset() if reference is None else frozenset({reference})


def detach_manager(
    resource: Mapping[str, Any], schema: ResourceSchema
) -> tuple[dict[str, Any], str | None]:
    """The resource without its manager, and the manager's id (for the store's column)."""
    detached: dict[str, Any] = copy_json(dict(resource))
    attribute = manager_attribute(schema)
    if attribute is None:
        return detached, None
    manager_id = reference_id(detached, attribute)
    set_value(detached, attribute, None)
    return detached, manager_id


def attach_manager(
    resource: Mapping[str, Any], schema: ResourceSchema, manager_id: str | None
) -> dict[str, Any]:
    """The resource with its manager as `{"value": id}` under the enterprise extension."""
    attached: dict[str, Any] = copy_json(dict(resource))
    attribute = manager_attribute(schema)
    if attribute is not None:
        set_value(attached, attribute, {"value": manager_id} if manager_id else None)
    return attached
