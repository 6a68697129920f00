"""Organisation → Identity & Provisioning: sign-in methods and the Microsoft 365 connection.

Administrators see the allowed sign-in methods with a switch each, and the Microsoft 365
connection (status and tenant id). Switching Microsoft 365 on for an organisation that is not
connected yet starts the admin consent journey (`sso.consent`); once connected, the switch only
allows or refuses the method. At least one method always stays allowed: a change that would
leave none is refused next to the switch. Disconnecting asks for confirmation on a page of its
own, then calls `sso.disconnect.disconnect_tenant`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, url_for
from marshmallow import Schema, fields, validate

from console.forms import Form, read_form
from console.guards import administrators_only
from console.pages import render_page
from kinabase.errors import InvalidSetting
from kinabase.organisations import Organisation, get_organisation, set_sign_in_methods
from kinabase_m365.database import db_session
from kinabase_m365.runtime import current_settings
from sso.disconnect import disconnect_tenant
from sso.microsoft import MULTI_TENANT_AUTHORITY
from sso.models import FlowPurpose
from sso.oidc import send_to_microsoft
from sso.sessions import current_user
from sso.urls import allowed_redirect_uris, see_other

blueprint = Blueprint("console_identity", __name__)
METHODS = {"password": "Email and password", "microsoft": "Microsoft 365"}
CONFIRMATION = "disconnect"
UNCONFIRMED = "Disconnect from the confirmation page."


class SignInMethodSchema(Schema):
    """Allow (`on`) or refuse (`off`) one sign-in method."""

    method = fields.String(required=True, validate=validate.OneOf(list(METHODS)))
    enabled = fields.String(required=True, validate=validate.OneOf(["on", "off"]))


class DisconnectSchema(Schema):
    """The confirmation page's form."""

    confirm = fields.String(
        required=True,
        validate=validate.Equal(CONFIRMATION, error=UNCONFIRMED),
        error_messages={"required": UNCONFIRMED},
    )


def _identity_page(status: int = 200, **forms: Form) -> tuple[str, int]:
    settings = current_settings()
    organisation = get_organisation(db_session(), current_user().org_id)
    return render_page(
        "console/identity.html",
        status,
        microsoft_configured=settings.microsoft_configured,
        redirect_uris=allowed_redirect_uris(settings),
        methods=_methods(organisation),
        page_forms=forms,
    )


def _methods(organisation: Organisation) -> list[dict[str, Any]]:
    allowed = {
        "microsoft": organisation.microsoft_sign_in,
        "password": organisation.password_sign_in,
    }
    return [
        {"method": method, "label": METHODS[method], "allowed": allowed[method]}
        for method in ("microsoft", "password")
    ]


@blueprint.get("/admin/identity")
@administrators_only
def identity_page() -> tuple[str, int]:
    """The sign-in methods and the Microsoft 365 connection of the Administrator's organisation."""
    return _identity_page()


@blueprint.post("/admin/identity/sign-in-methods")
@administrators_only
def change_sign_in_method() -> Response | tuple[str, int]:
    """Allow or refuse one sign-in method (`method`, `enabled` = on/off)."""
    form = read_form(SignInMethodSchema())
    if form.data is None:
        return _identity_page(400, sign_in_methods=form)
    method, enabled = form.data["method"], form.data["enabled"] == "on"
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
        session.rollback()
        form.error(
            method, "At least one sign-in method must stay allowed: allow the other one first."
        )
        return _identity_page(409, sign_in_methods=form)
    session.commit()
    flash(f"{METHODS[method]} sign-in is {'allowed' if enabled else 'turned off'}.", "success")
    return see_other(url_for("console_identity.identity_page"))


@blueprint.get("/admin/identity/disconnect")
@administrators_only
def confirm_disconnect() -> tuple[str, int]:
    """The confirmation page: what disconnecting does, and the button that does it."""
    return render_page("console/disconnect.html", confirmation=CONFIRMATION, form=None)


@blueprint.post("/admin/identity/disconnect")
@administrators_only
def disconnect() -> Response | tuple[str, int]:
    """Disconnect, if the confirmation page's form says so."""
    form = read_form(DisconnectSchema())
    if form.data is None:
        return render_page("console/disconnect.html", 400, confirmation=CONFIRMATION, form=form)
    session = db_session()
    administrator = current_user()
    organisation = get_organisation(session, administrator.org_id)
    tenant_id = disconnect_tenant(session, organisation, f"Administrator {administrator.id}")
    session.commit()
    if tenant_id is not None:
        flash(f"Microsoft 365 tenant {tenant_id} is disconnected.", "success")
    return see_other(url_for("console_identity.identity_page"))
