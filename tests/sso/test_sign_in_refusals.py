"""Sign-ins that must not succeed: each ends on a page that says why, and with no session."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kinabase.licences import deactivate_user
from kinabase.users import User, UserType
from tests.emulators.cloud import new_guid
from tests.sso.support import (
    Scene,
    add_organisation,
    add_user,
    assert_refused,
    assert_signed_out,
    sign_in_with_microsoft,
    start_microsoft_sign_in,
)


def test_a_tenant_bound_to_no_organisation_is_refused_with_a_page_that_says_so(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    add_organisation(session, scene.contoso)
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.carol)

    assert_refused(response, 403, "not connected", scene.fabrikam.tenant_id)
    assert_signed_out(browser)


def test_microsoft_refuses_a_user_of_another_tenant_at_the_organisations_authority(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.carol, organisation.id)

    assert_refused(response, 401, "AADSTS50020")


def test_a_token_of_another_tenant_is_refused_for_a_sign_in_started_for_this_organisation(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    contoso = add_organisation(session, scene.contoso)
    fabrikam = add_organisation(session, scene.fabrikam, name="Fabrikam")
    add_user(session, fabrikam, "bob@contoso.test")
    session.commit()
    # Should Microsoft ever answer a Contoso sign-in with a Fabrikam token, the service holds.
    scene.cloud.faults.id_token_tenant_id = scene.fabrikam.tenant_id

    response = sign_in_with_microsoft(browser, scene, scene.bob, contoso.id)

    assert_refused(response, 403, "another organisation")


def test_an_answer_posted_into_another_browser_is_refused(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()
    start_microsoft_sign_in(browser)  # the victim's own pending sign-in
    attacker = browser.application.test_client()
    planted = scene.microsoft.browser.sign_in(start_microsoft_sign_in(attacker), "bob@contoso.test")

    response = browser.post(planted.path, data=planted.fields)

    assert_refused(response, 400, "does not match")
    assert_signed_out(browser)


def test_a_tampered_state_is_refused(browser: FlaskClient, scene: Scene, session: Session) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()
    answer = scene.microsoft.browser.sign_in(start_microsoft_sign_in(browser), "bob@contoso.test")

    response = browser.post(answer.path, data={**answer.fields, "state": "forged"})

    assert_refused(response, 400)


def test_an_answer_without_a_flow_in_this_browser_is_refused(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    add_organisation(session, scene.contoso)
    session.commit()
    answer = scene.microsoft.browser.sign_in(start_microsoft_sign_in(browser), "bob@contoso.test")

    stranger = browser.application.test_client()
    response = stranger.post(answer.path, data=answer.fields)

    assert_refused(response, 400, "does not match a sign-in in progress")


def test_a_replayed_code_is_refused_by_microsoft_and_a_replayed_answer_by_the_service(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()
    answer = scene.microsoft.browser.sign_in(start_microsoft_sign_in(browser), "bob@contoso.test")
    assert browser.post(answer.path, data=answer.fields).status_code == 303

    assert_refused(browser.post(answer.path, data=answer.fields), 400)
    fresh = scene.microsoft.browser.sign_in(start_microsoft_sign_in(browser), "bob@contoso.test")
    replay = browser.post(answer.path, data={**answer.fields, "state": fresh.fields["state"]})
    assert_refused(replay, 401, "AADSTS54005", "already redeemed")


def test_a_deactivated_user_is_refused(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    bob = add_user(session, organisation, "bob@contoso.test")
    deactivate_user(session, bob)
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 403, "deactivated")
    assert_signed_out(browser)


def test_a_user_of_another_organisation_is_refused(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    add_organisation(session, scene.contoso)
    elsewhere = add_organisation(session, None, name="Elsewhere")
    add_user(session, elsewhere, "bob@contoso.test", principal_name="bob@contoso.test")
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 403, "bob@contoso.test", "no Kinabase account of this organisation")


def test_an_account_linked_to_another_microsoft_identity_is_not_taken_over(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    bob = add_user(
        session,
        organisation,
        "bob@contoso.test",
        principal_name="bob@contoso.test",
        object_id=new_guid(),
    )
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 403, "linked to a different Microsoft account")
    assert reading.get(User, bob.id).entra_object_id != scene.bob.object_id  # type: ignore[union-attr]


def test_an_organisation_that_does_not_allow_microsoft_sign_in_refuses_it(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso, microsoft=False)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()

    at_the_button = browser.post("/login/microsoft", data={"org": str(organisation.id)})
    tenant_first = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(at_the_button, 403, "does not allow signing in with Microsoft")
    assert_refused(tenant_first, 403, "does not allow signing in with Microsoft")
    assert "Sign in with Microsoft" not in browser.get(f"/login?org={organisation.id}").text


def test_an_invited_user_without_a_free_seat_is_refused(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso, seats=1)
    add_user(session, organisation, "alice@contoso.test", user_type=UserType.ADMINISTRATOR)
    bob = add_user(session, organisation, "bob@contoso.test", active=False)
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 403, "licence seat")
    assert reading.get(User, bob.id).entra_object_id is None  # type: ignore[union-attr]


def test_errors_from_microsoft_are_shown_plainly(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    add_organisation(session, scene.contoso)
    session.commit()
    scene.bob.account_enabled = False

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 401, "access_denied: AADSTS50057: The user account is disabled.")


def test_a_junk_cross_site_post_does_not_cancel_the_sign_in_in_progress(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test")
    session.commit()
    answer = scene.microsoft.browser.sign_in(start_microsoft_sign_in(browser), "bob@contoso.test")

    # Another site makes the browser post to the callback; the SameSite=None flow cookie goes too.
    junk = browser.post(answer.path, data={"state": "junk", "code": "junk"})
    no_state = browser.post(answer.path, data={})

    assert_refused(junk, 400)
    assert_refused(no_state, 400)
    assert browser.post(answer.path, data=answer.fields).status_code == 303


@pytest.mark.parametrize("org", ["²", "1" * 23, "-1", "1e3", "٣"])
def test_an_org_that_is_no_organisation_id_is_a_400(browser: FlaskClient, org: str) -> None:
    for response in (
        browser.get("/login", query_string={"org": org}),
        browser.post("/login/password", data={"org": org, "email": "a@b.c", "password": "x"}),
        browser.post("/login/microsoft", data={"org": org}),
    ):
        assert_refused(response, 400, "does not name an organisation")


def test_refusal_pages_do_not_name_the_organisation_to_anonymous_visitors(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    secret_name = "Project Nightingale (confidential)"
    closed = add_organisation(session, None, microsoft=False, name=secret_name)
    unconnected = add_organisation(session, None, microsoft=True, name=secret_name + " 2")
    microsoft_only = add_organisation(
        session, scene.contoso, password=False, name=secret_name + " 3"
    )
    session.commit()

    responses = [
        browser.post("/login/microsoft", data={"org": str(closed.id)}),
        browser.post("/login/microsoft", data={"org": str(unconnected.id)}),
        browser.post(
            "/login/password",
            data={"org": str(microsoft_only.id), "email": "bob@contoso.test", "password": "x"},
        ),
        browser.get(f"/login?org={closed.id}"),
    ]

    for response in responses:
        assert "Project Nightingale" not in response.text
    assert [r.status_code for r in responses] == [403, 403, 403, 200]
