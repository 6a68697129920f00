"""An OpenAPI 3.0 description of /scim/v2, generated from the schema documents.

The resources' JSON Schemas are built from the same documents in `schemas/` that /Schemas
serves and that validation, PATCH, filters and projection read (`discovery`): each SCIM
attribute becomes a property of its type (RFC 7643 §2.3), multi-valued ones arrays, complex
ones objects of their sub-attributes, extensions an object under their URN; `readOnly` and
`writeOnly` follow `mutability` and `returned: never`. So the description cannot drift from the
service: an attribute added to a document appears in both at once.

What the documents do not hold, the protocol messages of RFC 7644 (ListResponse, PatchOp,
SearchRequest, BulkRequest and BulkResponse, Error) and the operations of §3.2, is written
here once. Resources allow properties beyond their schema (custom extensions are stored and
returned as sent), as the RFC allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scim_server.protocol.discovery import (
    common_document,
    resource_type_documents,
    schema_documents,
)

SCIM_MEDIA_TYPE = "application/scim+json"
_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "decimal": {"type": "number"},
    "integer": {"type": "integer", "format": "int64"},
    "dateTime": {"type": "string", "format": "date-time"},
    "reference": {"type": "string"},
    "binary": {"type": "string"},
}
_SERVICE_SCHEMAS = {
    "ServiceProviderConfig": "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
    "ResourceType": "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
    "Schema": "urn:ietf:params:scim:schemas:core:2.0:Schema",
}


def attribute_schema(attribute: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one SCIM attribute (RFC 7643 §2.2, §2.3, §7)."""
    if attribute["type"] == "complex":
        single: dict[str, Any] = _object(attribute.get("subAttributes", ()))
    else:
        single = dict(_TYPES[attribute["type"]])
    schema: dict[str, Any] = (
        {"type": "array", "items": single} if attribute.get("multiValued") else single
    )
    if attribute.get("description"):
        schema["description"] = attribute["description"]
    if attribute.get("mutability") == "readOnly" and attribute["name"] != "schemas":
        schema["readOnly"] = True  # `schemas` is readOnly in RFC 7643 but every client sends it
    if attribute.get("returned") == "never":
        schema["writeOnly"] = True
    return schema


def _object(attributes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"type": "object", "properties": {a["name"]: attribute_schema(a) for a in attributes}}


def _resource_schema(
    core: Mapping[str, Any], common: Mapping[str, Any], extensions: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    schema = _object([*common["attributes"], *core["attributes"]])
    for extension in extensions:
        schema["properties"][extension["id"]] = _object(extension["attributes"])
    schema["description"] = core.get("description", core["name"])
    return schema


def _request_schema(resource: Mapping[str, Any], core: Mapping[str, Any]) -> dict[str, Any]:
    """The body of a POST or PUT: the resource, with the attributes RFC 7643 requires."""
    required = ["schemas", *(a["name"] for a in core["attributes"] if a.get("required"))]
    return {**resource, "required": required}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _content(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {SCIM_MEDIA_TYPE: {"schema": schema}, "application/json": {"schema": schema}}


_ERROR_STATUSES = {
    "400": "Bad request: the SCIM Error says why (scimType, RFC 7644 §3.12)",
    "401": "No valid bearer token",
    "403": "Refused (a full licence allocation, for instance)",
    "404": "No such resource in this organisation",
    "409": "A uniqueness clash or a conflict",
    "412": "If-Match does not hold",
    "413": "The body is too large",
    "414": "The URL is too long",
    "429": "Over the credential's rate limit (Retry-After)",
    "503": "The database is unreachable (Retry-After)",
}


def _responses(success: Mapping[str, Any], errors: Iterable[str]) -> dict[str, Any]:
    responses = dict(success)
    for status in errors:
        responses[status] = {
            "description": _ERROR_STATUSES[status],
            "content": {SCIM_MEDIA_TYPE: {"schema": _ref("Error")}},
        }
    return responses


_READ_ERRORS = ("400", "401", "404", "414", "429", "503")
_WRITE_ERRORS = ("400", "401", "403", "404", "409", "412", "413", "414", "429", "503")


def _ok(
    schema: Mapping[str, Any], status: str = "200", what: str = "The resource"
) -> dict[str, Any]:
    return {status: {"description": what, "content": {SCIM_MEDIA_TYPE: {"schema": schema}}}}


def _query_parameters() -> list[dict[str, Any]]:
    def parameter(name: str, schema: Mapping[str, Any], description: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            "description": description,
        }

    text = {"type": "string"}
    return [
        parameter("filter", text, "A filter expression (RFC 7644 §3.4.2.2)"),
        parameter("sortBy", text, "The attribute to sort by (§3.4.2.3)"),
        parameter(
            "sortOrder",
            {"type": "string", "enum": ["ascending", "descending"]},
            "Sort order (§3.4.2.3)",
        ),
        parameter(
            "startIndex", {"type": "integer"}, "1-based index of the first result (§3.4.2.4)"
        ),
        parameter("count", {"type": "integer"}, "Results per page (§3.4.2.4)"),
        parameter(
            "cursor",
            text,
            "Cursor paging: empty for the first page, then nextCursor or "
            "previousCursor (RFC 9865 §2)",
        ),
        *_projection_parameters(),
    ]


def _projection_parameters() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": f"Comma-separated attribute names (RFC 7644 §3.9): {name}",
        }
        for name in ("attributes", "excludedAttributes")
    ]


