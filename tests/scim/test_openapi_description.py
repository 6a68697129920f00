"""/scim/v2/openapi.json: the OpenAPI description, generated from the schema documents."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from scim_server.protocol.discovery import schema_documents
from tests.conftest import Provisioned


def _property_names(schema: dict[str, Any], prefix: str = "") -> set[str]:
    names = set()
    for name, value in schema.get("properties", {}).items():
        names.add(prefix + name)
        inner = value.get("items", value)
        names |= _property_names(inner, f"{prefix}{name}.")
    return names


def _attribute_names(attributes: list[dict[str, Any]], prefix: str = "") -> set[str]:
    names = set()
    for attribute in attributes:
        names.add(prefix + attribute["name"])
        names |= _attribute_names(
            attribute.get("subAttributes", []), f"{prefix}{attribute['name']}."
        )
    return names


def test_the_description_follows_the_schema_documents(acme: Provisioned) -> None:
    response = acme.scim.get("/openapi.json")
    assert response.status_code == 200 and response.content_type.startswith("application/json")
    document = response.json
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "http://localhost/scim/v2"}]
    components = document["components"]["schemas"]
    by_id = {d["id"]: d for d in schema_documents()}
    user = _property_names(components["User"])
    assert (
        _attribute_names(by_id["urn:ietf:params:scim:schemas:core:2.0:User"]["attributes"]) <= user
    )
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert {f"{enterprise}.{n}" for n in _attribute_names(by_id[enterprise]["attributes"])} <= user
    group = _property_names(components["Group"])
    assert (
        _attribute_names(by_id["urn:ietf:params:scim:schemas:core:2.0:Group"]["attributes"])
        <= group
    )
    assert components["User"]["properties"]["groups"]["readOnly"] is True
    assert components["User"]["properties"]["password"]["writeOnly"] is True
    assert components["UserRequest"]["required"] == ["schemas", "userName"]
    assert {"nextCursor", "previousCursor"} <= set(components["UserListResponse"]["properties"])
    assert "pagination" in components["ServiceProviderConfig"]["properties"]
    assert set(document["paths"]) >= {
        "/Users",
        "/Users/{userId}",
        "/Users/.search",
        "/Groups",
        "/Groups/{groupId}",
        "/Groups/.search",
        "/.search",
        "/Bulk",
        "/ServiceProviderConfig",
        "/Schemas",
        "/ResourceTypes",
    }


def test_the_description_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/scim/v2/openapi.json")
    assert response.status_code == 401
