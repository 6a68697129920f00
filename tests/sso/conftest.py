"""Fixtures of the sign-in tests: a seeded Microsoft cloud per test, the service routed to its
emulators, the person's browser, and a session to look at what the service wrote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kinabase.database import make_sessionmakers
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.emulators import emulate_microsoft
from tests.emulators.cloud import MicrosoftCloud
from tests.sso.support import JPEG, REDIRECT_URIS, Scene, app_settings


@pytest.fixture
def scene() -> Scene:
    """A fresh cloud per test: codes, consents, keys and faults never leak between tests."""
    cloud = MicrosoftCloud()
    contoso = cloud.add_tenant("contoso.test")
    fabrikam = cloud.add_tenant("fabrikam.test")
    alice = contoso.add_user("alice", "Alice Admin", given_name="Alice", is_admin=True, photo=JPEG)
    bob = contoso.add_user("bob", "Bob Builder", given_name="Bob")
    carol = fabrikam.add_user("carol", "Carol Client", is_admin=True)
    registration = cloud.register_app(REDIRECT_URIS)
    return Scene(emulate_microsoft(cloud), registration, contoso, fabrikam, alice, bob, carol)


@pytest.fixture
def sso_app(engine: Engine, database_url: str, scene: Scene) -> Iterator[Flask]:
    """The service, its Microsoft traffic routed to the scene's emulators."""
    app = create_app(
        app_settings(database_url, scene.registration), http_session=scene.microsoft.session
    )
    app.testing = True
    yield app
    get_database(app).engine.dispose()


@pytest.fixture
def browser(sso_app: Flask) -> FlaskClient:
    """The person's browser, as far as the service sees it."""
    return sso_app.test_client()


@pytest.fixture
def reading(engine: Engine) -> Iterator[Session]:
    """A session for looking at what the service wrote (call `expire_all` after requests)."""
    read, _ = make_sessionmakers(engine)
    with read() as session:
        yield session