def _id_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _resource_paths(name: str, endpoint: str) -> dict[str, Any]:
    listed = _ref(f"{name}ListResponse")
    one = _ref(name)
    body = {"required": True, "content": _content(_ref(f"{name}Request"))}
    key = f"{name.lower()}Id"
    return {
        endpoint: {
            "get": {
                "summary": f"Query {endpoint} (RFC 7644 §3.4.2)",
                "operationId": f"query{name}s",
                "parameters": _query_parameters(),
                "responses": _responses(_ok(listed, what="A ListResponse"), _READ_ERRORS),
            },
            "post": {
                "summary": f"Create a {name} (RFC 7644 §3.3)",
                "operationId": f"create{name}",
                "parameters": _projection_parameters(),
                "requestBody": body,
                "responses": _responses(_ok(one, "201", "Created"), _WRITE_ERRORS),
            },
        },
        f"{endpoint}/.search": {
            "post": {
                "summary": f"Query {endpoint} with a SearchRequest (RFC 7644 §3.4.3)",
                "operationId": f"search{name}s",
                "requestBody": {"required": True, "content": _content(_ref("SearchRequest"))},
                "responses": _responses(_ok(listed, what="A ListResponse"), _READ_ERRORS),
            }
        },
        f"{endpoint}/{{{key}}}": {
            "parameters": [_id_parameter(key)],
            "get": {
                "summary": f"Read a {name} (RFC 7644 §3.4.1)",
                "operationId": f"get{name}",
                "parameters": _projection_parameters(),
                "responses": _responses(_ok(one), _READ_ERRORS),
            },
            "put": {
                "summary": f"Replace a {name} (RFC 7644 §3.5.1)",
                "operationId": f"replace{name}",
                "parameters": _projection_parameters(),
                "requestBody": body,
                "responses": _responses(_ok(one), _WRITE_ERRORS),
            },
            "patch": {
                "summary": f"Modify a {name} (RFC 7644 §3.5.2)",
                "operationId": f"patch{name}",
                "parameters": _projection_parameters(),
                "requestBody": {"required": True, "content": _content(_ref("PatchOp"))},
                "responses": _responses(
                    {**_ok(one), "204": {"description": "Modified"}}, _WRITE_ERRORS
                ),
            },
            "delete": {
                "summary": f"Delete a {name} (RFC 7644 §3.6)",
                "operationId": f"delete{name}",
                "responses": _responses({"204": {"description": "Deleted"}}, _WRITE_ERRORS),
            },
        },
    }


def _list_response(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["schemas", "totalResults", "Resources"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}},
            "totalResults": {"type": "integer"},
            "startIndex": {"type": "integer"},
            "itemsPerPage": {"type": "integer"},
            "nextCursor": {"type": "string"},
            "previousCursor": {"type": "string"},
            "Resources": {"type": "array", "items": item},
        },
    }


