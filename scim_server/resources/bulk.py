"""POST /Bulk (RFC 7644 §3.7): many operations in one request, parse → provisioning → render.

The body may be at most `maxPayloadSize` bytes (413 before it is read) and hold at most
`maxOperations` operations, both advertised in /ServiceProviderConfig (§3.7.4). The answer is a
BulkResponse with, for each operation run, its `method`, `bulkId`, `location`, `version` and
`status` (a string), and for a failure the SCIM Error it would have had on its own (§3.7.3).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from kinabase_m365.runtime import current_settings
from scim_server.protocol.bulk import BULK_RESPONSE, parse_bulk_request
from scim_server.protocol.etag import etag
from scim_server.provisioning.bulk import BulkResult, run_bulk
from scim_server.resources.activity import record_bulk
from scim_server.resources.context import session_and_org
from scim_server.resources.discovery import bulk_payload_limit
from scim_server.resources.http import request_json, scim_response
from scim_server.resources.rendering import location


def bulk() -> Response:
    """POST /Bulk (RFC 7644 §3.7)."""
    settings = current_settings()
    request.max_content_length = bulk_payload_limit(settings)  # 413 beyond it, unread
    parsed = parse_bulk_request(request_json(), max_operations=settings.scim_bulk_max_operations)
    results = run_bulk(*session_and_org(), parsed)
    record_bulk(results)
    return scim_response({"schemas": [BULK_RESPONSE], "Operations": [_entry(r) for r in results]})


def _entry(result: BulkResult) -> dict[str, Any]:
    operation = result.operation
    entry: dict[str, Any] = {"method": operation.method}
    if operation.bulk_id is not None:
        entry["bulkId"] = operation.bulk_id
    if result.resource_id is not None:
        entry["location"] = location(operation.endpoint[:-1], result.resource_id)
    if result.version is not None:
        entry["version"] = etag(result.version)
    entry["status"] = str(result.status)
    if result.error is not None:
        entry["response"] = result.error.to_body()
    return entry
