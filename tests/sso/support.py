"""What sign-in tests share: the Microsoft scene, Kinabase seeding, and the browser's steps.

Two tenants: Contoso (Alice, an administrator with a photo; Bob, without one) and Fabrikam
(Carol, an administrator). The service's app registration lists the two redirect URIs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from kinabase.accounts import create_organisation, create_user
from kinabase.organisations import Organisation, bind_entra_tenant, set_sign_in_methods
from kinabase.users import User, UserType
from tests.emulators import EmulatedMicrosoft
from tests.emulators.cloud import AppRegistration, DirectoryUser, MicrosoftCloud, Tenant

BASE_URL = "http://localhost"
REDIRECT_URIS = [f"{BASE_URL}/auth/microsoft/callback", f"{BASE_URL}/auth/microsoft/admin-consent"]


def image_bytes(image_format: str, size: tuple[int, int] = (8, 8)) -> bytes:
    """A small, valid image in `image_format` (JPEG, PNG, GIF, BMP)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=image_format)
    return buffer.getvalue()


JPEG = image_bytes("JPEG")  # a small photo of Alice


@dataclass
class Scene:
    """The Microsoft side of a test."""

    microsoft: EmulatedMicrosoft
    registration: AppRegistration
    contoso: Tenant
    fabrikam: Tenant
    alice: DirectoryUser
    bob: DirectoryUser
    carol: DirectoryUser

    @property
    def cloud(self) -> MicrosoftCloud:
        """The emulated cloud (faults are injected here)."""
        return self.microsoft.cloud


def app_settings(database_url: str, registration: AppRegistration, **overrides: object) -> dict:
    """Settings of a service registered as `registration`, reachable at http://localhost."""
    return {
        "database_url": database_url,
        "environment": "test",
        "secret_key": "test-secret-key",
        "public_base_url": BASE_URL,
        "microsoft_client_id": registration.client_id,
        "microsoft_client_secret": registration.client_secret or "",
        **overrides,
    }


def add_organisation(
    session: Session,
    tenant: Tenant | None,
    *,
    microsoft: bool = True,
    password: bool = True,
    seats: int = 25,
    name: str = "Contoso Ltd",
) -> Organisation:
    """An organisation, bound to `tenant` when given."""
    organisation = create_organisation(session, name, licence_seats=seats)
    if tenant is not None:
        bind_entra_tenant(session, organisation, tenant.tenant_id)
    set_sign_in_methods(organisation, password=password, microsoft=microsoft)
    session.flush()
    return organisation


def add_user(
    session: Session,
    organisation: Organisation,
    email: str,
    *,
    active: bool = True,
    user_type: UserType = UserType.USER,
    principal_name: str | None = None,
    object_id: str | None = None,
) -> User:
    """A Kinabase user of the organisation."""
    user = create_user(session, organisation.id, email, active=active, user_type=user_type)
    user.user_principal_name = principal_name
    user.entra_object_id = object_id
    session.flush()
    return user


def start_microsoft_sign_in(client: FlaskClient, org_id: int | None = None, **form: str) -> str:
    """Press "Sign in with Microsoft"; the authorize URL the service redirects to."""
    data = {"org": str(org_id)} if org_id is not None else {}
    response = client.post("/login/microsoft", data={**data, **form})
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def finish_at_microsoft(
    client: FlaskClient, scene: Scene, auth_uri: str, user: DirectoryUser
) -> TestResponse:
    """Sign in at Microsoft as `user`, and let the browser post the answer to the service."""
    form = scene.microsoft.browser.sign_in(auth_uri, user.user_principal_name)
    return client.post(form.path, data=form.fields)


def sign_in_with_microsoft(
    client: FlaskClient, scene: Scene, user: DirectoryUser, org_id: int | None = None
) -> TestResponse:
    """The whole round trip, from the sign-in button to the service's answer."""
    return finish_at_microsoft(client, scene, start_microsoft_sign_in(client, org_id), user)


def signed_in_with_password(
    browser: FlaskClient, org_id: int, email: str, password: str
) -> FlaskClient:
    """`browser` signed in with a password, sending its session's CSRF value as a JSON client of
    the service's APIs does (the `X-CSRF-TOKEN` header)."""
    form = {"org": str(org_id), "email": email, "password": password}
    assert browser.post("/login/password", data=form).status_code == 303
    csrf = browser.get_cookie("csrf_access_token")
    assert csrf is not None
    browser.environ_base["HTTP_X_CSRF_TOKEN"] = csrf.value
    return browser


def session_cookies(response: TestResponse) -> dict[str, str]:
    """The Set-Cookie headers of a response, by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def assert_refused(response: TestResponse, status: int, *phrases: str) -> None:
    """A refusal page with this status, these phrases, and no session cookie."""
    assert response.status_code == status, response.text
    assert "access_token_cookie" not in session_cookies(response)
    for phrase in phrases:
        assert phrase in response.text


def assert_signed_out(browser: FlaskClient) -> None:
    """The browser has no session: account pages send it to sign in."""
    response = browser.get("/account")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
