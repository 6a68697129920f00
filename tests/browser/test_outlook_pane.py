"""The Outlook add-in's task pane in Chromium, against the service under gunicorn (the session's,
which stores the attachments in its own temporary directory).

Outlook is played by a stand-in for Office.js (`office_stand_in.js`, served where the pane loads
Office.js from Microsoft's CDN) holding a sample email; the pane signs in through the stand-in's
dialog with an access token the Entra emulator mints for the user, and the served API checks it
against the emulator's keys through the relay, as it would Microsoft's. The test clicks Add
contact and Log email and reads back what the service wrote.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, Page, Route, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.activities import Activity, activity_files
from kinabase.collections import Record
from kinabase.contacts import (
    EMAIL,
    create_contact,
    create_organisation_record,
    designated_collections,
    find_records_by_address,
    linked_organisations,
)
from kinabase.files import StoredFile
from kinabase.organisations import bind_entra_tenant
from kinabase.users import User, UserStatus
from outlook.pages import OFFICE_JS_URL
from tests.browser.microsoft import REGISTRATION_ID, MicrosoftInTheBrowser
from tests.browser.support import screenshot
from tests.emulators.entra_tokens import mint_api_access_token

STAND_IN = Path(__file__).with_name("office_stand_in.js")
PANE = {"width": 360, "height": 900}  # about what Outlook on the web gives a task pane
MESSAGE_ID = "<CAF123@mail.engines.example>"
QUOTE = b"%PDF-1.4\n% the quote for four engines\n"


@dataclass(frozen=True)
class Contoso:
    """Kinabase's side: the organisation, Grace (the user of the pane), and Ada's records."""

    org_id: int
    grace_email: str
    ada_id: int
    engines_id: int


def contoso(session: Session, microsoft: MicrosoftInTheBrowser) -> tuple[Contoso, str]:
    """Contoso bound to its tenant; Grace signed up with her Microsoft account; Ada Lovelace a
    contact of Analytical Engines (engines.example). Returns it and Grace's access token."""
    tenant = microsoft.cloud.add_tenant("contoso.test")
    grace = tenant.add_user("grace", "Grace Hopper")
    organisation = create_organisation(session, "Contoso Ltd")
    bind_entra_tenant(session, organisation, tenant.tenant_id)
    user = create_user(
        session,
        organisation.id,
        grace.user_principal_name,
        display_name="Grace Hopper",
        active=True,
    )
    user.entra_object_id = grace.object_id
    user.user_principal_name = grace.user_principal_name
    engines = create_organisation_record(
        session, organisation.id, name="Analytical Engines", domain="engines.example"
    )
    ada = create_contact(
        session,
        organisation.id,
        name="Ada Lovelace",
        email="ada@engines.example",
        organisation_id=engines.id,
    )
    session.commit()
    token = mint_api_access_token(microsoft.cloud, grace, REGISTRATION_ID)
    return Contoso(organisation.id, grace.user_principal_name, ada.id, engines.id), token


def sample_email(grace_email: str) -> dict[str, object]:
    """Ada writes to Grace, copying Charles (at Ada's company) and Bob (at a free-mail domain)."""
    return {
        "from": {"emailAddress": "Ada@Engines.example", "displayName": "Ada Lovelace"},
        "to": [{"emailAddress": grace_email, "displayName": "Grace Hopper"}],
        "cc": [
            {"emailAddress": "charles@engines.example", "displayName": "Charles Babbage"},
            {"emailAddress": "bob@gmail.com", "displayName": "Bob"},
        ],
        "subject": "Engine order",
        "internetMessageId": MESSAGE_ID,
        "sentAt": "2026-11-30T09:15:00Z",
        "body": "Hi Grace,\n\nfour engines, as quoted.\n\nAda",
        "attachments": [
            {
                "id": "AAMkAD-quote",
                "name": "quote.pdf",
                "contentType": "application/pdf",
                "size": len(QUOTE),
                "isInline": False,
                "attachmentType": "file",
                "content": base64.b64encode(QUOTE).decode(),
            },
            {
                "id": "AAMkAD-logo",
                "name": "logo.png",
                "contentType": "image/png",
                "size": 4,
                "isInline": True,
                "attachmentType": "file",
                "content": base64.b64encode(b"\x89PNG").decode(),
            },
        ],
    }


