"""Sign in with Microsoft, end to end through real msal and the Entra and Graph emulators."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.users import User, UserPhoto, UserStatus, UserType
from sso.models import SignInFlow
from tests.sso.support import (
    JPEG,
    Scene,
    add_organisation,
    add_user,
    finish_at_microsoft,
    session_cookies,
    sign_in_with_microsoft,
    start_microsoft_sign_in,
)


def test_first_sign_in_links_the_account_fetches_the_photo_and_starts_a_session(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.alice)

    assert response.status_code == 303
    assert response.headers["Location"] == "/account"
    cookies = session_cookies(response)
    for name in ("access_token_cookie", "refresh_token_cookie"):
        assert "HttpOnly" in cookies[name] and "Secure" in cookies[name]
        assert "SameSite=Lax" in cookies[name]
    assert "Path=/;" in cookies["refresh_token_cookie"]  # pages renew sessions from it
    assert "HttpOnly" not in cookies["csrf_access_token"]  # scripts and forms read it
    linked = reading.get(User, alice.id)
    assert linked is not None and linked.entra_object_id == scene.alice.object_id
    photo = reading.get(UserPhoto, (alice.id, "microsoft"))
    assert photo is not None
    assert (photo.content, photo.content_type, photo.source) == (JPEG, "image/jpeg", "microsoft")
    assert reading.scalars(select(SignInFlow)).all() == []  # used once, then gone
    page = browser.get("/account")
    assert page.status_code == 200
    assert "alice@contoso.test" in page.text and "with Microsoft" in page.text


def test_the_authorize_request_uses_pkce_a_nonce_form_post_and_the_registered_redirect(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    add_organisation(session, scene.contoso)
    session.commit()

    auth_uri = start_microsoft_sign_in(browser)

    url = urlsplit(auth_uri)
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert url.netloc == "login.microsoftonline.com"
    assert url.path == "/organizations/oauth2/v2.0/authorize"
    assert query["client_id"] == scene.registration.client_id
    assert query["redirect_uri"] == "http://localhost/auth/microsoft/callback"
    assert query["response_mode"] == "form_post"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert set(query["scope"].split()) == {
        "User.Read",
        "email",
        "openid",
        "profile",
        "offline_access",
    }
    assert query["state"] and query["nonce"]


def test_the_flow_cookie_survives_microsofts_cross_site_post(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    add_organisation(session, scene.contoso)
    session.commit()

    response = browser.post("/login/microsoft")

    flow_cookie = session_cookies(response)["kinabase_sign_in_flow"]
    assert "SameSite=None" in flow_cookie and "Secure" in flow_cookie
    assert "HttpOnly" in flow_cookie and "Path=/auth/microsoft/" in flow_cookie


def test_repeat_sign_in_matches_by_object_id_and_fetches_no_photo(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()
    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303
    # Microsoft renames her; the object id keeps matching her account.
    scene.alice.user_principal_name = "alice.smith@contoso.test"
    scene.alice.mail = "alice.smith@contoso.test"
    photo_requests = len(scene.microsoft.requests_to("/me/photo/$value"))

    response = sign_in_with_microsoft(browser.application.test_client(), scene, scene.alice)

    assert response.status_code == 303
    assert len(scene.microsoft.requests_to("/me/photo/$value")) == photo_requests == 1
    assert reading.get(User, alice.id).entra_object_id == scene.alice.object_id  # type: ignore[union-attr]


def test_the_account_is_found_by_user_principal_name_before_email(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    by_upn = add_user(
        session, organisation, "a.admin@contoso.test", principal_name="ALICE@contoso.test"
    )
    by_email = add_user(session, organisation, "alice@contoso.test")
    session.commit()

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    assert reading.get(User, by_upn.id).entra_object_id == scene.alice.object_id  # type: ignore[union-attr]
    assert reading.get(User, by_email.id).entra_object_id is None  # type: ignore[union-attr]


def test_sign_in_with_the_organisation_given_uses_its_tenant_and_lands_on_next(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()

    auth_uri = start_microsoft_sign_in(browser, organisation.id, next="/admin/identity")
    response = finish_at_microsoft(browser, scene, auth_uri, scene.bob)

    assert urlsplit(auth_uri).path == f"/{scene.contoso.tenant_id}/oauth2/v2.0/authorize"
    assert response.status_code == 303 and response.headers["Location"] == "/admin/identity"


def test_next_cannot_send_the_browser_to_another_site(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()

    auth_uri = start_microsoft_sign_in(browser, next="//evil.example/phish")
    response = finish_at_microsoft(browser, scene, auth_uri, scene.bob)

    assert response.headers["Location"] == "/account"


def test_an_invited_user_accepts_the_invitation_by_signing_in(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    bob = add_user(session, organisation, "bob@contoso.test", active=False)
    session.commit()

    assert sign_in_with_microsoft(browser, scene, scene.bob).status_code == 303

    assert reading.get(User, bob.id).status is UserStatus.ACTIVE  # type: ignore[union-attr]


def test_an_administrator_signs_in_like_anyone_else(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(
        session,
        organisation,
        "alice@contoso.test",
        user_type=UserType.ADMINISTRATOR,
        principal_name="alice@contoso.test",
    )
    session.commit()

    sign_in_with_microsoft(browser, scene, scene.alice)

    assert "Identity &amp; Provisioning" in browser.get("/account").text


def test_no_secret_reaches_the_log(
    browser: FlaskClient, scene: Scene, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "alice@contoso.test")
    session.commit()

    with caplog.at_level(logging.DEBUG):
        auth_uri = start_microsoft_sign_in(browser)
        answer = scene.microsoft.browser.sign_in(auth_uri, "alice@contoso.test")
        assert browser.post(answer.path, data=answer.fields).status_code == 303
        bad = scene.microsoft.browser.sign_in(start_microsoft_sign_in(browser), "bob@contoso.test")
        browser.post(bad.path, data={**bad.fields, "state": answer.fields["state"]})

    token_request = parse_qs(scene.microsoft.requests_to("/token")[0].body.decode())
    (access_token,) = scene.cloud.access_tokens
    secrets = [
        scene.registration.client_secret,
        answer.fields["code"],
        token_request["code_verifier"][0],
        access_token,
        bad.fields["code"],
    ]
    assert "signed in with Microsoft" in caplog.text
    for secret in secrets:
        assert secret and secret not in caplog.text
