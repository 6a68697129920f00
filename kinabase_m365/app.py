"""The Flask application factory. Nothing happens at import; `create_app` wires everything."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import requests
from flask import Flask

import admin
import directory.jobs
import graph
import jobs
import scim_server.resources
import sso
from kinabase_m365 import database, health
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
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, JSON_SORT_KEYS=False)
    app.extensions[SETTINGS_KEY] = settings
    if settings.uses_development_secret:
        log.warning("running with the insecure development secret key (development mode only)")
    database.init_app(app, settings.database_url)
    app.register_blueprint(health.blueprint)
    graph.init_app(app, http_session)
    scim_server.resources.init_app(app)
    sso.init_app(app)
    jobs.init_app(app, directory.jobs.HANDLERS)
    admin.init_app(app)
    return app


def configure_logging(level: str) -> None:
    """Log to stderr at the given level (once per process)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(level.upper())
