"""Microsoft for a service in another process: the emulators stay in the test process.

The browser tests run the service as a real gunicorn process, while the Entra and Graph
emulators, the cloud they serve and its faults stay in the test process, where tests seed and
inspect them as the other tests do. Between the two is a relay over loopback:

- in the test process, `MicrosoftRelay` is a small threaded HTTP server; each request names the
  Microsoft URL it is for (`X-Relay-Url`) and is sent through the current test's routed session
  (`tests.emulators.emulate_microsoft`), so the emulators record it as any request;
- in the service's process, `relay_session(url)` is the `requests.Session` handed to
  `create_app`: it sends Microsoft's hosts (and only them) to the relay, and raises
  `UnroutedHostError` for any other host, as the in-process transport does.

The browser's own visits to Microsoft (sign-in, admin consent) never reach the relay: Playwright
fulfils them in the test process from the same routed session (`tests.browser.microsoft`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from tests.conftest import UnroutedHostError
from tests.emulators import EmulatedMicrosoft
from tests.emulators.cloud import AUTHORITY_HOST, GRAPH_HOST

RELAY_URL_HEADER = "X-Relay-Url"
# The relay's answer for a request the emulators' transport raised on: the service's side raises
# the same kind of error (a dropped connection, or a host no emulator serves).
RELAY_ERROR_HEADER = "X-Relay-Error"
DROPPED = "connection-dropped"
UNROUTED = "unrouted-host"
MICROSOFT_HOSTS = (AUTHORITY_HOST, GRAPH_HOST)
MICROSOFT_DOMAINS = (".sharepoint.com",)
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}
)


def is_microsoft_host(host: str) -> bool:
    """Whether the emulators serve this host."""
    host = host.lower()
    return host in MICROSOFT_HOSTS or host.endswith(MICROSOFT_DOMAINS)


def _end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]


class MicrosoftRelay:
    """The test process's end: serves the current test's emulators on a loopback port."""

    def __init__(self) -> None:
        self.microsoft: EmulatedMicrosoft | None = None
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="microsoft-relay", daemon=True
        )

    @property
    def url(self) -> str:
        """Where the service's relay session sends Microsoft's requests."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> MicrosoftRelay:
        """Serve in a thread of this process."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        """The emulators' answer to a relayed request."""
        target = request.headers.get(RELAY_URL_HEADER, "")
        microsoft = self.microsoft
        if microsoft is None:
            return Response("no test is running: no Microsoft to relay to", 503)
        headers = {
            name: value
            for name, value in _end_to_end(request.headers.items())
            if name.lower() != RELAY_URL_HEADER.lower()
        }
        try:
            answer = microsoft.session.request(
                request.method,
                target,
                headers=headers,
                data=request.get_data(),
                allow_redirects=False,
            )
        except UnroutedHostError as error:
            return Response(str(error), 502, headers={RELAY_ERROR_HEADER: UNROUTED})
        except requests.ConnectionError as error:
            return Response(str(error), 502, headers={RELAY_ERROR_HEADER: DROPPED})
        return Response(answer.content, answer.status_code, _end_to_end(answer.headers.items()))


class RelayAdapter(BaseAdapter):
    """The service's end: each request for a Microsoft host goes to the relay, over loopback."""

    def __init__(self, relay_url: str) -> None:
        super().__init__()
        self.relay_url = relay_url.rstrip("/") + "/relay"
        self.http = HTTPAdapter()

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        host = urlsplit(url).hostname or ""
        if not is_microsoft_host(host):
            raise UnroutedHostError(f"no emulator serves {host!r}; the service must not reach it")
        relayed = request.copy()
        relayed.url = self.relay_url
        relayed.headers[RELAY_URL_HEADER] = url
        response = self.http.send(relayed, **kwargs)
        error = response.headers.get(RELAY_ERROR_HEADER)
        if error == UNROUTED:
            raise UnroutedHostError(response.text)
        if error is not None:
            raise requests.ConnectionError(response.text, request=request)
        response.url = url
        response.request = request
        return response

    def close(self) -> None:
        """Close the connections to the relay."""
        self.http.close()


def relay_session(relay_url: str) -> requests.Session:
    """The session the service in another process uses for every call to Microsoft."""
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment
    adapter = RelayAdapter(relay_url)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
