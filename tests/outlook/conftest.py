"""Fixtures of the Outlook add-in API tests: two organisations on two tenants of the emulated
cloud, their people in Entra and in Kinabase, and a client that calls the API with access tokens
the Entra emulator issues (`mint_api_access_token`), as the task pane does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from graph import http as graph_http
from kinabase.accounts import create_organisation, create_user
from kinabase.contacts import create_contact, create_organisation_record, set_contact_emails
from kinabase.database import make_sessionmakers
from kinabase.organisations import bind_entra_tenant
from kinabase.users import UserStatus
from kinabase_m365.app import create_app
from kinabase_m365.database import Database, get_database
from tests.emulators import EmulatedMicrosoft, emulate_microsoft
from tests.emulators.cloud import AppRegistration, DirectoryUser, MicrosoftCloud, Tenant
from tests.emulators.entra_tokens import mint_api_access_token
from tests.graph.conftest import SteppingClock

PERMISSIONS = frozenset({"User.Read.All", "GroupMember.Read.All", "Sites.ReadWrite.All"})


@dataclass
class Organisation:
    """A Kinabase organisation bound to a tenant, with its people by first name."""

    org_id: int
    tenant: Tenant
    directory: dict[str, DirectoryUser] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)


@dataclass
class World:
    """Microsoft's side and Kinabase's side of an add-in test."""

    microsoft: EmulatedMicrosoft
    registration: AppRegistration
    acme: Organisation
    globex: Organisation
    app: Flask
    engine: Engine

    @property
    def cloud(self) -> MicrosoftCloud:
        """The emulated cloud."""
        return self.microsoft.cloud

    @property
    def database(self) -> Database:
        """The service's database."""
        return get_database(self.app)

    def token(self, person: DirectoryUser, **bent: Any) -> str:
        """An access token for the service's API, as Entra issues it to the task pane."""
        return mint_api_access_token(self.cloud, person, self.registration.client_id, **bent)

    def call(
        self,
        method: str,
        path: str,
        person: DirectoryUser | None = None,
        *,
        token: str | None = None,
        **options: Any,
    ) -> TestResponse:
        """Call the API as `person` (or with `token`, or with no token at all)."""
        headers = dict(options.pop("headers", {}))
        if token is None and person is not None:
            token = self.token(person)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.app.test_client().open(
            f"/outlook/api{path}", method=method, headers=headers, **options
        )

    def writing(self) -> Session:
        """A writing session on the test database (the caller commits)."""
        _, write = make_sessionmakers(self.engine)
        return write()


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> SteppingClock:
    """The Graph client's clock, stepping instead of sleeping."""
    stepping = SteppingClock()
    monkeypatch.setattr(graph_http, "clock", stepping)
    return stepping


def _people(engine: Engine, name: str, tenant: Tenant) -> Organisation:
    """An organisation on the tenant: Grace (active), Dave (deactivated), Ivan (invited) in
    Kinabase; Nora only in Entra."""
    organisation = Organisation(0, tenant)
    for first in ("grace", "dave", "ivan", "nora"):
        organisation.directory[first] = tenant.add_user(first, first.title() + " " + name)
    _, write = make_sessionmakers(engine)
    with write() as session:
        kinabase = create_organisation(session, name)
        bind_entra_tenant(session, kinabase, tenant.tenant_id)
        organisation.org_id = kinabase.id
        for first, status in (
            ("grace", UserStatus.ACTIVE),
            ("dave", UserStatus.DEACTIVATED),
            ("ivan", UserStatus.INVITED),
        ):
            person = organisation.directory[first]
            user = create_user(
                session,
                kinabase.id,
                f"{first}@{tenant.domain}",
                display_name=person.display_name,
                active=status is not UserStatus.INVITED,
            )
            user.entra_object_id = person.object_id
            user.user_principal_name = person.user_principal_name
            user.status = status
            organisation.user_ids[first] = user.id
        session.commit()
    return organisation


@pytest.fixture
def world(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[World]:
    """Acme on Contoso's tenant and Globex on Fabrikam's, storing files in the built-in storage."""
    cloud = MicrosoftCloud()
    contoso = cloud.add_tenant("contoso.test")
    fabrikam = cloud.add_tenant("fabrikam.test")
    registration = cloud.register_app([])
    registration.application_permissions = PERMISSIONS
    for tenant in (contoso, fabrikam):
        cloud.grant_consent(tenant.tenant_id, registration.client_id)
    microsoft = emulate_microsoft(cloud)
    app = create_app(
        {
            "database_url": database_url,
            "environment": "test",
            "secret_key": "test-secret-key",
            "microsoft_client_id": registration.client_id,
            "microsoft_client_secret": registration.client_secret or "",
            "files_directory": str(tmp_path / "files"),
            "files_max_bytes": 1_000_000,
        },
        http_session=microsoft.session,
    )
    app.testing = True
    acme = _people(engine, "Acme", contoso)
    globex = _people(engine, "Globex", fabrikam)
    yield World(microsoft, registration, acme, globex, app, engine)
    get_database(app).engine.dispose()


@dataclass
class Crm:
    """Acme's contacts and organisations for the matching tests, by name → record id."""

    contacts: dict[str, int]
    organisations: dict[str, int]


@pytest.fixture
def crm(world: World) -> Crm:
    """Analytical Engines (engines.example, with Ada and Charles), and Bob at gmail.com."""
    org_id = world.acme.org_id
    with world.writing() as session:
        engines = create_organisation_record(
            session, org_id, name="Analytical Engines", domain="engines.example"
        )
        ada = create_contact(
            session,
            org_id,
            name="Ada Lovelace",
            email="Ada@Engines.example",
            organisation_id=engines.id,
        )
        set_contact_emails(session, ada, ["Ada@Engines.example", "countess@lovelace.example"])
        charles = create_contact(
            session,
            org_id,
            name="Charles Babbage",
            email="charles@engines.example",
            organisation_id=engines.id,
        )
        bob = create_contact(session, org_id, name="Bob Gmail", email="bob@gmail.com")
        session.commit()
        return Crm(
            contacts={"ada": ada.id, "charles": charles.id, "bob": bob.id},
            organisations={"engines": engines.id},
        )
