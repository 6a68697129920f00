"""Verifying the Entra access tokens the task pane sends for the service's own API.

The task pane asks Entra (nested app authentication, or a dialog sign-in) for a token with the
scope `<Application ID URI>/access_as_user`; Entra issues it for this app registration, so the
service verifies it itself, as any web API does ("Protected web API: Verify scopes and app
roles", "Access tokens: validate tokens"):

1. the header's `alg` is RS256 and the signature verifies with the key its `kid` names, from the
   JWKS of the token tenant's OpenID configuration (`{authority}/{tid}/v2.0/.well-known/…`), read
   through the service's one HTTP session to Microsoft and cached per tenant for 24 h by
   `graph.signing_keys`; an unknown `kid` fetches the keys again, at most once a minute per
   tenant (key rollover, without letting forged `kid`s make the service hammer Microsoft);
2. `aud` is the API's Application ID URI (`api://<client id>` unless configured) or the client id
   itself (Entra writes the client id in v2.0 tokens, the URI in v1.0 ones);
3. `iss` is the tenant's v2.0 issuer (`https://login.microsoftonline.com/{tid}/v2.0`, from the
   configuration) or the v1.0 one (`https://sts.windows.net/{tid}/`), with the token's own `tid`;
4. `exp`, `nbf` and `iat` hold, with two minutes' leeway for clock skew;
5. it is a delegated token carrying the scope `access_as_user` in `scp` (an app-only token has
   `roles` instead and acts for no one), with GUIDs for `tid` and `oid`.

Only tenants bound to an organisation get this far (`outlook.auth` looks the tenant up before
any key is fetched), so a token naming an arbitrary tenant costs Microsoft nothing. Legacy
Exchange identity tokens (`appctxsender`, `isbrowserhostedapp`) are not signed by Entra's keys
and fail step 1.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import requests

from graph.signing_keys import KeysUnreadable, OpenIdKeys
from outlook.errors import MicrosoftUnreachable, TokenRefused

SCOPE = "access_as_user"
LEEWAY = timedelta(minutes=2)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
V1_ISSUER = "https://sts.windows.net/{tid}/"
REQUIRED_CLAIMS = ["iss", "aud", "exp", "nbf", "iat", "tid", "oid"]
# What a failed check tells the person; PyJWT's own message goes nowhere else.
_REASONS: list[tuple[type[jwt.InvalidTokenError], str]] = [
    (jwt.ExpiredSignatureError, "Your sign-in has expired. Sign in again."),
    (jwt.ImmatureSignatureError, "Your sign-in is not valid yet. Check this device's clock."),
    (jwt.InvalidAudienceError, "The sign-in token was issued for another application."),
    (jwt.MissingRequiredClaimError, "The sign-in token lacks a claim Kinabase needs."),
    (jwt.InvalidSignatureError, "The sign-in token's signature does not verify."),
]


@dataclass(frozen=True)
class ApiIdentity:
    """Who the verified token speaks for."""

    tenant_id: str
    object_id: str
    name: str | None


def audiences(client_id: str, identifier_uri: str) -> list[str]:
    """The audiences the API accepts: its Application ID URI and its client id."""
    return [identifier_uri or f"api://{client_id}", client_id]


def unverified_tenant(token: str) -> str:
    """The `tid` a token claims, before anything is verified (to find the organisation)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.DecodeError:
        raise TokenRefused("The sign-in token is malformed.") from None
    tenant_id = claims.get("tid")
    if not isinstance(tenant_id, str) or not GUID.match(tenant_id.lower()):
        raise TokenRefused("The sign-in token names no Microsoft 365 tenant.")
    return tenant_id.lower()


class TenantKeys:
    """Each tenant's issuer and signing keys, from its OpenID configuration
    (`graph.signing_keys`: cached, an unknown `kid` fetched again at most once a minute)."""

    def __init__(self, authority_host: str) -> None:
        self._authority = authority_host.rstrip("/")
        self._lock = threading.Lock()
        self._tenants: dict[str, OpenIdKeys] = {}

    def issuer_and_key(self, http: requests.Session, tenant_id: str, kid: str) -> tuple[str, Any]:
        """The tenant's v2.0 issuer and the key `kid` names; TokenRefused for an unknown kid."""
        with self._lock:
            keys = self._tenants.get(tenant_id)
            if keys is None:
                url = f"{self._authority}/{tenant_id}/v2.0/.well-known/openid-configuration"
                keys = self._tenants[tenant_id] = OpenIdKeys(url)
        try:
            issuer, key = keys.issuer_and_key(http, kid)
        except KeysUnreadable as error:
            raise MicrosoftUnreachable(
                "Microsoft's signing keys could not be read. Try again later."
            ) from error
        if key is None:
            raise TokenRefused("The sign-in token is signed with a key Microsoft does not list.")
        return issuer.replace("{tenantid}", tenant_id), key.key


def verify_access_token(
    token: str,
    *,
    tenant_id: str,
    accepted_audiences: list[str],
    keys: TenantKeys,
    http: requests.Session,
) -> ApiIdentity:
    """The identity of a valid access token of `tenant_id` for this API, or TokenRefused."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise TokenRefused("The sign-in token is malformed.") from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise TokenRefused("The sign-in token is not signed the way Microsoft signs.")
    issuer, key = keys.issuer_and_key(http, tenant_id, header["kid"])
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=accepted_audiences,
            leeway=LEEWAY,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as error:
        reason = next(
            (text for kind, text in _REASONS if isinstance(error, kind)),
            "The sign-in token is not valid.",
        )
        raise TokenRefused(reason) from error
    if not isinstance(claims["aud"], str):
        raise TokenRefused("The sign-in token names several audiences.")
    if str(claims["tid"]).lower() != tenant_id or not GUID.match(str(claims["oid"]).lower()):
        raise TokenRefused("The sign-in token's tenant or user id is malformed.")
    if claims["iss"] not in (issuer, V1_ISSUER.format(tid=tenant_id)):
        raise TokenRefused("The sign-in token was issued by another tenant.")
    scopes = str(claims.get("scp") or "").split()
    if SCOPE not in scopes:
        raise TokenRefused(
            f"The sign-in token does not let the add-in act for you (it lacks the scope {SCOPE})."
        )
    name = claims.get("name")
    return ApiIdentity(
        tenant_id=tenant_id,
        object_id=str(claims["oid"]).lower(),
        name=name if isinstance(name, str) and name else None,
    )
