"""The console's layout, guard and form helpers through Flask's test client."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from console.navigation import NAVIGATION, Audience
from kinabase.accounts import create_organisation, create_user
from kinabase.users import UserType
from tests.passwords import password_hash

PASSWORD = "correct horse battery staple"


def signed_in(client: FlaskClient, session: Session, user_type: UserType) -> str:
    """`client` signed in as a new user of this type of a new organisation; its CSRF value."""
    organisation = create_organisation(session, "Acme")
    user = create_user(session, organisation.id, "ada@acme.test", active=True, user_type=user_type)
    user.password_hash = password_hash(PASSWORD)
    session.commit()
    form = {"org": str(organisation.id), "email": user.email, "password": PASSWORD}
    assert client.post("/login/password", data=form).status_code == 303
    cookie = client.get_cookie("csrf_access_token")
    assert cookie is not None
    return cookie.value


def test_a_form_that_fails_validation_shows_each_message_next_to_its_field(
    client: FlaskClient, session: Session
) -> None:
    csrf = signed_in(client, session, UserType.ADMINISTRATOR)

    response = client.post(
        "/admin/identity/sign-in-methods",
        data={"csrf_token": csrf, "method": "carrier-pigeon", "enabled": "maybe"},
    )

    assert response.status_code == 400
    assert '<ul class="field-errors" id="method-errors">' in response.text
    assert "Must be one of: password, microsoft." in response.text
    assert '<ul class="field-errors" id="enabled-errors">' in response.text


def test_the_layout_links_its_one_stylesheet_and_script_and_serves_them(
    client: FlaskClient, session: Session
) -> None:
    signed_in(client, session, UserType.ADMINISTRATOR)

    page = client.get("/admin/identity")

    assert page.status_code == 200
    assert 'href="/console/static/console.css"' in page.text
    assert 'src="/console/static/console.js"' in page.text
    assert "<script>" not in page.text and "style=" not in page.text  # CSP: nothing inline
    with client.get("/console/static/console.css") as stylesheet:
        assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"
        assert b".console-header" in stylesheet.data
    with client.get("/console/static/console.js") as script:
        assert script.status_code == 200 and b"data-copy" in script.data


def test_a_billing_administrator_sees_only_licence_pages_in_the_navigation() -> None:
    billing = [
        entry for entry in NAVIGATION if entry.audience.admits(UserType.BILLING_ADMINISTRATOR)
    ]
    assert all(entry.audience is not Audience.ADMINISTRATORS for entry in billing)
    assert Audience.LICENCE_VIEWERS.admits(UserType.BILLING_ADMINISTRATOR)
    assert not Audience.LICENCE_VIEWERS.admits(UserType.USER)
    assert not Audience.ADMINISTRATORS.admits(UserType.BILLING_ADMINISTRATOR)
    assert Audience.EVERYONE.admits(UserType.USER)
