"""Server-side flow state, bound to the browser that started the trip to Microsoft.

Microsoft answers sign-in with a cross-site form POST (`response_mode=form_post`, which msal
recommends), so nothing of the flow may depend on the Kinabase session cookie (SameSite=Lax, not
sent on that POST). The browser instead gets a random flow key in its own cookie, `SameSite=None;
Secure; HttpOnly`, scoped to the callback paths; the server keeps the flow under the key's
SHA-256. Binding the flow to the browser is what stops login CSRF: a code and state stolen from,
or planted by, someone else's trip do not match this browser's flow (RFC 6749 §10.12).

Browsers accept `Secure` cookies from `http://localhost`, so the flow cookie is always `Secure`,
whatever SESSION_COOKIE_SECURE says.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Request, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kinabase.base import utcnow
from sso.models import FlowPurpose, SignInFlow

FLOW_COOKIE = "kinabase_sign_in_flow"
FLOW_COOKIE_PATH = "/auth/microsoft/"
FLOW_LIFETIME = timedelta(minutes=10)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def begin_flow(
    session: Session,
    purpose: FlowPurpose,
    payload: dict[str, Any],
    *,
    org_id: int | None = None,
    user_id: int | None = None,
    tenant_id: str | None = None,
) -> str:
    """Store a new flow and return the key for the browser's cookie (never stored itself)."""
    now = utcnow()
    session.execute(delete(SignInFlow).where(SignInFlow.expires_at < now))
    key = secrets.token_urlsafe(32)
    session.add(
        SignInFlow(
            key_hash=_hash(key),
            purpose=purpose,
            org_id=org_id,
            user_id=user_id,
            tenant_id=tenant_id,
            payload=payload,
            created_at=now,
            expires_at=now + FLOW_LIFETIME,
        )
    )
    session.flush()
    return key


@dataclass(frozen=True)
class PendingFlow:
    """A flow taken out of the table, ready to be completed."""

    purpose: FlowPurpose
    org_id: int | None
    user_id: int | None
    tenant_id: str | None
    payload: dict[str, Any]


def take_flow(
    session: Session, request: Request, state: str, *purposes: FlowPurpose
) -> PendingFlow | None:
    """Remove and return this browser's live flow for one of `purposes`, if it has one and
    `state` is the flow's own (RFC 6749 §10.12).

    An answer with another state leaves the flow where it is: the flow cookie is SameSite=None,
    so any site can make the browser post junk to the callback, and that must not cancel the
    sign-in in progress. A matching answer deletes the row whatever happens next, so a flow
    serves one answer from Microsoft: a second POST of the same response finds nothing. The
    DELETE … RETURNING makes two concurrent answers race for the row in the database.
    """
    key = request.cookies.get(FLOW_COOKIE)
    if not key or not state:
        return None
    row = session.execute(
        select(SignInFlow.id, SignInFlow.purpose, SignInFlow.payload, SignInFlow.expires_at).where(
            SignInFlow.key_hash == _hash(key)
        )
    ).one_or_none()
    if row is None or row.purpose not in purposes or row.expires_at <= utcnow():
        return None
    if not hmac.compare_digest(state.encode(), _state_of(row.payload).encode()):
        return None
    taken = session.execute(
        delete(SignInFlow)
        .where(SignInFlow.id == row.id)
        .returning(
            SignInFlow.purpose,
            SignInFlow.org_id,
            SignInFlow.user_id,
            SignInFlow.tenant_id,
            SignInFlow.payload,
        )
    ).one_or_none()
    if taken is None:  # a concurrent answer took it
        return None
    return PendingFlow(taken.purpose, taken.org_id, taken.user_id, taken.tenant_id, taken.payload)


def _state_of(payload: dict[str, Any]) -> str:
    """The state a flow expects back: admin consent's own, or msal's auth code flow's."""
    flow = payload.get("flow")
    state = payload.get("state") or (flow.get("state") if isinstance(flow, dict) else None)
    return str(state or "")


def set_flow_cookie(response: Response, key: str) -> None:
    """Give the browser its flow key (sent back on Microsoft's cross-site POST)."""
    response.set_cookie(
        FLOW_COOKIE,
        key,
        max_age=int(FLOW_LIFETIME.total_seconds()),
        path=FLOW_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="None",
    )


def clear_flow_cookie(response: Response) -> None:
    """Forget the flow key once the flow is used."""
    response.delete_cookie(
        FLOW_COOKIE, path=FLOW_COOKIE_PATH, secure=True, httponly=True, samesite="None"
    )
