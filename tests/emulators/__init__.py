"""Emulators of Microsoft Entra ID and Microsoft Graph, served in-process (DESIGN.md, "Testing
without Microsoft"; facts in shared/reference/microsoft-identity-and-graph.md).

`emulate_microsoft(cloud)` gives the routed `requests.Session` to hand to `create_app`, and the
`Browser` that plays the person signing in.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from tests.emulators.browser import Browser, FormPost
from tests.emulators.cloud import AUTHORITY_HOST, GRAPH_HOST, MicrosoftCloud
from tests.emulators.entra import create_entra_app
from tests.emulators.graph import create_graph_app
from tests.emulators.transport import RecordedRequest, make_session, transport_of

__all__ = ["Browser", "EmulatedMicrosoft", "FormPost", "MicrosoftCloud", "emulate_microsoft"]


@dataclass(frozen=True)
class EmulatedMicrosoft:
    """A cloud, the session routed to its emulators, and a browser on that session."""

    cloud: MicrosoftCloud
    session: requests.Session
    browser: Browser

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request the emulators received, in order."""
        return transport_of(self.session).recorded

    def requests_to(self, path_suffix: str) -> list[RecordedRequest]:
        """The requests whose path ends with `path_suffix`."""
        return [r for r in self.requests if r.path.endswith(path_suffix)]


def emulate_microsoft(cloud: MicrosoftCloud) -> EmulatedMicrosoft:
    """Route Microsoft's hosts to emulators of `cloud` (SharePoint sites go to Graph's app)."""
    graph = create_graph_app(cloud)
    session = make_session(
        {AUTHORITY_HOST: create_entra_app(cloud), GRAPH_HOST: graph, ".sharepoint.com": graph}
    )
    return EmulatedMicrosoft(cloud, session, Browser(session))
