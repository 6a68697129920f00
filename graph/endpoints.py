"""Where Microsoft is: the authority host (sign-in and tokens) and Microsoft Graph.

Both come from settings (MICROSOFT_AUTHORITY_HOST, MICROSOFT_GRAPH_BASE_URL), so that national
clouds, and an emulator on 127.0.0.1, are reached at their own hosts; the code never names
login.microsoftonline.com or graph.microsoft.com itself.
"""

from __future__ import annotations

from kinabase_m365.settings import Settings

# Authorities that stand for many tenants; an app-only token needs one tenant's.
MULTI_TENANT_AUTHORITIES = frozenset({"organizations", "common", "consumers"})


def authority_host(settings: Settings) -> str:
    """`https://{host}` of the Microsoft identity platform, without a trailing slash."""
    return settings.microsoft_authority_host.rstrip("/")


def authority_url(settings: Settings, tenant: str) -> str:
    """`{authority host}/{tenant}`: a tenant id, or `organizations` for any work account."""
    return f"{authority_host(settings)}/{tenant}"


def graph_base_url(settings: Settings) -> str:
    """Microsoft Graph's base URL, without a trailing slash (the version goes after it)."""
    return settings.microsoft_graph_base_url.rstrip("/")


def graph_default_scope(settings: Settings) -> str:
    """`{graph}/.default`: every application permission the app registration lists (admin
    consent and client credentials ask for it; Microsoft identity platform, "The /.default
    scope")."""
    return f"{graph_base_url(settings)}/.default"
