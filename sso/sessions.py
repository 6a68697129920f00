"""Kinabase sessions: flask-jwt-extended access and refresh tokens in cookies.

- Cookies are HttpOnly, `SameSite=Lax`, and `Secure` unless SESSION_COOKIE_SECURE=false (local
  plain HTTP only; production refuses it). They are session cookies: closing the browser ends
  the session.
- CSRF protection is flask-jwt-extended's double submit: the session's CSRF value is in its
  tokens and in a readable cookie, and every POST, PUT, PATCH and DELETE must send it back, as
  the form field `csrf_token` (the service's pages do) or the header `X-CSRF-TOKEN` (scripts).
  A session has one CSRF value for its whole life, in the access and the refresh token alike, so
  a form rendered before a renewal still posts after it. A failed check is its own page, which
  never says that the session ended.
- Every token of one sign-in carries its session id `sid` and its start `auth_time`. Logout
  records the `sid` in `revoked_sessions`, which ends the access and refresh tokens of that
  sign-in together, also the ones renewed since; every request checks it. A deactivated user's
  tokens stop working at once. Signing in again in the same browser revokes the session it had.
- Access tokens last SESSION_ACCESS_MINUTES. Pages renew them once half of that has passed, and
  when the access token has expired a page renews the session from the refresh token on the
  server (the refresh cookie is sent to every path for that). Each renewal issues a new refresh
  token too, lasting SESSION_REFRESH_DAYS from then: the session ends after that long idle, and
  in any case SESSION_MAX_DAYS after it started, when no token is renewed or accepted.
- Tokens are signed (HS256) with a key derived from KINABASE_SECRET_KEY by HKDF-SHA256
  (RFC 5869) for this use only.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar, cast

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import (
    Flask,
    Request,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    decode_token,
    get_current_user,
    get_jwt,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException, NoAuthorizationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kinabase.base import utcnow
from kinabase.users import User, UserStatus, UserType
from kinabase_m365.database import db_session
from kinabase_m365.request_log import note_organisation
from kinabase_m365.runtime import current_settings
from kinabase_m365.settings import Settings
from sso.errors import NotAnAdministrator
from sso.models import RevokedSession
from sso.urls import see_other

REFRESH_PATH = "/auth/refresh"
SESSION_CLAIMS = ("org", "sid", "method", "csrf", "auth_time")
View = TypeVar("View", bound=Callable[..., Any])


def signing_key(secret_key: str) -> bytes:
    """The session-token key: HKDF-SHA256 (RFC 5869) of the service's secret, for this use."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"kinabase session tokens"
    ).derive(secret_key.encode())


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
        JWT_REFRESH_COOKIE_PATH="/",
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
    # After JWTManager, which registers its own handler for CSRFError: this one replaces it.
    app.register_error_handler(CSRFError, _csrf_refused)
    app.after_request(_renew_session)


def _load_user(header: dict[str, Any], payload: dict[str, Any]) -> User | None:
    user = db_session().get(User, int(payload["sub"]))
    if user is None or user.org_id != payload.get("org") or user.status is not UserStatus.ACTIVE:
        return None
    return user


def _session_start(claims: dict[str, Any]) -> float:
    started = claims["auth_time"] if "auth_time" in claims else claims["iat"]
    return float(started)


def _session_end(claims: dict[str, Any]) -> float:
    return _session_start(claims) + current_settings().session_max_days * 86400


def _is_revoked(header: dict[str, Any], payload: dict[str, Any]) -> bool:
    if time.time() >= _session_end(payload):
        return True  # older than SESSION_MAX_DAYS
    return db_session().get(RevokedSession, str(payload.get("sid"))) is not None


def wants_json() -> bool:
    """Whether the request is for a JSON API (a path with an `api` segment, such as `/api/…` and
    `/admin/api/…`, or a client that asks for JSON first): its refusals are JSON too."""
    return "/api/" in request.path or request.accept_mimetypes.best == "application/json"


def _not_signed_in() -> Response | tuple[str, int] | tuple[Response, int]:
    """Pages send the browser to sign in; APIs answer JSON 401; anything else an HTML 401."""
    if wants_json():
        return jsonify(error="not signed in: sign in and try again"), 401
    if request.method == "GET":
        return see_other(url_for("sso_login.login_page", next=request.full_path.rstrip("?")))
    page = render_template(
        "sso/refused.html",
        title="You are not signed in",
        message="Your session has ended. Sign in and try again.",
    )
    return page, 401


