"""Password sign-in: passwords kept as scrypt hashes, checked in constant time.

Hashes are Werkzeug's `scrypt:32768:8:1$salt$hash` (RFC 7914 scrypt with a random salt per
password), so the stored value names its own parameters and can be strengthened later. When no
account matches, a dummy hash is still checked, so the answer takes as long as for a wrong
password and does not tell which email addresses have accounts.

Repeated failures are throttled per account and per client address (`sso.throttle`, called by
the view). Not implemented here: password reset by email, and self-service password change.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from kinabase.organisations import Organisation
from kinabase.users import User, find_user_by_email
from sso.errors import SignInMethodNotAllowed, WrongCredentials

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # scrypt work grows with input; refuse absurd inputs early


class UnacceptablePassword(ValueError):
    """A new password that is too short or too long."""


def hash_password(password: str) -> str:
    """The stored form of a new password."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise UnacceptablePassword(
            f"a password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    return generate_password_hash(password, method="scrypt")


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-anyone's-password", method="scrypt")


def authenticate_with_password(
    session: Session, organisation: Organisation, email: str, password: str
) -> User:
    """The organisation's user with this email and password, or WrongCredentials."""
    if not organisation.password_sign_in:
        raise SignInMethodNotAllowed(
            "This organisation does not allow signing in with a password. "
            "Use Sign in with Microsoft."
        )
    user = find_user_by_email(session, organisation.id, email.strip()) if email else None
    stored = user.password_hash if user is not None else None
    too_long = len(password) > MAX_PASSWORD_LENGTH
    matches = check_password_hash(stored or _dummy_hash(), "" if too_long else password)
    if user is None or stored is None or too_long or not matches:
        raise WrongCredentials("The email address or the password is wrong.")
    return user
