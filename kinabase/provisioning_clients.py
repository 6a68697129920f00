"""OAuth 2.0 clients that provisioning services register to obtain access tokens for one
organisation (RFC 6749 §2, the client credentials grant of §4.4).

Microsoft Entra ID offers this besides a long-lived secret token: it is given a client id and a
client secret, asks the token endpoint for a short-lived access token, and sends that as its
bearer token. The client id is public (`kbc_` and 128 random bits); the secret is 256 random bits
(`kbcs_…`), shown once and stored only as its SHA-256 digest — as random as a provisioning token,
so, like one, it needs no slow hash — and compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from kinabase.base import Base, UtcDateTime, utcnow
from kinabase.errors import NotFound
from kinabase.provisioning_tokens import LAST_USED_PRECISION, hash_token

CLIENT_ID_PREFIX = "kbc_"
CLIENT_SECRET_PREFIX = "kbcs_"  # noqa: S105 - a marker for secret scanners, not a secret
# Spent on an unknown client id, so that the answer takes as long as for a known one.
_UNKNOWN_CLIENT_DIGEST = hash_token("no such client")


class ProvisioningClient(Base):
    """An OAuth client of one organisation's provisioning service."""

    __tablename__ = "provisioning_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class IssuedClient:
    """A newly registered client: the stored row and its secret, which is never stored."""

    record: ProvisioningClient
    secret: str


def register_client(session: Session, org_id: int, label: str = "") -> IssuedClient:
    """Register a client for the organisation; its secret is returned once and never stored."""
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    record = ProvisioningClient(
        org_id=org_id,
        client_id=CLIENT_ID_PREFIX + secrets.token_hex(16),
        label=label,
        secret_hash=hash_token(secret),
    )
    session.add(record)
    session.flush()
    return IssuedClient(record=record, secret=secret)


def authenticate_client(session: Session, client_id: str, secret: str) -> ProvisioningClient | None:
    """The live client with this id and secret, or None (unknown, wrong secret or revoked)."""
    record = session.scalars(
        select(ProvisioningClient).where(ProvisioningClient.client_id == client_id)
    ).first()
    expected = record.secret_hash if record is not None else _UNKNOWN_CLIENT_DIGEST
    matches = hmac.compare_digest(expected, hash_token(secret))
    if record is None or not matches or record.revoked_at is not None:
        return None
    return record


def live_client(session: Session, client_row_id: int, org_id: int) -> ProvisioningClient | None:
    """The client an access token was issued to, if it still exists, for that organisation,
    and is not revoked: checked on every use, so that revoking ends its tokens at once."""
    record = session.get(ProvisioningClient, client_row_id)
    if record is None or record.org_id != org_id or record.revoked_at is not None:
        return None
    return record


def record_client_use(session: Session, client: ProvisioningClient) -> None:
    """Note that the client obtained a token now (to the minute, like provisioning tokens)."""
    last = client.last_used_at
    if last is None or utcnow() - last >= LAST_USED_PRECISION:
        session.execute(
            update(ProvisioningClient)
            .where(ProvisioningClient.id == client.id)
            .values(last_used_at=utcnow())
        )


def list_clients(session: Session, org_id: int) -> list[ProvisioningClient]:
    """The organisation's clients, oldest first (revoked ones included)."""
    return list(
        session.scalars(
            select(ProvisioningClient)
            .where(ProvisioningClient.org_id == org_id)
            .order_by(ProvisioningClient.id)
        )
    )


def revoke_client(session: Session, client_id: str) -> ProvisioningClient:
    """Revoke a client by its client id (idempotent); its access tokens stop working."""
    record = session.scalars(
        select(ProvisioningClient).where(ProvisioningClient.client_id == client_id)
    ).first()
    if record is None:
        raise NotFound(f"no client with id {client_id}")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
    return record
