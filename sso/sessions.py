"""Kinabase sessions: flask-jwt-extended access and refresh tokens in cookies.

- Cookies are HttpOnly, `SameSite=Lax`, and `Secure` unless SESSION_COOKIE_SECURE=false (local
  plain HTTP only). They are session cookies: closing the browser ends the session.
- CSRF protection is flask-jwt-extended's double submit: each token's CSRF value is also in a
  readable cookie, and every POST, PUT, PATCH and DELETE must send it back, as the form field
  `csrf_token` (the service's pages do) or the header `X-CSRF-TOKEN` (scripts).
- Every token of one sign-in carries its session id `sid`. Logout records the `sid` in
  `revoked_sessions`, which ends the access and refresh tokens of that sign-in together, also the
  ones renewed since; every request checks it. A deactivated user's tokens stop working at once.
- Access tokens last SESSION_ACCESS_MINUTES, and pages renew them once half of that has passed;
  refresh tokens last SESSION_REFRESH_DAYS and are sent only to `POST /auth/refresh`.
- Tokens are signed (HS256) with a key derived from KINABASE_SECRET_KEY for this use only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import Flask, Response, g, render_template, request, url_for
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_current_user,
    get_jwt,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from sqlalchemy import delete
from sqlalchemy.orm import Session

from kinabase.base import utcnow
from kinabase.users import User, UserStatus, UserType
from kinabase_m365.database import db_session
from kinabase_m365.request_log import note_organisation
from kinabase_m365.settings import Settings
from sso.errors import NotAnAdministrator
from sso.models import RevokedSession
from sso.urls import see_other

REFRESH_PATH = "/auth/refresh"
View = TypeVar("View", bound=Callable[..., Any])


def signing_key(secret_key: str) -> bytes:
    """The session-token key: HMAC-SHA256 of a purpose label under the service's secret."""
    return hmac.new(secret_key.encode(), b"kinabase session tokens", hashlib.sha256).digest()


def init_app(app: Flask, settings: Settings) -> None:
    """Configure flask-jwt-extended for cookie sessions and register its callbacks."""
    app.config.update(
        JWT_SECRET_KEY=signing_key(settings.secret_key),
        JWT_TOKEN_LOCATION=["cookies"],
        JWT_COOKIE_SECURE=settings.session_cookie_secure,
        JWT_COOKIE_SAMESITE="Lax",
        JWT_COOKIE_CSRF_PROTECT=True,
        JWT_CSRF_CHECK_FORM=True,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=settings.session_access_minutes),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=settings.session_refresh_days),
        JWT_REFRESH_COOKIE_PATH=REFRESH_PATH,
    )
    manager = JWTManager(app)
    manager.user_lookup_loader(_load_user)
    manager.token_in_blocklist_loader(_is_revoked)
    for register in (manager.unauthorized_loader, manager.invalid_token_loader):
        register(lambda reason: _not_signed_in())
    for register in (
        manager.expired_token_loader,
        manager.revoked_token_loader,
        manager.user_lookup_error_loader,
    ):
        register(lambda header, payload: _not_signed_in())
    app.after_request(_renew_access_token)


def _load_user(header: dict[str, Any], payload: dict[str, Any]) -> User | None:
    user = db_session().get(User, int(payload["sub"]))
    if user is None or user.org_id != payload.get("org") or user.status is not UserStatus.ACTIVE:
        return None
    return user


def _is_revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
    return db_session().get(RevokedSession, str(payload.get("sid"))) is not None


def _not_signed_in() -> Response | tuple[str, int]:
    """Pages send the browser to sign in; anything else is refused (401)."""
    if request.method == "GET":
        return see_other(url_for("sso_login.login_page", next=request.full_path.rstrip("?")))
    page = render_template(
        "sso/refused.html",
        title="You are not signed in",
        message="Your session has ended, or this form is out of date. Sign in and try again.",
    )
    return page, 401


def start_session(response: Response, user: User, method: str) -> None:
    """Sign the user in on this response: new access and refresh cookies for a new session."""
    claims = {"org": user.org_id, "sid": str(uuid.uuid4()), "method": method}
    identity = str(user.id)
    set_access_cookies(response, create_access_token(identity, additional_claims=claims))
    set_refresh_cookies(response, create_refresh_token(identity, additional_claims=claims))


def renew_access_token(response: Response, claims: dict[str, Any]) -> None:
    """A fresh access token for the same session (same user, organisation and sid)."""
    kept = {name: claims[name] for name in ("org", "sid", "method")}
    set_access_cookies(response, create_access_token(claims["sub"], additional_claims=kept))


def end_session(
    session: Session, response: Response, claims: dict[str, Any], settings: Settings
) -> None:
    """Revoke every token of the session and clear the cookies."""
    now = utcnow()
    longest = max(
        timedelta(days=settings.session_refresh_days),
        timedelta(minutes=settings.session_access_minutes),
    )
    session.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))
    session.add(
        RevokedSession(session_id=str(claims["sid"]), revoked_at=now, expires_at=now + longest)
    )
    unset_jwt_cookies(response)
    g.sso_session_ended = True


def _renew_access_token(response: Response) -> Response:
    """Renew the access cookie of a page request once half of its lifetime has passed."""
    claims: dict[str, Any] | None = g.get("sso_claims")
    if claims is None or g.get("sso_session_ended") or claims.get("type") != "access":
        return response
    lifetime = claims["exp"] - claims["iat"]
    if claims["exp"] - time.time() < lifetime / 2:
        renew_access_token(response, claims)
    return response


def signed_in(view: View) -> View:
    """Views for signed-in users: the session is checked (and CSRF on POST) before the view."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        verify_jwt_in_request()
        g.sso_claims = get_jwt()
        note_organisation(g.sso_claims["org"])
        return view(*args, **kwargs)

    return cast(View, guarded)


def administrators_only(view: View) -> View:
    """Views for the organisation's Administrators (user type, not a role)."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if current_user().user_type is not UserType.ADMINISTRATOR:
            raise NotAnAdministrator("Only an Administrator of the organisation can do this.")
        return view(*args, **kwargs)

    return signed_in(cast(View, guarded))


def current_user() -> User:
    """The signed-in user (inside a `signed_in` view)."""
    user: User = get_current_user()
    return user


def session_claims() -> dict[str, Any]:
    """The signed-in session's token claims (inside a `signed_in` view)."""
    claims: dict[str, Any] = g.sso_claims
    return claims
