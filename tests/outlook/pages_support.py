"""The service as the add-in's pages see it: a public address and an app registration.

(A module of its own rather than a conftest.py: the API's tests have their own fixtures.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from kinabase_m365.app import create_app
from kinabase_m365.database import get_database

PUBLIC_BASE_URL = "https://kinabase.example"
CLIENT_ID = "0d3c1e2a-7b4f-4c1e-9a8d-5e6f7a8b9c0d"


def pages_app(tmp_path: Path, **overrides: str) -> Flask:
    """The service as deployed at PUBLIC_BASE_URL (the pages read no database)."""
    settings = {
        "database_url": f"sqlite:///{tmp_path / 'kinabase.db'}",
        "environment": "test",
        "secret_key": "test-secret-key",
        "public_base_url": PUBLIC_BASE_URL,
        "microsoft_client_id": CLIENT_ID,
        **overrides,
    }
    app = create_app(settings)
    app.testing = True
    return app


@contextmanager
def pages_client(tmp_path: Path, **overrides: str) -> Iterator[FlaskClient]:
    """A client of the service deployed at PUBLIC_BASE_URL with CLIENT_ID."""
    app = pages_app(tmp_path, **overrides)
    try:
        yield app.test_client()
    finally:
        get_database(app).engine.dispose()