def _messages() -> dict[str, Any]:
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "Error": {
            "type": "object",
            "required": ["schemas", "status"],
            "properties": {
                "schemas": strings,
                "status": {"type": "string"},
                "scimType": {"type": "string"},
                "detail": {"type": "string"},
            },
        },
        "PatchOp": {
            "type": "object",
            "required": ["schemas", "Operations"],
            "properties": {
                "schemas": strings,
                "Operations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["op"],
                        "properties": {
                            "op": {"type": "string", "enum": ["add", "remove", "replace"]},
                            "path": {"type": "string"},
                            "value": {},
                        },
                    },
                },
            },
        },
        "SearchRequest": {
            "type": "object",
            "properties": {
                "schemas": strings,
                "attributes": strings,
                "excludedAttributes": strings,
                "filter": {"type": "string"},
                "sortBy": {"type": "string"},
                "sortOrder": {"type": "string", "enum": ["ascending", "descending"]},
                "startIndex": {"type": "integer"},
                "count": {"type": "integer"},
                "cursor": {"type": "string"},
            },
        },
        "BulkRequest": {
            "type": "object",
            "required": ["schemas", "Operations"],
            "properties": {
                "schemas": strings,
                "failOnErrors": {"type": "integer"},
                "Operations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["method", "path"],
                        "properties": {
                            "method": {
                                "type": "string",
                                "enum": ["POST", "PUT", "PATCH", "DELETE"],
                            },
                            "bulkId": {"type": "string"},
                            "version": {"type": "string"},
                            "path": {"type": "string"},
                            "data": {"type": "object"},
                        },
                    },
                },
            },
        },
        "BulkResponse": {
            "type": "object",
            "required": ["schemas", "Operations"],
            "properties": {
                "schemas": strings,
                "Operations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["method", "status"],
                        "properties": {
                            "method": {"type": "string"},
                            "bulkId": {"type": "string"},
                            "version": {"type": "string"},
                            "location": {"type": "string"},
                            "status": {"type": "string"},
                            "response": {"type": "object"},
                        },
                    },
                },
            },
        },
    }


def _discovery_paths() -> dict[str, Any]:
    def get(summary: str, schema: Mapping[str, Any], operation: str) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "operationId": operation,
                "responses": _responses(_ok(schema), ("401", "404", "429", "503")),
            }
        }

    paths = {
        "/ServiceProviderConfig": get(
            "The service provider's configuration (RFC 7644 §4)",
            _ref("ServiceProviderConfig"),
            "getServiceProviderConfig",
        ),
        "/ResourceTypes": get(
            "The resource types (RFC 7644 §4)",
            _list_response(_ref("ResourceType")),
            "listResourceTypes",
        ),
        "/ResourceTypes/{resourceTypeId}": get(
            "One resource type", _ref("ResourceType"), "getResourceType"
        ),
        "/Schemas": get("The schemas (RFC 7644 §4)", _list_response(_ref("Schema")), "listSchemas"),
        "/Schemas/{schemaId}": get("One schema, by URN", _ref("Schema"), "getSchema"),
    }
    paths["/ResourceTypes/{resourceTypeId}"]["parameters"] = [_id_parameter("resourceTypeId")]
    paths["/Schemas/{schemaId}"]["parameters"] = [_id_parameter("schemaId")]
    return paths


def openapi_document(base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0.3 description of the SCIM service at `base_url` (…/scim/v2)."""
    documents = {d["id"]: d for d in schema_documents()}
    common = common_document()
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for resource_type in resource_type_documents():
        name = resource_type["name"]
        core = documents[resource_type["schema"]]
        extensions = [documents[e["schema"]] for e in resource_type.get("schemaExtensions", ())]
        components[name] = _resource_schema(core, common, extensions)
        components[f"{name}Request"] = _request_schema(components[name], core)
        components[f"{name}ListResponse"] = _list_response(_ref(name))
        paths.update(_resource_paths(name, resource_type["endpoint"]))
    for name, urn in _SERVICE_SCHEMAS.items():
        components[name] = _object(documents[urn]["attributes"])
        components[name]["properties"]["schemas"] = {"type": "array", "items": {"type": "string"}}
    components.update(_messages())
    paths.update(_discovery_paths())
    paths["/.search"] = {
        "post": {
            "summary": "Query every resource type with a SearchRequest (RFC 7644 §3.4.3)",
            "operationId": "searchAll",
            "requestBody": {"required": True, "content": _content(_ref("SearchRequest"))},
            "responses": _responses(
                _ok(_list_response({"type": "object"}), what="A ListResponse"), _READ_ERRORS
            ),
        }
    }
    paths["/Bulk"] = {
        "post": {
            "summary": "Several operations in one request (RFC 7644 §3.7)",
            "operationId": "bulk",
            "requestBody": {"required": True, "content": _content(_ref("BulkRequest"))},
            "responses": _responses(
                _ok(_ref("BulkResponse"), what="A BulkResponse"), _WRITE_ERRORS
            ),
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Kinabase SCIM 2.0 service",
            "version": "2.0",
            "description": "SCIM 2.0 (RFC 7643, RFC 7644, RFC 9865 cursor paging) for one "
            "Kinabase organisation, named by the bearer token. See docs/scim.md.",
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
