"""The Profile page in Chromium: a user uploads a photo and sees it; a file that is no PNG or
JPEG is refused next to the field."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.browser.support import (
    add_organisation,
    add_person,
    expect_heading,
    screenshot,
    sign_in_with_password,
)
from tests.kinabase.test_photo_uploads import image_file


def test_a_user_uploads_a_photo_and_sees_it(
    page: Page, session: Session, screenshots_directory: Path
) -> None:
    organisation = add_organisation(session)
    bob = add_person(session, organisation, "bob@contoso.test", name="Bob Baker")
    sign_in_with_password(page, bob, "/profile")
    expect_heading(page, "Profile")
    expect(page.get_by_test_id("photo-source")).to_have_text("No photo yet.")
    field = page.get_by_label("Upload a photo")

    field.set_input_files(
        files=[
            {"name": "notes.gif", "mimeType": "image/gif", "buffer": image_file("GIF", (40, 40))}
        ]
    )
    page.get_by_role("button", name="Upload photo").click()
    expect(page.locator("#photo-errors")).to_have_text("Choose a PNG or JPEG image.")
    expect(field).to_have_attribute("aria-invalid", "true")

    field.set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": image_file("PNG", (900, 600))}]
    )
    page.get_by_role("button", name="Upload photo").click()

    expect(page.get_by_text("Your photo is saved.")).to_be_visible()
    photo = page.get_by_role("img", name="Your photo")
    expect(photo).to_be_visible()
    expect(page.get_by_test_id("photo-source")).to_have_text("Uploaded by you.")
    page.wait_for_function("() => document.querySelector('img.avatar')?.complete")
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [512, 341]
    screenshot(page, screenshots_directory, "profile")
