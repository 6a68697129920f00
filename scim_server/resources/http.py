"""Wire details shared by every SCIM endpoint: media types, bodies, base URLs (RFC 7644 §8).

Responses are `application/scim+json`. Requests may say `application/scim+json` or
`application/json` (Okta's SPEC test and Microsoft's Postman collection send the latter), with any
charset parameter; a GET may carry a Content-Type too (Okta sends one on every request).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from kinabase_m365.runtime import current_settings
from scim_server.protocol.errors import InvalidSyntax, PayloadTooLarge
from scim_server.protocol.limits import parse_json

SCIM_MEDIA_TYPE = "application/scim+json"
ACCEPTED_MEDIA_TYPES = frozenset({SCIM_MEDIA_TYPE, "application/json"})
BASE_PATH = "/scim/v2"


def scim_response(
    body: Any | None, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A SCIM response with the SCIM media type (RFC 7644 §8.1)."""
    payload = "" if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    response = Response(payload, status=status, headers=headers)
    response.content_type = f"{SCIM_MEDIA_TYPE}; charset=utf-8"
    return response


def request_json() -> dict[str, Any]:
    """The request body as a JSON object, or InvalidSyntax with a reason (RFC 7644 §3.12)."""
    media_type = (request.mimetype or "").lower()
    if media_type and media_type not in ACCEPTED_MEDIA_TYPES:
        raise InvalidSyntax(
            f"the request body must be {SCIM_MEDIA_TYPE} or application/json, not {media_type}"
        )
    try:
        raw = request.get_data()
    except RequestEntityTooLarge:
        raise payload_too_large() from None
    if len(raw) > current_settings().scim_max_request_bytes:  # a streamed body, cut off
        raise payload_too_large()
    if not raw.strip():
        raise InvalidSyntax("the request has no body")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise InvalidSyntax("the request body must be a JSON object")
    return body


def payload_too_large() -> PayloadTooLarge:
    """The 413 error for a body over SCIM_MAX_REQUEST_BYTES, naming the limit."""
    limit = current_settings().scim_max_request_bytes
    return PayloadTooLarge(f"The request body is larger than {limit} bytes.")


def base_url() -> str:
    """The SCIM service's absolute base URL, for `Location` and `meta.location` (worked out
    once per request: every resource rendered asks for it)."""
    known: str | None = g.get("scim_base_url")
    if known is None:
        configured = current_settings().public_base_url.rstrip("/")
        known = g.scim_base_url = (configured or request.host_url.rstrip("/")) + BASE_PATH
    return known
