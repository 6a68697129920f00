"""What browser tests share: the served service's Microsoft settings, people to sign in as, the
steps of signing in, screenshots, and the watch for script errors on a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.organisations import Organisation, set_sign_in_methods
from kinabase.users import User, UserType
from tests.browser.microsoft import REGISTRATION_ID, REGISTRATION_SECRET
from tests.browser.server import ServedConsole
from tests.passwords import password_hash

REGISTRATION_SETTINGS = {
    "MICROSOFT_CLIENT_ID": REGISTRATION_ID,
    "MICROSOFT_CLIENT_SECRET": REGISTRATION_SECRET,
}
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Person:
    """A Kinabase user a test signs in as."""

    org_id: int
    user_id: int
    email: str
    password: str = PASSWORD


def add_organisation(
    session: Session, name: str = "Contoso Ltd", *, seats: int = 25, microsoft: bool = False
) -> Organisation:
    """An organisation that allows password sign-in (and Microsoft sign-in if asked)."""
    organisation = create_organisation(session, name, licence_seats=seats)
    set_sign_in_methods(organisation, password=True, microsoft=microsoft)
    session.flush()
    return organisation


def add_person(
    session: Session,
    organisation: Organisation,
    email: str,
    user_type: UserType = UserType.USER,
    name: str | None = None,
) -> Person:
    """An active user with a password, committed so that the served service sees it."""
    user: User = create_user(
        session,
        organisation.id,
        email,
        display_name=name or "",
        active=True,
        user_type=user_type,
    )
    user.password_hash = password_hash(PASSWORD)
    session.commit()
    return Person(organisation.id, user.id, email)


def add_administrator(session: Session, email: str = "ada@contoso.test") -> Person:
    """Organisation "Contoso Ltd" and its Administrator Ada Lovelace, committed."""
    organisation = add_organisation(session)
    return add_person(session, organisation, email, UserType.ADMINISTRATOR, "Ada Lovelace")


def sign_in_with_password(page: Page, person: Person, next_path: str = "/account") -> None:
    """Sign in on the organisation's sign-in page, landing on `next_path`."""
    page.goto(f"/login?org={person.org_id}&next={next_path}")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"**{next_path}")


def screenshot(page: Page, directory: Path, name: str, *, full_page: bool = True) -> Path:
    """The whole page, or with `full_page=False` what the window shows (a modal dialog covers
    only the window), as `<directory>/<name>.png` (docs/screenshots under `make screenshots`)."""
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    assert path.stat().st_size > 0
    return path


def expect_heading(page: Page, text: str) -> None:
    """The page's main heading says `text`."""
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


@dataclass
class PageProblems:
    """Script errors and Content-Security-Policy violations seen on a page."""

    problems: list[str] = field(default_factory=list)

    @classmethod
    def watch(cls, page: Page) -> PageProblems:
        """Start watching `page`."""
        found = cls()
        page.on("pageerror", lambda error: found.problems.append(f"script error: {error}"))
        page.on("console", found._console)
        return found

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "error" and "Content Security Policy" in text:
            self.problems.append(f"CSP violation: {text}")

    def check(self, served: ServedConsole) -> None:
        """Fail if anything went wrong on the page (with the server's log to see why)."""
        assert self.problems == [], "\n".join([*self.problems, "server log:", served.log()[-3000:]])
