"""The Microsoft client: the app's one HTTP session to Microsoft, the authority and Graph hosts,
msal confidential clients (client secret or certificate) and app-only access tokens per tenant.

Sign-in (`sso`) builds its msal clients here; Graph reads, the directory pull and SharePoint
storage will take their app-only tokens from here. `init_app(app, http_session)` wires it into
the service; nothing happens at import.
"""

from __future__ import annotations

from graph.connection import init_app

__all__ = ["init_app"]
