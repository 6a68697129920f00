"""Discovery endpoints: /ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7644 §4).

The bodies are the packaged schema documents (RFC 7643 §5 to §7), served as they are with a `meta`
block added. Entra reads /Schemas when an administrator saves the provisioning configuration and
fails every group test of its validator when the Group schema is missing.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from kinabase_m365.runtime import current_settings
from kinabase_m365.settings import Settings
from scim_server.protocol.discovery import (
    resource_type_documents,
    schema_documents,
    service_provider_config,
)
from scim_server.protocol.errors import NotFound
from scim_server.protocol.list_response import list_response
from scim_server.protocol.openapi import openapi_document
from scim_server.resources.http import base_url, scim_response


def get_service_provider_config() -> Response:
    """GET /ServiceProviderConfig (RFC 7644 §4)."""
    settings = current_settings()
    document = service_provider_config(
        settings.scim_max_page_size,
        bulk_max_operations=settings.scim_bulk_max_operations,
        bulk_max_payload_size=bulk_payload_limit(settings),
        cursor_timeout=settings.scim_cursor_timeout_seconds,
    )
    document["meta"] = {
        "resourceType": "ServiceProviderConfig",
        "location": f"{base_url()}/ServiceProviderConfig",
    }
    return scim_response(document)


def get_openapi() -> Response:
    """GET /openapi.json: the OpenAPI description of /scim/v2, generated from the schema
    documents (`protocol.openapi`)."""
    response = scim_response(openapi_document(base_url()))
    response.content_type = "application/json; charset=utf-8"
    return response


def _with_meta(document: dict[str, Any], resource_type: str, endpoint: str) -> dict[str, Any]:
    document["meta"] = {
        "resourceType": resource_type,
        "location": f"{base_url()}/{endpoint}/{document['id']}",
    }
    return document


def _resource_types() -> list[dict[str, Any]]:
    return [_with_meta(d, "ResourceType", "ResourceTypes") for d in resource_type_documents()]


def _schemas() -> list[dict[str, Any]]:
    return [_with_meta(d, "Schema", "Schemas") for d in schema_documents()]


def list_resource_types() -> Response:
    """GET /ResourceTypes (RFC 7644 §4)."""
    documents = _resource_types()
    return scim_response(list_response(documents, total_results=len(documents), start_index=1))


def get_resource_type(type_id: str) -> Response:
    """GET /ResourceTypes/{id} (RFC 7644 §4)."""
    return scim_response(_one(_resource_types(), type_id, "resource type"))


def list_schemas() -> Response:
    """GET /Schemas (RFC 7644 §4)."""
    documents = _schemas()
    return scim_response(list_response(documents, total_results=len(documents), start_index=1))


def get_schema(schema_id: str) -> Response:
    """GET /Schemas/{id}: the schema with this URN, compared case-insensitively (RFC 7644 §4)."""
    return scim_response(_one(_schemas(), schema_id, "schema"))


def _one(documents: list[dict[str, Any]], wanted: str, kind: str) -> dict[str, Any]:
    for document in documents:
        if str(document["id"]).lower() == wanted.lower():
            return document
    raise NotFound(f"no {kind} {wanted!r}")


def bulk_payload_limit(settings: Settings) -> int:
    """The largest /Bulk body read: its own limit, or every request's if that is smaller."""
    return min(settings.scim_bulk_max_payload_bytes, settings.scim_max_request_bytes)
