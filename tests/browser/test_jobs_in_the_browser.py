"""A job queued from the browser's session runs in the worker beside the served service, which
reads Graph through the relay: an Administrator imports the directory with Sync now's API, and
the Users page shows the imported users as coming from Sync now."""

from __future__ import annotations

import time

from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy.orm import Session

from kinabase.organisations import Organisation, bind_entra_tenant
from tests.browser.microsoft import REGISTRATION_ID, MicrosoftInTheBrowser
from tests.browser.support import add_administrator, sign_in_with_password

JOB_TIMEOUT = 60.0


def test_an_import_queued_by_the_page_runs_in_the_worker(
    page: Page,
    context: BrowserContext,
    session: Session,
    microsoft: MicrosoftInTheBrowser,
    worker: None,
) -> None:
    contoso = microsoft.cloud.add_tenant("contoso.test")
    contoso.add_user("grace", "Grace Hopper", given_name="Grace", surname="Hopper")
    contoso.add_user("linus", "Linus Pauling", given_name="Linus", surname="Pauling")
    microsoft.cloud.grant_consent(contoso.tenant_id, REGISTRATION_ID)
    ada = add_administrator(session)
    organisation = session.get(Organisation, ada.org_id)
    assert organisation is not None
    bind_entra_tenant(session, organisation, contoso.tenant_id)
    session.commit()
    sign_in_with_password(page, ada, "/admin/users")
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrf_access_token")

    queued = page.request.post(
        "/admin/api/directory/import",
        data={"all": True, "userType": "user", "roles": []},
        headers={"X-CSRF-TOKEN": csrf},
    )

    assert queued.status == 202, queued.text()
    job_id = queued.json()["id"]
    deadline = time.monotonic() + JOB_TIMEOUT
    while (job := page.request.get(f"/admin/api/directory/jobs/{job_id}").json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, f"the job did not finish: {job}"
        time.sleep(0.2)
    assert job["status"] == "succeeded", job
    page.reload()
    for email in ("grace@contoso.test", "linus@contoso.test"):
        row = page.get_by_test_id("users").get_by_role("row").filter(has_text=email)
        expect(row).to_contain_text("Sync now")
    expect(page.get_by_test_id("seats")).to_have_text("3 of 25 seats used")
    assert any(request.path.endswith("/users") for request in microsoft.microsoft.requests)
