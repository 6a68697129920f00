"""The admin console's layout in Chromium: who is signed in, the navigation, the stylesheet,
errors next to their field, the guard, and connecting Microsoft 365 through admin consent."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from kinabase.organisations import Organisation
from kinabase.users import UserType
from tests.browser.microsoft import REGISTRATION_ID, MicrosoftInTheBrowser
from tests.browser.support import (
    add_administrator,
    add_person,
    expect_heading,
    sign_in_with_password,
)


def test_an_administrator_sees_the_layout_and_a_refused_change_next_to_its_switch(
    page: Page, session: Session
) -> None:
    ada = add_administrator(session)

    sign_in_with_password(page, ada, "/admin/identity")

    expect_heading(page, "Identity & Provisioning")
    expect(page.get_by_test_id("organisation")).to_have_text("Contoso Ltd")
    expect(page.get_by_test_id("user")).to_have_text("Ada Lovelace")
    current = page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Identity & Provisioning"
    )
    expect(current).to_have_attribute("aria-current", "page")
    header = page.locator(".console-header")
    expect(header).to_have_css("background-color", "rgb(34, 36, 58)")  # the stylesheet applies

    password = page.locator("form.setting").filter(has_text="Email and password")
    password.get_by_role("button", name="Turn off").click()

    expect(password.locator(".field-errors")).to_have_text(
        "At least one sign-in method must stay allowed: allow the other one first."
    )
    expect(page.locator("form.setting").filter(has_text="Email and password")).to_contain_text(
        "Allowed"
    )


def test_others_than_administrators_are_refused(page: Page, session: Session) -> None:
    ada = add_administrator(session)
    organisation = session.get(Organisation, ada.org_id)
    assert organisation is not None
    billing = add_person(session, organisation, "bill@contoso.test", UserType.BILLING_ADMINISTRATOR)

    sign_in_with_password(page, billing)
    response = page.goto("/admin/identity")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Administrators only")


def test_turning_microsoft_on_connects_the_tenant_through_admin_consent(
    page: Page, session: Session, microsoft: MicrosoftInTheBrowser
) -> None:
    contoso = microsoft.cloud.add_tenant("contoso.test", "3f5a2b1c-7d4e-4f60-8a9b-0c1d2e3f4a5b")
    alice = contoso.add_user("alice", "Alice Admin", is_admin=True)
    ada = add_administrator(session)
    sign_in_with_password(page, ada, "/admin/identity")
    microsoft.sign_in_as(alice)

    page.locator("form.setting").filter(has_text="Microsoft 365").get_by_role(
        "button", name="Turn on"
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Microsoft 365 is connected")
    assert any("/adminconsent" in url for url in microsoft.visited)
    assert (contoso.tenant_id, REGISTRATION_ID) in microsoft.cloud.consents
    page.get_by_role("link", name="Back to Identity & Provisioning").click()
    expect(page.get_by_test_id("tenant-id")).to_have_text(contoso.tenant_id)

    page.locator("form.setting").filter(has_text="Email and password").get_by_role(
        "button", name="Turn off"
    ).click()

    expect(page.get_by_role("status")).to_have_text("Email and password sign-in is turned off.")
    expect(page.locator("form.setting").filter(has_text="Email and password")).to_contain_text(
        "Not allowed"
    )
