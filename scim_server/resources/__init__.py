"""The HTTP edge of the SCIM server under /scim/v2 (RFC 7644 §3): orchestration only."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from kinabase_m365.settings import Settings
from scim_server.resources import oauth, rate_limits, request_limits
from scim_server.resources.error_handlers import render_database_error, render_http_error
from scim_server.resources.routes import blueprint


def init_app(app: Flask) -> None:
    """Serve SCIM under /scim/v2; routing errors there (404, 405, 414) get SCIM bodies too, and
    a database outage is a 503 with Retry-After everywhere."""
    app.register_blueprint(blueprint)
    request_limits.init_app(app)
    app.register_error_handler(HTTPException, render_http_error)
    app.register_error_handler(SQLAlchemyError, render_database_error)


def init_operations(app: Flask, settings: Settings) -> None:
    """Rate limits per credential, and the OAuth token endpoint for provisioning clients."""
    rate_limits.init_app(app, settings)
    app.register_blueprint(oauth.blueprint)
