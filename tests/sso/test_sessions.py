"""Cookie sessions: CSRF on every change, logout that revokes, refresh, renewal, deactivation."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, decode_token
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kinabase.licences import deactivate_user
from kinabase.users import User
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.sso.support import (
    Scene,
    add_organisation,
    add_user,
    app_settings,
    assert_signed_out,
    session_cookies,
    sign_in_with_microsoft,
)


def signed_in_browser(browser: FlaskClient, scene: Scene, session: Session) -> User:
    organisation = add_organisation(session, scene.contoso)
    bob = add_user(session, organisation, "bob@contoso.test")
    session.commit()
    assert sign_in_with_microsoft(browser, scene, scene.bob).status_code == 303
    return bob


def cookie(browser: FlaskClient, name: str, path: str = "/") -> str:
    found = browser.get_cookie(name, path=path)
    assert found is not None, name
    return found.value


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(browser: FlaskClient) -> None:
    response = browser.get("/account")

    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/account"


def test_logout_without_the_csrf_token_is_refused(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    signed_in_browser(browser, scene, session)

    response = browser.post("/logout")

    assert response.status_code == 401
    assert browser.get("/account").status_code == 200


def test_logout_revokes_the_access_and_refresh_tokens(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    bob = signed_in_browser(browser, scene, session)
    access = cookie(browser, "access_token_cookie")
    refresh = cookie(browser, "refresh_token_cookie", path="/auth/refresh")
    csrf_refresh = cookie(browser, "csrf_refresh_token")

    response = browser.post("/logout", data={"csrf_token": cookie(browser, "csrf_access_token")})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/login?org={bob.org_id}"
    assert session_cookies(response)["access_token_cookie"].startswith("access_token_cookie=;")
    assert_signed_out(browser)
    # Someone who kept copies of the cookies gets nothing from them.
    thief = browser.application.test_client()
    thief.set_cookie("access_token_cookie", access)
    assert_signed_out(thief)
    thief.set_cookie("refresh_token_cookie", refresh, path="/auth/refresh")
    thief.set_cookie("csrf_refresh_token", csrf_refresh)
    assert thief.post("/auth/refresh", headers={"X-CSRF-TOKEN": csrf_refresh}).status_code == 401


def test_the_refresh_token_gives_a_new_access_token_for_the_same_session(
    browser: FlaskClient, scene: Scene, session: Session, sso_app: Flask
) -> None:
    signed_in_browser(browser, scene, session)
    old_access = cookie(browser, "access_token_cookie")
    csrf = cookie(browser, "csrf_refresh_token")

    assert browser.post("/auth/refresh").status_code == 401  # CSRF applies here too
    response = browser.post("/auth/refresh", headers={"X-CSRF-TOKEN": csrf})

    assert response.status_code == 204
    new_access = cookie(browser, "access_token_cookie")
    with sso_app.app_context():
        old, new = decode_token(old_access), decode_token(new_access)
    assert new["jti"] != old["jti"]
    assert (new["sub"], new["sid"], new["org"]) == (old["sub"], old["sid"], old["org"])


def test_pages_renew_an_access_token_past_half_its_life(
    browser: FlaskClient, scene: Scene, session: Session, sso_app: Flask
) -> None:
    bob = signed_in_browser(browser, scene, session)
    with sso_app.app_context():
        claims = decode_token(cookie(browser, "access_token_cookie"))
        ageing = create_access_token(
            str(bob.id),
            expires_delta=timedelta(minutes=5),
            additional_claims={
                "org": claims["org"],
                "sid": claims["sid"],
                "method": "microsoft",
                "iat": int(time.time()) - 1500,
            },
        )
    browser.set_cookie("access_token_cookie", ageing)

    response = browser.get("/account")

    assert response.status_code == 200
    renewed = session_cookies(response)["access_token_cookie"]
    assert ageing not in renewed
    assert "access_token_cookie" not in session_cookies(browser.get("/account"))


def test_a_deactivated_users_session_stops_working_at_once(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    bob = signed_in_browser(browser, scene, session)
    deactivate_user(session, session.get(User, bob.id))  # type: ignore[arg-type]
    session.commit()

    assert_signed_out(browser)


def test_cookies_may_drop_secure_for_local_plain_http(
    engine: Engine, database_url: str, scene: Scene, session: Session
) -> None:
    settings = app_settings(database_url, scene.registration, session_cookie_secure=False)
    app = create_app(settings, http_session=scene.microsoft.session)
    try:
        browser = app.test_client()
        signed_in_browser(browser, scene, session)
        access = browser.get_cookie("access_token_cookie")
        assert access is not None and not access.secure
        flow = browser.post("/login/microsoft")
        assert "Secure" in session_cookies(flow)["kinabase_sign_in_flow"]  # SameSite=None needs it
    finally:
        get_database(app).engine.dispose()
