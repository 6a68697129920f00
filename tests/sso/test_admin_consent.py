"""Connecting Microsoft 365: admin consent binds the tenant only when Microsoft's answer names
the tenant the Administrator verifiably signed in to."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from kinabase.organisations import Organisation
from kinabase.users import UserType, list_users
from kinabase_m365.cli import main
from tests.emulators.cloud import DirectoryUser
from tests.passwords import password_hash
from tests.sso.support import (
    Scene,
    add_organisation,
    add_user,
    assert_refused,
    sign_in_with_microsoft,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def organisation(session: Session, browser: FlaskClient) -> Organisation:
    """An organisation with no Microsoft 365 yet, whose Administrator Ada is signed in."""
    organisation = add_organisation(session, None, microsoft=False)
    ada = add_user(session, organisation, "ada@contoso.test", user_type=UserType.ADMINISTRATOR)
    bob = add_user(session, organisation, "bob@contoso.test", principal_name="bob@contoso.test")
    ada.password_hash = bob.password_hash = password_hash(PASSWORD)
    session.commit()
    form = {"org": str(organisation.id), "email": ada.email, "password": PASSWORD}
    assert browser.post("/login/password", data=form).status_code == 303
    return organisation


def csrf(browser: FlaskClient) -> str:
    found = browser.get_cookie("csrf_access_token")
    assert found is not None
    return found.value


def switch(browser: FlaskClient, method: str, enabled: bool) -> TestResponse:
    form = {"method": method, "enabled": "on" if enabled else "off", "csrf_token": csrf(browser)}
    return browser.post("/admin/identity/sign-in-methods", data=form)


def go_to_admin_consent(browser: FlaskClient, scene: Scene, who: DirectoryUser) -> str:
    """Turn Microsoft 365 on and sign in to Microsoft as `who`: the adminconsent URL."""
    to_microsoft = switch(browser, "microsoft", True)
    assert to_microsoft.status_code == 303
    answer = scene.microsoft.browser.sign_in(
        to_microsoft.headers["Location"], who.user_principal_name
    )
    to_consent = browser.post(answer.path, data=answer.fields)
    assert to_consent.status_code == 303, to_consent.text
    return to_consent.headers["Location"]


def back_from_microsoft(browser: FlaskClient, location: str, **changes: str) -> TestResponse:
    """Follow Microsoft's redirect to the consent callback (optionally tampered with)."""
    url = urlsplit(location)
    query = {name: values[0] for name, values in parse_qs(url.query).items()} | changes
    return browser.get(url.path, query_string=query)


def test_consent_binds_the_tenant_allows_microsoft_sign_in_and_confirms(
    browser: FlaskClient, scene: Scene, organisation: Organisation, reading: Session
) -> None:
    consent_url = go_to_admin_consent(browser, scene, scene.alice)

    url = urlsplit(consent_url)
    query = parse_qs(url.query)
    assert url.netloc == "login.microsoftonline.com"
    assert url.path == f"/{scene.contoso.tenant_id}/v2.0/adminconsent"
    assert query["scope"] == ["https://graph.microsoft.com/.default"]
    assert query["redirect_uri"] == ["http://localhost/auth/microsoft/admin-consent"]
    response = back_from_microsoft(
        browser, scene.microsoft.browser.admin_consent(consent_url, scene.alice.user_principal_name)
    )

    assert response.status_code == 200
    assert (
        "Microsoft 365 is connected" in response.text and scene.contoso.tenant_id in response.text
    )
    connected = reading.get(Organisation, organisation.id)
    assert connected is not None and connected.entra_tenant_id == scene.contoso.tenant_id
    assert connected.microsoft_sign_in
    assert (scene.contoso.tenant_id, scene.registration.client_id) in scene.cloud.consents
    page = browser.get("/admin/identity").text
    assert "Connected" in page and scene.contoso.tenant_id in page
    users_browser = browser.application.test_client()
    assert sign_in_with_microsoft(users_browser, scene, scene.bob).status_code == 303


