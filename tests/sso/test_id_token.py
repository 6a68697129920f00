"""The service verifies the id_token itself (OpenID Connect Core §3.1.3.7): msal does not.

Each fault is injected into the Entra emulator's token endpoint; the sign-in goes through real
msal, which accepts every one of these tokens, and the service must refuse them.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kinabase.users import User
from sso.errors import InvalidIdToken
from sso.id_token import SigningKeys, nonce_hash, verify_id_token
from tests.emulators.entra_tokens import AuthorizationCode, mint_id_token
from tests.emulators.keys import foreign_key
from tests.sso.support import (
    Scene,
    add_organisation,
    add_user,
    assert_refused,
    sign_in_with_microsoft,
)


class FromNow(int):
    """A time claim given as seconds from when the test runs (never from when the module
    loaded: a long run would otherwise make "not valid yet" valid)."""

    def resolved(self) -> int:
        return int(time.time()) + int(self)


@pytest.fixture
def bob_account(session: Session, scene: Scene) -> User:
    organisation = add_organisation(session, scene.contoso)
    bob = add_user(session, organisation, "bob@contoso.test")
    session.commit()
    return bob


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "00000000-0000-0000-0000-000000000001"}, "issued for another application"),
        ({"iss": "https://evil.example/{tid}/v2.0"}, "another issuer"),
        ({"iss": "https://login.microsoftonline.com/{other}/v2.0"}, "another issuer"),
        ({"exp": FromNow(-600), "iat": FromNow(-4200), "nbf": FromNow(-4200)}, "it has expired"),
        ({"nbf": FromNow(600), "iat": FromNow(600)}, "not valid yet"),
        ({"tid": "contoso", "iss": "https://login.microsoftonline.com/contoso/v2.0"}, "malformed"),
        ({"oid": None}, "a required claim is missing"),
        ({"exp": None}, "a required claim is missing"),
    ],
    ids=[
        "wrong-aud",
        "wrong-iss-host",
        "wrong-iss-tenant",
        "expired",
        "not-yet-valid",
        "tid-not-a-guid",
        "no-oid",
        "no-exp",
    ],
)
def test_a_token_failing_a_claim_check_is_refused(
    browser: FlaskClient,
    *,
    scene: Scene,
    reading: Session,
    bob_account: User,
    claims: dict[str, Any],
    reason: str,
) -> None:
    tid, other = scene.contoso.tenant_id, scene.fabrikam.tenant_id
    scene.cloud.faults.id_token_claims = {
        name: value.format(tid=tid, other=other)
        if isinstance(value, str)
        else value.resolved()
        if isinstance(value, FromNow)
        else value
        for name, value in claims.items()
    }

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 401, reason)
    assert reading.get(User, bob_account.id).entra_object_id is None  # type: ignore[union-attr]


def test_clock_skew_within_two_minutes_is_tolerated(
    browser: FlaskClient, scene: Scene, bob_account: User
) -> None:
    now = int(time.time())  # when the test runs: a skew must not depend on when the module loaded
    scene.cloud.faults.id_token_claims = {"exp": now - 60, "nbf": now + 60, "iat": now + 60}

    assert sign_in_with_microsoft(browser, scene, scene.bob).status_code == 303


def test_a_bad_signature_is_refused(browser: FlaskClient, scene: Scene, bob_account: User) -> None:
    scene.cloud.faults.id_token_signing_key = foreign_key()
    scene.cloud.faults.id_token_headers = {"kid": scene.cloud.keys.signing_key.kid}

    assert_refused(sign_in_with_microsoft(browser, scene, scene.bob), 401, "signature")


def test_a_key_microsoft_never_published_is_refused(
    browser: FlaskClient, scene: Scene, bob_account: User
) -> None:
    scene.cloud.faults.id_token_signing_key = foreign_key()

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 401, "a key Microsoft does not list")


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_only_rs256_is_accepted(
    browser: FlaskClient, scene: Scene, bob_account: User, algorithm: str
) -> None:
    scene.cloud.faults.id_token_headers = {"alg": algorithm}

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert_refused(response, 401, "not signed the way Microsoft signs")


def test_a_nonce_of_another_sign_in_is_refused(
    browser: FlaskClient, scene: Scene, bob_account: User
) -> None:
    scene.cloud.faults.id_token_claims = {"nonce": nonce_hash("another sign-in")}

    assert_refused(sign_in_with_microsoft(browser, scene, scene.bob), 400, "another sign-in")


def test_keys_are_cached_and_fetched_again_when_microsoft_rolls_them_over(
    browser: FlaskClient, scene: Scene, bob_account: User
) -> None:
    jwks = "/discovery/v2.0/keys"
    assert sign_in_with_microsoft(browser, scene, scene.bob).status_code == 303
    assert sign_in_with_microsoft(browser, scene, scene.bob).status_code == 303
    assert len(scene.microsoft.requests_to(jwks)) == 1

    scene.cloud.keys.roll_over(retire_old=True)

    assert sign_in_with_microsoft(browser, scene, scene.bob).status_code == 303
    assert len(scene.microsoft.requests_to(jwks)) == 2


def test_the_verifier_checks_the_nonce_itself_should_msal_stop_doing_so(
    sso_app: Flask, scene: Scene
) -> None:
    code = AuthorizationCode(
        client_id=scene.registration.client_id,
        redirect_uri="http://localhost/auth/microsoft/callback",
        scopes=frozenset({"openid"}),
        nonce=nonce_hash("the nonce of another flow"),
        code_challenge=None,
        user=scene.bob,
        issued_at=time.time(),
    )
    token = mint_id_token(scene.cloud, "https://login.microsoftonline.com", code)
    keys = SigningKeys("https://login.microsoftonline.com")
    verify = {"client_id": scene.registration.client_id, "keys": keys}

    identity = verify_id_token(
        token, nonce="the nonce of another flow", http=scene.microsoft.session, **verify
    )
    assert identity.object_id == scene.bob.object_id
    with pytest.raises(InvalidIdToken, match="another sign-in"):
        verify_id_token(token, nonce="this flow's nonce", http=scene.microsoft.session, **verify)
