"""Identity & Provisioning and Users in Chromium: an Administrator connects Microsoft 365
through admin consent, creates a SCIM token and copies it, Entra provisions with it, a group
rule gives a role, a field mapping changes a Colleague's field (previewed first), and the Users
page shows the outcome. Screenshots of both pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kinabase.organisations import Organisation
from kinabase.provisioning_tokens import issue_token
from kinabase.roles import create_role
from kinabase.users import UserType, find_user_by_email
from tests.browser.microsoft import MicrosoftInTheBrowser
from tests.browser.server import ServedConsole
from tests.browser.support import (
    add_administrator,
    add_person,
    expect_heading,
    screenshot,
    sign_in_with_password,
)
from tests.kinabase_view import KinabaseView

CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
COST_CENTRE = f"{CUSTOM}:costCentre"


def provision(served: ServedConsole, token: str, path: str, body: dict[str, Any]) -> str:
    """Entra's POST to the served SCIM endpoint with the token; the new resource's id."""
    response = requests.post(
        f"{served.base_url}/scim/v2/{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def bob(email: str = "bob@contoso.test") -> dict[str, Any]:
    """Bob as Entra provisions him, with a custom extension attribute."""
    return {
        "schemas": [CORE_USER, ENTERPRISE, CUSTOM],
        "userName": email,
        "externalId": "0d9a7c3e-4b1f-4e2a-9c8d-7f6e5d4c3b2a",
        "name": {"givenName": "Bob", "familyName": "Builder"},
        "displayName": "Bob Builder",
        "emails": [{"value": email, "type": "work", "primary": True}],
        "title": "Engineer",
        "active": True,
        ENTERPRISE: {"department": "Research"},
        CUSTOM: {"costCentre": "CC-42"},
    }


def job_title_of(engine: Engine, org_id: int, email: str) -> object:
    """The Job Title field of the user's Colleague record, as the database has it now."""
    user = KinabaseView(engine, org_id).user(email)
    assert user is not None
    return user.colleague.get("jobTitle")


