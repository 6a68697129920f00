"""The Profile page: any signed-in user uploads their own photo (PNG or JPEG, re-encoded and
resized), sees why a file is refused next to the field, removes it to fall back to their
Microsoft 365 photo; photos are served to the signed-in users of the same organisation only."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kinabase.accounts import create_organisation, create_user
from kinabase.photo_uploads import MAX_UPLOAD_BYTES
from kinabase.photos import follow_directory_photo
from kinabase.users import UserPhoto, UserType
from tests.kinabase.test_photo_uploads import DIRECTORY_JPEG, image_file, png_claiming
from tests.passwords import password_hash

PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    """A signed-in user and their browser (whose forms carry the CSRF value, as pages do)."""

    user_id: int
    browser: FlaskClient


def sign_in(app: Flask, session: Session, org_id: int, email: str, user_type: UserType) -> Person:
    user = create_user(session, org_id, email, user_type=user_type, active=True)
    user.password_hash = password_hash(PASSWORD)
    session.commit()
    browser = app.test_client()
    form = {"org": str(org_id), "email": email, "password": PASSWORD}
    assert browser.post("/login/password", data=form).status_code == 303
    return Person(user.id, browser)


def csrf(browser: FlaskClient) -> str:
    page = browser.get("/profile")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def upload(browser: FlaskClient, content: bytes, filename: str = "me.png") -> object:
    return browser.post(
        "/profile/photo",
        data={"csrf_token": csrf(browser), "photo": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def photo_rows(session: Session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(UserPhoto)) or 0
    session.rollback()
    return count


def field_errors(html: str) -> list[str]:
    errors = re.search(r'<ul class="field-errors" id="photo-errors">(.*?)</ul>', html, re.S)
    assert errors is not None, html
    return re.findall(r"<li>(.*?)</li>", errors.group(1))


@pytest.fixture
def acme(session: Session) -> int:
    organisation = create_organisation(session, "Acme", licence_seats=10)
    session.commit()
    return organisation.id


@pytest.fixture
def bob_in(app: Flask, session: Session, acme: int) -> Person:
    """An ordinary user: the Profile page is everyone's."""
    return sign_in(app, session, acme, "bob@acme.test", UserType.USER)


@pytest.fixture
def bob(bob_in: Person) -> FlaskClient:
    return bob_in.browser


def test_an_uploaded_photo_is_resized_shown_and_served(bob: FlaskClient, bob_in: Person) -> None:
    page = bob.get("/profile")
    assert "No photo yet." in page.text and "Remove photo" not in page.text

    answer = upload(bob, image_file("PNG", (1600, 1200)))

    assert answer.status_code == 303 and answer.headers["Location"] == "/profile"
    page = bob.get("/profile")
    assert "Your photo is saved." in page.text and "Uploaded by you." in page.text
    src = re.search(r'data-testid="profile-photo"\s+src="([^"]+)"', page.text)
    assert src is not None and src.group(1).startswith(f"/users/{bob_in.user_id}/photo")
    served = bob.get(src.group(1))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.data)).size == (512, 384)
    assert served.headers["Cache-Control"] == "private, no-cache"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    again = bob.get(src.group(1), headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (image_file("GIF", (40, 40)), "Choose a PNG or JPEG image."),
        (b"%PDF-1.7 not a photo", "Choose a PNG or JPEG image."),
        (image_file("JPEG", (300, 300))[:200], "The image could not be read: it may be damaged."),
        (png_claiming(20_000, 20_000), "The image has more than 40 million pixels."),
    ],
    ids=["gif", "pdf", "damaged", "decompression-bomb"],
)
def test_a_refused_file_is_named_next_to_the_field_and_nothing_is_stored(
    bob: FlaskClient, session: Session, content: bytes, message: str
) -> None:
    answer = upload(bob, content)

    assert answer.status_code == 400
    assert field_errors(answer.text) == [message]
    assert 'aria-invalid="true"' in answer.text
    assert photo_rows(session) == 0


def test_a_form_without_a_file_is_refused_next_to_the_field(bob: FlaskClient) -> None:
    answer = bob.post("/profile/photo", data={"csrf_token": csrf(bob)})

    assert answer.status_code == 400
    assert field_errors(answer.text) == ["Choose a PNG or JPEG image."]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    bob: FlaskClient, session: Session
) -> None:
    too_large = b"\xff\xd8\xff" + b"\x00" * (MAX_UPLOAD_BYTES + 100 * 1024)
    form = {"csrf_token": csrf(bob), "photo": FileStorage(io.BytesIO(too_large), "huge.jpg")}
    boundary, body = encode_multipart(form)  # in memory: the test client would spool to a file

    answer = bob.post(
        "/profile/photo", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert answer.status_code == 303
    page = bob.get(answer.headers["Location"])
    assert field_errors(page.text) == ["The photo is larger than 10 MB."]
    assert photo_rows(session) == 0


def test_an_upload_without_the_csrf_value_is_refused(bob: FlaskClient, session: Session) -> None:
    answer = bob.post(
        "/profile/photo",
        data={"photo": (io.BytesIO(image_file("PNG", (40, 40))), "me.png")},
        content_type="multipart/form-data",
    )

    assert answer.status_code == 403
    assert photo_rows(session) == 0


def test_removing_the_uploaded_photo_shows_the_microsoft_365_photo_again(
    bob: FlaskClient, bob_in: Person, session: Session
) -> None:
    follow_directory_photo(session, bob_in.user_id, DIRECTORY_JPEG)
    session.commit()
    assert "From Microsoft 365." in bob.get("/profile").text
    upload(bob, image_file("PNG", (64, 64)))
    page = bob.get("/profile")
    assert "Your Microsoft 365 photo is shown again." in page.text

    answer = bob.post("/profile/photo/remove", data={"csrf_token": csrf(bob)})

    assert answer.status_code == 303
    page = bob.get("/profile")
    assert "Your photo is removed: your Microsoft 365 photo is shown." in page.text
    assert "From Microsoft 365." in page.text and "Remove photo" not in page.text
    assert bob.get(f"/users/{bob_in.user_id}/photo").data == DIRECTORY_JPEG


def test_photos_are_served_within_the_organisation_only(
    app: Flask, bob: FlaskClient, bob_in: Person, session: Session, acme: int
) -> None:
    upload(bob, image_file("PNG", (64, 64)))
    ada = sign_in(app, session, acme, "ada@acme.test", UserType.ADMINISTRATOR).browser
    globex = create_organisation(session, "Globex")
    session.commit()
    gil = sign_in(app, session, globex.id, "gil@globex.test", UserType.ADMINISTRATOR).browser
    path = f"/users/{bob_in.user_id}/photo"

    assert ada.get(path).status_code == 200
    assert gil.get(path).status_code == 404
    assert app.test_client().get(path).status_code in (302, 303, 401)
    cy_id = create_user(session, acme, "cy@acme.test").id
    session.commit()
    assert ada.get(f"/users/{cy_id}/photo").status_code == 404  # no photo
    assert ada.get("/users/999999/photo").status_code == 404
