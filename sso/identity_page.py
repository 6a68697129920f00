"""Organisation → Identity & Provisioning, as far as sign-in goes: a small page, to be replaced.

Administrators see the allowed sign-in methods with a switch each, and the Microsoft 365
connection (status and tenant id). Switching Microsoft 365 on for an organisation that is not
connected yet starts the admin consent journey (`sso.consent`); once connected, the switch only
allows or refuses the method. At least one method always stays allowed. The full settings pages
(SCIM tokens, Sync now, group rules, field mapping) belong to the `admin` package.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for

from kinabase.errors import InvalidSetting
from kinabase.organisations import get_organisation, set_sign_in_methods
from kinabase_m365.database import db_session
from kinabase_m365.runtime import current_settings
from sso.errors import InvalidSignInResponse, SignInRefused
from sso.microsoft import MULTI_TENANT_AUTHORITY
from sso.models import FlowPurpose
from sso.oidc import send_to_microsoft
from sso.sessions import administrators_only, current_user, session_claims
from sso.urls import allowed_redirect_uris, see_other

blueprint = Blueprint("sso_identity", __name__)
METHODS = ("password", "microsoft")


class SettingRefused(SignInRefused):
    """A sign-in settings change that would leave the organisation without a way in."""

    status = 409
    title = "This change was not made"


@blueprint.get("/admin/identity")
@administrators_only
def identity_page() -> str:
    """The sign-in methods and the Microsoft 365 connection of the Administrator's organisation."""
    settings = current_settings()
    organisation = get_organisation(db_session(), current_user().org_id)
    return render_template(
        "sso/identity.html",
        organisation=organisation,
        microsoft_configured=settings.microsoft_configured,
        redirect_uris=allowed_redirect_uris(settings),
        csrf_token=session_claims()["csrf"],
    )


@blueprint.post("/admin/identity/sign-in-methods")
@administrators_only
def change_sign_in_method() -> Response:
    """Allow or refuse one sign-in method (`method`, `enabled` = on/off)."""
    method = request.form.get("method", "")
    enabled = request.form.get("enabled") == "on"
    if method not in METHODS:
        raise InvalidSignInResponse("Unknown sign-in method.")
    session = db_session()
    administrator = current_user()
    organisation = get_organisation(session, administrator.org_id)
    if method == "microsoft" and enabled and organisation.entra_tenant_id is None:
        response = send_to_microsoft(
            FlowPurpose.CONNECT,
            MULTI_TENANT_AUTHORITY,
            org_id=organisation.id,
            user_id=administrator.id,
        )
        session.commit()
        return response
    allowed = {
        "password": organisation.password_sign_in,
        "microsoft": organisation.microsoft_sign_in,
    }
    allowed[method] = enabled
    try:
        set_sign_in_methods(organisation, **allowed)
    except InvalidSetting:
        raise SettingRefused(
            "At least one sign-in method must stay allowed: allow the other one first."
        ) from None
    session.commit()
    return see_other(url_for("sso_identity.identity_page"))
