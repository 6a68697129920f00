"""msal confidential clients: the app registration, at one authority, through the app's session.

msal 1.39's `ConfidentialClientApplication` fetches its authority's OpenID configuration when it
is built, so it is built when needed, never at import, with `http_client` set to the service's
one HTTP session and `http_cache` to the authority's (discovery then happens once per app: about
0.1 to 0.5 ms to build a client afterwards). The caller chooses the token cache: a fresh one for a
sign-in, the tenant's for app-only tokens.

The app registration proves itself with a certificate (a PFX file; msal sends a signed
`client_assertion`, RFC 7523) when one is configured, else with its client secret.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import msal
import requests

from graph.connection import http_session, msal_caches
from graph.endpoints import authority_url
from graph.errors import MicrosoftUnavailable, NotConfigured
from kinabase_m365.runtime import current_settings
from kinabase_m365.settings import Settings

log = logging.getLogger(__name__)


def client_credential(settings: Settings) -> str | dict[str, str]:
    """The app registration's certificate (a PFX file) when given, else its client secret."""
    if settings.microsoft_client_certificate_path:
        return {
            "private_key_pfx_path": settings.microsoft_client_certificate_path,
            "passphrase": settings.microsoft_client_certificate_password,
        }
    return settings.microsoft_client_secret


def confidential_client(
    tenant: str, token_cache: msal.TokenCache
) -> msal.ConfidentialClientApplication:
    """An msal app for the tenant's authority, or NotConfigured / MicrosoftUnavailable."""
    settings = current_settings()
    if not settings.microsoft_configured:
        raise NotConfigured
    authority = authority_url(settings, tenant)
    # Hosts msal does not know (an emulator on 127.0.0.1) would make it ask Microsoft's
    # instance discovery about them; the configured host is the operator's choice, so trust it.
    known = urlsplit(authority).hostname in msal.authority.WELL_KNOWN_AUTHORITY_HOSTS
    try:
        return msal.ConfidentialClientApplication(
            settings.microsoft_client_id,
            client_credential=client_credential(settings),
            authority=authority,
            http_client=http_session(),
            http_cache=msal_caches().http_cache(authority),
            token_cache=token_cache,
            instance_discovery=None if known else False,
        )
    except (ValueError, requests.RequestException, msal.exceptions.MsalError) as error:
        log.warning("the authority %s cannot be used: %s", authority, type(error).__name__)
        raise MicrosoftUnavailable(f"the authority {authority} cannot be used") from error
