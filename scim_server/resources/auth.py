"""Bearer-token authentication of provisioning clients (RFC 7644 §2, RFC 6750).

Two kinds of bearer token are accepted: a provisioning token (`kinabase-m365 token create`), and
an access token that the token endpoint issued to an OAuth client (`scim_server.resources.oauth`).
Either identifies the organisation; everything the request reads or writes is scoped to it.
A missing, unknown, expired or revoked token is a 401 with a SCIM Error body and a
`WWW-Authenticate` challenge — nothing says whether a token ever existed.

An access token is checked on every use against its client's row: revoking the client
(`kinabase-m365 client revoke`) ends its unexpired tokens at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request

from kinabase.provisioning_clients import live_client
from kinabase.provisioning_tokens import record_use, use_is_stale, verify_token
from kinabase_m365.database import db_session, get_database, is_writing, lookup_session
from kinabase_m365.runtime import current_settings
from scim_server.protocol.errors import Unauthorized
from scim_server.resources.access_tokens import (
    AccessTokenInvalid,
    looks_like_access_token,
    read_access_token,
    signing_key,
)

WWW_AUTHENTICATE = 'Bearer realm="kinabase-m365 SCIM"'


@dataclass(frozen=True)
class Credential:
    """Who a request acts for: the organisation, and the credential (never its secret)."""

    org_id: int
    kind: str  # "token" (a provisioning token) or "client" (an OAuth client's access token)
    id: str  # the provisioning token's row id, or the OAuth client id
    label: str = ""  # the label an administrator gave the token or client

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def described(self) -> str:
        """How the provisioning activity names it: `token "Entra" (#3)`, `client "Okta" (kbc_…)`."""
        return f'{self.kind} "{self.label}" ({self.id})' if self.label else f"{self.kind} {self.id}"


def authenticate_credential(authorization: str | None) -> Credential:
    """The credential that the `Authorization` header's bearer token stands for.

    A provisioning token is looked up on `lookup_session()`: the request's own transaction, but
    on SQLite a write's lookup runs before it takes the write lock, so a token revoked while
    such a write waits for the lock does not stop that write (it stops every request that
    arrives after the revocation's commit). Its last use is recorded at
    most once a minute: by a writing request in its own transaction, by a reading one in a short
    transaction of its own, so that reads stay reads. An access token's signature, expiry and
    audience are checked, then its client's row (one primary-key read).
    """
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("authentication is required: send Authorization: Bearer <token>")
    if looks_like_access_token(credentials.strip()):
        return _authenticate_access_token(credentials.strip())
    with lookup_session() as lookup:
        token = verify_token(lookup, credentials.strip())
    if token is None:
        raise Unauthorized("the bearer token is not valid")
    if use_is_stale(token):
        if is_writing():
            record_use(db_session(), token.id)
        else:
            with get_database().write_sessions() as own:
                record_use(own, token.id)
                own.commit()
    return Credential(token.org_id, "token", str(token.id), token.label)


def _authenticate_access_token(token: str) -> Credential:
    try:
        claims = read_access_token(signing_key(current_settings().secret_key), token)
    except AccessTokenInvalid as error:
        raise Unauthorized(str(error)) from None
    with lookup_session() as lookup:
        client = live_client(lookup, claims.client_row_id, claims.org_id)
    if client is None:
        raise Unauthorized("the bearer token is not valid")
    return Credential(client.org_id, "client", client.client_id, client.label)


def authenticate_again() -> None:
    """Authenticate the request once more, on the session that replaced a discarded one.

    A write that the database aborted for a conflict is run again on a fresh session
    (`retries.retry_on_conflict`); the token's last use, which authentication recorded in the
    discarded transaction, went with it. Authenticating again records it in the transaction that
    commits, and refuses the write if the token was revoked in between.
    """
    credential = authenticate_credential(request.headers.get("Authorization"))
    g.scim_org_id = credential.org_id
    g.scim_credential = credential


def current_org_id() -> int:
    """The organisation of the authenticated request."""
    org_id: int = g.scim_org_id
    return org_id


def current_credential() -> Credential | None:
    """The credential of the request, once authenticated (None before, or if refused)."""
    credential: Credential | None = g.get("scim_credential")
    return credential
