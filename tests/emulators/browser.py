"""The person at the browser: takes the service's redirect to Microsoft and brings the answer back.

Tests call the authorize (or adminconsent) URL the service produced through the routed session,
as a browser would, choosing who signs in; the emulator answers with a form_post page (or a
redirect), which the test then hands to the service's callback through Flask's test client.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import requests


@dataclass(frozen=True)
class FormPost:
    """The auto-submitting form of a `response_mode=form_post` answer."""

    action: str
    fields: dict[str, str]

    @property
    def path(self) -> str:
        """Where on the service the form posts to."""
        return urlsplit(self.action).path


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = values.get("action")
        elif tag == "input" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")


class Browser:
    """Visits Microsoft's pages through the routed session."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session

    def sign_in(self, auth_uri: str, login_as: str) -> FormPost:
        """Sign in at the authorize URL as `login_as`; the form Microsoft posts back."""
        response = self.session.get(auth_uri, params={"login_as": login_as}, allow_redirects=False)
        parser = _FormParser()
        parser.feed(response.text)
        if response.status_code != 200 or parser.action is None:
            raise AssertionError(f"Microsoft showed a page: {response.status_code} {response.text}")
        return FormPost(parser.action, parser.fields)

    def admin_consent(self, consent_url: str, login_as: str, *, decline: bool = False) -> str:
        """Approve (or decline) at the adminconsent URL as `login_as`; the redirect back."""
        params = {"login_as": login_as, **({"decline": "1"} if decline else {})}
        response = self.session.get(consent_url, params=params, allow_redirects=False)
        if response.status_code != 302:
            raise AssertionError(f"Microsoft showed a page: {response.status_code} {response.text}")
        return response.headers["Location"]
