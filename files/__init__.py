"""Files of records: the use cases (upload, list, download, delete) over the storage providers,
and the HTTP API that signed-in users call.

`init_app(app)` registers the API; nothing happens at import.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the files API on the app."""
    from files import api  # noqa: PLC0415 - the API's imports wait for the app

    app.register_blueprint(api.blueprint)
