"""A `requests` transport that serves Microsoft's hosts from in-process WSGI apps.

The service makes every call to Microsoft through one `requests.Session` (msal takes it as
`http_client`). Tests hand it a session built here: its adapter hands each request for a routed
host (`login.microsoftonline.com`, `graph.microsoft.com`, any `*.sharepoint.com`) to a WSGI app
and raises `UnroutedHostError` for every other host, so a test can never leave the machine. The
real URLs stay in the code under test; nothing is disabled and no TLS is involved.

Every request that passes through is recorded, so tests can assert what was (not) sent.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

from tests.conftest import UnroutedHostError

# An emulator's answer with this header stands for a connection that broke: the session raises.
DROP_CONNECTION = "X-Emulator-Drop-Connection"

WsgiApp = Any  # a WSGI callable; werkzeug's protocol type is not worth importing here


@dataclass(frozen=True)
class RecordedRequest:
    """One request that reached an emulator."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    status: int = 0  # the emulator's answer
    response_body: bytes = b""

    @property
    def path(self) -> str:
        """The URL's path, without the query."""
        return urlsplit(self.url).path


class WsgiTransport(BaseAdapter):
    """Routes requests by host name to WSGI apps; a leading dot routes a whole domain."""

    def __init__(self, routes: Mapping[str, WsgiApp]) -> None:
        super().__init__()
        self.routes = dict(routes)
        self.recorded: list[RecordedRequest] = []

    def app_for(self, host: str) -> WsgiApp:
        """The app serving this host, or UnroutedHostError."""
        host = host.lower()
        if host in self.routes:
            return self.routes[host]
        for pattern, app in self.routes.items():
            if pattern.startswith(".") and host.endswith(pattern):
                return app
        raise UnroutedHostError(f"no emulator serves {host!r}; tests must not reach it")

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = urlsplit(request.url or "")
        app = self.app_for(url.hostname or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if not isinstance(body, bytes):  # a generator or file: read it all
            body = b"".join(part if isinstance(part, bytes) else part.encode() for part in body)
        builder = EnvironBuilder(
            method=request.method,
            base_url=f"{url.scheme}://{url.netloc}",
            path=url.path,
            query_string=url.query,
            headers=[(k, v) for k, v in request.headers.items() if k.lower() != "content-length"],
            input_stream=io.BytesIO(body),
        )
        builder.content_length = len(body)
        try:
            app_iter, status, headers = run_wsgi_app(app, builder.get_environ(), buffered=True)
            content = b"".join(app_iter)
        finally:
            builder.close()
        response = self._response(request, status, list(headers.items()), content)
        if DROP_CONNECTION in response.headers:
            response.status_code, content = 0, b""
        self.recorded.append(
            RecordedRequest(
                request.method or "GET",
                request.url or "",
                dict(request.headers),
                body,
                response.status_code,
                content,
            )
        )
        if response.status_code == 0:
            raise requests.ConnectionError("the emulator dropped the connection", request=request)
        return response

    @staticmethod
    def _response(
        request: requests.PreparedRequest, status: str, headers: list[tuple[str, str]], body: bytes
    ) -> requests.Response:
        response = requests.Response()
        code, _, reason = status.partition(" ")
        response.status_code = int(code)
        response.reason = reason
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = body
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release: no sockets are opened."""


def make_session(routes: Mapping[str, WsgiApp]) -> requests.Session:
    """A session whose every request goes to the routed WSGI apps (or raises)."""
    session = requests.Session()
    session.trust_env = False  # no proxies or CA bundles from the environment
    transport = WsgiTransport(routes)
    session.mount("https://", transport)
    session.mount("http://", transport)
    return session


def transport_of(session: requests.Session) -> WsgiTransport:
    """The emulator transport mounted on a session made by `make_session`."""
    adapter = session.get_adapter("https://")
    assert isinstance(adapter, WsgiTransport)
    return adapter
