"""Where errors become SCIM Error messages (RFC 7644 §3.12), in one place.

A `ScimError` is the client's mistake and is answered as such; a Kinabase refusal becomes the
SCIM error that says why; anything else is a bug, logged with its traceback and answered 500 with
a generic body. Routing errors (404, 405) under /scim/v2 get SCIM bodies too.
"""

from __future__ import annotations

import logging

from flask import Response, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from kinabase.errors import DomainError
from scim_server.protocol.errors import MethodNotAllowed as ScimMethodNotAllowed
from scim_server.protocol.errors import NotFound, ScimError
from scim_server.provisioning.errors import scim_error_for
from scim_server.resources.auth import WWW_AUTHENTICATE
from scim_server.resources.http import BASE_PATH, scim_response

log = logging.getLogger(__name__)

INTERNAL_ERROR_BODY = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
    "status": "500",
    "detail": "An internal error occurred; it has been logged.",
}


def _in_scim() -> bool:
    return request.path == BASE_PATH or request.path.startswith(BASE_PATH + "/")


def render_scim_error(error: ScimError) -> Response:
    """The SCIM Error message for a client error (RFC 7644 §3.12)."""
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if error.status == 401 else None
    if error.status == 304:
        return scim_response(None, 304)
    return scim_response(error.to_body(), error.status, headers)


def render_domain_error(error: DomainError) -> Response:
    """A Kinabase rule refused the projection; the transaction is rolled back (the error is
    the one `scim_error_for` names)."""
    return render_scim_error(scim_error_for(error))


def render_http_error(error: HTTPException) -> Response | HTTPException:
    """404 and 405 under /scim/v2 as SCIM errors; elsewhere Flask's own pages."""
    if not _in_scim():
        return error
    if isinstance(error, MethodNotAllowed):
        response = render_scim_error(
            ScimMethodNotAllowed(f"{request.method} is not supported on {request.path}")
        )
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
        return response
    if error.code == 404:
        return render_scim_error(NotFound(f"no SCIM endpoint at {request.path}"))
    body = {
        "schemas": INTERNAL_ERROR_BODY["schemas"],
        "status": str(error.code),
        "detail": error.description or error.name,
    }
    return scim_response(body, error.code or 500)


def render_unexpected_error(error: Exception) -> Response | HTTPException:
    """A bug: log the traceback, answer 500 with nothing of the error in the body."""
    if isinstance(error, HTTPException):  # an HTTP error raised on purpose, not a bug
        return render_http_error(error)
    log.exception("unexpected error serving %s %s", request.method, request.path)
    if not _in_scim():
        return InternalServerError()
    return scim_response(INTERNAL_ERROR_BODY, 500)
