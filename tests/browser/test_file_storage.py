"""Organisation → File Storage in Chromium: find the SharePoint site, pick a library (warned
about one that is not empty), Update, and move the files with the progress bar followed to the
end by a real worker (`kinabase-m365 worker`'s consumer in a process of its own: the session's,
beside the served console, on its database, files and job queue)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy.orm import Session

from files.service import upload_file
from kinabase.colleagues import colleague_record
from kinabase.organisations import bind_entra_tenant, get_organisation
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.browser.microsoft import REGISTRATION_ID, MicrosoftInTheBrowser
from tests.browser.server import ServedConsole
from tests.browser.support import (
    add_administrator,
    expect_heading,
    screenshot,
    sign_in_with_password,
)

SITES_PERMISSIONS = frozenset({"User.Read.All", "GroupMember.Read.All", "Sites.ReadWrite.All"})


@pytest.mark.usefixtures("worker")
def test_an_administrator_picks_a_library_updates_and_moves_the_files(
    page: Page,
    session: Session,
    microsoft: MicrosoftInTheBrowser,
    served: ServedConsole,
    screenshots_directory: Path,
) -> None:
    cloud = microsoft.cloud
    contoso = cloud.add_tenant("contoso.test")
    cloud.apps[REGISTRATION_ID].application_permissions = SITES_PERMISSIONS
    cloud.grant_consent(contoso.tenant_id, REGISTRATION_ID)
    site = contoso.add_site("Kinabase")
    documents = site.add_library("Documents")
    archive = site.add_library("Archive")
    archive.add_file("2019/minutes.docx", b"old minutes")
    ada = add_administrator(session)
    bind_entra_tenant(session, get_organisation(session, ada.org_id), contoso.tenant_id)
    record_id = colleague_record(session, ada.org_id, ada.user_id).id
    session.commit()
    local = create_app(
        {
            "database_url": served.env["DATABASE_URL"],
            "environment": "test",
            "secret_key": "test-secret-key",
            "files_directory": served.env["FILES_DIRECTORY"],
        }
    )
    with local.app_context():
        for name in ("contract.pdf", "notes.txt", "photo.jpg"):
            data = f"the bytes of {name}".encode()
            upload_file(
                get_database(local),
                ada.org_id,
                record_id,
                stream=io.BytesIO(data),
                size=len(data),
                name=name,
                content_type=None,
                user_id=ada.user_id,
            )
    get_database(local).engine.dispose()

    sign_in_with_password(page, ada, "/admin/file-storage")
    expect_heading(page, "File Storage")
    expect(page.get_by_test_id("current-storage")).to_have_text("Kinabase's built-in storage")
    page.get_by_role("link", name="Choose a SharePoint library…").click()
    page.get_by_label("SharePoint site").fill("Kinabase")
    page.get_by_role("button", name="Search sites").click()
    # The libraries' page gets its script only after the choice, as on a slow connection (and
    # as Playwright may act before a deferred script has run): the warning shows all the same.
    held: list[Route] = []

    def hold(route: Route) -> None:  # Playwright calls a function, not a bound builtin
        held.append(route)

    page.route("**/console.js*", hold)
    page.get_by_role("list", name="Sites found").get_by_role("link", name="Kinabase").click()

    warning = page.locator(f'[data-warning-for="{archive.drive_id}"]')
    page.get_by_label("Archive").check()
    assert held, "the page's script was not held back"
    for route in held:
        route.continue_()
    page.unroute("**/console.js*")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("The library Archive is not empty (1 item)")
    page.get_by_label("Documents").check()
    expect(warning).to_be_hidden()
    expect(page.get_by_role("radio", name="SharePoint", exact=True)).to_be_checked()
    page.get_by_role("button", name="Update").click()

    expect(page.locator(".flash")).to_contain_text(
        "New files go to the SharePoint library Documents."
    )
    expect(page.get_by_test_id("current-storage")).to_have_text("the SharePoint library Documents")
    page.get_by_role("button", name="Move 3 files").click()

    expect(page.locator("#migration-progress")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="The last move finished")).to_have_text(
        "The last move finished: 3 of 3 files moved.", timeout=60_000
    )
    expect(page.locator("#migration-progress")).to_have_attribute("value", "3")
    expect(page.get_by_text("Every file is where new files go.")).to_be_visible()
    assert sorted(item.name for item in documents.files()) == [
        "contract.pdf",
        "notes.txt",
        "photo.jpg",
    ], served.log()[-3000:]
    screenshot(page, screenshots_directory, "file-storage")
