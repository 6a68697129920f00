"""Bearer-token authentication of provisioning clients (RFC 7644 §2, RFC 6750).

The token identifies the organisation; everything the request reads or writes is scoped to it.
A missing, unknown or revoked token is a 401 with a SCIM Error body and a `WWW-Authenticate`
challenge — nothing says whether a token ever existed.
"""

from __future__ import annotations

from flask import g

from kinabase.provisioning_tokens import record_use, use_is_stale, verify_token
from kinabase_m365.database import get_database
from scim_server.protocol.errors import Unauthorized

WWW_AUTHENTICATE = 'Bearer realm="kinabase-m365 SCIM"'


def authenticate(authorization: str | None) -> int:
    """The organisation id that the `Authorization` header's bearer token belongs to."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("authentication is required: send Authorization: Bearer <token>")
    database = get_database()
    # Short transactions of its own, before the request's: a read request stays a read, the
    # request's writing transaction is not held up, and a failed request still counts as a use.
    with database.read_sessions() as session:
        token = verify_token(session, credentials.strip())
        if token is None:
            raise Unauthorized("the bearer token is not valid")
        org_id, token_id, stale = token.org_id, token.id, use_is_stale(token)
    if stale:
        with database.write_sessions() as session:
            record_use(session, token_id)
            session.commit()
    return org_id


def current_org_id() -> int:
    """The organisation of the authenticated request."""
    org_id: int = g.scim_org_id
    return org_id
