"""Organisation → File Storage in the console, through Flask's test client: the provider, the
site search and library picker from Graph with the warning for a library that is not empty, the
prompt to grant consent again, Update (CSRF, errors next to the field), and moving the files."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from jobs.queue import app_jobs
from kinabase.organisations import FileStorageProvider, get_organisation
from tests.files.conftest import World
from tests.files.test_migration import content, upload, use
from tests.files.test_storage_api import make_administrator

PAGE = "/admin/file-storage"


@pytest.fixture
def admin(world: World) -> FlaskClient:
    make_administrator(world, world.acme)
    return world.signed_in(world.acme)


def csrf(client: FlaskClient) -> str:
    cookie = client.get_cookie("csrf_access_token")
    assert cookie is not None
    return cookie.value


def text(html: str) -> str:
    """The page's words, without tags and runs of spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_says_where_files_go_and_is_in_the_navigation(
    world: World, admin: FlaskClient
) -> None:
    page = admin.get(PAGE)

    assert page.status_code == 200
    words = text(page.text)
    assert "New files go to the SharePoint library Documents" in words
    assert '<a href="/admin/file-storage" aria-current="page">File Storage</a>' in page.text
    assert "Every file is where new files go." in words


def test_others_than_administrators_are_refused(world: World) -> None:
    user = world.signed_in(world.acme)
    assert user.get(PAGE).status_code == 403


def test_a_site_is_found_and_a_library_that_is_not_empty_is_warned_about(
    world: World, admin: FlaskClient
) -> None:
    site = world.acme.library.site
    archive = site.add_library("Archive")
    archive.add_file("a.txt", b"a")
    archive.add_file("b.txt", b"b")

    found = admin.get(PAGE, query_string={"provider": "sharepoint", "search": "kinab"})
    picked = admin.get(
        PAGE,
        query_string={"provider": "sharepoint", "site": site.site_id, "library": archive.drive_id},
    )

    assert f'site={site.site_id}"' in found.text
    assert ">Kinabase</a>" in found.text
    words = text(picked.text)
    assert "Archive 2 items" in words and "Documents empty" in words
    warning = re.search(r'<p class="warning"[^>]*data-warning-for="([^"]+)"([^>]*)>', picked.text)
    assert warning is not None
    assert warning.group(1) == archive.drive_id and "hidden" not in warning.group(2)
    assert "The library Archive is not empty (2 items)" in words


def test_update_needs_csrf_and_a_library_and_then_changes_new_files_only(
    world: World, admin: FlaskClient
) -> None:
    acme = world.acme
    use(world, acme, FileStorageProvider.BUILTIN)
    upload(world, acme, "old.txt", content("old"))
    site = acme.library.site

    form_only = world.app.test_client()  # a browser: cookies, and no CSRF header
    form_only.set_cookie("access_token_cookie", admin.get_cookie("access_token_cookie").value)  # type: ignore[union-attr]
    no_token = form_only.post(PAGE, data={"provider": "builtin"})
    no_library = admin.post(
        PAGE, data={"csrf_token": csrf(admin), "provider": "sharepoint", "site": site.site_id}
    )
    chosen = admin.post(
        PAGE,
        data={
            "csrf_token": csrf(admin),
            "provider": "sharepoint",
            "site": site.site_id,
            "library": acme.library.drive_id,
        },
    )

    assert no_token.status_code == 403
    assert no_library.status_code == 400
    assert '<ul class="field-errors" id="library-errors">' in no_library.text
    assert "Choose a site and one of its document libraries." in no_library.text
    assert chosen.status_code == 303
    page = admin.get(PAGE)
    words = text(page.text)
    assert "New files go to the SharePoint library Documents. Files already stored stay" in words
    assert "1 in Kinabase's built-in storage, 0 in SharePoint" in words
    assert "1 file is not where new files go." in words
    with world.database.read_sessions() as session:
        organisation = get_organisation(session, acme.org_id)
        assert organisation.file_storage_provider is FileStorageProvider.SHAREPOINT


def test_missing_permissions_prompt_to_grant_consent_again(
    world: World, admin: FlaskClient
) -> None:
    key = (world.acme.tenant.tenant_id, world.registration.client_id)
    world.cloud.consents[key].discard("Sites.ReadWrite.All")

    page = admin.get(PAGE, query_string={"provider": "sharepoint", "search": "kinab"})

    assert page.status_code == 200
    assert "Grant permissions again" in page.text
    assert 'action="/admin/file-storage/consent"' in page.text
    assert "Sites.Selected" in page.text


def test_moving_the_files_shows_the_progress_then_the_outcome(
    world: World, admin: FlaskClient
) -> None:
    acme = world.acme
    use(world, acme, FileStorageProvider.BUILTIN)
    upload(world, acme, "a.txt", content("a"))
    upload(world, acme, "b.txt", content("b"))
    use(world, acme, FileStorageProvider.SHAREPOINT)
    assert "Move 2 files" in admin.get(PAGE).text

    moved = admin.post(f"{PAGE}/migration", data={"csrf_token": csrf(admin)})
    following = admin.get(PAGE)

    assert moved.status_code == 303
    assert "data-follow-job=" in following.text
    assert "Moving files: 0 of" in text(following.text)
    job_id = int(re.search(r"/admin/api/storage/migration/(\d+)", following.text).group(1))  # type: ignore[union-attr]
    with world.app.app_context():
        app_jobs(world.app).run_here(job_id)
    words = text(admin.get(PAGE).text)
    assert "The last move finished: 2 of 2 files moved." in words
    assert "Every file is where new files go." in words
