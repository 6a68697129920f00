"""Verifying Microsoft's id_tokens, as OpenID Connect Core 1.0 §3.1.3.7 requires.

msal 1.38+ only decodes the id_token ("The SDK should not perform any ID Token validation",
AzureAD/microsoft-authentication-library-for-python#911), so the service checks it itself:

1. the header's `alg` is RS256 and the signature verifies with the key its `kid` names, from the
   JWKS of Microsoft's OpenID configuration, fetched through the service's HTTP session (PyJWT's
   `PyJWKClient` would use urllib and bypass it), cached, and fetched again once on an unknown
   `kid` (Microsoft identity platform, "Signing key rollover");
2. `iss` equals the configuration's issuer with `{tenantid}` replaced by the token's `tid`, which
   must be a GUID (Microsoft identity platform, "Validate the issuer" for multi-tenant apps);
3. `aud` is this app's client id (a single audience);
4. `exp`, `nbf` and `iat` hold, with two minutes' leeway for clock skew;
5. `nonce` is this flow's (msal sends SHA-256 hex of its secret nonce; msal checks it too);
6. `oid` is a GUID: with `tid` it is the only stable, non-reassignable key of a user (Microsoft
   identity platform, "Claims validation"); names and addresses are only used to find the
   Kinabase account the first time (`sso.accounts`), as far as the claims below allow.

Optional claims read for that: `xms_edov` (the address's domain is verified by the tenant: the
only case in which `email` may be trusted), `acct` (1 for a guest) and `idp` (present and not
the issuer for guests), and `wids` (the user's directory roles, for connecting a tenant). The app
registration must emit them (README, "Register the app").
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import requests

from graph.signing_keys import KeysUnreadable, OpenIdKeys
from sso.errors import InvalidIdToken, MicrosoftUnavailable

LEEWAY = timedelta(minutes=2)
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "nbf", "iat", "tid", "oid", "nonce"]
# What a failed check tells the person; PyJWT's own message goes to the log only.
_REASONS: list[tuple[type[jwt.InvalidTokenError], str]] = [
    (jwt.ExpiredSignatureError, "it has expired"),
    (jwt.ImmatureSignatureError, "it is not valid yet"),
    (jwt.InvalidAudienceError, "it was issued for another application"),
    (jwt.MissingRequiredClaimError, "a required claim is missing"),
    (jwt.InvalidSignatureError, "its signature does not verify"),
]


@dataclass(frozen=True)
class MicrosoftIdentity:
    """Who signed in, as a verified id_token says."""

    tenant_id: str
    object_id: str
    username: str | None  # preferred_username: the UPN for work accounts; mutable
    email: str | None  # unverified unless `email_verified`
    name: str | None
    email_verified: bool = False  # `xms_edov`: the tenant verified the address's domain
    guest: bool = False  # a B2B guest of the tenant (`acct` = 1, or `idp` ≠ `iss`)
    directory_roles: frozenset[str] = frozenset()  # `wids`: directory role template ids

    @property
    def member(self) -> bool:
        """Whether the account is a member of the token's tenant, not a guest in it."""
        return not self.guest and "#ext#" not in (self.username or "").lower()


class SigningKeys:
    """Microsoft's issuer template and signing keys, from the multi-tenant OpenID configuration
    (`graph.signing_keys`; an unknown `kid` is fetched again at once)."""

    def __init__(self, authority_host: str) -> None:
        self._keys = OpenIdKeys(
            f"{authority_host.rstrip('/')}/organizations/v2.0/.well-known/openid-configuration",
            throttle_unknown_kids=False,
        )

    def issuer_and_key(self, http: requests.Session, kid: str) -> tuple[str, jwt.PyJWK]:
        """The issuer template and the key for `kid`; InvalidIdToken for a key not listed."""
        try:
            issuer, key = self._keys.issuer_and_key(http, kid)
        except KeysUnreadable as error:
            raise MicrosoftUnavailable(
                "Microsoft's signing keys could not be read. Try again later."
            ) from error
        if key is None:
            raise InvalidIdToken("The sign-in token is signed with a key Microsoft does not list.")
        return issuer, key


def nonce_hash(nonce: str) -> str:
    """What msal sends as `nonce` (and Microsoft echoes): the SHA-256 hex of the flow's nonce."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def verify_id_token(
    id_token: str, *, client_id: str, nonce: str, keys: SigningKeys, http: requests.Session
) -> MicrosoftIdentity:
    """The identity in a valid id_token, or InvalidIdToken saying which check failed."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.DecodeError:
        raise InvalidIdToken("The sign-in token is malformed.") from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise InvalidIdToken("The sign-in token is not signed the way Microsoft signs.")
    issuer_template, key = keys.issuer_and_key(http, header["kid"])
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256"],
            audience=client_id,
            leeway=LEEWAY,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as error:
        reason = next((text for kind, text in _REASONS if isinstance(error, kind)), "it is invalid")
        raise InvalidIdToken(f"The sign-in token was refused: {reason}.") from error
    tenant_id, object_id = str(claims["tid"]), str(claims["oid"])
    if claims["aud"] != client_id:
        raise InvalidIdToken("The sign-in token was refused: it names several audiences.")
    if not GUID.match(tenant_id) or not GUID.match(object_id):
        raise InvalidIdToken("The sign-in token was refused: its tenant or user id is malformed.")
    if claims["iss"] != issuer_template.replace("{tenantid}", tenant_id):
        raise InvalidIdToken("The sign-in token was refused: another issuer made it.")
    if not hmac.compare_digest(str(claims["nonce"]), nonce_hash(nonce)):
        raise InvalidIdToken("The sign-in token was refused: it belongs to another sign-in.")
    return MicrosoftIdentity(
        tenant_id=tenant_id,
        object_id=object_id,
        username=_text(claims.get("preferred_username")),
        email=_text(claims.get("email")),
        name=_text(claims.get("name")),
        email_verified=_true(claims.get("xms_edov")),
        guest=_true(claims.get("acct")) or claims.get("idp", claims["iss"]) != claims["iss"],
        directory_roles=frozenset(
            str(role).lower() for role in claims.get("wids") or () if isinstance(role, str)
        ),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _true(value: Any) -> bool:
    """An optional boolean claim: Entra writes `xms_edov` as true or "1", `acct` as 1."""
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return value is True or value == 1
