"""The OpenID Connect round trip: send the browser to Microsoft, verify what comes back.

Authorization code flow with PKCE (OpenID Connect Core §3.1, RFC 7636) through msal: the flow
state is stored server-side (`sso.flows`), the browser goes to Microsoft's authorize endpoint,
and Microsoft form-POSTs the code to `/auth/microsoft/callback`. There msal checks state and
nonce and redeems the code; then the id_token is verified here (`sso.id_token`), because msal
does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request

from graph.connection import http_session
from graph.endpoints import authority_host
from kinabase_m365.database import db_session
from kinabase_m365.runtime import current_settings
from kinabase_m365.settings import Settings
from sso.errors import InvalidSignInResponse
from sso.flows import PendingFlow, begin_flow, set_flow_cookie
from sso.id_token import MicrosoftIdentity, SigningKeys, verify_id_token
from sso.microsoft import begin_auth_code_flow, redeem_auth_code, require_sign_in_settings
from sso.models import FlowPurpose
from sso.sessions import sessions_in_request
from sso.urls import SIGN_IN_CALLBACK_PATH, is_allowed_redirect_uri, redirect_uri, see_other

KEYS_EXTENSION = "sso.signing_keys"


@dataclass(frozen=True)
class VerifiedAnswer:
    """A redeemed code: who signed in (verified) and the delegated access token for Graph."""

    identity: MicrosoftIdentity
    access_token: str


def init_app(app: Flask, settings: Settings) -> None:
    """Give the app its cache of Microsoft's signing keys."""
    app.extensions[KEYS_EXTENSION] = SigningKeys(authority_host(settings))


def send_to_microsoft(
    purpose: FlowPurpose,
    tenant: str,
    *,
    org_id: int | None = None,
    user_id: int | None = None,
    next_path: str | None = None,
) -> Response:
    """Start a flow at the tenant's authority: store it, and redirect the browser (303).

    The caller commits (the request owns the transaction).
    """
    settings = current_settings()
    require_sign_in_settings(settings)
    flow = begin_auth_code_flow(tenant, redirect_uri(settings, SIGN_IN_CALLBACK_PATH))
    payload: dict[str, Any] = {"tenant": tenant, "flow": flow, "next": next_path}
    if purpose is FlowPurpose.SIGN_IN:
        # Microsoft's answer is a cross-site POST without the session cookies: the session this
        # sign-in replaces is remembered now, and revoked when it succeeds.
        payload["replaces"] = sorted(sessions_in_request(request))
    key = begin_flow(db_session(), purpose, payload, org_id=org_id, user_id=user_id)
    response = see_other(flow["auth_uri"])
    set_flow_cookie(response, key)
    return response


def verify_answer(flow: PendingFlow, auth_response: dict[str, str]) -> VerifiedAnswer:
    """Redeem Microsoft's answer for this flow and verify the id_token it brings."""
    settings = current_settings()
    msal_flow = flow.payload.get("flow")
    if not isinstance(msal_flow, dict) or not is_allowed_redirect_uri(
        settings, msal_flow.get("redirect_uri")
    ):
        raise InvalidSignInResponse("This sign-in was started for another address. Start again.")
    result = redeem_auth_code(str(flow.payload["tenant"]), msal_flow, auth_response)
    identity = verify_id_token(
        result["id_token"],
        client_id=settings.microsoft_client_id,
        nonce=str(msal_flow["nonce"]),
        keys=current_app.extensions[KEYS_EXTENSION],
        http=http_session(),
    )
    return VerifiedAnswer(identity, str(result.get("access_token", "")))
