"""Provisioning tokens: random, stored only as a hash, revocable."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation
from kinabase.provisioning_tokens import (
    ProvisioningToken,
    hash_token,
    issue_token,
    record_use,
    revoke_token,
    use_is_stale,
    verify_token,
)


def test_a_token_is_stored_only_as_its_hash(session: Session) -> None:
    acme = create_organisation(session, "Acme")
    issued = issue_token(session, acme.id, "entra")
    session.commit()

    stored = session.scalars(select(ProvisioningToken)).one()
    assert stored.token_hash == hash_token(issued.secret)
    assert issued.secret not in {str(v) for v in vars(stored).values()}
    # 32 random bytes, base64url: at least 256 bits of entropy after the prefix.
    assert len(issued.secret.removeprefix("kbm365_")) >= 43


def test_verification_finds_the_organisation_and_records_use(session: Session) -> None:
    acme = create_organisation(session, "Acme")
    issued = issue_token(session, acme.id)
    assert issued.record.last_used_at is None

    verified = verify_token(session, issued.secret)

    assert verified is not None and verified.org_id == acme.id
    assert use_is_stale(verified)
    record_use(session, verified.id)
    session.refresh(verified)
    assert verified.last_used_at is not None and not use_is_stale(verified)
    assert verify_token(session, issued.secret + "x") is None
    assert verify_token(session, "") is None


def test_revoked_tokens_no_longer_verify(session: Session) -> None:
    acme = create_organisation(session, "Acme")
    issued = issue_token(session, acme.id)
    other = issue_token(session, acme.id)

    revoke_token(session, issued.record.id)
    revoke_token(session, issued.record.id)  # idempotent

    assert verify_token(session, issued.secret) is None
    assert verify_token(session, other.secret) is not None
