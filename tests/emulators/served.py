"""The emulators served over HTTP on loopback, for services in other processes (a worker that a
test kills and starts again) that must see one cloud: the files a killed worker uploaded are
there for the next one, and the test reads them.

`serve_emulators(cloud)` serves Entra and Graph (SharePoint's hosts too) from one threaded
server on 127.0.0.1, choosing the emulator by the request's Host header. In the other process,
`forwarding_session(port)` is the session to hand to `create_app`: it sends each request for a
Microsoft host to that server, with the real URL's host in the Host header, and raises
UnroutedHostError for any other host, as the in-process transport does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from werkzeug.serving import make_server

from tests.conftest import UnroutedHostError
from tests.emulators.cloud import AUTHORITY_HOST, GRAPH_HOST, MicrosoftCloud
from tests.emulators.entra import create_entra_app
from tests.emulators.graph import create_graph_app

LOOPBACK = "127.0.0.1"


def _is_microsoft(host: str) -> bool:
    host = host.lower()
    return host in (AUTHORITY_HOST, GRAPH_HOST) or host.endswith(".sharepoint.com")


@contextmanager
def serve_emulators(cloud: MicrosoftCloud) -> Iterator[int]:
    """Serve the cloud's emulators on a free loopback port (yielded) until the block ends."""
    entra, graph = create_entra_app(cloud), create_graph_app(cloud)

    def by_host(environ: dict[str, Any], start_response: Any) -> Any:
        host = environ.get("HTTP_HOST", "").split(":")[0].lower()
        return (entra if host == AUTHORITY_HOST else graph)(environ, start_response)

    server = make_server(LOOPBACK, 0, by_host, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="emulators", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()


class LoopbackForwarder(HTTPAdapter):
    """Sends requests for Microsoft's hosts to the served emulators, keeping their Host."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        if not _is_microsoft(url.hostname or ""):
            raise UnroutedHostError(f"no emulator serves {url.hostname!r}; tests must not reach it")
        request.headers["Host"] = url.netloc
        request.url = urlunsplit(("http", f"{LOOPBACK}:{self.port}", *url[2:]))
        response = super().send(request, **kwargs)
        response.url = urlunsplit(url)
        return response


def forwarding_session(port: int) -> requests.Session:
    """A session whose requests to Microsoft reach the emulators served on `port`."""
    session = requests.Session()
    session.trust_env = False
    adapter = LoopbackForwarder(port)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
