"""Administration: the settings pages' JSON API (and, later, the pages).

`init_app(app)` registers the blueprints; nothing happens at import.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the admin JSON API."""
    from admin import directory_api, storage_api  # noqa: PLC0415 - imported when the app is built

    app.register_blueprint(directory_api.blueprint)
    app.register_blueprint(storage_api.blueprint)
