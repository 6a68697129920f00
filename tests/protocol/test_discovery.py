"""The schema documents served by discovery (RFC 7643 §5, §6, §7, §8.7)."""

from __future__ import annotations

from typing import Any

import pytest

from scim_server.protocol.discovery import (
    load_registry,
    resource_type_documents,
    schema_documents,
    service_provider_config,
)

CHARACTERISTICS = {
    "name", "type", "multiValued", "description", "required", "caseExact",
    "mutability", "returned", "uniqueness",
}  # fmt: skip


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *(v for item in value.values() for v in _walk(item))]
    if isinstance(value, list):
        return [value, *(v for item in value for v in _walk(item))]
    return [value]


def _attributes(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for attribute in document["attributes"]:
        found.append(attribute)
        found.extend(attribute.get("subAttributes", []))
    return found


def test_no_document_contains_null() -> None:
    documents = [
        *schema_documents(),
        *resource_type_documents(),
        service_provider_config(
            50, bulk_max_operations=10, bulk_max_payload_size=1000, cursor_timeout=60
        ),
    ]
    assert None not in _walk(documents), "Entra rejects null values in discovery documents"


@pytest.mark.parametrize("document", schema_documents(), ids=lambda d: d["name"])
def test_every_attribute_states_every_characteristic(document: dict[str, Any]) -> None:
    for attribute in _attributes(document):
        assert attribute.keys() >= CHARACTERISTICS, attribute["name"]
        assert attribute["mutability"] in {"readOnly", "readWrite", "immutable", "writeOnly"}
        assert attribute["returned"] in {"always", "never", "default", "request"}
        if attribute["type"] == "complex":
            assert attribute["subAttributes"], attribute["name"]
        if attribute["type"] == "reference":
            assert attribute["referenceTypes"], attribute["name"]


def test_schemas_served_are_the_resources_then_discovery_rfc7643_8_7_2() -> None:
    assert [d["id"] for d in schema_documents()] == [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
        "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
        "urn:ietf:params:scim:schemas:core:2.0:Schema",
    ]


def test_discovery_schemas_describe_the_served_documents() -> None:
    """Every member of the discovery documents is an attribute of its schema (RFC 7643 §5-§7)."""
    by_id = {d["id"]: d for d in schema_documents()}

    def names(schema_id: str) -> set[str]:
        return {a["name"] for a in by_id[schema_id]["attributes"]} | {"schemas", "meta"}

    config = service_provider_config(
        50, bulk_max_operations=10, bulk_max_payload_size=1000, cursor_timeout=60
    )
    assert set(config) <= names("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig")
    for document in resource_type_documents():
        assert set(document) <= names("urn:ietf:params:scim:schemas:core:2.0:ResourceType")
    attribute_names = {
        a["name"]
        for a in by_id["urn:ietf:params:scim:schemas:core:2.0:Schema"]["attributes"][-1][
            "subAttributes"
        ]
    }
    for document in schema_documents():
        assert set(document) <= names("urn:ietf:params:scim:schemas:core:2.0:Schema")
        for attribute in _attributes(document):
            assert set(attribute) <= attribute_names, attribute["name"]


def test_resource_types_name_served_schemas() -> None:
    served = {d["id"] for d in schema_documents()}
    types = {d["name"]: d for d in resource_type_documents()}
    assert set(types) == {"User", "Group"}
    assert types["User"]["endpoint"] == "/Users"
    assert types["User"]["schemaExtensions"] == [
        {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": False}
    ]
    for document in types.values():
        assert document["schema"] in served


def test_service_provider_config_advertises_the_configured_limits() -> None:
    config = service_provider_config(
        max_results=321, bulk_max_operations=7, bulk_max_payload_size=4096, cursor_timeout=90
    )
    assert config["filter"] == {"supported": True, "maxResults": 321}
    assert config["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 321,
        "maxPageSize": 321,
        "cursorTimeout": 90,
    }
    assert config["patch"] == {"supported": True}
    assert config["bulk"] == {"supported": True, "maxOperations": 7, "maxPayloadSize": 4096}
    assert config["changePassword"] == {"supported": False}
    assert config["sort"] == {"supported": True}
    assert config["etag"] == {"supported": True}
    assert [s["type"] for s in config["authenticationSchemes"]] == ["oauthbearertoken", "oauth2"]
    assert (
        service_provider_config(
            max_results=10, bulk_max_operations=1, bulk_max_payload_size=1, cursor_timeout=60
        )["filter"]["maxResults"]
        == 10
    )


def test_documents_are_copies() -> None:
    schema_documents()[0]["attributes"].clear()
    assert schema_documents()[0]["attributes"]


def test_registry_is_built_from_the_documents() -> None:
    user = load_registry().user
    user_name = user.attribute("userName")
    assert (user_name.required, user_name.case_exact, user_name.uniqueness) == (
        True,
        False,
        "server",
    )
    assert user.attribute("password").returned.value == "never"
    group = load_registry().group
    assert group.attribute("displayName").required
    assert group.attribute("members").references_resources
