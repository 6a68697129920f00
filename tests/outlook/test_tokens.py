"""Bearer tokens of the add-in API: Entra access tokens for the service's own API, verified
(signature, audience, issuer with tid, times, scope) and mapped to an active Kinabase user."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import urlencode

import jwt
import pytest

from graph import signing_keys
from tests.emulators.keys import foreign_key
from tests.outlook.conftest import World


def _refused(world: World, token: str, status: int = 401) -> str:
    response = world.call("GET", "/me", token=token)
    assert response.status_code == status, response.text
    message: str = response.json["message"]
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    return message


def test_a_v2_token_for_the_client_id_identifies_the_user(world: World) -> None:
    response = world.call("GET", "/me", world.acme.directory["grace"])

    assert response.status_code == 200, response.text
    assert response.json["user"] == {
        "id": world.acme.user_ids["grace"],
        "name": "Grace Acme",
        "email": "grace@contoso.test",
    }
    assert response.json["organisation"]["id"] == world.acme.org_id
    assert response.json["collections"]["contacts"]["canEdit"] is True


def test_a_v1_token_for_the_api_uri_from_sts_is_accepted(world: World) -> None:
    token = world.token(world.acme.directory["grace"], version="1.0")
    assert jwt.decode(token, options={"verify_signature": False})["iss"].startswith(
        "https://sts.windows.net/"
    )

    assert world.call("GET", "/me", token=token).status_code == 200


def test_the_config_tells_msal_what_to_ask_for_without_a_token(world: World) -> None:
    response = world.app.test_client().get("/outlook/api/config")

    assert response.status_code == 200
    assert response.json == {
        "clientId": world.registration.client_id,
        "scope": f"api://{world.registration.client_id}/access_as_user",
        "authority": "https://login.microsoftonline.com/organizations",
    }


def test_no_token_or_another_scheme_is_refused(world: World) -> None:
    assert world.call("GET", "/me").status_code == 401
    response = world.call("GET", "/me", headers={"Authorization": "Basic Z3JhY2U6eA=="})
    assert response.status_code == 401
    assert response.json == {"message": "Sign in to use Kinabase in Outlook."}


def test_a_token_for_another_application_is_refused(world: World) -> None:
    token = world.token(world.acme.directory["grace"], audience="https://graph.microsoft.com")

    assert _refused(world, token) == "The sign-in token was issued for another application."


def test_an_expired_token_is_refused_beyond_the_leeway(world: World) -> None:
    person = world.acme.directory["grace"]
    late = world.token(person, now=time.time() - 3600 - 100)  # expired 100 s ago: leeway
    expired = world.token(person, now=time.time() - 3600 - 300)

    assert world.call("GET", "/me", token=late).status_code == 200
    assert _refused(world, expired) == "Your sign-in has expired. Sign in again."


def test_a_token_not_valid_yet_is_refused(world: World) -> None:
    token = world.token(world.acme.directory["grace"], now=time.time() + 600)

    assert "not valid yet" in _refused(world, token)


def test_a_forged_signature_is_refused(world: World) -> None:
    person = world.acme.directory["grace"]
    forged = world.token(person, signing_key=foreign_key())
    header = jwt.get_unverified_header(world.token(person))
    claims = jwt.decode(world.token(person), options={"verify_signature": False})
    same_kid = jwt.encode(claims, foreign_key().private_pem, algorithm="RS256", headers=header)
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": header["kid"]})

    assert "key Microsoft does not list" in _refused(world, forged)
    assert _refused(world, same_kid) == "The sign-in token's signature does not verify."
    assert "not signed the way Microsoft signs" in _refused(world, unsigned)


def test_a_token_of_a_tenant_not_connected_is_refused_before_keys_are_fetched(
    world: World,
) -> None:
    stranger_tenant = world.cloud.add_tenant("stranger.test")
    stranger = stranger_tenant.add_user("sam", "Sam Stranger")

    message = _refused(world, world.token(stranger), status=403)

    assert "not connected to Kinabase" in message
    assert world.microsoft.requests_to("/keys") == []


def test_a_token_whose_issuer_is_another_tenant_is_refused(world: World) -> None:
    grace = world.acme.directory["grace"]
    other = world.globex.tenant.tenant_id
    token = world.token(grace, issuer=f"https://login.microsoftonline.com/{other}/v2.0")

    assert _refused(world, token) == "The sign-in token was issued by another tenant."


def test_a_user_of_one_tenant_never_reaches_the_other_organisation(world: World) -> None:
    # A token of Acme's tenant naming Globex's Grace: her object id is no Acme user's.
    grace_of_globex = world.globex.directory["grace"]
    token = world.token(grace_of_globex, tenant_id=world.acme.tenant.tenant_id)

    assert "does not know your Microsoft account" in _refused(world, token, 403)


def test_an_app_only_token_or_one_without_the_scope_is_refused(world: World) -> None:
    grace = world.acme.directory["grace"]
    app_only = world.token(grace, extra_claims={"scp": None, "roles": ["User.Read.All"]})
    other_scope = world.token(grace, scopes=("Files.Read",))

    assert "lacks the scope access_as_user" in _refused(world, app_only)
    assert "lacks the scope access_as_user" in _refused(world, other_scope)


def test_a_malformed_token_or_one_without_a_tenant_is_refused(world: World) -> None:
    grace = world.acme.directory["grace"]

    assert _refused(world, "not-a-jwt") == "The sign-in token is malformed."
    no_tenant = world.token(grace, extra_claims={"tid": None})
    assert _refused(world, no_tenant) == "The sign-in token names no Microsoft 365 tenant."


def test_unknown_deactivated_and_invited_users_are_refused(world: World) -> None:
    directory = world.acme.directory

    assert "does not know your Microsoft account" in _refused(
        world, world.token(directory["nora"]), 403
    )
    assert _refused(world, world.token(directory["dave"]), 403) == (
        "Your Kinabase account is deactivated."
    )
    assert "not active yet" in _refused(world, world.token(directory["ivan"]), 403)


def test_the_identifier_uri_configured_is_an_accepted_audience(world: World) -> None:
    from kinabase_m365.app import create_app  # noqa: PLC0415
    from kinabase_m365.database import get_database  # noqa: PLC0415

    uri = f"api://addin.kinabase.example/{world.registration.client_id}"
    app = create_app(
        {
            "database_url": str(world.database.engine.url.render_as_string(hide_password=False)),
            "environment": "test",
            "secret_key": "test-secret-key",
            "microsoft_client_id": world.registration.client_id,
            "microsoft_client_secret": world.registration.client_secret or "",
            "outlook_api_identifier_uri": uri,
        },
        http_session=world.microsoft.session,
    )
    token = world.token(world.acme.directory["grace"], audience=uri)
    client = app.test_client()
    try:
        assert client.get("/outlook/api/config").json["scope"] == f"{uri}/access_as_user"
        response = client.get("/outlook/api/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
    finally:
        get_database(app).engine.dispose()


def test_signing_keys_are_fetched_once_per_tenant(world: World) -> None:
    grace = world.acme.directory["grace"]
    for _ in range(3):
        assert world.call("GET", "/me", grace).status_code == 200

    assert len(world.microsoft.requests_to("/keys")) == 1


def test_keys_rolled_over_are_fetched_again(world: World) -> None:
    grace = world.acme.directory["grace"]
    assert world.call("GET", "/me", grace).status_code == 200
    world.cloud.keys.roll_over()

    # Within a minute of the last fetch an unknown kid is refused without asking Microsoft …
    assert "does not list" in _refused(world, world.token(grace))
    assert len(world.microsoft.requests_to("/keys")) == 1


def test_a_rolled_over_key_is_fetched_again_after_the_refetch_interval(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    grace = world.acme.directory["grace"]
    assert world.call("GET", "/me", grace).status_code == 200
    world.cloud.keys.roll_over()
    monkeypatch.setattr(signing_keys, "REFETCH_INTERVAL_SECONDS", 0.0)

    assert world.call("GET", "/me", grace).status_code == 200
    assert len(world.microsoft.requests_to("/keys")) == 2


def test_the_token_entra_issues_for_the_api_scope_is_accepted(world: World) -> None:
    """The whole round trip at the Entra emulator: authorization code with PKCE for the scope
    `api://<client id>/access_as_user`, as MSAL.js asks in the task pane; the access token
    Entra answers with is a JWT for the API, which the service accepts."""
    client_id = world.registration.client_id
    redirect_uri = "https://localhost/outlook/taskpane"
    world.registration.redirect_uris.append(redirect_uri)
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    scope = world.app.test_client().get("/outlook/api/config").json["scope"]
    authority = f"https://login.microsoftonline.com/{world.acme.tenant.tenant_id}/oauth2/v2.0"
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "response_mode": "form_post",
            "scope": f"openid profile {scope}",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
        }
    )
    grace = world.acme.directory["grace"]
    form = world.microsoft.browser.sign_in(
        f"{authority}/authorize?{query}", grace.user_principal_name
    )
    answer = world.microsoft.session.post(
        f"{authority}/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": world.registration.client_secret,
            "code": form.fields["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    ).json()
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})

    assert claims["aud"] == client_id and claims["scp"] == "access_as_user"
    response = world.call("GET", "/me", token=answer["access_token"])
    assert response.status_code == 200, response.text
    assert response.json["user"]["id"] == world.acme.user_ids["grace"]
