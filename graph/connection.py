"""The app's one HTTP session to Microsoft, and what msal may keep between requests.

Every call to Microsoft (msal's discovery and token requests, the signing keys, Graph) goes
through one `requests.Session` that the app is given: tests hand in a session routed to their
emulators (DESIGN.md, "Testing without Microsoft").

msal keeps two kinds of memory, both per Flask app so that a new app (a test) starts empty:

- an HTTP cache per authority: discovery documents for 24 h, and its short memory of error
  answers (a 400 for 60 s, a Retry-After for as long as it says);
- a token cache per tenant for app-only tokens, so that a tenant's token is reused until it is
  about to expire. Delegated tokens of sign-in never go there: they live as long as the request.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import requests
from flask import Flask, current_app

if TYPE_CHECKING:  # msal is imported when first used, so that the CLI starts without it
    import msal

HTTP_KEY = "kinabase.http"
CACHES_KEY = "graph.msal_caches"


class MsalCaches:
    """msal's HTTP caches (one per authority) and app-only token caches (one per tenant)."""

    def __init__(self) -> None:
        self._http: dict[str, dict[Any, Any]] = {}
        self._tokens: dict[str, msal.TokenCache] = {}
        self._lock = threading.Lock()

    def http_cache(self, authority: str) -> dict[Any, Any]:
        """The HTTP cache msal keeps for this authority."""
        with self._lock:
            return self._http.setdefault(authority, {})

    def forget_http_cache(self, authority: str) -> None:
        """Start the authority's HTTP cache afresh: the next request asks Microsoft again.

        msal apps built before keep the old cache; the next one built gets an empty one.
        """
        with self._lock:
            self._http.pop(authority, None)

    def token_cache(self, tenant_id: str) -> msal.TokenCache:
        """The token cache of the tenant's app-only tokens."""
        import msal  # noqa: PLC0415 - see the import above

        with self._lock:
            return self._tokens.setdefault(tenant_id, msal.TokenCache())

    def forget_tokens(self, tenant_id: str) -> None:
        """Start the tenant's token cache afresh: the next app-only token is asked of Entra."""
        with self._lock:
            self._tokens.pop(tenant_id, None)


def init_app(app: Flask, http_session: requests.Session | None = None) -> None:
    """Give the app its HTTP session to Microsoft and msal's caches, and keep msal's debug log shut.

    msal 1.39 logs each token response at DEBUG with the request's authorization `code` and PKCE
    `code_verifier` in clear (token_cache.py redacts secrets and tokens, not those), so its
    loggers stay at INFO whatever LOG_LEVEL says.
    """
    app.extensions[HTTP_KEY] = http_session or requests.Session()
    app.extensions[CACHES_KEY] = MsalCaches()
    logging.getLogger("msal").setLevel(logging.INFO)


def http_session() -> requests.Session:
    """The current app's HTTP session for every call to Microsoft."""
    session: requests.Session = current_app.extensions[HTTP_KEY]
    return session


def msal_caches() -> MsalCaches:
    """The current app's msal caches."""
    caches: MsalCaches = current_app.extensions[CACHES_KEY]
    return caches
