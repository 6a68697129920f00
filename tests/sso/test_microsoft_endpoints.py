"""Where the service talks to Microsoft: configurable hosts (national clouds, an emulator on
127.0.0.1), a certificate instead of a secret, and exactly the requests msal and the service make.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kinabase.users import UserType
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.conftest import UnroutedHostError
from tests.emulators import Browser
from tests.emulators.entra import create_entra_app
from tests.emulators.graph import create_graph_app
from tests.emulators.keys import pooled_key, write_certificate
from tests.emulators.transport import make_session, transport_of
from tests.passwords import password_hash
from tests.sso.support import (
    REDIRECT_URIS,
    Scene,
    add_organisation,
    add_user,
    app_settings,
    finish_at_microsoft,
    sign_in_with_microsoft,
    start_microsoft_sign_in,
)

BuildService = Callable[..., Flask]


@pytest.fixture
def service(engine: Engine, database_url: str) -> Iterator[BuildService]:
    """Builds apps with chosen settings and routes; disposes of them afterwards."""
    apps: list[Flask] = []

    def build(scene: Scene, routes: Mapping[str, object], **settings: object) -> Flask:
        app = create_app(
            app_settings(database_url, scene.registration, **settings),
            http_session=make_session(routes),
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        get_database(app).engine.dispose()


def test_a_national_cloud_is_reached_at_its_own_hosts(
    service,
    scene: Scene,
    session: Session,
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "alice@contoso.test")
    session.commit()
    routes = {
        "login.microsoftonline.us": create_entra_app(scene.cloud),
        "graph.microsoft.us": create_graph_app(scene.cloud),
    }
    app = service(
        scene,
        routes,
        microsoft_authority_host="https://login.microsoftonline.us",
        microsoft_graph_base_url="https://graph.microsoft.us",
    )
    browser = app.test_client()
    http = app.extensions["kinabase.http"]
    auth_uri = start_microsoft_sign_in(browser)
    answer = Browser(http).sign_in(auth_uri, "alice@contoso.test")

    response = browser.post(answer.path, data=answer.fields)

    assert response.status_code == 303
    hosts = {request.url.split("/")[2] for request in transport_of(http).recorded}
    assert hosts == {"login.microsoftonline.us", "graph.microsoft.us"}


def test_an_emulator_on_127_0_0_1_needs_no_instance_discovery(
    service,
    scene: Scene,
    session: Session,
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()
    # Only the local hosts are routed: asking login.microsoftonline.com anything would raise.
    routes = {
        "127.0.0.1": create_entra_app(scene.cloud),
        "localhost": create_graph_app(scene.cloud),
    }
    app = service(
        scene,
        routes,
        microsoft_authority_host="https://127.0.0.1:9443",
        microsoft_graph_base_url="https://localhost:9444",
    )
    browser = app.test_client()
    auth_uri = start_microsoft_sign_in(browser)
    answer = Browser(app.extensions["kinabase.http"]).sign_in(auth_uri, "bob@contoso.test")

    response = browser.post(answer.path, data=answer.fields)

    assert auth_uri.startswith("https://127.0.0.1:9443/organizations/oauth2/v2.0/authorize?")
    assert response.status_code == 303  # the issuer https://127.0.0.1:9443/{tid}/v2.0 verified


def test_an_unrouted_microsoft_host_fails_the_test(
    service,
    scene: Scene,
    session: Session,
) -> None:
    add_organisation(session, scene.contoso)
    session.commit()
    app = service(scene, {}, microsoft_authority_host="https://login.partner.microsoftonline.cn")
    app.testing = True

    with pytest.raises(UnroutedHostError):
        app.test_client().post("/login/microsoft")


def test_a_certificate_can_stand_in_for_the_client_secret(
    service,
    scene: Scene,
    session: Session,
    tmp_path: Path,
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()
    with_certificate = scene.cloud.register_app(REDIRECT_URIS, certificate_key=pooled_key(5))
    scene.registration = with_certificate
    app = service(
        scene,
        transport_of(scene.microsoft.session).routes,
        microsoft_client_secret="",
        microsoft_client_certificate_path=str(
            write_certificate(tmp_path / "app.pfx", pooled_key(5))
        ),
        microsoft_client_certificate_password="pfx-pass",
    )
    browser = app.test_client()
    http = app.extensions["kinabase.http"]
    answer = Browser(http).sign_in(start_microsoft_sign_in(browser), "bob@contoso.test")

    assert browser.post(answer.path, data=answer.fields).status_code == 303
    (token_request,) = [r for r in transport_of(http).recorded if r.path.endswith("/token")]
    form = parse_qs(token_request.body.decode())
    assert "client_secret" not in form
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]


def test_the_requests_of_a_sign_in_are_exactly_these(
    sso_app: Flask, scene: Scene, session: Session
) -> None:
    """A contract with msal 1.39: an upgrade that changes what goes over the wire fails here."""
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "alice@contoso.test")
    session.commit()
    browser = sso_app.test_client()

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303
    assert (
        finish_at_microsoft(
            browser, scene, start_microsoft_sign_in(browser), scene.alice
        ).status_code
        == 303
    )

    login = "https://login.microsoftonline.com/organizations"
    assert [(r.method, r.url.split("?")[0]) for r in scene.microsoft.requests] == [
        ("GET", f"{login}/v2.0/.well-known/openid-configuration"),  # msal, once per app
        ("GET", f"{login}/oauth2/v2.0/authorize"),  # the browser
        ("POST", f"{login}/oauth2/v2.0/token"),
        ("GET", f"{login}/v2.0/.well-known/openid-configuration"),  # the service's key cache
        ("GET", f"{login}/discovery/v2.0/keys"),
        ("GET", "https://graph.microsoft.com/v1.0/me/photo/$value"),
        ("GET", f"{login}/oauth2/v2.0/authorize"),  # the second sign-in: no discovery,
        ("POST", f"{login}/oauth2/v2.0/token"),  # no keys, no photo
    ]
    token_request = scene.microsoft.requests_to("/token")[0]
    form = {name: values[0] for name, values in parse_qs(token_request.body.decode()).items()}
    assert set(form) == {
        "client_id",
        "client_secret",
        "grant_type",
        "code",
        "redirect_uri",
        "scope",
        "code_verifier",
        "client_info",
    }
    assert form["grant_type"] == "authorization_code" and form["client_info"] == "1"
    assert form["redirect_uri"] == "http://localhost/auth/microsoft/callback"


def test_without_an_app_registration_microsoft_sign_in_is_absent_and_refused(
    client: FlaskClient, session: Session
) -> None:
    organisation = add_organisation(session, None, microsoft=False)
    session.commit()

    page = client.get(f"/login?org={organisation.id}")
    pressed = client.post("/login/microsoft")

    assert "Sign in with Microsoft" not in page.text and 'type="password"' in page.text
    assert pressed.status_code == 503
    assert "MICROSOFT_CLIENT_ID" in pressed.text and "PUBLIC_BASE_URL" in pressed.text


def test_without_public_base_url_sign_in_and_connecting_say_it_is_missing(
    service, scene: Scene, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    organisation = add_organisation(session, None, microsoft=False)
    ada = add_user(session, organisation, "ada@contoso.test", user_type=UserType.ADMINISTRATOR)
    ada.password_hash = password_hash("correct horse battery staple")
    session.commit()
    app = service(scene, transport_of(scene.microsoft.session).routes, public_base_url="")
    browser = app.test_client()
    credentials = {
        "org": str(organisation.id),
        "email": "ada@contoso.test",
        "password": "correct horse battery staple",
    }

    pressed = browser.post("/login/microsoft")
    assert browser.post("/login/password", data=credentials).status_code == 303
    csrf = browser.get_cookie("csrf_access_token")
    assert csrf is not None
    connecting = browser.post(
        "/admin/identity/sign-in-methods",
        data={"method": "microsoft", "enabled": "on", "csrf_token": csrf.value},
    )

    for response in (pressed, connecting):
        assert response.status_code == 503
        assert "PUBLIC_BASE_URL is not set" in response.text
        assert "MICROSOFT_CLIENT_ID" not in response.text  # the app registration is there
    assert transport_of(app.extensions["kinabase.http"]).recorded == []
    assert "PUBLIC_BASE_URL is not set" in caplog.text  # the operator is told at start too
