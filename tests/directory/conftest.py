"""Fixtures of the directory pull's tests: two tenants in an emulated cloud, both consented, the
service routed to the emulators, and organisations connected to the tenants.

Contoso: Dana (director, with a photo) manages Erin and Frank; Frank's account is disabled; Gail
is in no group; Sales holds Dana and, through the nested group EMEA, Erin. Fabrikam: Carol.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from graph import http as graph_http
from jobs.models import Job
from jobs.queue import app_jobs
from kinabase.accounts import create_organisation
from kinabase.database import make_sessionmakers
from kinabase.organisations import bind_entra_tenant
from kinabase.users import User
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.emulators import EmulatedMicrosoft, emulate_microsoft
from tests.emulators.cloud import (
    AppRegistration,
    DirectoryGroup,
    DirectoryUser,
    MicrosoftCloud,
    Tenant,
)
from tests.graph.conftest import SteppingClock

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 Dana's photo"


@dataclass
class Cloud:
    """The Microsoft side of a test."""

    microsoft: EmulatedMicrosoft
    registration: AppRegistration
    contoso: Tenant
    fabrikam: Tenant
    dana: DirectoryUser
    erin: DirectoryUser
    frank: DirectoryUser
    gail: DirectoryUser
    carol: DirectoryUser
    sales: DirectoryGroup
    emea: DirectoryGroup

    @property
    def cloud(self) -> MicrosoftCloud:
        return self.microsoft.cloud


@pytest.fixture
def microsoft() -> Cloud:
    cloud = MicrosoftCloud()
    cloud.page_size = 2  # every listing takes several pages
    contoso = cloud.add_tenant("contoso.test")
    fabrikam = cloud.add_tenant("fabrikam.test")
    dana = contoso.add_user(
        "dana",
        "Dana Director",
        given_name="Dana",
        surname="Director",
        job_title="Director",
        photo=JPEG,
    )
    erin = contoso.add_user(
        "erin",
        "Erin O'Neil",
        given_name="Erin",
        surname="O'Neil",
        job_title="Account Executive",
        department="Sales",
        employee_id="E-42",
        manager_id=dana.object_id,
    )
    frank = contoso.add_user(
        "frank", "Frank Field", manager_id=dana.object_id, account_enabled=False
    )
    gail = contoso.add_user("gail", "Gail Green", mail="gail.green@contoso.test")
    emea = contoso.add_group("EMEA", [erin])
    sales = contoso.add_group("Sales", [dana, emea])
    contoso.add_group("Everyone", [dana, erin, gail], security_enabled=False, mail_enabled=True)
    carol = fabrikam.add_user("carol", "Carol Client")
    registration = cloud.register_app([])
    for tenant in (contoso, fabrikam):
        cloud.grant_consent(tenant.tenant_id, registration.client_id)
    return Cloud(
        emulate_microsoft(cloud),
        registration,
        contoso,
        fabrikam,
        dana,
        erin,
        frank,
        gail,
        carol,
        sales,
        emea,
    )


def service_settings(database_url: str, registration: AppRegistration, tmp_path: Path) -> dict:
    """The settings of a service registered as `registration` on the test database."""
    return {
        "database_url": database_url,
        "environment": "test",
        "secret_key": "test-secret-key",
        "session_cookie_secure": False,
        "microsoft_client_id": registration.client_id,
        "microsoft_client_secret": registration.client_secret or "",
        "jobs_sqlite_path": str(tmp_path / "jobs.db"),
    }


@pytest.fixture
def service(engine: Engine, database_url: str, microsoft: Cloud, tmp_path: Path) -> Iterator[Flask]:
    """The service, its Microsoft traffic routed to the emulators."""
    app = create_app(
        service_settings(database_url, microsoft.registration, tmp_path),
        http_session=microsoft.microsoft.session,
    )
    app.testing = True
    yield app
    get_database(app).engine.dispose()


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> SteppingClock:
    """Graph's retries step time instead of sleeping."""
    stepping = SteppingClock()
    monkeypatch.setattr(graph_http, "clock", stepping)
    return stepping


@dataclass(frozen=True)
class Organisations:
    """Acme, connected to Contoso; Globex, connected to Fabrikam; Initech, connected to none."""

    acme: int
    globex: int
    initech: int


@pytest.fixture
def orgs(engine: Engine, microsoft: Cloud) -> Organisations:
    _, write = make_sessionmakers(engine)
    with write() as session:
        acme = create_organisation(session, "Acme", licence_seats=10)
        bind_entra_tenant(session, acme, microsoft.contoso.tenant_id)
        globex = create_organisation(session, "Globex", licence_seats=10)
        bind_entra_tenant(session, globex, microsoft.fabrikam.tenant_id)
        initech = create_organisation(session, "Initech", licence_seats=10)
        session.commit()
        return Organisations(acme.id, globex.id, initech.id)


@pytest.fixture
def write(engine: Engine) -> Iterator[Session]:
    """A session to set up and look at data (commit, or expire_all, between steps)."""
    _, sessions = make_sessionmakers(engine)
    with sessions() as session:
        yield session


def run_job(service: Flask, job_id: int) -> Job:
    """Run a job in this process, as a worker's task does; the finished job."""
    assert app_jobs(service).run_here(job_id)
    with get_database(service).read_sessions() as session:
        return session.get_one(Job, job_id)


def kinabase_users(session: Session, org_id: int) -> dict[str, User]:
    """The organisation's Kinabase users by email."""
    session.expire_all()
    return {u.email: u for u in session.scalars(select(User).where(User.org_id == org_id))}


def count_users(session: Session, org_id: int) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(User).where(User.org_id == org_id)) or 0
