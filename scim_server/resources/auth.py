"""Bearer-token authentication of provisioning clients (RFC 7644 §2, RFC 6750).

The token identifies the organisation; everything the request reads or writes is scoped to it.
A missing, unknown or revoked token is a 401 with a SCIM Error body and a `WWW-Authenticate`
challenge — nothing says whether a token ever existed.
"""

from __future__ import annotations

from flask import g, request

from kinabase.provisioning_tokens import record_use, use_is_stale, verify_token
from kinabase_m365.database import db_session, get_database, is_writing
from scim_server.protocol.errors import Unauthorized

WWW_AUTHENTICATE = 'Bearer realm="kinabase-m365 SCIM"'


def authenticate(authorization: str | None) -> int:
    """The organisation id that the `Authorization` header's bearer token belongs to.

    The token is looked up in the request's own transaction. Its last use is recorded at most
    once a minute: by a writing request in its own transaction, by a reading one in a short
    transaction of its own, so that reads stay reads.
    """
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("authentication is required: send Authorization: Bearer <token>")
    session = db_session()
    token = verify_token(session, credentials.strip())
    if token is None:
        raise Unauthorized("the bearer token is not valid")
    if use_is_stale(token):
        if is_writing():
            record_use(session, token.id)
        else:
            with get_database().write_sessions() as own:
                record_use(own, token.id)
                own.commit()
    return token.org_id


def authenticate_again() -> None:
    """Authenticate the request once more, on the session that replaced a discarded one.

    A write that the database aborted for a conflict is run again on a fresh session
    (`retries.retry_on_conflict`); the token's last use, which authentication recorded in the
    discarded transaction, went with it. Authenticating again records it in the transaction that
    commits, and refuses the write if the token was revoked in between.
    """
    g.scim_org_id = authenticate(request.headers.get("Authorization"))


def current_org_id() -> int:
    """The organisation of the authenticated request."""
    org_id: int = g.scim_org_id
    return org_id
