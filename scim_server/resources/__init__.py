"""The HTTP edge of the SCIM server under /scim/v2 (RFC 7644 §3): orchestration only.

`init_app` registers the route table and the one place where errors become SCIM Error messages
(RFC 7644 §3.12): a `ScimError` is the client's mistake and is answered as such; anything else is
a bug, logged with its traceback and answered 500 with a generic body.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from kinabase.errors import LicenceExhausted
from scim_server.protocol.errors import Forbidden, NotFound, ScimError
from scim_server.protocol.errors import MethodNotAllowed as ScimMethodNotAllowed
from scim_server.resources.auth import WWW_AUTHENTICATE
from scim_server.resources.http import BASE_PATH, scim_response
from scim_server.resources.routes import blueprint

log = logging.getLogger(__name__)

INTERNAL_ERROR_BODY = {
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
    "status": "500",
    "detail": "An internal error occurred; it has been logged.",
}


def init_app(app: Flask) -> None:
    """Serve SCIM under /scim/v2."""
    app.register_blueprint(blueprint)
    app.register_error_handler(ScimError, render_scim_error)
    app.register_error_handler(LicenceExhausted, _licence_exhausted)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _in_scim() -> bool:
    return request.path == BASE_PATH or request.path.startswith(BASE_PATH + "/")


def render_scim_error(error: ScimError) -> Response:
    """The SCIM Error message for a client error (RFC 7644 §3.12)."""
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if error.status == 401 else None
    if error.status == 304:
        return scim_response(None, 304)
    return scim_response(error.to_body(), error.status, headers)


def _licence_exhausted(error: LicenceExhausted) -> Response:
    return render_scim_error(Forbidden(str(error)))


def _http_error(error: HTTPException) -> Response | HTTPException:
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


def _unexpected_error(error: Exception) -> Response | HTTPException:
    log.exception("unexpected error serving %s %s", request.method, request.path)
    if not _in_scim():
        return InternalServerError()
    return scim_response(INTERNAL_ERROR_BODY, 500)
