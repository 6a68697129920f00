"""Fixtures of the file tests: two organisations on two tenants, each with a SharePoint site and
libraries in the emulated cloud, the service routed to it, and a signed-in browser per user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from graph import http as graph_http
from kinabase.accounts import create_organisation, create_user
from kinabase.colleagues import colleague_record
from kinabase.database import make_sessionmakers
from kinabase.organisations import FileStorageProvider, bind_entra_tenant, set_file_storage
from kinabase_m365.app import create_app
from kinabase_m365.database import Database, get_database
from tests.emulators import EmulatedMicrosoft, emulate_microsoft
from tests.emulators.cloud import AppRegistration, Drive, MicrosoftCloud, Tenant
from tests.graph.conftest import SteppingClock
from tests.passwords import password_hash
from tests.sso.support import signed_in_with_password

PASSWORD = "correct horse battery staple"
PERMISSIONS = frozenset({"User.Read.All", "GroupMember.Read.All", "Sites.ReadWrite.All"})


@dataclass
class Organisation:
    """A Kinabase organisation bound to a tenant, with a user, their record and a library."""

    org_id: int
    user_id: int
    email: str
    record_id: int
    tenant: Tenant
    library: Drive


@dataclass
class World:
    """Microsoft's side and Kinabase's side of a file test."""

    microsoft: EmulatedMicrosoft
    registration: AppRegistration
    acme: Organisation
    globex: Organisation
    app: Flask

    @property
    def cloud(self) -> MicrosoftCloud:
        """The emulated cloud (faults go here)."""
        return self.microsoft.cloud

    @property
    def database(self) -> Database:
        """The service's database."""
        return get_database(self.app)

    def signed_in(self, organisation: Organisation) -> FlaskClient:
        """A browser signed in as the organisation's user (password), with its CSRF header."""
        return signed_in_with_password(
            self.app.test_client(), organisation.org_id, organisation.email, PASSWORD
        )


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> SteppingClock:
    """The Graph client's clock, stepping instead of sleeping."""
    stepping = SteppingClock()
    monkeypatch.setattr(graph_http, "clock", stepping)
    return stepping


def _organisation(engine: Engine, name: str, tenant: Tenant, library: Drive) -> Organisation:
    _, write = make_sessionmakers(engine)
    with write() as session:
        organisation = create_organisation(session, name)
        bind_entra_tenant(session, organisation, tenant.tenant_id)
        email = f"ada@{tenant.domain}"
        user = create_user(session, organisation.id, email, active=True)
        user.password_hash = password_hash(PASSWORD)
        set_file_storage(
            organisation,
            FileStorageProvider.SHAREPOINT,
            site_id=library.site.site_id,
            drive_id=library.drive_id,
        )
        record = colleague_record(session, organisation.id, user.id)
        session.commit()
        return Organisation(organisation.id, user.id, email, record.id, tenant, library)


@pytest.fixture
def world(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[World]:
    """Acme on Contoso's tenant and Globex on Fabrikam's, both storing in SharePoint."""
    cloud = MicrosoftCloud()
    contoso = cloud.add_tenant("contoso.test")
    contoso.add_user("alice", "Alice Admin", is_admin=True)
    fabrikam = cloud.add_tenant("fabrikam.test")
    fabrikam.add_user("carol", "Carol Client", is_admin=True)
    registration = cloud.register_app([])
    registration.application_permissions = PERMISSIONS
    for tenant in (contoso, fabrikam):
        cloud.grant_consent(tenant.tenant_id, registration.client_id)
    acme_library = contoso.add_site("Kinabase").add_library("Documents")
    globex_library = fabrikam.add_site("Files").add_library("Documents")
    microsoft = emulate_microsoft(cloud)
    app = create_app(
        {
            "database_url": database_url,
            "environment": "test",
            "secret_key": "test-secret-key",
            "session_cookie_secure": False,
            "microsoft_client_id": registration.client_id,
            "microsoft_client_secret": registration.client_secret or "",
            "files_directory": str(tmp_path / "files"),
            "jobs_sqlite_path": str(tmp_path / "queue.db"),
        },
        http_session=microsoft.session,
    )
    app.testing = True
    acme = _organisation(engine, "Acme", contoso, acme_library)
    globex = _organisation(engine, "Globex", fabrikam, globex_library)
    yield World(microsoft, registration, acme, globex, app)
    get_database(app).engine.dispose()