def test_errors_from_microsoft_are_shown_plainly_and_nothing_is_bound(
    browser: FlaskClient, scene: Scene, organisation: Organisation, reading: Session
) -> None:
    consent_url = go_to_admin_consent(browser, scene, scene.alice)
    location = scene.microsoft.browser.admin_consent(
        consent_url, scene.alice.user_principal_name, decline=True
    )

    response = back_from_microsoft(browser, location)

    assert_refused(response, 400, "Microsoft 365 was not connected", "access_denied", "AADSTS65004")
    assert reading.get(Organisation, organisation.id).entra_tenant_id is None  # type: ignore[union-attr]


def test_a_member_without_an_administrator_role_is_refused_at_the_connect_step(
    browser: FlaskClient, scene: Scene, organisation: Organisation
) -> None:
    to_microsoft = switch(browser, "microsoft", True)
    answer = scene.microsoft.browser.sign_in(to_microsoft.headers["Location"], "bob@contoso.test")

    response = browser.post(answer.path, data=answer.fields)

    assert_refused(response, 400, "not a Global Administrator or Privileged Role Administrator")
    assert "adminconsent" not in response.headers.get("Location", "")


def test_a_forged_consent_answer_binds_nothing_without_consent_at_microsoft(
    browser: FlaskClient, scene: Scene, organisation: Organisation, reading: Session
) -> None:
    """The attack: the journey is real up to Microsoft's consent page, which the Administrator
    skips, coming back with a hand-made `admin_consent=True&tenant=…` and the right state."""
    consent_url = go_to_admin_consent(browser, scene, scene.alice)
    state = parse_qs(urlsplit(consent_url).query)["state"][0]

    response = browser.get(
        "/auth/microsoft/admin-consent",
        query_string={"admin_consent": "True", "tenant": scene.contoso.tenant_id, "state": state},
    )

    assert_refused(response, 400, "has not granted", "AADSTS7000229")
    assert reading.get(Organisation, organisation.id).entra_tenant_id is None  # type: ignore[union-attr]
    assert not scene.cloud.consents  # nothing consented, in any tenant


