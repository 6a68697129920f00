"""Provisioning activity in Chromium: a SCIM request the service refused, seen by the
Administrator with what to do about it, filtered, and exported."""

from __future__ import annotations

from pathlib import Path

import requests
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kinabase.provisioning_tokens import issue_token
from kinabase.users import UserType
from tests.browser.server import ServedConsole
from tests.browser.support import (
    add_organisation,
    add_person,
    expect_heading,
    screenshot,
    sign_in_with_password,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _scim(served: ServedConsole, token: str, method: str, path: str, body: object) -> int:
    response = requests.request(
        method,
        f"{served.base_url}/scim/v2{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=30,
    )
    return response.status_code


def test_a_refused_scim_request_appears_in_the_activity_list(
    page: Page, session: Session, served: ServedConsole, screenshots_directory: Path
) -> None:
    # Two seats: Ada, the Administrator, holds one; Entra may add one user, not two.
    organisation = add_organisation(session, seats=2)
    ada = add_person(
        session, organisation, "ada@contoso.test", UserType.ADMINISTRATOR, "Ada Lovelace"
    )
    token = issue_token(session, organisation.id, "Microsoft Entra ID").secret
    session.commit()
    user = {"schemas": [USER_SCHEMA], "userName": "bob@contoso.test", "active": "True"}
    assert _scim(served, token, "POST", "/Users", user) == 201
    refused = {"schemas": [USER_SCHEMA], "userName": "carol@contoso.test", "active": "True"}
    assert _scim(served, token, "POST", "/Users", refused) == 403
    assert (
        _scim(served, token, "POST", "/Users", {"schemas": [USER_SCHEMA], "userName": "dan"}) == 201
    )

    sign_in_with_password(page, ada, "/admin/identity")
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Provisioning activity"
    ).click()

    expect_heading(page, "Provisioning activity")
    entries = page.get_by_test_id("activity-entry")
    expect(entries).to_have_count(3)
    carol = entries.filter(has_text="carol@contoso.test")
    expect(carol).to_contain_text("Refused")
    expect(carol).to_contain_text("403")
    expect(carol).to_contain_text("No licence seat is left.")
    expect(carol).to_contain_text('a boolean sent as the string "True" or "False"')
    expect(carol).to_contain_text('token "Microsoft Entra ID"')
    expect(entries.filter(has_text="dan")).to_contain_text("Pending")
    screenshot(page, screenshots_directory, "provisioning-activity")

    page.get_by_label("Outcome").select_option("refused")
    page.get_by_role("button", name="Show").click()

    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("carol@contoso.test")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = Path(download.value.path()).read_text()
    assert exported.startswith("time,outcome,status,method,resource_type")
    assert exported.count("\n") == 2 and "carol@contoso.test" in exported
