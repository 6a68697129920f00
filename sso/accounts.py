"""Which Kinabase user a sign-in is for, and whether that user may come in.

A Microsoft identity is matched within the organisation bound to its tenant only:

1. by object id (`oid`, recorded at the first Microsoft sign-in) — the only key that cannot be
   reassigned to someone else;
2. else by userName / UPN (`preferred_username`), then by email, case-insensitively — but only
   to an account not yet linked to another Microsoft identity. These values are mutable and set by
   the tenant's administrators; scoping the match to the tenant's own organisation keeps one
   tenant from claiming another's accounts. Once matched, the oid is recorded and used from then
   on.

Admission is the same for every method: deactivated users are refused; an invited user who signs
in accepts the invitation and becomes active, which takes a licence seat.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinabase.errors import LicenceExhausted
from kinabase.licences import activate_user
from kinabase.organisations import Organisation
from kinabase.users import User, UserStatus, find_user_by_email, find_user_by_entra_object_id
from sso.errors import AccountRefused
from sso.id_token import MicrosoftIdentity


def find_user_by_principal_name(session: Session, org_id: int, name: str) -> User | None:
    """The organisation's user with this userName / UPN, compared case-insensitively."""
    return session.scalars(
        select(User).where(
            User.org_id == org_id, func.lower(User.user_principal_name) == name.lower()
        )
    ).first()


def match_microsoft_user(
    session: Session, organisation: Organisation, identity: MicrosoftIdentity
) -> User:
    """The organisation's user this Microsoft identity signs in as, or AccountRefused."""
    user = find_user_by_entra_object_id(session, organisation.id, identity.object_id)
    if user is not None:
        return user
    candidates = [
        find_user_by_principal_name(session, organisation.id, identity.username)
        if identity.username
        else None,
        find_user_by_email(session, organisation.id, identity.email) if identity.email else None,
    ]
    found = [user for user in candidates if user is not None]
    unlinked = [user for user in found if user.entra_object_id is None]
    if unlinked:
        return unlinked[0]
    shown = identity.username or identity.email or identity.object_id
    if found:
        raise AccountRefused(
            f"The Kinabase account for {shown} is linked to a different Microsoft account. "
            "Ask your Kinabase administrator."
        )
    raise AccountRefused(
        f"{organisation.name} has no Kinabase account for {shown}. "
        "Ask your Kinabase administrator to invite you."
    )


def link_microsoft_identity(user: User, identity: MicrosoftIdentity) -> bool:
    """Record the user's object id; returns whether this is their first Microsoft sign-in."""
    if user.entra_object_id is not None:
        return False
    user.entra_object_id = identity.object_id.lower()
    return True


def admit(session: Session, user: User) -> None:
    """Let the user in, or AccountRefused: deactivated, or invited with no seat left."""
    if user.status is UserStatus.DEACTIVATED:
        raise AccountRefused(
            "Your Kinabase account is deactivated. Ask your Kinabase administrator."
        )
    if user.status is UserStatus.INVITED:
        try:
            activate_user(session, user)
        except LicenceExhausted:
            raise AccountRefused(
                "Every licence seat of your organisation is taken, so your invitation cannot be "
                "accepted yet. Ask your Kinabase administrator."
            ) from None
