"""What the running app holds for its features: its settings.

Features import this accessor rather than the app factory, so that the factory can import the
features without a cycle. (The HTTP session to Microsoft is the Microsoft client's:
`graph.connection.http_session`.)
"""

from __future__ import annotations

from flask import current_app

from kinabase_m365.settings import Settings

SETTINGS_KEY = "kinabase.settings"


def current_settings() -> Settings:
    """The settings of the current app."""
    settings: Settings = current_app.extensions[SETTINGS_KEY]
    return settings
