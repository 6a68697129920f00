"""The Outlook add-in's server side: the API the task pane calls (`/outlook/api/…`), with Entra
bearer-token authentication, matching of addresses to colleagues, contacts and organisations,
and logging of emails as activities (docs/outlook.md).

`init_app(app)` registers the API; nothing happens at import.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the add-in API on the app."""
    from outlook import api  # noqa: PLC0415 - the API's imports wait for the app

    app.register_blueprint(api.blueprint)
