"""The Microsoft client: the app's one HTTP session to Microsoft, the authority and Graph hosts,
msal confidential clients (client secret or certificate), app-only access tokens per tenant,
Graph GETs with paging and throttling (`graph.http`) and the directory reads (`graph.directory`).

Sign-in (`sso`) builds its msal clients here; the directory pull and SharePoint storage take
their app-only tokens and Graph reads from here. `init_app(app, http_session)` wires it into
the service; nothing happens at import.
"""

from __future__ import annotations

from graph.connection import init_app

__all__ = ["init_app"]
