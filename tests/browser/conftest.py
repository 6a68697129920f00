"""Fixtures of the browser tests: Chromium driven by Playwright, the service under gunicorn on
loopback, and the Microsoft emulators reached by both.

- Chromium is Debian's (`/usr/bin/chromium`, or CHROMIUM_PATH), launched by its path: no browser
  is downloaded. Without it the tests fail, saying how to install it; they never skip.
- One gunicorn per database engine for the session (`tests.browser.server`); tables are emptied
  after each test as everywhere (the `engine` fixture), and each test has its own browser
  context (cookies, storage) and its own Microsoft cloud (`microsoft`).
- Anything the page requests outside the service and Microsoft's sign-in is aborted and fails the
  test, as do script errors and Content-Security-Policy violations on the page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import Engine

from tests.browser.microsoft import MicrosoftInTheBrowser, cloud_for
from tests.browser.relay import MicrosoftRelay
from tests.browser.server import ServedConsole, serve_console
from tests.browser.support import REGISTRATION_SETTINGS, PageProblems

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_MISSING = (
    f"Chromium is not installed at {CHROMIUM_PATH}: the browser tests drive Debian's chromium "
    "package (`apt-get install -y chromium`, which .ci/run does), or set CHROMIUM_PATH. "
    "They are not skipped without it."
)
SERVED_HOSTS = ("localhost", "127.0.0.1")
VIEWPORT = {"width": 1280, "height": 860}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver for the session."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, for the session."""
    if not os.access(CHROMIUM_PATH, os.X_OK):
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM_PATH,
        headless=True,
        # Nothing the browser resolves by itself may leave the machine (requests of pages are
        # routed by each context below; this covers the browser's own background traffic).
        args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"],
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def relay() -> Iterator[MicrosoftRelay]:
    """The test process's end of the line from the served service to the emulators."""
    relay = MicrosoftRelay().start()
    yield relay
    relay.stop()


@pytest.fixture(scope="session")
def served(
    database_url: str, relay: MicrosoftRelay, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedConsole]:
    """The service under gunicorn on loopback, on the database under test."""
    workdir = tmp_path_factory.mktemp("served")
    with serve_console(database_url, relay.url, workdir, REGISTRATION_SETTINGS) as console:
        yield console


@pytest.fixture
def microsoft(served: ServedConsole, relay: MicrosoftRelay) -> Iterator[MicrosoftInTheBrowser]:
    """This test's Microsoft cloud, reached by the service (relay) and the browser (routes)."""
    emulated = MicrosoftInTheBrowser.of(cloud_for(served.base_url))
    relay.microsoft = emulated.microsoft
    yield emulated
    relay.microsoft = None


@pytest.fixture
def context(
    chromium: Browser,
    served: ServedConsole,
    microsoft: MicrosoftInTheBrowser,
    engine: Engine,
) -> Iterator[BrowserContext]:
    """A fresh browser profile for the test (its own cookies), at the service's address."""
    context = chromium.new_context(base_url=served.base_url, viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    blocked: list[str] = []

    def only_the_service(route, request) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(request.url).hostname in SERVED_HOSTS:
            route.fallback()
        else:
            blocked.append(request.url)
            route.abort("blockedbyclient")

    context.route("**/*", only_the_service)
    microsoft.install(context)  # registered later, so tried first
    yield context
    context.close()
    assert blocked == [], f"the page tried to leave the machine: {blocked}"


@pytest.fixture
def page(context: BrowserContext, served: ServedConsole) -> Iterator[Page]:
    """A tab of the test's browser; script errors and CSP violations on it fail the test."""
    page = context.new_page()
    problems = PageProblems.watch(page)
    yield page
    problems.check(served)


@pytest.fixture(scope="session")
def screenshots_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where page screenshots go: SCREENSHOTS_DIR (`make screenshots`: docs/screenshots), else a
    temporary directory, so that an ordinary test run leaves the working tree as it was."""
    configured = os.environ.get("SCREENSHOTS_DIR")
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        return directory
    return tmp_path_factory.mktemp("screenshots")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test's report ends with what the server logged (its tracebacks)."""
    report = yield
    served = getattr(item, "funcargs", {}).get("served")
    if report.failed and isinstance(served, ServedConsole):
        report.sections.append(("server log (last lines)", served.log()[-6000:]))
    return report
