"""Cookie sessions: CSRF on every change, logout that revokes, refresh, renewal, deactivation."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kinabase.licences import deactivate_user
from kinabase.users import User
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from kinabase_m365.settings import SettingsError, load_settings
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

    assert response.status_code == 403
    assert "This form could not be accepted" in response.text
    assert "not signed in" not in response.text and "ended" not in response.text
    assert browser.get("/account").status_code == 200


def test_logout_revokes_the_access_and_refresh_tokens(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    bob = signed_in_browser(browser, scene, session)
    access = cookie(browser, "access_token_cookie")
    refresh = cookie(browser, "refresh_token_cookie")
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
    thief.set_cookie("refresh_token_cookie", refresh)
    thief.set_cookie("csrf_refresh_token", csrf_refresh)
    assert thief.post("/auth/refresh", headers={"X-CSRF-TOKEN": csrf_refresh}).status_code == 401


def test_the_refresh_token_gives_a_new_access_token_for_the_same_session(
    browser: FlaskClient, scene: Scene, session: Session, sso_app: Flask
) -> None:
    signed_in_browser(browser, scene, session)
    old_access = cookie(browser, "access_token_cookie")
    csrf = cookie(browser, "csrf_refresh_token")

    assert browser.post("/auth/refresh").status_code == 403  # CSRF applies here too
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


def page_csrf(html: str) -> str:
    """The CSRF value a page's form carries."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def aged_access_token(app: Flask, browser: FlaskClient, *, age: int, lifetime: int) -> str:
    """The browser's access token, re-issued as if it were `age` seconds old."""
    with app.app_context():
        claims = decode_token(cookie(browser, "access_token_cookie"))
        kept = {name: claims[name] for name in ("org", "sid", "method", "csrf", "auth_time")}
        return create_access_token(
            claims["sub"],
            expires_delta=timedelta(seconds=lifetime - age),
            additional_claims={**kept, "iat": int(time.time()) - age},
        )


def test_a_form_rendered_before_a_renewal_still_signs_out(
    browser: FlaskClient, scene: Scene, session: Session, sso_app: Flask
) -> None:
    """The attack on the old code: renewal changed the CSRF value, so Sign out answered "You are
    not signed in" while the session stayed valid."""
    signed_in_browser(browser, scene, session)
    browser.set_cookie(
        "access_token_cookie", aged_access_token(sso_app, browser, age=1500, lifetime=1800)
    )
    page = browser.get("/account")  # renders the Sign out form, and renews the token
    assert "access_token_cookie" in session_cookies(page)

    response = browser.post("/logout", data={"csrf_token": page_csrf(page.text)})

    assert response.status_code == 303
    assert_signed_out(browser)


def test_pages_renew_an_expired_access_token_from_the_refresh_token(
    browser: FlaskClient, scene: Scene, session: Session, sso_app: Flask
) -> None:
    signed_in_browser(browser, scene, session)
    browser.set_cookie(
        "access_token_cookie", aged_access_token(sso_app, browser, age=1900, lifetime=1800)
    )

    response = browser.get("/account")

    assert response.status_code == 200
    cookies = session_cookies(response)
    assert "access_token_cookie" in cookies and "refresh_token_cookie" in cookies
    browser.delete_cookie("access_token_cookie")  # a browser that dropped it altogether
    assert browser.get("/account").status_code == 200


def test_sign_out_with_only_the_refresh_token_revokes_it(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    signed_in_browser(browser, scene, session)
    refresh = cookie(browser, "refresh_token_cookie")
    csrf = cookie(browser, "csrf_refresh_token")
    browser.delete_cookie("access_token_cookie")

    response = browser.post("/logout", data={"csrf_token": csrf})

    assert response.status_code == 303
    assert session_cookies(response)["refresh_token_cookie"].startswith("refresh_token_cookie=;")
    thief = browser.application.test_client()
    thief.set_cookie("refresh_token_cookie", refresh)
    thief.set_cookie("csrf_refresh_token", csrf)
    assert_signed_out(thief)
    assert thief.post("/auth/refresh", headers={"X-CSRF-TOKEN": csrf}).status_code == 401


def test_a_session_is_not_renewed_past_session_max_days(
    browser: FlaskClient, scene: Scene, session: Session, sso_app: Flask
) -> None:
    bob = signed_in_browser(browser, scene, session)
    month_ago = int(time.time()) - 31 * 86400
    with sso_app.app_context():
        claims = decode_token(cookie(browser, "refresh_token_cookie"))
        old = create_refresh_token(
            str(bob.id),
            additional_claims={
                **{name: claims[name] for name in ("org", "sid", "method", "csrf")},
                "auth_time": month_ago,
            },
        )
    browser.set_cookie("refresh_token_cookie", old)
    browser.delete_cookie("access_token_cookie")

    assert_signed_out(browser)
    refreshed = browser.post("/auth/refresh", headers={"X-CSRF-TOKEN": claims["csrf"]})
    assert refreshed.status_code == 401


def test_signing_in_again_revokes_the_session_the_browser_had(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    signed_in_browser(browser, scene, session)
    old_access = cookie(browser, "access_token_cookie")
    old_refresh = cookie(browser, "refresh_token_cookie")

    assert sign_in_with_microsoft(browser, scene, scene.bob).status_code == 303

    assert browser.get("/account").status_code == 200  # the new session works
    for name, value in (("access_token_cookie", old_access), ("refresh_token_cookie", old_refresh)):
        thief = browser.application.test_client()
        thief.set_cookie(name, value)
        assert_signed_out(thief)


def test_session_max_days_is_a_setting() -> None:
    settings = load_settings({"KINABASE_ENV": "test", "SESSION_MAX_DAYS": "7"})
    assert settings.session_max_days == 7
    assert load_settings({"KINABASE_ENV": "test"}).session_max_days == 30
    with pytest.raises(SettingsError, match="SESSION_MAX_DAYS"):
        load_settings({"KINABASE_ENV": "test", "SESSION_MAX_DAYS": "0"})
