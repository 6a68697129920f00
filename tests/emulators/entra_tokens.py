"""What the Entra emulator's token endpoint mints and checks: id_tokens, client authentication.

id_tokens follow the Microsoft identity platform's v2.0 shape ("ID token claims reference"):
RS256, `kid` header, `iss` = `https://{host}/{tid}/v2.0`, `aud` = client id, `tid`, `oid`,
`preferred_username`, `name`, `email` (with the `email` scope) with the optional claim `xms_edov`,
`wids` (directory roles: Global Administrator for admins), `idp` and `acct` for guests, `nonce`
echoed exactly as the authorization request sent it, and `ver` 2.0. `cloud.faults` bends any
of these for a test.

Access tokens for Graph are opaque here (clients must not read them); an access token for a
registered app's own API (`api://<client id>/…`, the Outlook add-in's) is a signed JWT, as the
API must verify it: `mint_api_access_token`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import flask
import jwt

from tests.emulators.cloud import (
    GLOBAL_ADMINISTRATOR,
    AccessGrant,
    AppRegistration,
    DirectoryUser,
    MicrosoftCloud,
)
from tests.emulators.keys import SigningKey

CODE_LIFETIME_SECONDS = 600
TOKEN_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class AuthorizationCode:
    """What an authorization code was issued for (RFC 6749 §4.1.2, RFC 7636 §4.4)."""

    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    nonce: str | None
    code_challenge: str | None
    user: DirectoryUser
    issued_at: float


class TokenError(Exception):
    """An error response of the token endpoint (RFC 6749 §5.2), with Entra's AADSTS text."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def client_info(user: DirectoryUser) -> str:
    """Entra's `client_info`: base64url JSON of the user's object id and tenant id."""
    raw = json.dumps({"uid": user.object_id, "utid": user.tenant_id}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def pkce_matches(code_verifier: str, code_challenge: str) -> bool:
    """RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge (method S256)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == code_challenge


def mint_id_token(
    cloud: MicrosoftCloud, base_url: str, code: AuthorizationCode, now: float | None = None
) -> str:
    """A signed id_token for the code's user, bent by `cloud.faults` if a test asks."""
    now = time.time() if now is None else now
    user = code.user
    faults = cloud.faults
    tenant_id = faults.id_token_tenant_id or user.tenant_id
    claims: dict[str, Any] = {
        "aud": code.client_id,
        "iss": f"{base_url}/{tenant_id}/v2.0",
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + TOKEN_LIFETIME_SECONDS,
        "name": user.display_name,
        "oid": user.object_id,
        "preferred_username": user.user_principal_name,
        "sub": hashlib.sha256(f"{user.object_id}:{code.client_id}".encode()).hexdigest()[:43],
        "tid": tenant_id,
        "uti": uuid.uuid4().hex[:22],
        "ver": "2.0",
    }
    if code.nonce is not None:
        claims["nonce"] = code.nonce
    if "email" in code.scopes and user.mail:
        claims["email"] = user.mail
        claims["xms_edov"] = _email_domain_verified(cloud, user)
    if user.is_admin:
        claims["wids"] = [GLOBAL_ADMINISTRATOR]
    if user.guest:
        claims["idp"] = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"
        claims["acct"] = 1
    for name, value in faults.id_token_claims.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    key = faults.id_token_signing_key or cloud.keys.signing_key
    headers = {"kid": key.kid, "x5t": key.kid, **faults.id_token_headers}
    algorithm = headers.pop("alg", "RS256")
    # A forged token signs with what its header claims: a guessable secret, or nothing.
    forged: dict[str, Any] = {"HS256": b"a shared secret an attacker might guess!", "none": None}
    signing_key = forged.get(algorithm, key.private_pem)
    return jwt.encode(claims, signing_key, algorithm=algorithm, headers=headers)


def _email_domain_verified(cloud: MicrosoftCloud, user: DirectoryUser) -> bool:
    """Entra's `xms_edov`: the address is in a domain the user's tenant has verified."""
    if user.email_verified is not None:
        return user.email_verified
    domain = (user.mail or "").rpartition("@")[2].lower()
    return not user.guest and domain == cloud.tenants[user.tenant_id].domain


def authenticate_client(
    cloud: MicrosoftCloud, form: dict[str, str], token_endpoint: str
) -> AppRegistration:
    """The app a token request comes from: client_secret_post or private_key_jwt (RFC 7523)."""
    app = cloud.apps.get(form.get("client_id", ""))
    if app is None:
        raise TokenError(
            "unauthorized_client",
            "AADSTS700016: Application with identifier was not found in the directory.",
        )
    assertion = form.get("client_assertion")
    if assertion:
        _check_client_assertion(app, assertion, token_endpoint)
        return app
    if not app.client_secret or form.get("client_secret") != app.client_secret:
        raise TokenError(
            "invalid_client", "AADSTS7000215: Invalid client secret provided.", status=401
        )
    return app


def _check_client_assertion(app: AppRegistration, assertion: str, token_endpoint: str) -> None:
    if app.certificate_key is None:
        raise TokenError("invalid_client", "AADSTS700027: No certificate is registered.", 401)
    try:
        claims = jwt.decode(
            assertion,
            app.certificate_key.private_key.public_key(),
            algorithms=["RS256", "PS256"],
            audience=token_endpoint,
            options={"require": ["exp", "iss", "sub", "aud", "jti"]},
        )
    except jwt.InvalidTokenError as error:
        raise TokenError(
            "invalid_client", f"AADSTS700027: Client assertion failed: {error}", 401
        ) from None
    if claims["iss"] != app.client_id or claims["sub"] != app.client_id:
        raise TokenError("invalid_client", "AADSTS700023: Client assertion issuer mismatch.", 401)


def check_code(code: AuthorizationCode, form: dict[str, str], client_id: str) -> None:
    """RFC 6749 §4.1.3 and RFC 7636 §4.6: the code's client, redirect URI and PKCE verifier."""
    if time.time() - code.issued_at > CODE_LIFETIME_SECONDS:
        raise TokenError("invalid_grant", "AADSTS70008: The provided authorization code expired.")
    if code.client_id != client_id:
        raise TokenError("invalid_grant", "AADSTS70000: The code was issued to another client.")
    if form.get("redirect_uri") != code.redirect_uri:
        raise TokenError("invalid_grant", "AADSTS70000: The redirect URI does not match.")
    if code.code_challenge is not None and not pkce_matches(
        form.get("code_verifier", ""), code.code_challenge
    ):
        raise TokenError(
            "invalid_grant",
            "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the "
            "authorization request.",
        )


def client_credentials_grant(
    cloud: MicrosoftCloud, client_id: str, tid: str | None, scope: str
) -> flask.Response:
    """RFC 6749 §4.4 as Entra does it: a GUID tenant, a `/.default` scope, admin consent first."""
    if tid is None:
        raise TokenError("invalid_request", "AADSTS700213: A tenant-specific authority is needed.")
    if not scope.endswith("/.default"):
        raise TokenError("invalid_scope", "AADSTS1002012: The provided scope is not valid.")
    if (tid, client_id) not in cloud.consents:
        raise TokenError(
            "unauthorized_client",
            "AADSTS7000229: The client application is missing service principal in the tenant.",
        )
    roles = frozenset(cloud.consents[(tid, client_id)])
    token = cloud.issue_access_token(AccessGrant(tid, client_id, frozenset({scope}), None, roles))
    return flask.jsonify(
        token_type="Bearer",
        expires_in=TOKEN_LIFETIME_SECONDS,
        ext_expires_in=TOKEN_LIFETIME_SECONDS,
        access_token=token,
    )


def mint_api_access_token(
    cloud: MicrosoftCloud,
    user: DirectoryUser,
    client_id: str,
    *,
    base_url: str = "https://login.microsoftonline.com",
    version: str = "2.0",
    audience: str | None = None,
    scopes: tuple[str, ...] = ("access_as_user",),
    tenant_id: str | None = None,
    issuer: str | None = None,
    now: float | None = None,
    lifetime: int = TOKEN_LIFETIME_SECONDS,
    signing_key: SigningKey | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """An access token for the app's own API (`api://<client id>/access_as_user`), as Entra
    issues it to the Outlook task pane by nested app authentication or on behalf of the user.

    v2.0 tokens ("Access token claims reference"): `aud` the client id, `iss`
    `https://{host}/{tid}/v2.0`, `azp`, `preferred_username`; v1.0 tokens: `aud` the Application
    ID URI, `iss` `https://sts.windows.net/{tid}/`, `appid`, `upn`. Both: `tid`, `oid`, `name`,
    `scp` (space-separated scopes), `iat`/`nbf`/`exp`, `ver`. The keyword arguments bend any of
    them for a test (another audience, tenant, lifetime or signing key).
    """
    now = time.time() if now is None else now
    tid = tenant_id or user.tenant_id
    v1 = version == "1.0"
    claims: dict[str, Any] = {
        "aud": audience or (f"api://{client_id}" if v1 else client_id),
        "iss": issuer or (f"https://sts.windows.net/{tid}/" if v1 else f"{base_url}/{tid}/v2.0"),
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + lifetime,
        "name": user.display_name,
        "oid": user.object_id,
        "scp": " ".join(scopes),
        "sub": hashlib.sha256(f"{user.object_id}:{client_id}:api".encode()).hexdigest()[:43],
        "tid": tid,
        "uti": uuid.uuid4().hex[:22],
        "ver": version,
        **({"appid": client_id, "upn": user.user_principal_name} if v1 else {}),
        **({} if v1 else {"azp": client_id, "preferred_username": user.user_principal_name}),
    }
    for name, value in (extra_claims or {}).items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    key = signing_key or cloud.keys.signing_key
    return jwt.encode(
        claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid, "x5t": key.kid}
    )


def api_scopes(scopes: frozenset[str], cloud: MicrosoftCloud) -> tuple[str, str] | None:
    """(client id, scope) when the request asks for a registered app's own API
    (`api://<client id>/<scope>`), else None."""
    for scope in scopes:
        resource, _, name = scope.rpartition("/")
        if resource.startswith("api://") and resource[len("api://") :] in cloud.apps and name:
            return resource[len("api://") :], name
    return None
