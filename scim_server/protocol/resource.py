"""Resources sent by clients in POST and PUT bodies (RFC 7643 §2, §3; RFC 7644 §3.3, §3.5.1).

`parse_resource` turns a request body into the resource dict the store keeps: attribute names in
the schema's canonical case, extension attributes under their schema URN, null-valued attributes
dropped (RFC 7643 §2.5), values otherwise exactly as sent. Group members are returned apart
(`ParsedResource.members`): the store keeps them in their own table, never in the resource.

Decisions:

* readOnly attributes (`id`, `meta`, `groups`, `schemas`) are ignored (RFC 7644 §3.3: "SHALL be
  ignored"); the response's `schemas` is computed by `resource_schemas`.
* writeOnly attributes (`password`) are accepted and discarded: users sign in with Microsoft,
  and a password the service never uses must not be stored.
* An attribute that no schema of the resource type defines is dropped and reported in
  `ignored` (RFC 7644 §3.3 creates the resource "as defined by the schema"; the reference Postman
  collection expects a misspelled attribute to be ignored). Attributes of an extension without a
  schema document (Entra custom extension attributes) are kept as sent.
* Client noise Entra sends is tolerated (entra-provisioning.md §5.8): unknown `schemas` URIs
  (including the ADSCIM Group URI and the `...:enterprise:2.0User` typo), client `meta`,
  `roles: []`, nulls, and top-level `department`/`manager`, which move to the enterprise
  extension because only that extension defines them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scim_server.protocol.attribute_values import get_value, is_present, set_value
from scim_server.protocol.errors import InvalidSyntax, InvalidValue, Mutability
from scim_server.protocol.leniencies import Leniency, note
from scim_server.protocol.limits import check_indexed_lengths
from scim_server.protocol.members import member_ids
from scim_server.protocol.multi_valued import check_single_primary
from scim_server.protocol.references import member_attribute, referenced_ids
from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.schema import Attribute
from scim_server.protocol.schema import Mutability as Mutable
from scim_server.protocol.values import UNASSIGNED, coerce


@dataclass(frozen=True)
class ParsedResource:
    """A resource from a POST or PUT body, ready for the store.

    `members` holds the member ids for a resource type with members (Group), else None;
    `referenced_ids` are the ids that must name users of the same organisation (manager,
    members); `ignored` names the attributes dropped because no schema defines them.
    """

    resource: dict[str, Any]
    members: frozenset[str] | None
    referenced_ids: frozenset[str]
    ignored: tuple[str, ...]


def parse_resource(body: Any, schema: ResourceSchema) -> ParsedResource:
    """Parse a POST body (RFC 7644 §3.3), or raise InvalidSyntax / InvalidValue (400)."""
    if not isinstance(body, Mapping):
        raise InvalidSyntax(f"The body must be a {schema.name} object.")
    resource: dict[str, Any] = {}
    members: set[str] | None = set() if member_attribute(schema) is not None else None
    ignored: list[str] = []
    for key, value in body.items():
        if value is None:
            continue
        split = schema.split(str(key))
        if split.name is None and split.uri is not None:
            if not isinstance(value, Mapping):
                raise InvalidValue(f"{key} must be an object of extension attributes.")
            for name, item in value.items():
                found = schema.top_level(str(name), split.uri)
                if found is None:
                    ignored.append(f"{key}:{name}")
                elif item is not None:
                    _assign(resource, members, found, item)
            continue
        path = schema.resolve(split)
        if path is None or path.sub_attribute is not None:
            ignored.append(str(key))
        else:
            _assign(resource, members, path.attribute, value)
    if ignored:
        note(Leniency.UNKNOWN_ATTRIBUTES_IGNORED)
    check_required(resource, schema)
    check_indexed_lengths(resource, schema)
    frozen = None if members is None else frozenset(members)
    return ParsedResource(
        resource,
        frozen,
        referenced_ids(resource, schema) | (frozen or frozenset()),
        tuple(ignored),
    )


def parse_replacement(
    body: Any, schema: ResourceSchema, current: Mapping[str, Any]
) -> ParsedResource:
    """Parse a PUT body that replaces `current` (RFC 7644 §3.5.1).

    Attributes left out are unassigned; an immutable attribute that has a value must keep it.
    """
    parsed = parse_resource(body, schema)
    check_replacement(parsed, schema, current)
    return parsed


def check_replacement(
    parsed: ParsedResource, schema: ResourceSchema, current: Mapping[str, Any]
) -> None:
    """Raise Mutability (400) if the replacement changes an immutable attribute that has a
    value (RFC 7644 §3.5.1)."""
    for attribute in schema.attributes():
        if attribute.mutability is not Mutable.IMMUTABLE:
            continue
        before = get_value(current, attribute)
        if before is not None and get_value(parsed.resource, attribute) != before:
            raise Mutability(f"{attribute.name} is immutable and cannot change.")


def _assign(
    resource: dict[str, Any], members: set[str] | None, attribute: Attribute, value: Any
) -> None:
    if not attribute.writable or attribute.mutability is Mutable.WRITE_ONLY:
        return
    if members is not None and attribute.references_resources and attribute.multi_valued:
        members |= member_ids(attribute, value)
        return
    coerced = coerce(attribute, value, str(attribute.name))
    if coerced is UNASSIGNED:
        return
    if attribute.multi_valued:
        check_single_primary(attribute, coerced, attribute.name)
    set_value(resource, attribute, coerced)


def check_required(resource: Mapping[str, Any], schema: ResourceSchema) -> None:
    """Every required attribute a client writes has a non-empty value (RFC 7643 §2.2)."""
    for attribute in schema.attributes():
        required = attribute.required and attribute.writable
        if required and not is_present(get_value(resource, attribute)):
            raise InvalidValue(f"{attribute.name} is required and cannot be empty.")


def resource_schemas(resource: Mapping[str, Any], schema: ResourceSchema) -> list[str]:
    """The `schemas` of a resource in a response (RFC 7643 §3): core, then extensions present."""
    extensions = [
        k for k in resource if k.lower().startswith("urn:") and schema.is_extension_urn(k)
    ]
    return [schema.core.id, *extensions]