def _csrf_refused(error: CSRFError) -> tuple[str, int] | tuple[Response, int]:
    """A form without this session's CSRF value: not from one of the service's pages, or from
    before a new sign-in. Nothing was done; this says nothing about the session."""
    if wants_json():
        return jsonify(
            error="the X-CSRF-TOKEN header is missing or stale; nothing was changed"
        ), 403
    page = render_template(
        "sso/refused.html",
        title="This form could not be accepted",
        message="The form was not sent from this service's page as it is now, so nothing was "
        "changed. Go back, reload the page and try again.",
    )
    return page, 403


def start_session(session: Session, response: Response, user: User, method: str) -> None:
    """Sign the user in on this response: new access and refresh cookies for a new session.

    The session this browser had (its cookies, when the request carries them) is revoked; the
    caller commits.
    """
    revoke_sessions(session, sessions_in_request(request))
    claims = {
        "org": user.org_id,
        "sid": str(uuid.uuid4()),
        "method": method,
        "csrf": str(uuid.uuid4()),
        "auth_time": int(time.time()),
    }
    _issue_tokens(response, str(user.id), claims)


def renew_session(response: Response, claims: dict[str, Any]) -> None:
    """Fresh access and refresh tokens for the same session: same user, organisation, sid, CSRF
    value and start; neither outlives SESSION_MAX_DAYS from the start."""
    kept = {name: claims[name] for name in SESSION_CLAIMS if name in claims}
    kept.setdefault("auth_time", int(_session_start(claims)))
    _issue_tokens(response, str(claims["sub"]), kept)


def _issue_tokens(response: Response, subject: str, claims: dict[str, Any]) -> None:
    settings = current_settings()
    left = timedelta(seconds=max(_session_end(claims) - time.time(), 1))
    access = min(timedelta(minutes=settings.session_access_minutes), left)
    refresh = min(timedelta(days=settings.session_refresh_days), left)
    set_access_cookies(
        response, create_access_token(subject, additional_claims=claims, expires_delta=access)
    )
    set_refresh_cookies(
        response, create_refresh_token(subject, additional_claims=claims, expires_delta=refresh)
    )


def sessions_in_request(req: Request) -> set[str]:
    """The session ids of the validly signed session cookies a request carries (expired ones
    too), so that a new sign-in can revoke the session it replaces."""
    found: set[str] = set()
    for name in (
        current_app.config["JWT_ACCESS_COOKIE_NAME"],
        current_app.config["JWT_REFRESH_COOKIE_NAME"],
    ):
        token = req.cookies.get(name)
        if not token:
            continue
        try:
            claims = decode_token(token, allow_expired=True)
        except (jwt.PyJWTError, JWTExtendedException):
            continue
        if isinstance(claims.get("sid"), str):
            found.add(claims["sid"])
    return found


def revoke_sessions(session: Session, session_ids: Iterable[str]) -> None:
    """Revoke every token of these sessions (the caller commits)."""
    now = utcnow()
    until = now + timedelta(days=current_settings().session_max_days)
    session.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))
    wanted = set(session_ids)
    if not wanted:
        return
    known = set(
        session.scalars(
            select(RevokedSession.session_id).where(RevokedSession.session_id.in_(wanted))
        )
    )
    for session_id in wanted - known:
        session.add(RevokedSession(session_id=session_id, revoked_at=now, expires_at=until))


def end_session(session: Session, response: Response, claims: dict[str, Any]) -> None:
    """Revoke every token of the session and clear the cookies."""
    revoke_sessions(session, [str(claims["sid"])])
    unset_jwt_cookies(response)
    g.sso_session_ended = True


def _renew_session(response: Response) -> Response:
    """Renew the session's tokens on a request that came with a refresh token only (its access
    token expired), or with an access token past half of its lifetime."""
    claims: dict[str, Any] | None = g.get("sso_claims")
    if claims is None or g.get("sso_session_ended") or g.get("sso_session_renewed"):
        return response
    if claims.get("type") == "refresh":
        renew_session(response, claims)
    elif claims.get("type") == "access":
        lifetime = claims["exp"] - claims["iat"]
        if claims["exp"] - time.time() < lifetime / 2:
            renew_session(response, claims)
    return response


def verify_session() -> dict[str, Any]:
    """The session's claims, from the access token, or else from the refresh token (renewed on
    the response); flask-jwt-extended's errors (not signed in, CSRF) otherwise."""
    try:
        verify_jwt_in_request()
    except (NoAuthorizationError, jwt.ExpiredSignatureError):
        if not request.cookies.get(current_app.config["JWT_REFRESH_COOKIE_NAME"]):
            raise
        verify_jwt_in_request(refresh=True)
    claims: dict[str, Any] = get_jwt()
    g.sso_claims = claims
    return claims


def signed_in(view: View) -> View:
    """Views for signed-in users: the session is checked (and CSRF on POST) before the view."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        claims = verify_session()
        note_organisation(claims["org"])
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
