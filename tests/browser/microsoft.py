"""Microsoft as the browser meets it in the browser tests.

Each test gets a fresh `MicrosoftCloud` with the one app registration the served service is
configured with (`REGISTRATION_ID`, `REGISTRATION_SECRET`, the redirect URIs of its address).
The service reaches the cloud's emulators through the relay (`tests.browser.relay`); the browser
reaches them through Playwright: every request of the page to https://login.microsoftonline.com
is fulfilled in the test process from the same routed session, so no request leaves the machine
and no TLS is involved.

Who signs in at Microsoft is the test's choice (`sign_in_as`), standing for the credentials a
person types: the fulfilled authorize and adminconsent requests carry the emulator's `login_as`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.sync_api import BrowserContext, Request, Route

from tests.conftest import UnroutedHostError
from tests.emulators import EmulatedMicrosoft, emulate_microsoft
from tests.emulators.cloud import AppRegistration, DirectoryUser, MicrosoftCloud

REGISTRATION_ID = "6f0c4a8e-2d1b-4c3a-9e7f-5b8d2a1c0e94"
REGISTRATION_SECRET = "browser-tests-client-secret"
LOGIN_URL = re.compile(r"^https://login\.microsoftonline\.com/")
# The person's steps at Microsoft: the test says who signs in there.
INTERACTIVE_PATHS = ("/oauth2/v2.0/authorize", "/v2.0/adminconsent")
PASSED_HEADERS = frozenset({"content-type", "accept", "cookie", "origin", "referer"})


def cloud_for(base_url: str) -> MicrosoftCloud:
    """A cloud whose app registration is the served service's."""
    cloud = MicrosoftCloud()
    redirect_uris = [
        f"{base_url}/auth/microsoft/callback",
        f"{base_url}/auth/microsoft/admin-consent",
    ]
    cloud.apps[REGISTRATION_ID] = AppRegistration(
        REGISTRATION_ID, REGISTRATION_SECRET, redirect_uris
    )
    return cloud


@dataclass
class MicrosoftInTheBrowser:
    """The emulators as the browser sees them, and who signs in there."""

    microsoft: EmulatedMicrosoft
    login_as: str | None = None
    visited: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, cloud: MicrosoftCloud) -> MicrosoftInTheBrowser:
        """Emulators of `cloud`."""
        return cls(emulate_microsoft(cloud))

    @property
    def cloud(self) -> MicrosoftCloud:
        """The emulated cloud (tenants, users, consents, faults)."""
        return self.microsoft.cloud

    def sign_in_as(self, user: DirectoryUser) -> None:
        """From now on, the person at Microsoft's pages signs in as `user`."""
        self.login_as = user.user_principal_name

    def install(self, context: BrowserContext) -> None:
        """Fulfil the context's requests to Microsoft's sign-in from the emulators."""
        context.route(LOGIN_URL, self.fulfil)

    def fulfil(self, route: Route, request: Request) -> None:
        """Answer one of the browser's requests to Microsoft."""
        url = self._as_person(request.url)
        self.visited.append(url)
        headers = {name: value for name, value in request.headers.items() if name in PASSED_HEADERS}
        try:
            answer = self.microsoft.session.request(
                request.method,
                url,
                headers=headers,
                data=request.post_data_buffer,
                allow_redirects=False,
            )
        except UnroutedHostError:
            route.abort("addressunreachable")
            return
        kept = {
            name: value
            for name, value in answer.headers.items()
            if name.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        }
        route.fulfill(status=answer.status_code, headers=kept, body=answer.content)

    def _as_person(self, url: str) -> str:
        parts = urlsplit(url)
        if self.login_as is None or not parts.path.endswith(INTERACTIVE_PATHS):
            return url
        query = [(name, value) for name, value in parse_qsl(parts.query) if name != "login_as"]
        query.append(("login_as", self.login_as))
        return urlunsplit(parts._replace(query=urlencode(query)))