def test_an_administrator_disconnects_after_confirming_and_users_are_kept(
    browser: FlaskClient,
    scene: Scene,
    organisation: Organisation,
    reading: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    consent_url = go_to_admin_consent(browser, scene, scene.alice)
    back_from_microsoft(
        browser, scene.microsoft.browser.admin_consent(consent_url, "alice@contoso.test")
    )
    assert switch(browser, "password", False).status_code == 303
    assert "Disconnect Microsoft 365" in browser.get("/admin/identity").text
    page = browser.get("/admin/identity/disconnect")
    assert page.status_code == 200 and scene.contoso.tenant_id in page.text

    unconfirmed = browser.post("/admin/identity/disconnect", data={"csrf_token": csrf(browser)})
    assert_refused(unconfirmed, 400, "confirmation page")
    with caplog.at_level(logging.INFO, logger="sso.disconnect"):
        done = browser.post(
            "/admin/identity/disconnect",
            data={"csrf_token": csrf(browser), "confirm": "disconnect"},
        )

    assert done.status_code == 303
    current = reading.get(Organisation, organisation.id)
    assert current is not None and current.entra_tenant_id is None
    assert current.password_sign_in and not current.microsoft_sign_in
    assert len(list_users(reading, organisation.id)) == 2
    assert f"disconnected from Microsoft 365 tenant {scene.contoso.tenant_id}" in caplog.text
    users_browser = browser.application.test_client()
    assert_refused(sign_in_with_microsoft(users_browser, scene, scene.bob), 403, "not connected")


def test_an_operator_disconnects_from_the_command_line(
    scene: Scene,
    session: Session,
    reading: Session,
    cli_env: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    organisation = add_organisation(session, scene.contoso, password=False)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()

    assert main(["org", "disconnect", "--org", str(organisation.id)]) == 0

    assert f"disconnected from tenant {scene.contoso.tenant_id}" in capsys.readouterr().err
    current = reading.get(Organisation, organisation.id)
    assert current is not None and current.entra_tenant_id is None and current.password_sign_in
    assert len(list_users(reading, organisation.id)) == 1
    assert main(["org", "disconnect", "--org", "999"]) == 2


def test_a_returned_tenant_other_than_the_signed_in_one_is_not_trusted(
    browser: FlaskClient, scene: Scene, organisation: Organisation, reading: Session
) -> None:
    consent_url = go_to_admin_consent(browser, scene, scene.alice)
    location = scene.microsoft.browser.admin_consent(consent_url, scene.alice.user_principal_name)

    response = back_from_microsoft(browser, location, tenant=scene.fabrikam.tenant_id)

    assert_refused(response, 400, "Nothing was connected", scene.fabrikam.tenant_id)
    assert reading.get(Organisation, organisation.id).entra_tenant_id is None  # type: ignore[union-attr]


def test_a_forged_consent_redirect_without_the_journey_binds_nothing(
    browser: FlaskClient, scene: Scene, organisation: Organisation, reading: Session
) -> None:
    response = browser.get(
        "/auth/microsoft/admin-consent",
        query_string={"admin_consent": "True", "tenant": scene.fabrikam.tenant_id, "state": "x"},
    )

    assert_refused(response, 400, "does not belong to a connection you started")
    assert reading.get(Organisation, organisation.id).entra_tenant_id is None  # type: ignore[union-attr]


def test_a_tenant_connected_to_another_organisation_cannot_be_connected_again(
    browser: FlaskClient, scene: Scene, organisation: Organisation, session: Session
) -> None:
    add_organisation(session, scene.contoso, name="Contoso's first organisation")
    session.commit()
    to_microsoft = switch(browser, "microsoft", True)
    answer = scene.microsoft.browser.sign_in(to_microsoft.headers["Location"], "alice@contoso.test")

    response = browser.post(answer.path, data=answer.fields)

    assert_refused(response, 400, "already connected to another Kinabase organisation")


def test_only_administrators_reach_the_page_and_every_change_needs_the_csrf_token(
    browser: FlaskClient, organisation: Organisation
) -> None:
    form = {"method": "microsoft", "enabled": "on"}
    assert_refused(browser.post("/admin/identity/sign-in-methods", data=form), 403)
    anonymous = browser.application.test_client()
    assert anonymous.get("/admin/identity").headers["Location"] == "/login?next=/admin/identity"
    users_browser = browser.application.test_client()
    bob = {"org": str(organisation.id), "email": "bob@contoso.test", "password": PASSWORD}
    assert users_browser.post("/login/password", data=bob).status_code == 303

    assert_refused(users_browser.get("/admin/identity"), 403, "Administrators only")


def test_switching_methods_keeps_one_allowed_and_reuses_the_connection(
    browser: FlaskClient, scene: Scene, organisation: Organisation, reading: Session
) -> None:
    consent_url = go_to_admin_consent(browser, scene, scene.alice)
    back_from_microsoft(
        browser, scene.microsoft.browser.admin_consent(consent_url, "alice@contoso.test")
    )

    assert switch(browser, "password", False).status_code == 303
    assert_refused(switch(browser, "microsoft", False), 409, "At least one sign-in method")
    assert switch(browser, "password", True).status_code == 303
    assert switch(browser, "microsoft", False).status_code == 303
    again = switch(browser, "microsoft", True)  # connected already: no trip to Microsoft

    assert again.status_code == 303 and again.headers["Location"] == "/admin/identity"
    current = reading.get(Organisation, organisation.id)
    assert current is not None and current.microsoft_sign_in and current.password_sign_in


def test_the_answer_counts_only_for_the_administrator_who_asked(
    browser: FlaskClient, scene: Scene, organisation: Organisation, session: Session
) -> None:
    ben = add_user(session, organisation, "ben@contoso.test", user_type=UserType.ADMINISTRATOR)
    ben.password_hash = password_hash(PASSWORD)
    session.commit()
    consent_url = go_to_admin_consent(browser, scene, scene.alice)
    location = scene.microsoft.browser.admin_consent(consent_url, "alice@contoso.test")
    browser.post("/logout", data={"csrf_token": csrf(browser)})
    form = {"org": str(organisation.id), "email": "ben@contoso.test", "password": PASSWORD}
    assert browser.post("/login/password", data=form).status_code == 303

    assert_refused(back_from_microsoft(browser, location), 400, "does not belong")
