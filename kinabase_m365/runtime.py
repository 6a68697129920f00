"""What the running app holds for its features: its settings and its HTTP session to Microsoft.

Features import these accessors rather than the app factory, so that the factory can import the
features without a cycle.
"""

from __future__ import annotations

import requests
from flask import current_app

from kinabase_m365.settings import Settings

SETTINGS_KEY = "kinabase.settings"
HTTP_KEY = "kinabase.http"


def current_settings() -> Settings:
    """The settings of the current app."""
    settings: Settings = current_app.extensions[SETTINGS_KEY]
    return settings


def http_session() -> requests.Session:
    """The HTTP session for calls to Microsoft."""
    session: requests.Session = current_app.extensions[HTTP_KEY]
    return session
