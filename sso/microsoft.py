"""The Microsoft identity platform through msal: authorization code flow with PKCE, admin consent.

msal 1.39 `ConfidentialClientApplication` does the protocol: `initiate_auth_code_flow` makes
state, nonce and the PKCE verifier and challenge (RFC 7636, S256), and
`acquire_token_by_auth_code_flow` checks state and nonce and redeems the code with the verifier.
It does not verify the id_token; `sso.id_token` does.

The msal app comes from the Microsoft client (`graph.confidential`: the app registration's
credential, the service's one HTTP session, msal's HTTP cache per authority), built per request
with a fresh token cache, so that users' tokens never outlive the request that needed them.
Sign-in and admin consent need PUBLIC_BASE_URL for their redirect URIs; without it they are
refused with NotConfigured, which says so, while app-only use of Microsoft goes on.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import msal
import requests

import graph.errors
from graph.confidential import confidential_client
from graph.endpoints import authority_url, graph_default_scope
from kinabase_m365.runtime import current_settings
from kinabase_m365.settings import Settings
from sso.errors import (
    PUBLIC_BASE_URL_MISSING,
    InvalidSignInResponse,
    MicrosoftRefused,
    MicrosoftUnavailable,
    NotConfigured,
)

log = logging.getLogger(__name__)

# Delegated permissions of sign-in; msal adds openid, profile and offline_access itself.
SIGN_IN_SCOPES = ("User.Read", "email")
MULTI_TENANT_AUTHORITY = "organizations"  # work and school accounts of any tenant, never personal


def require_sign_in_settings(settings: Settings) -> None:
    """NotConfigured, saying what is missing, unless Microsoft can send users back here.

    App-only use of Microsoft needs only the app registration; sign-in and admin consent also
    need PUBLIC_BASE_URL, from which their redirect URIs are made (`sso.urls`).
    """
    if not settings.microsoft_configured:
        raise NotConfigured
    if not settings.public_base_url:
        raise NotConfigured(PUBLIC_BASE_URL_MISSING)


def sign_in_client(tenant: str) -> msal.ConfidentialClientApplication:
    """An msal app for a sign-in at the tenant's authority, with a token cache of its own."""
    require_sign_in_settings(current_settings())
    try:
        return confidential_client(tenant, msal.TokenCache())
    except graph.errors.NotConfigured:
        raise NotConfigured from None
    except graph.errors.MicrosoftUnavailable as error:
        raise MicrosoftUnavailable(
            "Microsoft's sign-in service did not answer as expected. Try again later."
        ) from error


def begin_auth_code_flow(tenant: str, redirect_uri: str) -> dict[str, Any]:
    """msal's flow for a sign-in at the tenant's authority, answered by form POST."""
    return dict(
        sign_in_client(tenant).initiate_auth_code_flow(
            list(SIGN_IN_SCOPES),
            redirect_uri=redirect_uri,
            response_mode="form_post",
            prompt="select_account",
        )
    )


def redeem_auth_code(
    tenant: str, flow: dict[str, Any], auth_response: dict[str, str]
) -> dict[str, Any]:
    """Check the answer against the flow (state, nonce) and redeem its code (with PKCE).

    Returns msal's result: `id_token` (not yet verified), `access_token`, and so on.
    """
    client = sign_in_client(tenant)
    try:
        result: dict[str, Any] = client.acquire_token_by_auth_code_flow(flow, auth_response)
    except ValueError as error:  # msal: state missing or mismatched, malformed answer
        log.info("auth code flow answer refused: %s", type(error).__name__)
        raise InvalidSignInResponse(
            "The answer from Microsoft does not match the sign-in this browser started. "
            "Start again from the sign-in page."
        ) from None
    except RuntimeError as error:  # msal: the id_token's nonce is not this flow's
        if type(error) is not RuntimeError:  # a subclass is someone else's failure
            raise
        raise InvalidSignInResponse(
            "The answer from Microsoft was issued for another sign-in. Start again."
        ) from None
    except (requests.RequestException, msal.exceptions.MsalError) as error:
        log.warning("token endpoint failed: %s", type(error).__name__)
        raise MicrosoftUnavailable("Microsoft's sign-in service failed. Try again later.") from None
    if "error" in result:
        raise MicrosoftRefused(result["error"], result.get("error_description"))
    if "id_token" not in result:
        raise MicrosoftUnavailable("Microsoft's answer had no id_token.")
    return result


def admin_consent_url(tenant: str, redirect_uri: str, state: str) -> str:
    """Microsoft's admin consent endpoint for the app's application permissions (v2.0).

    `/.default` asks for every application permission the registration lists; the tenant is the
    verified one of the administrator, never `common`.
    """
    settings = current_settings()
    query = urlencode(
        {
            "client_id": settings.microsoft_client_id,
            "scope": graph_default_scope(settings),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{authority_url(settings, tenant)}/v2.0/adminconsent?{query}"