def stand_in_for_office(context: BrowserContext, grace_email: str, token: str) -> None:
    """Serve the stand-in where the pane loads Office.js, with the sample email and the message
    the sign-in dialog sends (the token); registered last, so tried before the context's guard."""
    given = {
        "email": sample_email(grace_email),
        "user": {"email": grace_email, "name": "Grace Hopper"},
        "requirementSets": {"Mailbox": "1.8"},  # no NestedAppAuth: the dialog signs in
        "dialogMessage": json.dumps(
            {
                "token": token,
                "expiresOn": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)),
            }
        ),
    }
    script = f"window.__officeStandIn = {json.dumps(given)};\n" + STAND_IN.read_text()

    def office_js(route: Route) -> None:
        route.fulfill(status=200, content_type="text/javascript", body=script)

    context.route(OFFICE_JS_URL, office_js)


def card(page: Page, email: str) -> Locator:
    """The pane's card of one address."""
    return page.locator(f'article.person[data-email="{email}"]')


def test_the_pane_shows_the_people_adds_a_contact_and_logs_the_email_with_its_attachment(
    page: Page,
    context: BrowserContext,
    session: Session,
    microsoft: MicrosoftInTheBrowser,
    screenshots_directory: Path,
) -> None:
    kinabase, token = contoso(session, microsoft)
    stand_in_for_office(context, kinabase.grace_email, token)
    page.set_viewport_size(PANE)

    page.goto("/outlook/taskpane")

    ada = card(page, "Ada@Engines.example")
    expect(ada.locator(".matches")).to_contain_text("Contact: Ada Lovelace")
    expect(ada.locator(".matches")).to_contain_text("Organisation: Analytical Engines")
    expect(card(page, kinabase.grace_email).locator(".matches")).to_contain_text(
        "Colleague: Grace Hopper"
    )
    bob = card(page, "bob@gmail.com")
    expect(bob.locator(".matches")).to_contain_text("gmail.com is a free email provider.")
    expect(bob.get_by_label("Name")).to_have_value("Bob")
    charles = card(page, "charles@engines.example")
    expect(charles.get_by_label("Name")).to_have_value("Charles Babbage")
    link = charles.get_by_label("Link to Analytical Engines")
    expect(link).to_be_checked()
    calls = page.evaluate("window.__officeStandIn.calls")
    assert calls["dialogs"] == [f"{page.url.rsplit('/outlook/', 1)[0]}/outlook/sign-in"]
    screenshot(page, screenshots_directory, "outlook-task-pane")

    # Add contact: Charles, linked to his organisation.
    charles.get_by_role("button", name="Add contact").click()
    expect(page.locator("#status")).to_have_text("Added Charles Babbage to Kinabase.")
    expect(charles.locator(".matches")).to_contain_text(
        "Contact: Charles Babbage (Analytical Engines)"
    )
    expect(charles.get_by_role("button", name="Add contact")).to_have_count(0)

    # Log email: the matched contacts are chosen; add the attachment.
    records = page.locator("#log-records")
    expect(records.get_by_label("Ada Lovelace · contact")).to_be_checked()
    expect(records.get_by_label("Charles Babbage · contact")).to_be_checked()
    expect(records.get_by_label("Analytical Engines · organisation")).not_to_be_checked()
    attachments = page.locator("#log-attachments")
    expect(attachments.get_by_label("logo.png")).to_have_count(0)  # inside the body
    attachments.get_by_label("quote.pdf").check()
    page.get_by_role("button", name="Log email").click()
    expect(page.locator("#log-result")).to_have_text("Logged on 2 records. Saved 1 attachment.")
    expect(records.get_by_label("Ada Lovelace · contact (already logged)")).to_be_checked()
    expect(ada.locator(".activities")).to_have_text("2026-11-30 · Email · Engine order")

    # Again: nothing new.
    page.get_by_role("button", name="Log email").click()
    expect(page.locator("#log-result")).to_have_text("Already logged on 2 records.")

    session.expire_all()
    contacts = designated_collections(session, kinabase.org_id).contacts
    assert contacts is not None
    found = find_records_by_address(
        session, kinabase.org_id, contacts.id, EMAIL, ["charles@engines.example"]
    )
    [charles_record] = found["charles@engines.example"]
    assert linked_organisations(session, contacts.id, [charles_record.id]) == {
        charles_record.id: session.get(Record, kinabase.engines_id)
    }
    assert charles_record.data["name"] == "Charles Babbage"
    logged = session.scalars(
        select(Activity).where(Activity.internet_message_id == MESSAGE_ID).order_by(Activity.id)
    ).all()
    assert sorted(activity.record_id for activity in logged) == sorted(
        [kinabase.ada_id, charles_record.id]
    )
    assert all(activity.subject == "Engine order" for activity in logged)
    assert all("four engines, as quoted." in activity.content for activity in logged)
    files = activity_files(session, [activity.id for activity in logged])
    saved: list[StoredFile] = [file for of_activity in files.values() for file in of_activity]
    assert sorted((file.name, file.size) for file in saved) == [
        ("quote.pdf", len(QUOTE)),
        ("quote.pdf", len(QUOTE)),
    ]
    calls = page.evaluate("window.__officeStandIn.calls")
    assert calls["attachmentReads"] == ["AAMkAD-quote"]
    assert calls["bodyReads"] == ["text", "text"]
    assert len(calls["dialogs"]) == 1  # the dialog's token was kept


