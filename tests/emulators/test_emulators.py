"""The emulators speak the protocols as Microsoft does, and msal takes them for Microsoft.

These tests pin the behaviour the service's tests rely on (shared/reference/
microsoft-identity-and-graph.md), including what msal itself does not check.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any

import jwt
import msal
import pytest

from tests.conftest import UnroutedHostError
from tests.emulators import EmulatedMicrosoft, emulate_microsoft
from tests.emulators.cloud import GLOBAL_ADMINISTRATOR, DirectoryUser, MicrosoftCloud
from tests.emulators.entra_tokens import AuthorizationCode, mint_id_token
from tests.emulators.keys import foreign_key

REDIRECT = "http://localhost/callback"
LOGIN = "https://login.microsoftonline.com"


@pytest.fixture
def microsoft() -> EmulatedMicrosoft:
    cloud = MicrosoftCloud()
    tenant = cloud.add_tenant("contoso.test")
    tenant.add_user("alice", "Alice", is_admin=True, photo=b"\xff\xd8photo")
    tenant.add_user("bob", "Bob")
    cloud.register_app([REDIRECT])
    return emulate_microsoft(cloud)


def registration(microsoft: EmulatedMicrosoft) -> Any:
    (app,) = microsoft.cloud.apps.values()
    return app


def msal_app(microsoft: EmulatedMicrosoft, tenant: str = "organizations") -> Any:
    app = registration(microsoft)
    return msal.ConfidentialClientApplication(
        app.client_id,
        client_credential=app.client_secret,
        authority=f"{LOGIN}/{tenant}",
        http_client=microsoft.session,
        http_cache={},
        token_cache=msal.TokenCache(),
    )


def begin(client: Any, redirect_uri: str = REDIRECT) -> dict[str, Any]:
    """msal's flow, answered by form POST (msal warns about anything else)."""
    flow: dict[str, Any] = client.initiate_auth_code_flow(
        ["User.Read"], redirect_uri=redirect_uri, response_mode="form_post"
    )
    return flow


def sign_in(microsoft: EmulatedMicrosoft, who: str = "alice@contoso.test") -> tuple[Any, Any, Any]:
    client = msal_app(microsoft)
    flow = begin(client)
    return client, flow, microsoft.browser.sign_in(flow["auth_uri"], who).fields


def test_unrouted_hosts_raise_and_sharepoint_sites_are_routed(
    microsoft: EmulatedMicrosoft,
) -> None:
    with pytest.raises(UnroutedHostError):
        microsoft.session.get("https://example.com/")
    with pytest.raises(UnroutedHostError):
        microsoft.session.get("https://login.microsoftonline.us/common/v2.0")
    response = microsoft.session.get("https://contoso.sharepoint.com/v1.0/me")
    assert response.status_code == 401  # Graph's app answered, and wants a token
    assert [r.url for r in microsoft.requests][-1] == "https://contoso.sharepoint.com/v1.0/me"


def test_msal_signs_in_and_redeems_a_code_once(microsoft: EmulatedMicrosoft) -> None:
    client, flow, answer = sign_in(microsoft)

    result = client.acquire_token_by_auth_code_flow(flow, answer)
    replay = client.acquire_token_by_auth_code_flow(flow, answer)

    assert result["id_token_claims"]["preferred_username"] == "alice@contoso.test"
    assert replay["error"] == "invalid_grant" and "AADSTS54005" in replay["error_description"]


def test_msal_checks_the_nonce_but_not_the_signature(microsoft: EmulatedMicrosoft) -> None:
    microsoft.cloud.faults.id_token_signing_key = foreign_key()
    client, flow, answer = sign_in(microsoft)

    result = client.acquire_token_by_auth_code_flow(flow, answer)

    assert "id_token" in result  # accepted: the service must verify the signature itself
    microsoft.cloud.faults.id_token_claims = {"nonce": "someone else's"}
    client, flow, answer = sign_in(microsoft)
    with pytest.raises(RuntimeError, match="nonce"):
        client.acquire_token_by_auth_code_flow(flow, answer)


def test_the_token_endpoint_enforces_pkce(microsoft: EmulatedMicrosoft) -> None:
    client, flow, answer = sign_in(microsoft)

    result = client.acquire_token_by_auth_code_flow(
        {**flow, "code_verifier": secrets.token_urlsafe(43)}, answer
    )

    assert result["error"] == "invalid_grant" and "AADSTS501481" in result["error_description"]


