"""Which Kinabase user a sign-in is for, and whether that user may come in.

A Microsoft identity is matched within the organisation bound to its tenant only, on keys that
the person signing in cannot forge:

1. the object id (`oid`): recorded by provisioning when the directory sends it (`externalId`
   mapped from `objectId`), or at the first Microsoft sign-in. With the tenant (the organisation
   is the one bound to `tid`) it is the only key Microsoft never reassigns.
2. else the UPN (`preferred_username`) of a member of the tenant, equal to the userName that
   provisioning recorded (`users.user_principal_name`; Entra's default mapping sends the UPN as
   userName). Only the tenant's administrators set a UPN, within the tenant's verified domains.
   A UPN that matches an account linked to another object id is refused, with no second try.
3. else the `email` claim, only when Entra marks it verified (`xms_edov`), for a member of the
   tenant (never a guest), and only for an account that provisioning did not key, that is not an
   Administrator or Billing Administrator and that has no password: an address is changeable by
   tenant administrators and, in some tenants, by users, so it may only open the plainest
   accounts.

Anyone else sees a page that says that no account matches and what an Administrator can do.
Once matched, the oid is recorded and used from then on.

Admission is the same for every method: deactivated users are refused; an invited user who signs
in accepts the invitation and becomes active, which takes a licence seat.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinabase.errors import LicenceExhausted
from kinabase.licences import activate_user
from kinabase.organisations import Organisation
from kinabase.users import (
    User,
    UserStatus,
    UserType,
    find_user_by_email,
    find_user_by_entra_object_id,
)
from sso.errors import AccountRefused, NoMatchingAccount
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
    shown = identity.username or identity.object_id
    if identity.member and identity.username:
        user = find_user_by_principal_name(session, organisation.id, identity.username)
        if user is not None:
            if user.entra_object_id is not None:
                raise AccountRefused(
                    f"The Kinabase account for {shown} is linked to a different Microsoft "
                    "account. Ask your Kinabase administrator."
                )
            return user
    if identity.member and identity.email and identity.email_verified:
        user = find_user_by_email(session, organisation.id, identity.email)
        if user is not None and may_link_by_email(user):
            return user
    raise NoMatchingAccount(shown)


def may_link_by_email(user: User) -> bool:
    """Whether a verified address may link this account: not keyed by provisioning, not linked,
    no password, and not an Administrator or Billing Administrator."""
    return (
        user.entra_object_id is None
        and user.user_principal_name is None
        and user.password_hash is None
        and user.user_type is UserType.USER
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
