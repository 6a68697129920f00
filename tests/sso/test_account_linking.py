"""Account linking at the first Microsoft sign-in happens on keys nobody can forge (issue 16).

Each test plays an attack with the Entra emulator: a tenant member whose `mail` names someone
else's account, a guest, an unverified address, a UPN that matches an account linked elsewhere.
The keys come from provisioning as the service records them (`userName`, `externalId`), through
the same SCIM endpoint Entra calls.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kinabase.provisioning_tokens import issue_token
from kinabase.users import User, UserType, find_user_by_email
from tests.emulators.cloud import DirectoryUser, new_guid
from tests.passwords import password_hash
from tests.sso.support import (
    Scene,
    add_organisation,
    add_user,
    assert_refused,
    assert_signed_out,
    sign_in_with_microsoft,
)

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def provision(
    browser: FlaskClient, token: str, person: DirectoryUser, **attributes: object
) -> None:
    """Entra's provisioning service creates the person (default mapping, plus `attributes`)."""
    body = {
        "schemas": [SCIM_USER],
        "userName": person.user_principal_name,
        "active": True,
        "displayName": person.display_name,
        "emails": [{"type": "work", "primary": True, "value": person.mail}],
        **attributes,
    }
    response = browser.post(
        "/scim/v2/Users", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.text


def test_a_member_whose_mail_names_an_administrator_does_not_become_them(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    ada = add_user(session, organisation, "ada@contoso.test", user_type=UserType.ADMINISTRATOR)
    session.commit()
    # Eve, an ordinary member, has her mail set to Ada's address (a verified domain, too).
    eve = scene.contoso.add_user("eve", "Eve", mail="ada@contoso.test")

    response = sign_in_with_microsoft(browser, scene, eve)

    assert_refused(response, 403, "No Kinabase account matches", "Administrator can assign you")
    assert reading.get(User, ada.id).entra_object_id is None  # type: ignore[union-attr]
    assert_signed_out(browser)


def test_an_account_with_a_password_is_not_linked_by_email(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    dan = add_user(session, organisation, "dan@contoso.test")
    dan.password_hash = password_hash("correct horse battery staple")
    session.commit()
    eve = scene.contoso.add_user("eve", "Eve", mail="dan@contoso.test")

    assert_refused(sign_in_with_microsoft(browser, scene, eve), 403, "No Kinabase account")
    assert reading.get(User, dan.id).entra_object_id is None  # type: ignore[union-attr]


def test_an_unverified_address_or_a_guest_links_nothing(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    bob = add_user(session, organisation, "bob@contoso.test")
    session.commit()
    unverified = scene.contoso.add_user("eve", "Eve", mail="bob@contoso.test", email_verified=False)
    guest = scene.contoso.add_user(
        "mallory_fabrikam.test#EXT#", "Mallory", mail="bob@contoso.test", guest=True,
        email_verified=True,
    )  # fmt: skip

    for person in (unverified, guest):
        client = browser.application.test_client()
        assert_refused(sign_in_with_microsoft(client, scene, person), 403, "No Kinabase account")
    assert reading.get(User, bob.id).entra_object_id is None  # type: ignore[union-attr]


def test_a_guest_is_not_linked_by_a_user_principal_name_either(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(session, organisation, "bob@contoso.test", principal_name="bob@contoso.test")
    session.commit()
    scene.bob.guest = True

    assert_refused(sign_in_with_microsoft(browser, scene, scene.bob), 403, "No Kinabase account")


def test_a_verified_address_of_a_member_still_links_a_plain_invited_user(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    bob = add_user(session, organisation, "bob@contoso.test", active=False)
    session.commit()

    assert sign_in_with_microsoft(browser, scene, scene.bob).status_code == 303

    assert reading.get(User, bob.id).entra_object_id == scene.bob.object_id  # type: ignore[union-attr]


def test_a_upn_match_linked_elsewhere_does_not_fall_back_to_email(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    add_user(
        session, organisation, "robert@contoso.test", principal_name="bob@contoso.test",
        object_id=new_guid(),
    )  # fmt: skip
    plain = add_user(session, organisation, "bob@contoso.test")
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 403, "linked to a different Microsoft account")
    assert reading.get(User, plain.id).entra_object_id is None  # type: ignore[union-attr]


def test_provisioning_records_the_upn_and_the_object_id_and_sign_in_links_on_them(
    browser: FlaskClient, scene: Scene, session: Session, engine: Engine, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    token = issue_token(session, organisation.id, "entra").secret
    session.commit()
    # The admin maps objectId → externalId for Alice; Bob comes with Entra's default mapping,
    # and his mail is not his UPN.
    scene.bob.mail = "robert.builder@contoso.test"
    provision(browser, token, scene.alice, externalId=scene.alice.object_id.upper())
    provision(browser, token, scene.bob, externalId="bob")
    alice = find_user_by_email(reading, organisation.id, "alice@contoso.test")
    bob = find_user_by_email(reading, organisation.id, "robert.builder@contoso.test")
    assert alice is not None and bob is not None
    assert (alice.user_principal_name, alice.entra_object_id) == (
        "alice@contoso.test",
        scene.alice.object_id,
    )
    assert (bob.user_principal_name, bob.entra_object_id) == ("bob@contoso.test", None)
    alice.user_type = UserType.ADMINISTRATOR  # an Administrator links on provisioned keys too
    reading.commit()
    # Someone else in the tenant takes Alice's old UPN: the object id still decides.
    scene.alice.user_principal_name = "alice.old@contoso.test"
    impostor = scene.contoso.add_user("alice", "Another Alice")

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303
    assert (
        sign_in_with_microsoft(browser.application.test_client(), scene, scene.bob).status_code
        == 303
    )
    refused = sign_in_with_microsoft(browser.application.test_client(), scene, impostor)

    assert_refused(refused, 403, "linked to a different Microsoft account")
    reading.expire_all()
    assert reading.get(User, bob.id).entra_object_id == scene.bob.object_id  # type: ignore[union-attr]