def test_an_unregistered_redirect_uri_is_refused_on_microsofts_own_page(
    microsoft: EmulatedMicrosoft,
) -> None:
    client = msal_app(microsoft)
    flow = begin(client, "https://evil.example/cb")

    response = microsoft.session.get(
        flow["auth_uri"], params={"login_as": "alice@contoso.test"}, allow_redirects=False
    )

    assert response.status_code == 400 and "AADSTS50011" in response.text


def test_client_credentials_need_admin_consent_first(microsoft: EmulatedMicrosoft) -> None:
    (tenant,) = microsoft.cloud.tenants.values()
    app = registration(microsoft)
    token_url = f"{LOGIN}/{tenant.tenant_id}/oauth2/v2.0/token"
    form = {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "grant_type": "client_credentials",
        "scope": "https://graph.microsoft.com/.default",
    }

    before = microsoft.session.post(token_url, data=form)
    consent = microsoft.browser.admin_consent(
        f"{LOGIN}/{tenant.tenant_id}/v2.0/adminconsent?client_id={app.client_id}"
        f"&scope=https://graph.microsoft.com/.default&redirect_uri={REDIRECT}&state=s",
        "alice@contoso.test",
    )
    after = microsoft.session.post(token_url, data=form)

    assert before.status_code == 400 and "AADSTS7000229" in before.json()["error_description"]
    assert f"admin_consent=True&tenant={tenant.tenant_id}" in consent
    token = after.json()["access_token"]
    me = microsoft.session.get(
        "https://graph.microsoft.com/v1.0/me", headers={"Authorization": f"Bearer {token}"}
    )
    bob = microsoft.session.get(
        "https://graph.microsoft.com/v1.0/users/bob@contoso.test?$select=displayName,accountEnabled",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert me.status_code == 400  # /me needs a delegated token
    assert bob.json() | {"@odata.context": None} == {
        "@odata.context": None,
        "displayName": "Bob",
        "accountEnabled": True,
    }


def test_graph_says_image_not_found_in_its_error_shape(microsoft: EmulatedMicrosoft) -> None:
    client, flow, answer = sign_in(microsoft, "bob@contoso.test")
    token = client.acquire_token_by_auth_code_flow(flow, answer)["access_token"]

    response = microsoft.session.get(
        "https://graph.microsoft.com/v1.0/me/photo/$value",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "ImageNotFound"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_pkce_challenge_is_the_s256_of_the_verifier(microsoft: EmulatedMicrosoft) -> None:
    flow = begin(msal_app(microsoft))

    digest = hashlib.sha256(flow["code_verifier"].encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert f"code_challenge={challenge}" in flow["auth_uri"]


def test_id_tokens_carry_the_optional_claims_entra_can_emit() -> None:
    """xms_edov (verified domain), wids (directory roles) and, for guests, idp and acct."""
    cloud = MicrosoftCloud()
    contoso = cloud.add_tenant("contoso.test")
    admin = contoso.add_user("ada", "Ada", is_admin=True)
    elsewhere = contoso.add_user("eve", "Eve", mail="eve@fabrikam.test")
    guest = contoso.add_user("gus_fabrikam.test#EXT#", "Gus", mail="gus@contoso.test", guest=True)
    registration = cloud.register_app(["https://app.example/callback"])

    def claims_of(user: DirectoryUser) -> dict[str, Any]:
        code = AuthorizationCode(
            registration.client_id, "https://app.example/callback",
            frozenset({"openid", "email"}), "n", None, user, time.time(),
        )  # fmt: skip
        token = mint_id_token(cloud, "https://login.microsoftonline.com", code)
        return dict(jwt.decode(token, options={"verify_signature": False}))

    assert claims_of(admin)["xms_edov"] is True and claims_of(admin)["wids"] == [
        GLOBAL_ADMINISTRATOR
    ]
    assert claims_of(elsewhere)["xms_edov"] is False and "wids" not in claims_of(elsewhere)
    assert claims_of(guest)["acct"] == 1 and claims_of(guest)["xms_edov"] is False
    assert claims_of(guest)["idp"] != claims_of(guest)["iss"]