def test_the_apis_refusals_are_shown_in_the_pane(
    page: Page,
    context: BrowserContext,
    session: Session,
    microsoft: MicrosoftInTheBrowser,
) -> None:
    kinabase, token = contoso(session, microsoft)
    stand_in_for_office(context, kinabase.grace_email, token)
    page.goto("/outlook/taskpane")
    bob = card(page, "bob@gmail.com")
    expect(bob.get_by_label("Name")).to_have_value("Bob")

    # Someone else adds Bob while the pane is open: the API refuses a duplicate, naming it.
    create_contact(session, kinabase.org_id, name="Bob Jones", email="BOB@gmail.com")
    session.commit()
    bob.get_by_role("button", name="Add contact").click()
    expect(bob.locator(".form-result")).to_contain_text(
        "Bob Jones already has the address bob@gmail.com."
    )
    expect(bob.locator(".form-result .record")).to_have_text("Bob Jones")

    # Logging on nothing is refused in the pane; a blank name next to its field.
    page.locator("#log-records input:checked").uncheck()
    page.get_by_role("button", name="Log email").click()
    expect(page.locator("#log-result")).to_have_text(
        "Choose at least one record to log the email on."
    )
    charles = card(page, "charles@engines.example")
    charles.get_by_label("Name").fill(" ")
    charles.get_by_role("button", name="Add contact").click()
    expect(charles.locator(".field-error")).to_have_text("Enter the contact's name.")

    # The user deactivated meanwhile: the API's refusal, its message shown as it comes.
    grace = session.scalars(select(User).where(User.email == kinabase.grace_email)).one()
    grace.status = UserStatus.DEACTIVATED
    session.commit()
    page.locator("#log-records input").first.check()
    page.get_by_role("button", name="Log email").click()
    expect(page.get_by_role("alert")).to_have_text("Your Kinabase account is deactivated.")
