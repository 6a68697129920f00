"""Fixtures of the Microsoft client's tests: two tenants in an emulated cloud, the service's app
registration, and the service (as a worker: no PUBLIC_BASE_URL) in an app context."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from flask import Flask

from graph import http as graph_http
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.emulators import EmulatedMicrosoft, emulate_microsoft
from tests.emulators.cloud import AppRegistration, MicrosoftCloud, Tenant

LOGIN = "https://login.microsoftonline.com"
GRAPH = "https://graph.microsoft.com"
CONSENT_REDIRECT = "https://kinabase.example/auth/microsoft/admin-consent"


@dataclass
class Directory:
    """Two tenants and the service's app registration, consented in neither yet."""

    microsoft: EmulatedMicrosoft
    registration: AppRegistration
    contoso: Tenant
    fabrikam: Tenant

    def consent(self, tenant: Tenant) -> None:
        """A Microsoft 365 administrator of the tenant grants admin consent, at Microsoft."""
        query = urlencode(
            {
                "client_id": self.registration.client_id,
                "scope": f"{GRAPH}/.default",
                "redirect_uri": CONSENT_REDIRECT,
                "state": "s",
            }
        )
        url = f"{LOGIN}/{tenant.tenant_id}/v2.0/adminconsent?{query}"
        administrator = next(user for user in tenant.users.values() if user.is_admin)
        back = self.microsoft.browser.admin_consent(url, administrator.user_principal_name)
        assert "admin_consent=True" in back

    def token_requests(self) -> list[tuple[str, dict[str, str]]]:
        """Each request to a token endpoint: its tenant, and its form."""
        return [
            (r.path.split("/")[1], {k: v[0] for k, v in parse_qs(r.body.decode()).items()})
            for r in self.microsoft.requests_to("/oauth2/v2.0/token")
        ]


@pytest.fixture
def directory() -> Directory:
    cloud = MicrosoftCloud()
    contoso = cloud.add_tenant("contoso.test")
    contoso.add_user("alice", "Alice Admin", is_admin=True)
    contoso.add_user("bob", "Bob Builder")
    fabrikam = cloud.add_tenant("fabrikam.test")
    fabrikam.add_user("carol", "Carol Client", is_admin=True)
    registration = cloud.register_app([CONSENT_REDIRECT])
    return Directory(emulate_microsoft(cloud), registration, contoso, fabrikam)


def build_service(directory: Directory, tmp_path: Path, **settings: object) -> Flask:
    """The service with the directory's app registration and no PUBLIC_BASE_URL (a worker)."""
    app = create_app(
        {
            "database_url": f"sqlite:///{tmp_path / 'unused.db'}",
            "secret_key": "test-secret-key",
            "microsoft_client_id": directory.registration.client_id,
            "microsoft_client_secret": directory.registration.client_secret or "",
            **settings,
        },
        http_session=directory.microsoft.session,
    )
    assert app.extensions["kinabase.settings"].public_base_url == ""
    return app


@pytest.fixture
def service(directory: Directory, tmp_path: Path) -> Iterator[Flask]:
    """The service, in an app context."""
    app = build_service(directory, tmp_path)
    with app.app_context():
        yield app
    get_database(app).engine.dispose()


class SteppingClock(graph_http.Clock):
    """Time that moves forward by each wait instead of waiting: the retries run as they do in
    production, in no time. `slept` lists the waits."""

    def __init__(self) -> None:
        self.time = 1_800_000_000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    def monotonic(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> SteppingClock:
    """The Graph client's clock, stepping instead of sleeping (no test here waits for real)."""
    stepping = SteppingClock()
    monkeypatch.setattr(graph_http, "clock", stepping)
    return stepping
