"""The service as the browser tests serve it: `gunicorn 'tests.browser.served_app:create()'`.

The same `create_app` as `wsgi.py`, configured by the environment as in production, with one
difference: every call to Microsoft goes through `relay_session` to the emulators of the test
process whose relay `MICROSOFT_RELAY_URL` names (`tests.browser.relay`).
"""

from __future__ import annotations

import os

from flask import Flask

from kinabase_m365.app import create_app
from tests.browser.relay import relay_session

RELAY_VARIABLE = "MICROSOFT_RELAY_URL"


def create() -> Flask:
    """The app, its Microsoft traffic relayed to the test process's emulators."""
    return create_app(http_session=relay_session(os.environ[RELAY_VARIABLE]))
