"""`POST /auth/microsoft/callback`: Microsoft's answer to a sign-in, and what follows from it.

The answer is checked against this browser's flow and the id_token verified (`sso.oidc`). For a
sign-in, the organisation is the one bound to the token's `tid` — never one named by the
browser — and it must allow Microsoft sign-in; the user is matched and admitted (`sso.accounts`),
their object id recorded; once that is committed, if they have no photo yet, their photo is
fetched (`sso.photos`). Only then does a session start. For an administrator connecting
Microsoft 365, the verified tenant leads on to admin consent (`sso.consent`).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.orm import Session

from graph.connection import http_session
from graph.endpoints import graph_base_url
from kinabase.organisations import find_organisation_by_tenant
from kinabase_m365.database import db_session
from kinabase_m365.runtime import current_settings
from sso.accounts import admit, link_microsoft_identity, match_microsoft_user
from sso.consent import continue_to_admin_consent
from sso.errors import (
    AccountRefused,
    InvalidSignInResponse,
    SignInMethodNotAllowed,
    TenantNotConnected,
)
from sso.flows import PendingFlow, clear_flow_cookie, take_flow
from sso.models import FlowPurpose
from sso.oidc import VerifiedAnswer, verify_answer
from sso.photos import fetch_my_photo, has_photo, store_first_photo
from sso.sessions import revoke_sessions, start_session
from sso.urls import SIGN_IN_CALLBACK_PATH, local_path, see_other

blueprint = Blueprint("sso_callback", __name__)
log = logging.getLogger(__name__)


@blueprint.post(SIGN_IN_CALLBACK_PATH)
def microsoft_callback() -> Response:
    """Complete the sign-in (or the connection) this browser started."""
    session = db_session()
    state = request.form.get("state", "")
    flow = take_flow(session, request, state, FlowPurpose.SIGN_IN, FlowPurpose.CONNECT)
    session.commit()  # the flow is used up, whatever the outcome: one answer per flow
    if flow is None:
        raise InvalidSignInResponse(
            "This answer does not match a sign-in in progress in this browser, or the sign-in "
            "took longer than ten minutes. Start again from the sign-in page."
        )
    answer = verify_answer(flow, request.form.to_dict())
    if flow.purpose is FlowPurpose.CONNECT:
        return continue_to_admin_consent(flow, answer.identity)
    return _complete_sign_in(session, flow, answer)


def _complete_sign_in(session: Session, flow: PendingFlow, answer: VerifiedAnswer) -> Response:
    identity = answer.identity
    organisation = find_organisation_by_tenant(session, identity.tenant_id)
    if organisation is None:
        raise TenantNotConnected(
            f"Your Microsoft 365 organisation (tenant {identity.tenant_id}) is not connected to "
            "a Kinabase organisation. A Kinabase Administrator connects it under Organisation → "
            "Identity & Provisioning."
        )
    if flow.org_id is not None and flow.org_id != organisation.id:
        raise AccountRefused(
            "You signed in with a Microsoft account of another organisation. Sign out of "
            "Microsoft, or choose your work account, and try again."
        )
    if not organisation.microsoft_sign_in:
        raise SignInMethodNotAllowed(
            "This organisation does not allow signing in with Microsoft. "
            "Sign in with your email address and password."
        )
    user = match_microsoft_user(session, organisation, identity)
    admit(session, user)
    link_microsoft_identity(user, identity)
    wants_photo = not has_photo(session, user)
    session.commit()
    log.info("user %s of organisation %s signed in with Microsoft", user.id, organisation.id)
    if wants_photo:
        graph = graph_base_url(current_settings())
        photo = fetch_my_photo(http_session(), graph, answer.access_token)
        if photo is not None:
            store_first_photo(session, user, photo)
    response = see_other(local_path(flow.payload.get("next")))
    replaced = flow.payload.get("replaces")  # the session of the browser that started
    revoke_sessions(session, [str(sid) for sid in replaced] if isinstance(replaced, list) else [])
    start_session(session, response, user, "microsoft")
    session.commit()
    clear_flow_cookie(response)
    return response
