"""The task pane and the sign-in dialog (outlook/pages.py): pages Outlook may frame, loading
Office.js from Microsoft's CDN and the service's own modules, every one of which is served."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from outlook.pages import OFFICE_JS_URL
from tests.outlook.pages_support import pages_client

IMPORT = re.compile(r'\bfrom "\./([\w.-]+\.js)";')


def policy_of(response_headers: dict[str, str]) -> dict[str, str]:
    return dict(
        part.strip().split(" ", 1)
        for part in response_headers["Content-Security-Policy"].split(";")
    )


def scripts_of(page: str) -> list[str]:
    return re.findall(r'<script (?:type="module" )?src="([^"]+)"></script>', page)


def module_graph(client: FlaskClient, entry: str) -> set[str]:
    """Every module an entry point imports, directly or not, fetched from the service."""
    seen: set[str] = set()
    waiting = [entry]
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        with client.get(path) as response:  # static files are streamed: close them
            assert response.status_code == 200, path
            assert response.mimetype == "text/javascript", path
            source = response.get_data(as_text=True)
        waiting += [f"/outlook/static/{name}" for name in IMPORT.findall(source)]
    return seen


@pytest.mark.parametrize(
    ("path", "entry"),
    [
        ("/outlook/taskpane", "/outlook/static/main.js"),
        ("/outlook/sign-in", "/outlook/static/sign-in.js"),
    ],
)
def test_outlook_may_frame_the_pages_which_load_office_js_and_then_the_modules(
    tmp_path: Path, path: str, entry: str
) -> None:
    with pages_client(tmp_path) as client:
        page = client.get(path)
        assert page.status_code == 200
        assert page.mimetype == "text/html"
        assert "X-Frame-Options" not in page.headers
        policy = policy_of(dict(page.headers))
        ancestors = policy["frame-ancestors"].split()
        assert "https://*.office.com" in ancestors
        assert "https://*.office365.com" in ancestors
        assert "*" not in ancestors
        assert policy["script-src"] == "'self' https://appsforoffice.microsoft.com"
        assert policy["connect-src"] == "'self' https://login.microsoftonline.com"
        scripts = scripts_of(page.get_data(as_text=True))
        assert scripts[0] == OFFICE_JS_URL  # Office.js first: the modules use its global
        assert scripts[-1] == entry
        modules = module_graph(client, entry)
        assert "/outlook/static/office-adapter.js" in modules
        for local in scripts[1:-1]:
            with client.get(local) as script:
                assert script.status_code == 200


def test_the_task_pane_is_served_all_it_imports(tmp_path: Path) -> None:
    with pages_client(tmp_path) as client:
        modules = module_graph(client, "/outlook/static/main.js")
        with client.get("/outlook/static/taskpane.css") as stylesheet:
            assert stylesheet.status_code == 200
            assert stylesheet.mimetype == "text/css"
    assert {
        "/outlook/static/main.js",
        "/outlook/static/api.js",
        "/outlook/static/auth.js",
        "/outlook/static/office-adapter.js",
        "/outlook/static/pane-logic.js",
        "/outlook/static/taskpane.js",
    } == modules


def test_the_vendored_msal_js_is_served_with_its_licence(tmp_path: Path) -> None:
    with pages_client(tmp_path) as client:
        with client.get("/outlook/static/vendor/msal-browser.min.js") as script:
            assert script.status_code == 200
            assert script.get_data(as_text=True).startswith("/*! @azure/msal-browser v")
        with client.get("/outlook/static/vendor/msal-browser.LICENSE.txt") as licence:
            assert licence.status_code == 200
            assert "MIT License" in licence.get_data(as_text=True)


def test_only_the_add_in_pages_may_be_framed(tmp_path: Path) -> None:
    with pages_client(tmp_path) as client:
        login = client.get("/login")
    assert login.headers["X-Frame-Options"] == "DENY"
    assert policy_of(dict(login.headers))["frame-ancestors"] == "'none'"


def test_only_the_manifests_icon_sizes_exist(tmp_path: Path) -> None:
    with pages_client(tmp_path) as client:
        assert client.get("/outlook/icons/icon-80.png").status_code == 200
        assert client.get("/outlook/icons/icon-81.png").status_code == 404
        cached = client.get("/outlook/icons/icon-16.png").headers["Cache-Control"]
    assert cached == "public, max-age=86400"
