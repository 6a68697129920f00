"""Disconnecting Microsoft 365: the organisation lets go of its Entra tenant.

An Administrator does it from Identity & Provisioning, after a confirmation page; an operator
with `kinabase-m365 org disconnect --org ID` (for an organisation whose Administrators cannot
sign in, or a tenant bound by mistake). Users, their Colleague records and roles are kept; the
organisation allows password sign-in instead of Microsoft sign-in, and the tenant can then be
connected to this or another organisation. Every disconnection is logged with who did it.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request, url_for
from sqlalchemy.orm import Session

from kinabase.organisations import Organisation, get_organisation, unbind_entra_tenant
from kinabase_m365.database import db_session
from sso.errors import InvalidSignInResponse
from sso.sessions import administrators_only, current_user, session_claims
from sso.urls import see_other

blueprint = Blueprint("sso_disconnect", __name__)
log = logging.getLogger(__name__)
CONFIRMATION = "disconnect"


def disconnect_tenant(session: Session, organisation: Organisation, by: str) -> str | None:
    """Disconnect the organisation's tenant (the caller commits); returns the tenant id it had,
    None if none was connected. `by` says who, for the log."""
    tenant_id = unbind_entra_tenant(organisation)
    session.flush()
    if tenant_id is not None:
        log.warning(
            "organisation %s disconnected from Microsoft 365 tenant %s by %s",
            organisation.id,
            tenant_id,
            by,
        )
    return tenant_id


@blueprint.get("/admin/identity/disconnect")
@administrators_only
def confirm_disconnect() -> str:
    """The confirmation page: what disconnecting does, and the button that does it."""
    organisation = get_organisation(db_session(), current_user().org_id)
    return render_template(
        "sso/disconnect.html",
        organisation=organisation,
        confirmation=CONFIRMATION,
        csrf_token=session_claims()["csrf"],
    )


@blueprint.post("/admin/identity/disconnect")
@administrators_only
def disconnect() -> Response:
    """Disconnect, if the confirmation page's form says so."""
    if request.form.get("confirm") != CONFIRMATION:
        raise InvalidSignInResponse("Disconnect from the confirmation page.")
    session = db_session()
    administrator = current_user()
    organisation = get_organisation(session, administrator.org_id)
    disconnect_tenant(session, organisation, f"Administrator {administrator.id}")
    session.commit()
    return see_other(url_for("sso_identity.identity_page"))
