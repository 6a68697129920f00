"""Connecting Microsoft 365: admin consent, which binds the Entra tenant to the organisation.

Microsoft's `/adminconsent` redirect says `admin_consent=True&tenant=…`, but that redirect can be
forged, so it must never be trusted alone (Microsoft identity platform, "Admin consent"). The
journey therefore starts with the Kinabase Administrator signing in to Microsoft (an ordinary
authorization code flow, purpose CONNECT) to learn their tenant from a verified id_token, whose
`wids` must hold a directory role that can grant tenant-wide consent (Global Administrator or
Privileged Role Administrator); only then are they sent to `/{that tenant}/v2.0/adminconsent`.
The callback binds the organisation to the tenant only if Microsoft's answer names that same
tenant, the flow belongs to this browser, the same Administrator is still signed in to Kinabase,
and consent is proven on the server: an app-only token for the tenant (`graph.app_tokens`),
which Entra refuses until consent is granted (AADSTS7000229).
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Response, render_template, request

import graph.errors
from graph.app_tokens import acquire_app_token
from kinabase.errors import InvalidSetting
from kinabase.organisations import (
    bind_entra_tenant,
    find_organisation_by_tenant,
    get_organisation,
    set_sign_in_methods,
)
from kinabase_m365.database import db_session, writes_data
from kinabase_m365.runtime import current_settings
from sso.errors import (
    ConnectionRefused,
    InvalidSignInResponse,
    MicrosoftRefused,
    MicrosoftUnavailable,
    NotConfigured,
)
from sso.flows import PendingFlow, begin_flow, clear_flow_cookie, set_flow_cookie, take_flow
from sso.id_token import MicrosoftIdentity
from sso.microsoft import admin_consent_url
from sso.models import FlowPurpose
from sso.sessions import administrators_only, current_user
from sso.urls import ADMIN_CONSENT_CALLBACK_PATH, IDENTITY_PAGE, redirect_uri, see_other

blueprint = Blueprint("sso_consent", __name__)
log = logging.getLogger(__name__)

# Directory role template ids (`wids`) that may grant tenant-wide admin consent to application
# permissions of Microsoft Graph (Entra ID, "Grant tenant-wide admin consent to an application").
CONSENT_ROLES = frozenset(
    {
        "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
        "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
    }
)


def continue_to_admin_consent(flow: PendingFlow, identity: MicrosoftIdentity) -> Response:
    """After the Administrator's Microsoft sign-in: on to admin consent for their tenant."""
    session = db_session()
    if flow.org_id is None or flow.user_id is None:
        raise InvalidSignInResponse("This connection attempt is incomplete. Start again.")
    if not identity.directory_roles & CONSENT_ROLES or not identity.member:
        log.warning(
            "connection to tenant %s refused: %s holds no consent role",
            identity.tenant_id,
            identity.object_id,
        )
        raise ConnectionRefused(
            "The Microsoft account you signed in with is not a Global Administrator or "
            "Privileged Role Administrator of its Microsoft 365 organisation, so it cannot "
            "approve the connection. Start again, and sign in to Microsoft with such an account."
        )
    connected = find_organisation_by_tenant(session, identity.tenant_id)
    if connected is not None and connected.id != flow.org_id:
        raise ConnectionRefused(
            f"The Microsoft 365 tenant {identity.tenant_id} is already connected to another "
            "Kinabase organisation."
        )
    state = secrets.token_urlsafe(32)
    key = begin_flow(
        session,
        FlowPurpose.ADMIN_CONSENT,
        {"state": state},
        org_id=flow.org_id,
        user_id=flow.user_id,
        tenant_id=identity.tenant_id,
    )
    session.commit()
    callback = redirect_uri(current_settings(), ADMIN_CONSENT_CALLBACK_PATH)
    response = see_other(admin_consent_url(identity.tenant_id, callback, state))
    set_flow_cookie(response, key)
    return response


@blueprint.get(ADMIN_CONSENT_CALLBACK_PATH)
@writes_data
@administrators_only
def admin_consent_callback() -> tuple[str, int] | Response:
    """Microsoft's answer to admin consent: bind the tenant, or say plainly why not."""
    session = db_session()
    flow = take_flow(session, request, request.args.get("state", ""), FlowPurpose.ADMIN_CONSENT)
    session.commit()  # the flow is used up, whatever the outcome
    administrator = current_user()
    if flow is None or flow.user_id != administrator.id or flow.org_id != administrator.org_id:
        raise InvalidSignInResponse(
            "This answer from Microsoft does not belong to a connection you started in this "
            "browser in the last ten minutes. Start again from Identity & Provisioning."
        )
    if "error" in request.args:
        error = MicrosoftRefused(request.args["error"], request.args.get("error_description"))
        raise ConnectionRefused(f"Microsoft answered: {error.message}")
    returned_tenant = request.args.get("tenant", "").lower()
    if request.args.get("admin_consent", "").lower() != "true" or not returned_tenant:
        raise ConnectionRefused("Microsoft did not confirm that consent was granted.")
    if returned_tenant != flow.tenant_id:
        log.warning(
            "admin consent for tenant %s refused: signed in to %s", returned_tenant, flow.tenant_id
        )
        raise ConnectionRefused(
            f"Microsoft reported consent for tenant {returned_tenant}, but you signed in to "
            f"tenant {flow.tenant_id}. Nothing was connected."
        )
    _prove_consent(returned_tenant)
    organisation = get_organisation(session, administrator.org_id)
    try:
        bind_entra_tenant(session, organisation, returned_tenant)
    except InvalidSetting as error:
        raise ConnectionRefused(str(error).capitalize() + ".") from None
    set_sign_in_methods(organisation, password=organisation.password_sign_in, microsoft=True)
    session.commit()
    log.info("organisation %s connected to tenant %s", organisation.id, returned_tenant)
    page = render_template(
        "sso/connected.html",
        organisation=organisation,
        tenant_id=returned_tenant,
        identity_page=IDENTITY_PAGE,
    )
    response = Response(page, 200, mimetype="text/html")
    clear_flow_cookie(response)
    return response


def _prove_consent(tenant_id: str) -> None:
    """ConnectionRefused unless the tenant granted the app its permissions: Entra gives an app-only
    token for the tenant only after admin consent, whatever a redirect says."""
    try:
        acquire_app_token(tenant_id)
    except graph.errors.TokenRefused as refusal:
        log.warning("admin consent for tenant %s not proven: %s", tenant_id, refusal.error)
        raise ConnectionRefused(
            "Microsoft has not granted this application access to your Microsoft 365 "
            f"organisation, so nothing was connected. Microsoft answered: {refusal.message}"
        ) from None
    except graph.errors.NotConfigured:
        raise NotConfigured from None
    except graph.errors.MicrosoftUnavailable:
        raise MicrosoftUnavailable(
            "Microsoft could not confirm the consent. Try again later."
        ) from None
