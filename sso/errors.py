"""Why a sign-in or a connection did not go ahead: one exception tree, rendered in one place.

Every refusal is a plain page that says what happened and what to do, with an HTTP status that
matches; no session starts. Pages and logs carry no secrets: never a code, token, verifier or
client secret. Text that Microsoft sent (`error_description`, with its AADSTS code) is shown as
sent, escaped, because it is what an administrator searches for.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from flask import Flask, render_template

log = logging.getLogger(__name__)

MAX_MICROSOFT_TEXT = 500
PUBLIC_BASE_URL_MISSING = (
    "PUBLIC_BASE_URL is not set: Microsoft sends people back to this server at an address made "
    "from it. Ask the operator to set PUBLIC_BASE_URL to the server's public https:// address."
)


class SignInRefused(Exception):
    """A sign-in or connection that must not go ahead."""

    status: ClassVar[int] = 403
    title: ClassVar[str] = "You cannot sign in"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidSignInResponse(SignInRefused):
    """The answer from Microsoft does not belong to a sign-in this browser started (no flow, an
    expired or used one, or a state mismatch: RFC 6749 §10.12)."""

    status = 400
    title = "This sign-in cannot be completed"


class MicrosoftRefused(SignInRefused):
    """Microsoft answered with an error (OAuth 2.0 error response, RFC 6749 §4.1.2.1, §5.2)."""

    status = 401
    title = "Microsoft did not sign you in"

    def __init__(self, error: str, description: str | None) -> None:
        text = f"{error}: {description}" if description else error
        super().__init__(text[:MAX_MICROSOFT_TEXT])


class InvalidIdToken(SignInRefused):
    """The id_token failed a check of OpenID Connect Core §3.1.3.7."""

    status = 401
    title = "The sign-in could not be verified"


class TenantNotConnected(SignInRefused):
    """The Microsoft 365 tenant is bound to no Kinabase organisation."""

    title = "This Microsoft 365 organisation is not connected to Kinabase"


class SignInMethodNotAllowed(SignInRefused):
    """The organisation does not allow this sign-in method."""

    title = "This sign-in method is turned off"


class AccountRefused(SignInRefused):
    """No usable Kinabase account: none matches, it is deactivated, or no seat is free."""


class NoMatchingAccount(AccountRefused):
    """No Kinabase account of the organisation matches the Microsoft identity on a key that
    cannot be forged (`sso.accounts`); the page says what an Administrator can do."""

    title = "No Kinabase account matches your Microsoft account"

    def __init__(self, shown: str) -> None:
        super().__init__(
            f"You signed in to Microsoft as {shown}, but no Kinabase account of this "
            "organisation is linked to that Microsoft account, and none can be linked to it "
            "safely. A Kinabase Administrator can assign you to the Kinabase application in "
            "Microsoft Entra ID, so that provisioning creates your account or records your user "
            "principal name on the one you have; or, for a Kinabase user without a password, make "
            "sure its email address is the address Microsoft 365 verified for you."
        )


class NotAnAdministrator(SignInRefused):
    """The signed-in user is not an Administrator of their organisation."""

    title = "Administrators only"


class WrongCredentials(SignInRefused):
    """Email and password do not match an account (which of the two is never said)."""

    status = 401
    title = "Wrong email or password"


class ConnectionRefused(SignInRefused):
    """Microsoft 365 could not be connected to the organisation (consent errors, tenant
    mismatch, a tenant already connected elsewhere)."""

    status = 400
    title = "Microsoft 365 was not connected"


class MicrosoftUnavailable(SignInRefused):
    """Microsoft could not be reached or answered nonsense."""

    status = 502
    title = "Microsoft cannot be reached"


class NotConfigured(SignInRefused):
    """The server lacks what sign-in needs: a Microsoft app registration (MICROSOFT_CLIENT_ID and
    a credential), or PUBLIC_BASE_URL for the redirect URIs. The message says which."""

    status = 503
    title = "Sign in with Microsoft is not set up on this server"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "Ask the operator to set MICROSOFT_CLIENT_ID, a client secret or certificate, "
            "and PUBLIC_BASE_URL."
        )


def render_refusal(refusal: SignInRefused) -> tuple[str, int, dict[str, str]]:
    """The refusal page (with Retry-After when the refusal says how long to wait)."""
    log.info("refused (%s): %s", type(refusal).__name__, refusal.message)
    page = render_template("sso/refused.html", title=refusal.title, message=refusal.message)
    retry_after = getattr(refusal, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else {}
    return page, refusal.status, headers


def init_app(app: Flask) -> None:
    """Render every refusal, from any view, as its page."""
    app.register_error_handler(SignInRefused, render_refusal)
