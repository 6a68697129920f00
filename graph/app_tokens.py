"""App-only access tokens for a tenant's Microsoft Graph (OAuth 2.0 client credentials).

Application permissions, once an administrator of the tenant granted them by admin consent, are
used with a token the app gets for itself (RFC 6749 §4.4): at the tenant's own authority
(`{host}/{tenant id}`, never `organizations` or `common`), with the scope `{graph}/.default`
(shared/reference/microsoft-identity-and-graph.md §2.4). No user and no redirect URI take part,
so this works without PUBLIC_BASE_URL (a worker that only reads Graph needs none).

Each tenant's tokens stay in that tenant's msal token cache for the life of the app: msal answers
from it until the token is about to expire, so a second call sends nothing to Microsoft.

msal remembers a 400 from the token endpoint for 60 s and answers the same refusal without
asking (reference §1.6): an administrator who has just granted consent would still be refused.
So after a refusal of the OAuth kind (RFC 6749 §5.2), the authority's HTTP cache is started
afresh and the next attempt asks Entra again; throttling (429, Retry-After) is left to msal.
"""

from __future__ import annotations

import logging

import msal
import requests

from graph.confidential import confidential_client
from graph.connection import msal_caches
from graph.endpoints import MULTI_TENANT_AUTHORITIES, authority_url, graph_default_scope
from graph.errors import MicrosoftUnavailable, TokenRefused
from kinabase_m365.runtime import current_settings

log = logging.getLogger(__name__)

# The error codes of RFC 6749 §5.2, which Entra sends with HTTP 400 (401 for invalid_client).
OAUTH_REFUSALS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)


def acquire_app_token(tenant_id: str, *, renew: bool = False) -> str:
    """An app-only access token for Microsoft Graph in the tenant (from cache while it lasts).

    `renew` forgets the tenant's cached tokens first, for a token Graph refused as expired or
    invalid (401 InvalidAuthenticationToken) before msal thought it would expire.

    Raises NotConfigured without an app registration, TokenRefused when Entra refuses (no admin
    consent in the tenant: AADSTS7000229; a wrong secret or certificate), and
    MicrosoftUnavailable when Entra cannot be reached or fails.
    """
    tenant = tenant_id.strip().lower()  # Entra's ids are case-insensitive; caches are not
    if not tenant or tenant in MULTI_TENANT_AUTHORITIES:
        raise ValueError(f"app-only tokens are for one tenant, not {tenant_id!r}")
    settings = current_settings()
    if renew:
        msal_caches().forget_tokens(tenant)
    client = confidential_client(tenant, msal_caches().token_cache(tenant))
    try:
        result = client.acquire_token_for_client([graph_default_scope(settings)])
    except (requests.RequestException, msal.exceptions.MsalError) as error:
        log.warning("no app-only token for tenant %s: %s", tenant, type(error).__name__)
        raise MicrosoftUnavailable("Microsoft's token endpoint failed") from error
    if "access_token" in result:
        return str(result["access_token"])
    refusal = str(result.get("error", "no access token"))
    if refusal in OAUTH_REFUSALS:
        msal_caches().forget_http_cache(authority_url(settings, tenant))
    log.info("tenant %s refused an app-only token: %s", tenant, refusal)
    raise TokenRefused(refusal, result.get("error_description"))
