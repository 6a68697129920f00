"""The Flask application factory. Nothing happens at import; `create_app` wires everything."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import requests
from flask import Flask

import admin
import console
import directory.jobs
import files
import files.migration
import graph
import jobs
import outlook.api
import outlook.pages
import scim_server.resources
import sso
from kinabase_m365 import database, health, metrics, request_log, security_headers
from kinabase_m365.runtime import SETTINGS_KEY
from kinabase_m365.settings import load_settings

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(
    overrides: Mapping[str, Any] | None = None,
    *,
    http_session: requests.Session | None = None,
) -> Flask:
    """Build the service.

    `overrides` replaces settings by field name (tests use it); `http_session` is the one HTTP
    session through which every call to Microsoft goes (tests route it to local emulators).
    """
    settings = load_settings(os.environ, overrides)
    request_log.configure_logging(settings.log_level, settings.log_format)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, JSON_SORT_KEYS=False)
    app.extensions[SETTINGS_KEY] = settings
    if settings.uses_development_secret:
        log.warning("running with the insecure development secret key (development mode only)")
    request_log.init_app(app)
    engine = database.init_app(app, settings.database_url).engine
    metrics.init_app(app, settings, engine)
    app.register_blueprint(health.blueprint)
    graph.init_app(app, http_session)
    scim_server.resources.init_app(app)
    scim_server.resources.init_operations(app, settings)
    sso.init_app(app)
    security_headers.init_app(app)
    files.init_app(app)
    jobs.init_app(app, {**directory.jobs.HANDLERS, **files.migration.HANDLERS})
    admin.init_app(app)
    console.init_app(app)
    outlook.api.init_app(app)
    outlook.pages.init_app(app)
    return app