def test_an_administrator_connects_provisions_and_maps_through_the_pages(  # noqa: PLR0917
    page: Page,
    context: BrowserContext,
    session: Session,
    engine: Engine,
    served: ServedConsole,
    microsoft: MicrosoftInTheBrowser,
    screenshots_directory: Path,
) -> None:
    contoso = microsoft.cloud.add_tenant("contoso.test", "3f5a2b1c-7d4e-4f60-8a9b-0c1d2e3f4a5b")
    alice = contoso.add_user("alice", "Alice Admin", is_admin=True)
    ada = add_administrator(session)
    create_role(session, ada.org_id, "Sales")
    session.commit()
    sign_in_with_password(page, ada, "/admin/identity")

    # Microsoft 365: turning it on is admin consent at Microsoft, as Alice.
    microsoft.sign_in_as(alice)
    page.locator("form.setting").filter(has_text="Microsoft 365").get_by_role(
        "button", name="Turn on"
    ).click()
    expect_heading(page, "Microsoft 365 is connected")
    page.get_by_role("link", name="Back to Identity & Provisioning").click()
    expect(page.get_by_test_id("tenant-id")).to_have_text(contoso.tenant_id)
    expect(page.get_by_test_id("connected-since")).to_contain_text("UTC")

    # SCIM: the Tenant URL, and a token shown once and copied.
    expect(page.get_by_label("Tenant URL")).to_have_value(f"{served.base_url}/scim/v2")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.base_url)
    page.get_by_label("New token's label").fill("Entra provisioning")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_test_id("new-token").input_value()
    assert shown.startswith("kbm365_")
    page.locator(".new-token").get_by_role("button", name="Copy").click()
    expect(page.locator(".new-token .copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == shown
    page.goto("/admin/identity")
    expect(page.get_by_test_id("new-token")).to_have_count(0)  # shown once only
    expect(page.get_by_test_id("tokens")).to_contain_text("Entra provisioning")
    expect(page.get_by_test_id("tokens")).to_contain_text("Never")

    # Entra provisions Bob and the Sales Team group with the copied token.
    bob_id = provision(served, shown, "Users", bob())
    provision(
        served,
        shown,
        "Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Sales Team",
            "externalId": "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716",
            "members": [{"value": bob_id}],
        },
    )
    page.reload()
    expect(page.get_by_test_id("tokens")).not_to_contain_text("Never")  # last use recorded

    # A group rule: members of Sales Team get the Sales role.
    page.get_by_label("Group", exact=True).fill("Sales Team")
    page.get_by_role("group", name="Roles").get_by_label("Sales").check()
    page.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text("Members of Sales Team now get")
    expect(page.get_by_test_id("rules")).to_contain_text("Sales Team")

    # The field mapping: Job Title from the custom extension, previewed for Bob, then saved.
    assert job_title_of(engine, ada.org_id, "bob@contoso.test") == "Engineer"
    mapping = page.locator("#field-mapping").locator("..")
    mapping.get_by_label("Colleague field").select_option(label="Job Title")
    mapping.get_by_label("SCIM attribute path").fill(COST_CENTRE)
    mapping.get_by_label("Preview with").select_option(label="bob@contoso.test")
    mapping.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("preview")).to_have_text(
        "bob@contoso.test: Job Title would be “CC-42”."
    )
    assert (
        job_title_of(engine, ada.org_id, "bob@contoso.test") == "Engineer"
    )  # a preview writes nothing
    page.locator("#field-mapping").locator("..").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Job Title now comes from")
    expect(page.get_by_test_id("field-sources")).to_contain_text(COST_CENTRE)
    assert job_title_of(engine, ada.org_id, "bob@contoso.test") == "CC-42"
    screenshot(page, screenshots_directory, "identity")

    # The Users page: Bob from Entra SCIM with his rule's role; Ada by hand; two seats used.
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Users").click()
    expect_heading(page, "Users")
    expect(page.get_by_test_id("seats")).to_have_text("2 of 25 seats used")
    bob_row = page.get_by_test_id("users").get_by_role("row").filter(has_text="bob@contoso.test")
    expect(bob_row).to_contain_text("Entra SCIM")
    expect(bob_row).to_contain_text("Sales")
    expect(bob_row).to_contain_text("Active")
    ada_row = page.get_by_test_id("users").get_by_role("row").filter(has_text=ada.email)
    expect(ada_row).to_contain_text("Manual")
    expect(ada_row).to_contain_text("Administrator")
    screenshot(page, screenshots_directory, "users")

    # Reset to default: Job Title from `title` again.
    page.goto("/admin/identity")
    page.get_by_test_id("field-sources").get_by_role("row").filter(
        has_text="Job Title"
    ).get_by_role("button", name="Reset to default").click()
    expect(page.get_by_role("status")).to_contain_text("takes its default source again")
    assert job_title_of(engine, ada.org_id, "bob@contoso.test") == "Engineer"


def test_a_billing_administrator_sees_the_licence_figures_only(
    page: Page, session: Session
) -> None:
    ada = add_administrator(session)
    organisation = session.get(Organisation, ada.org_id)
    assert organisation is not None
    billing = add_person(
        session, organisation, "bill@contoso.test", UserType.BILLING_ADMINISTRATOR, "Bill Payer"
    )

    sign_in_with_password(page, billing, "/admin/users")

    expect(page.get_by_test_id("seats")).to_have_text("2 of 25 seats used")
    expect(page.get_by_test_id("users")).to_have_count(0)
    navigation = page.get_by_role("navigation", name="Settings")
    expect(navigation.get_by_role("link")).to_have_text(["Users", "Profile"])
    assert page.goto("/admin/identity").status == 403  # type: ignore[union-attr]
    assert find_user_by_email(session, ada.org_id, "bill@contoso.test") is not None


def test_revoking_a_token_asks_first_and_the_tenant_url_copies(
    page: Page, context: BrowserContext, session: Session, served: ServedConsole
) -> None:
    ada = add_administrator(session)
    issue_token(session, ada.org_id, "Old Entra app")
    session.commit()
    sign_in_with_password(page, ada, "/admin/identity")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.base_url)
    revoke = page.get_by_test_id("tokens").get_by_role("button", name="Revoke")

    page.once("dialog", lambda dialog: dialog.dismiss())
    revoke.click()
    expect(page.get_by_test_id("tokens")).to_contain_text("Old Entra app")  # not confirmed
    page.once("dialog", lambda dialog: dialog.accept())
    revoke.click()

    expect(page.get_by_role("status")).to_contain_text("Token “Old Entra app” is revoked")
    expect(page.get_by_test_id("tokens")).to_have_count(0)
    page.get_by_label("Tenant URL").locator("..").get_by_role("button", name="Copy").click()
    expect(page.locator(".copy-status").first).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{served.base_url}/scim/v2"
