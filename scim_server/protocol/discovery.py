"""The schema documents and the discovery endpoints' bodies (RFC 7644 §4; RFC 7643 §5 to §8.7).

The JSON documents in the top-level `schemas/` directory are the single source of attribute
behaviour: they are served by /Schemas, /ResourceTypes and /ServiceProviderConfig, and the same
documents build the `ResourceSchema` of each resource type that validation, PATCH, filters and
projection use. They are installed as the data package `schemas` and read through
importlib.resources, so an editable install and a wheel read them alike.
The documents hold no null values (Entra rejects them in discovery responses).
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from scim_server.protocol.registry import ResourceSchema
from scim_server.protocol.schema import Schema

SCHEMA_FILES = ("user.json", "group.json", "enterprise-user.json")
# The schemas of the discovery resources themselves (RFC 7643 §5 to §7, represented in §8.7.2).
SERVICE_SCHEMA_FILES = (
    "service-provider-config-schema.json",
    "resource-type-schema.json",
    "schema-schema.json",
)
COMMON_FILE = "common-attributes.json"


def _load(name: str) -> Any:
    return json.loads(resources.files("schemas").joinpath(name).read_text("utf-8"))


@dataclass(frozen=True)
class Registry:
    """Every resource type the service provider offers, by name (RFC 7643 §6)."""

    resource_types: tuple[ResourceSchema, ...]

    @property
    def user(self) -> ResourceSchema:
        return self.get("User")

    @property
    def group(self) -> ResourceSchema:
        return self.get("Group")

    def get(self, name: str) -> ResourceSchema:
        """The resource type called `name` (a lookup by the code: unknown names are bugs)."""
        for resource_type in self.resource_types:
            if resource_type.name == name:
                return resource_type
        raise KeyError(f"no resource type {name!r}")


@functools.cache
def load_registry() -> Registry:
    """Build the resource types from the packaged documents (read once per process)."""
    documents = {d["id"]: d for d in (_load(f) for f in SCHEMA_FILES)}
    common = Schema.from_document(_load(COMMON_FILE), in_extension=False)
    built = []
    for resource_type in _load("resource-types.json"):
        core = Schema.from_document(documents[resource_type["schema"]], in_extension=False)
        extensions = tuple(
            Schema.from_document(documents[e["schema"]], in_extension=True)
            for e in resource_type.get("schemaExtensions", ())
        )
        built.append(
            ResourceSchema(
                name=resource_type["name"],
                endpoint=resource_type["endpoint"],
                core=core,
                extensions=extensions,
                common=common,
            )
        )
    return Registry(tuple(built))


@functools.cache
def _documents() -> dict[str, Any]:
    return {
        "schemas": [_load(f) for f in (*SCHEMA_FILES, *SERVICE_SCHEMA_FILES)],
        "resource_types": _load("resource-types.json"),
        "service_provider_config": _load("service-provider-config.json"),
        "common": _load(COMMON_FILE),
    }


def schema_documents() -> list[dict[str, Any]]:
    """The bodies of /Schemas (RFC 7643 §7), without `meta` (the HTTP layer adds location).

    The resource schemas come first, then the schemas of ServiceProviderConfig, ResourceType and
    Schema, which RFC 7643 §8.7.2 represents alongside them.
    """
    return copy.deepcopy(_documents()["schemas"])


def common_document() -> dict[str, Any]:
    """The common attributes of every resource (`id`, `externalId`, `meta`, `schemas`)."""
    return copy.deepcopy(_documents()["common"])


def resource_type_documents() -> list[dict[str, Any]]:
    """The bodies of /ResourceTypes (RFC 7643 §6), without `meta`."""
    return copy.deepcopy(_documents()["resource_types"])


def service_provider_config(
    max_results: int,
    *,
    bulk_max_operations: int,
    bulk_max_payload_size: int,
    cursor_timeout: int,
) -> dict[str, Any]:
    """The body of /ServiceProviderConfig (RFC 7643 §5) with the configured limits substituted.

    `max_results` is the maximum page size, the same number `ListQuery` clamps `count` to, and
    the page size when there is no `count` (`pagination`, RFC 9865 §4); the bulk limits are
    those /Bulk enforces (RFC 7644 §3.7.4); `cursor_timeout` is how long a cursor is valid.
    What the document promises is what the endpoints do.
    """
    document: dict[str, Any] = copy.deepcopy(_documents()["service_provider_config"])
    document["filter"]["maxResults"] = max_results
    document["pagination"].update(
        defaultPageSize=max_results, maxPageSize=max_results, cursorTimeout=cursor_timeout
    )
    document["bulk"] = {
        "supported": True,
        "maxOperations": bulk_max_operations,
        "maxPayloadSize": bulk_max_payload_size,
    }
    return document
