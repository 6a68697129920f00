"""The sign-in page and the session's own routes.

- `GET /login?org=ID`: the methods organisation ID allows — "Sign in with Microsoft" and/or
  email and password. Without `org` the page offers Microsoft only, tenant first: the tenant of
  the Microsoft account that signs in selects the organisation bound to it. With `org`, the
  sign-in goes to that organisation's tenant authority, so Microsoft itself turns away accounts
  of other tenants. `next` (a path on this service) is where a successful sign-in lands.
- `POST /login/password`, `POST /login/microsoft`: the two ways in.
- `POST /logout`: revokes the session (`sso.sessions`), with either of its tokens.
  `POST /auth/refresh`: new tokens for a valid refresh token. `GET /account`: who is signed in.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request, url_for
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from kinabase.organisations import Organisation, get_organisation
from kinabase.users import UserPhoto, UserType
from kinabase_m365.database import db_session, discard_session
from kinabase_m365.runtime import current_settings
from sso.accounts import admit
from sso.errors import (
    InvalidSignInResponse,
    SignInMethodNotAllowed,
    TenantNotConnected,
    WrongCredentials,
)
from sso.microsoft import MULTI_TENANT_AUTHORITY
from sso.models import FlowPurpose
from sso.oidc import send_to_microsoft
from sso.passwords import authenticate_with_password
from sso.sessions import (
    REFRESH_PATH,
    current_user,
    end_session,
    renew_session,
    session_claims,
    signed_in,
    start_session,
)
from sso.throttle import password_throttle
from sso.urls import IDENTITY_PAGE, local_path, same_origin, see_other

blueprint = Blueprint("sso_login", __name__, template_folder="templates")
log = logging.getLogger(__name__)


MAX_ORGANISATION_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL


def _organisation_id(raw: str | None) -> int | None:
    """The organisation id an `org` parameter gives, if any; InvalidSignInResponse (400) for a
    value that is no organisation id at all (`²`, a 23-digit number), which would otherwise
    fail in int() or in the database."""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10) or int(raw) > MAX_ORGANISATION_ID:
        raise InvalidSignInResponse("This sign-in link does not name an organisation.")
    return int(raw)


def _organisation(raw: str | None) -> Organisation | None:
    """The organisation an `org` parameter names, if it names one."""
    org_id = _organisation_id(raw)
    return db_session().get(Organisation, org_id) if org_id is not None else None


@blueprint.get("/login")
def login_page() -> str:
    """The sign-in page, showing the methods the organisation allows."""
    organisation = _organisation(request.args.get("org"))
    configured = current_settings().microsoft_configured
    return render_template(
        "sso/login.html",
        organisation=organisation,
        microsoft=configured and (organisation is None or organisation.microsoft_sign_in),
        password=organisation is not None and organisation.password_sign_in,
        next=local_path(request.args.get("next")),
    )


@blueprint.post("/login/password")
def password_sign_in() -> Response:
    """Sign in with email and password.

    A form posted from another site would sign the browser in to someone else's account (login
    CSRF); browsers send `Origin` with every POST, and one that is not this service's is refused:
    PUBLIC_BASE_URL's origin, or without it the origin the request itself was sent to.
    """
    if not same_origin(current_settings(), request.headers.get("Origin"), request.host_url):
        raise InvalidSignInResponse("Sign in from this service's own sign-in page.")
    org_id = _organisation_id(request.form.get("org"))
    email = request.form.get("email", "")
    address = request.remote_addr or "unknown"
    throttle = password_throttle()
    # Before the request's session opens: on SQLite a POST's session holds the write lock, and
    # the counters are written on a connection of their own.
    throttle.check(org_id, email, address)
    session = db_session()
    try:
        organisation = session.get(Organisation, org_id) if org_id is not None else None
        if organisation is None:
            raise WrongCredentials("The email address or the password is wrong.")
        user = authenticate_with_password(
            session, organisation, email, request.form.get("password", "")
        )
    except WrongCredentials:
        discard_session()
        throttle.record_failure(org_id, email, address)
        raise
    admit(session, user)
    response = see_other(local_path(request.form.get("next")))
    start_session(session, response, user, "password")
    session.commit()
    throttle.forget_account(organisation.id, email)
    log.info("user %s of organisation %s signed in with a password", user.id, organisation.id)
    return response


@blueprint.post("/login/microsoft")
def microsoft_sign_in() -> Response:
    """Send the browser to Microsoft: the organisation's tenant, or any work account."""
    organisation = _organisation(request.form.get("org"))
    tenant = MULTI_TENANT_AUTHORITY
    if organisation is not None:
        if not organisation.microsoft_sign_in:
            raise SignInMethodNotAllowed(
                "This organisation does not allow signing in with Microsoft."
            )
        if organisation.entra_tenant_id is None:
            raise TenantNotConnected("This organisation has not connected Microsoft 365 yet.")
        tenant = organisation.entra_tenant_id
    response = send_to_microsoft(
        FlowPurpose.SIGN_IN,
        tenant,
        org_id=organisation.id if organisation else None,
        next_path=local_path(request.form.get("next")),
    )
    db_session().commit()
    return response


@blueprint.post("/logout")
@signed_in
def logout() -> Response:
    """End the session: its tokens are revoked, its cookies cleared."""
    org_id = current_user().org_id
    response = see_other(url_for("sso_login.login_page", org=org_id))
    session = db_session()
    end_session(session, response, session_claims())
    session.commit()
    return response


@blueprint.post(REFRESH_PATH)
def refresh() -> Response:
    """New access and refresh tokens for the session of a valid refresh token (for scripts)."""
    verify_jwt_in_request(refresh=True)
    response = Response(status=204)
    renew_session(response, get_jwt())
    return response


@blueprint.get("/account")
@signed_in
def account() -> str:
    """Who is signed in, with a sign-out button."""
    user = current_user()
    session = db_session()
    return render_template(
        "sso/account.html",
        identity_page=IDENTITY_PAGE,
        user=user,
        organisation=get_organisation(session, user.org_id),
        has_photo=session.get(UserPhoto, user.id) is not None,
        is_administrator=user.user_type is UserType.ADMINISTRATOR,
        method=session_claims().get("method"),
        csrf_token=session_claims()["csrf"],
    )
