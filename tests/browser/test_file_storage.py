"""Organisation → File Storage in Chromium: find the SharePoint site, pick a library (warned
about one that is not empty), Update, and move the files with the progress bar followed to the
end by a real worker (`kinabase-m365 worker`'s consumer in a process of its own)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from files.service import upload_file
from kinabase.colleagues import colleague_record
from kinabase.organisations import bind_entra_tenant, get_organisation
from kinabase_m365.app import create_app
from kinabase_m365.database import get_database
from tests.browser.microsoft import REGISTRATION_ID, REGISTRATION_SECRET, MicrosoftInTheBrowser
from tests.browser.relay import MicrosoftRelay
from tests.browser.server import ServedConsole, serve_console
from tests.browser.support import (
    REGISTRATION_SETTINGS,
    add_administrator,
    expect_heading,
    screenshot,
    sign_in_with_password,
)

ROOT = Path(__file__).resolve().parents[2]
SITES_PERMISSIONS = frozenset({"User.Read.All", "GroupMember.Read.All", "Sites.ReadWrite.All"})


@dataclass(frozen=True)
class Storage:
    """Where the served service and its worker keep files and their queue."""

    files: Path
    queue: Path


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Storage:
    directory = tmp_path_factory.mktemp("storage")
    return Storage(directory / "files", directory / "queue.db")


@pytest.fixture(scope="module")
def served(
    database_url: str,
    relay: MicrosoftRelay,
    storage: Storage,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServedConsole]:
    """The console under gunicorn, its files and job queue in this module's directory."""
    settings = {
        **REGISTRATION_SETTINGS,
        "FILES_DIRECTORY": str(storage.files),
        "JOBS_SQLITE_PATH": str(storage.queue),
    }
    with serve_console(
        database_url, relay.url, tmp_path_factory.mktemp("served"), settings
    ) as console:
        yield console


@dataclass(frozen=True)
class Worker:
    """A running worker: the database, files and queue it shares with the served console."""

    database_url: str
    storage: Storage
    log: Path


@pytest.fixture
def worker(
    database_url: str, relay: MicrosoftRelay, storage: Storage, tmp_path: Path
) -> Iterator[Worker]:
    """A worker on the same database, files and queue, reaching Microsoft through the relay."""
    settings = tmp_path / "worker.json"
    settings.write_text(
        json.dumps(
            {
                "database_url": database_url,
                "environment": "test",
                "secret_key": "test-secret-key",
                "microsoft_client_id": REGISTRATION_ID,
                "microsoft_client_secret": REGISTRATION_SECRET,
                "files_directory": str(storage.files),
                "jobs_sqlite_path": str(storage.queue),
            }
        )
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.files.worker_process", str(settings), relay.url],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield Worker(database_url, storage, log)
        finally:
            process.kill()
            process.wait()


def test_an_administrator_picks_a_library_updates_and_moves_the_files(
    page: Page,
    session: Session,
    microsoft: MicrosoftInTheBrowser,
    worker: Worker,
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
            "database_url": worker.database_url,
            "environment": "test",
            "secret_key": "test-secret-key",
            "files_directory": str(worker.storage.files),
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
    page.get_by_role("list", name="Sites found").get_by_role("link", name="Kinabase").click()

    warning = page.locator(f'[data-warning-for="{archive.drive_id}"]')
    page.get_by_label("Archive").check()
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
    ], worker.log.read_text()[-3000:]
    screenshot(page, screenshots_directory, "file-storage")
