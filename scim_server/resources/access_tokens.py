"""Short-lived access tokens for provisioning clients (RFC 6749 §4.4, in the JWT profile of
RFC 9068): what the token endpoint issues and what SCIM authentication accepts.

A token is a JWT signed with HS256 under a key derived from KINABASE_SECRET_KEY for this use
only (`signing_key`), with header `typ: at+jwt`, issuer `kinabase-m365`, audience
`kinabase-m365/scim`, the client id as subject, and the client's row id and organisation as
`cid` and `org`. Browser sessions (sso.sessions) sign their tokens under another derived key and
another audience and type, so a session token never verifies as a SCIM token, nor a SCIM token as
a session token: each check would fail on the key alone.

PyJWT is used directly rather than flask-jwt-extended, whose one app-wide configuration belongs to
the cookie sessions: its decoder would accept session tokens here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import jwt

ISSUER = "kinabase-m365"
AUDIENCE = "kinabase-m365/scim"
TOKEN_TYPE = "at+jwt"  # noqa: S105 - RFC 9068 §2.1's media type, not a secret
ALGORITHM = "HS256"
# Clocks of several machines differ a little; a token is valid this much before `iat`.
LEEWAY_SECONDS = 30


class AccessTokenInvalid(Exception):
    """The token is not one this service issued for SCIM, or it has expired."""


@dataclass(frozen=True)
class AccessTokenClaims:
    """What a valid access token says: which client, of which organisation, until when."""

    client_row_id: int
    client_id: str
    org_id: int
    expires_at: int


def signing_key(secret_key: str) -> bytes:
    """The access-token key: HMAC-SHA256 of a purpose label under the service's secret."""
    return hmac.new(secret_key.encode(), b"kinabase scim access tokens", hashlib.sha256).digest()


def looks_like_access_token(credentials: str) -> bool:
    """Whether a bearer credential is shaped like a JWT (provisioning tokens have no dots)."""
    return credentials.startswith("eyJ") and credentials.count(".") == 2


def issue_access_token(
    key: bytes,
    *,
    client_row_id: int,
    client_id: str,
    org_id: int,
    lifetime_seconds: int,
    now: float | None = None,
) -> str:
    """A signed access token for the client, valid for `lifetime_seconds`."""
    issued_at = int(time.time() if now is None else now)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client_id,
        "client_id": client_id,
        "cid": client_row_id,
        "org": org_id,
        "iat": issued_at,
        "exp": issued_at + lifetime_seconds,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"typ": TOKEN_TYPE})


def read_access_token(key: bytes, token: str) -> AccessTokenClaims:
    """The claims of a valid access token, or AccessTokenInvalid saying why not."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise AccessTokenInvalid("the access token has expired") from None
    except jwt.PyJWTError:
        raise AccessTokenInvalid("the bearer token is not valid") from None
    if header.get("typ") != TOKEN_TYPE:
        raise AccessTokenInvalid("the bearer token is not valid")
    client_row_id, org_id = claims.get("cid"), claims.get("org")
    if not isinstance(client_row_id, int) or not isinstance(org_id, int):
        raise AccessTokenInvalid("the bearer token is not valid")
    return AccessTokenClaims(
        client_row_id=client_row_id,
        client_id=str(claims["sub"]),
        org_id=org_id,
        expires_at=int(claims["exp"]),
    )
