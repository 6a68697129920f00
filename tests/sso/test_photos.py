"""The profile photo comes from Graph at the first Microsoft sign-in, only when there is none."""

from __future__ import annotations

import io
import logging

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kinabase.users import UserPhoto
from sso.photos import MAX_PHOTO_BYTES, _read_at_most
from tests.sso.support import (
    JPEG,
    Scene,
    add_organisation,
    add_user,
    image_bytes,
    sign_in_with_microsoft,
)

PHOTO_PATH = "/v1.0/me/photo/$value"


def test_a_photo_is_fetched_with_the_delegated_token_and_stored(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    (request,) = scene.microsoft.requests_to(PHOTO_PATH)
    assert request.url == "https://graph.microsoft.com/v1.0/me/photo/$value"
    grant = scene.cloud.access_tokens[request.headers["Authorization"].removeprefix("Bearer ")]
    assert grant.user is scene.alice and grant.scopes == {"User.Read"}
    photo = reading.get(UserPhoto, (alice.id, "microsoft"))
    assert photo is not None and photo.content == JPEG and photo.source == "microsoft"


def test_no_photo_at_microsoft_is_not_an_error(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    bob = add_user(session, organisation, "bob@contoso.test")
    session.commit()

    response = sign_in_with_microsoft(browser, scene, scene.bob)

    assert response.status_code == 303
    assert len(scene.microsoft.requests_to(PHOTO_PATH)) == 1
    assert reading.get(UserPhoto, (bob.id, "microsoft")) is None


def test_a_photo_the_user_uploaded_is_kept_and_graph_is_not_asked(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.add(
        UserPhoto(user_id=alice.id, content_type="image/png", content=b"mine", source="uploaded")
    )
    session.commit()

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    assert scene.microsoft.requests_to(PHOTO_PATH) == []
    photo = reading.get(UserPhoto, (alice.id, "uploaded"))
    assert photo is not None and (photo.content, photo.source) == (b"mine", "uploaded")
    assert reading.get(UserPhoto, (alice.id, "microsoft")) is None


def test_a_photo_url_from_the_directory_counts_as_a_photo(
    browser: FlaskClient, scene: Scene, session: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    alice.photo_url = "https://photos.example/alice.jpg"
    session.commit()

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    assert scene.microsoft.requests_to(PHOTO_PATH) == []


@pytest.mark.parametrize("status", [500, 503, 401])
def test_a_graph_failure_does_not_stop_the_sign_in(
    browser: FlaskClient,
    *,
    scene: Scene,
    session: Session,
    reading: Session,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()
    scene.cloud.faults.graph_errors[PHOTO_PATH] = status

    with caplog.at_level(logging.WARNING, logger="sso.photos"):
        response = sign_in_with_microsoft(browser, scene, scene.alice)

    assert response.status_code == 303
    assert reading.get(UserPhoto, (alice.id, "microsoft")) is None
    assert f"Graph answered {status}" in caplog.text


def test_something_that_is_not_an_image_is_not_stored(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()
    scene.alice.photo_content_type = "text/html"

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    assert reading.get(UserPhoto, (alice.id, "microsoft")) is None


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"<html><script>alert(1)</script></html>", "image/jpeg"),  # HTML declared as a JPEG
        (image_bytes("PNG"), "image/jpeg"),  # a PNG declared as a JPEG
        (JPEG[: len(JPEG) // 2], "image/jpeg"),  # a truncated JPEG
        (b"GIF89a" + b"\x00" * 20, "image/gif"),  # a header and nothing else
    ],
)
def test_bytes_that_do_not_decode_as_the_declared_image_type_are_not_stored(
    browser: FlaskClient,
    *,
    scene: Scene,
    session: Session,
    reading: Session,
    caplog: pytest.LogCaptureFixture,
    content: bytes,
    content_type: str,
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()
    scene.alice.photo, scene.alice.photo_content_type = content, content_type

    with caplog.at_level(logging.WARNING, logger="sso.photos"):
        assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    assert reading.get(UserPhoto, (alice.id, "microsoft")) is None
    assert "not a valid" in caplog.text


@pytest.mark.parametrize("image_format", ["PNG", "GIF", "BMP"])
def test_each_declared_image_type_that_decodes_is_stored(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session, image_format: str
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()
    scene.alice.photo = image_bytes(image_format)
    scene.alice.photo_content_type = f"image/{image_format.lower()}"

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    photo = reading.get(UserPhoto, (alice.id, "microsoft"))
    assert photo is not None and photo.content == scene.alice.photo


def test_a_photo_over_4_mib_is_refused_from_its_content_length(
    browser: FlaskClient,
    scene: Scene,
    session: Session,
    reading: Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()
    scene.alice.photo = JPEG + b"\x00" * (4 * 1024 * 1024)

    with caplog.at_level(logging.WARNING, logger="sso.photos"):
        assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    assert reading.get(UserPhoto, (alice.id, "microsoft")) is None
    assert "larger than 4 MiB" in caplog.text


def test_a_body_without_content_length_is_read_no_further_than_4_mib() -> None:
    """A chunked answer has no Content-Length: reading stops one chunk past the cap."""
    body = io.BytesIO(b"\xff" * (64 * 1024 * 1024))
    response = requests.Response()
    response.raw = body
    response.status_code = 200

    assert _read_at_most(response, MAX_PHOTO_BYTES) is None
    assert body.tell() <= MAX_PHOTO_BYTES + 64 * 1024
