"""The Microsoft identity platform through msal: authorization code flow with PKCE, admin consent.

msal 1.39 `ConfidentialClientApplication` does the protocol: `initiate_auth_code_flow` makes
state, nonce and the PKCE verifier and challenge (RFC 7636, S256), and
`acquire_token_by_auth_code_flow` checks state and nonce and redeems the code with the verifier.
It does not verify the id_token; `sso.id_token` does.

An msal app is built per request, never at import (its constructor fetches the authority's OpenID
configuration), with `http_client` set to the service's one HTTP session and a fresh token cache,
so that users' tokens never outlive the request that needed them. What msal may reuse between
requests — discovery documents, and its short memory of error answers — lives in an HTTP cache per
authority and per Flask app, so a new app (a test) starts with an empty one.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit

import msal
import requests
from flask import Flask, current_app

from kinabase_m365.runtime import current_settings, http_session
from kinabase_m365.settings import Settings
from sso.errors import InvalidSignInResponse, MicrosoftRefused, MicrosoftUnavailable, NotConfigured

log = logging.getLogger(__name__)

EXTENSION_KEY = "sso.msal_http_caches"
# Delegated permissions of sign-in; msal adds openid, profile and offline_access itself.
SIGN_IN_SCOPES = ("User.Read", "email")
MULTI_TENANT_AUTHORITY = "organizations"  # work and school accounts of any tenant, never personal


class HttpCaches:
    """msal's HTTP caches of one Flask app, one per authority."""

    def __init__(self) -> None:
        self._caches: dict[str, dict[Any, Any]] = {}
        self._lock = threading.Lock()

    def for_authority(self, authority: str) -> dict[Any, Any]:
        """The cache msal keeps for this authority."""
        with self._lock:
            return self._caches.setdefault(authority, {})


def init_app(app: Flask) -> None:
    """Give the app its msal HTTP caches, and keep msal's debug log shut.

    msal 1.39 logs each token response at DEBUG with the request's authorization `code` and PKCE
    `code_verifier` in clear (token_cache.py redacts secrets and tokens, not those), so its
    loggers stay at INFO whatever LOG_LEVEL says.
    """
    app.extensions[EXTENSION_KEY] = HttpCaches()
    logging.getLogger("msal").setLevel(logging.INFO)


def authority_url(settings: Settings, tenant: str) -> str:
    """`{authority host}/{tenant}`: a tenant id, or `organizations` for any work account."""
    return f"{settings.microsoft_authority_host.rstrip('/')}/{tenant}"


def client_credential(settings: Settings) -> str | dict[str, str]:
    """The app registration's certificate (a PFX file) when given, else its client secret."""
    if settings.microsoft_client_certificate_path:
        return {
            "private_key_pfx_path": settings.microsoft_client_certificate_path,
            "passphrase": settings.microsoft_client_certificate_password,
        }
    return settings.microsoft_client_secret


def confidential_client(tenant: str) -> msal.ConfidentialClientApplication:
    """An msal app for the tenant's authority, talking through the service's HTTP session."""
    settings = current_settings()
    if not settings.microsoft_configured or not settings.public_base_url:
        raise NotConfigured
    authority = authority_url(settings, tenant)
    caches: HttpCaches = current_app.extensions[EXTENSION_KEY]
    # Hosts msal does not know (an emulator on 127.0.0.1) would make it ask Microsoft's
    # instance discovery about them; the configured host is the operator's choice, so trust it.
    known = urlsplit(authority).hostname in msal.authority.WELL_KNOWN_AUTHORITY_HOSTS
    try:
        return msal.ConfidentialClientApplication(
            settings.microsoft_client_id,
            client_credential=client_credential(settings),
            authority=authority,
            http_client=http_session(),
            http_cache=caches.for_authority(authority),
            token_cache=msal.TokenCache(),
            instance_discovery=None if known else False,
        )
    except (ValueError, requests.RequestException, msal.exceptions.MsalError) as error:
        log.warning("the authority %s cannot be used: %s", authority, type(error).__name__)
        raise MicrosoftUnavailable(
            "Microsoft's sign-in service did not answer as expected. Try again later."
        ) from error


def begin_auth_code_flow(tenant: str, redirect_uri: str) -> dict[str, Any]:
    """msal's flow for a sign-in at the tenant's authority, answered by form POST."""
    return dict(
        confidential_client(tenant).initiate_auth_code_flow(
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
    client = confidential_client(tenant)
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
            "scope": f"{settings.microsoft_graph_base_url.rstrip('/')}/.default",
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{authority_url(settings, tenant)}/v2.0/adminconsent?{query}"
