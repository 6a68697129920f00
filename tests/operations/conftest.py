"""Apps with operational settings (rate limits, metrics token, Redis) on the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from kinabase_m365.app import create_app
from kinabase_m365.database import get_database

MakeApp = Callable[..., Flask]


@pytest.fixture
def make_app(engine: Engine, database_url: str) -> Iterator[MakeApp]:
    """`make_app(**settings)`: the service in test mode with these settings; disposed after."""
    made: list[Flask] = []

    def make(**settings: Any) -> Flask:
        base = {"database_url": database_url, "environment": "test", "secret_key": "test-key"}
        app = create_app({**base, **settings})
        app.testing = True
        made.append(app)
        return app

    yield make
    for app in made:
        get_database(app).engine.dispose()
