"""The tables of sign-in: flows in progress at Microsoft, and sessions that were ended.

A `SignInFlow` is the server-side state of one trip to Microsoft: msal's auth code flow (state,
PKCE verifier, nonce, redirect URI) or an admin consent's state. The browser holds only a random
key in a cookie; the row is found by the key's SHA-256, lives ten minutes and is used once.

A `RevokedSession` ends every token of one sign-in (access and refresh alike share its session
id), so logout cannot be undone by a token the server never saw again.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow


class FlowPurpose(enum.StrEnum):
    """Why the browser went to Microsoft."""

    SIGN_IN = "sign_in"  # a user signs in to Kinabase
    CONNECT = "connect"  # an administrator signs in to learn their tenant, before consent
    ADMIN_CONSENT = "admin_consent"  # a Microsoft 365 administrator approves the connection


class SignInFlow(Base):
    """One pending trip to Microsoft, keyed by the hash of the browser's flow cookie."""

    __tablename__ = "sign_in_flows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[FlowPurpose] = mapped_column(
        Enum(
            FlowPurpose,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # The administrator who asked to connect Microsoft 365 (CONNECT and ADMIN_CONSENT only).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The tenant of the administrator's verified id_token (ADMIN_CONSENT only).
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    # msal's auth code flow, or {"state": …} for admin consent; plus "next" for sign-in.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RevokedSession(Base):
    """A signed-out session: its tokens are refused until they would have expired anyway."""

    __tablename__ = "revoked_sessions"

    session_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # When the session's longest-lived token expires; the row is useless afterwards.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ThrottleCounter(Base):
    """A fixed-window counter of failed password sign-ins (`sso.throttle`), kept in the database
    so that every worker and machine counts together; the key names the limit and who it is for
    (a hashed account or a client address), never an address in clear."""

    __tablename__ = "sign_in_throttle_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch when the window ends (what the `limits` library works with).
    expires_at: Mapped[float] = mapped_column(Float, index=True)
