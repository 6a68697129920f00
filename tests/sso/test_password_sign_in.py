"""The sign-in page shows what the organisation allows; passwords are scrypt hashes."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from kinabase.licences import deactivate_user
from kinabase.organisations import Organisation
from kinabase.users import User, UserStatus, UserType
from kinabase_m365.app import create_app
from kinabase_m365.cli import main
from kinabase_m365.database import get_database
from sso.passwords import hash_password
from tests.sso.support import (
    Scene,
    add_organisation,
    add_user,
    app_settings,
    assert_refused,
    assert_signed_out,
)

PASSWORD = "correct horse battery staple"


def with_password(session: Session, user: User, password: str = PASSWORD) -> User:
    user.password_hash = hash_password(password)
    session.flush()
    return user


def sign_in(
    browser: FlaskClient, organisation: Organisation, email: str, password: str
) -> TestResponse:
    form = {"org": str(organisation.id), "email": email, "password": password}
    return browser.post("/login/password", data=form)


def test_the_page_shows_the_methods_the_organisation_allows(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    both = add_organisation(session, scene.contoso)
    password_only = add_organisation(session, None, microsoft=False, name="Old school")
    microsoft_only = add_organisation(session, scene.fabrikam, password=False, name="Fabrikam")
    session.commit()

    def page(query: str) -> str:
        response = browser.get(f"/login{query}")
        assert response.status_code == 200
        return response.text

    assert "Sign in with Microsoft" in page(f"?org={both.id}")
    assert 'type="password"' in page(f"?org={both.id}")
    assert "Sign in with Microsoft" not in page(f"?org={password_only.id}")
    assert 'type="password"' in page(f"?org={password_only.id}")
    assert 'type="password"' not in page(f"?org={microsoft_only.id}")
    tenant_first = page("")
    assert "Sign in with Microsoft" in tenant_first and 'type="password"' not in tenant_first


def test_a_password_signs_in_and_is_stored_as_an_scrypt_hash(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, None, microsoft=False)
    ada = with_password(session, add_user(session, organisation, "ada@example.test"))
    session.commit()

    response = sign_in(browser, organisation, "ADA@example.test", PASSWORD)

    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert "with a password" in browser.get("/account").text
    stored = reading.get(User, ada.id).password_hash  # type: ignore[union-attr]
    assert stored is not None and stored.startswith("scrypt:") and PASSWORD not in stored


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, None, microsoft=False)
    with_password(session, add_user(session, organisation, "ada@example.test"))
    add_user(session, organisation, "no-password@example.test")
    session.commit()

    answers = [
        sign_in(browser, organisation, "ada@example.test", "wrong password!!"),
        sign_in(browser, organisation, "nobody@example.test", PASSWORD),
        sign_in(browser, organisation, "no-password@example.test", ""),
    ]

    for answer in answers:
        assert_refused(answer, 401, "The email address or the password is wrong.")
    assert_signed_out(browser)


def test_a_password_form_posted_from_another_site_is_refused(
    browser: FlaskClient, session: Session
) -> None:
    organisation = add_organisation(session, None, microsoft=False)
    with_password(session, add_user(session, organisation, "ada@example.test"))
    session.commit()
    form = {"org": str(organisation.id), "email": "ada@example.test", "password": PASSWORD}

    forged = browser.post("/login/password", data=form, headers={"Origin": "https://evil.example"})
    own = browser.post("/login/password", data=form, headers={"Origin": "http://localhost"})

    assert_refused(forged, 400, "own sign-in page")
    assert own.status_code == 303


def test_password_sign_in_turned_off_is_refused(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso, password=False)
    with_password(session, add_user(session, organisation, "ada@example.test"))
    session.commit()

    response = sign_in(browser, organisation, "ada@example.test", PASSWORD)

    assert_refused(response, 403, "does not allow signing in with a password")


def test_a_deactivated_user_cannot_sign_in_with_a_password(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, None, microsoft=False)
    ada = with_password(session, add_user(session, organisation, "ada@example.test"))
    deactivate_user(session, ada)
    session.commit()

    assert_refused(sign_in(browser, organisation, "ada@example.test", PASSWORD), 403, "deactivated")


def test_the_cli_creates_the_first_administrator_and_sets_a_password_from_stdin(
    browser: FlaskClient,
    *,
    database_url: str,
    session: Session,
    reading: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("KINABASE_SECRET_KEY", "Zr3pQ8vLx2NwT7kHc9FbYd4MgJs6UaEe1RoVi5XtKq0")
    organisation = add_organisation(session, None, microsoft=False)
    session.commit()
    org = str(organisation.id)

    assert main(["user", "create", "--org", org, "--email", "ada@example.test",
                 "--type", "administrator"]) == 0  # fmt: skip
    created = reading.get(User, int(capsys.readouterr().out.strip()))
    assert created is not None and created.user_type is UserType.ADMINISTRATOR
    assert created.status is UserStatus.ACTIVE
    reading.rollback()
    monkeypatch.setattr("sys.stdin", io.StringIO("too short\n"))
    assert main(["user", "set-password", "--org", org, "--email", "ada@example.test"]) == 2
    assert "12 to 1024 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "set-password", "--org", org, "--email", "ada@example.test"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "set-password", "--org", org, "--email", "eve@example.test"]) == 2
    assert "has no user 'eve@example.test'" in capsys.readouterr().err

    response = sign_in(browser, organisation, "ada@example.test", PASSWORD)

    assert response.status_code == 303
    assert browser.get("/admin/identity").status_code == 200


def test_without_public_base_url_the_form_is_checked_against_the_requests_own_origin(
    engine: Engine, database_url: str, scene: Scene, session: Session
) -> None:
    """Browsers send Origin with every POST: without PUBLIC_BASE_URL the service's own pages
    (`make run`) must still sign in, and another site's form must not."""
    app = create_app(app_settings(database_url, scene.registration, public_base_url=""))
    try:
        browser = app.test_client()
        organisation = add_organisation(session, None, microsoft=False)
        with_password(session, add_user(session, organisation, "ada@example.test"))
        session.commit()
        form = {"org": str(organisation.id), "email": "ada@example.test", "password": PASSWORD}

        forged = browser.post(
            "/login/password", data=form, headers={"Origin": "https://evil.example"}
        )
        own = browser.post(
            "/login/password",
            data=form,
            base_url="http://127.0.0.1:8000",
            headers={"Origin": "http://127.0.0.1:8000"},
        )

        assert_refused(forged, 400, "own sign-in page")
        assert own.status_code == 303
    finally:
        get_database(app).engine.dispose()
