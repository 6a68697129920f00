"""The profile photo comes from Graph at the first Microsoft sign-in, only when there is none."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from kinabase.users import UserPhoto
from tests.sso.support import JPEG, Scene, add_organisation, add_user, sign_in_with_microsoft

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
    photo = reading.get(UserPhoto, alice.id)
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
    assert reading.get(UserPhoto, bob.id) is None


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
    photo = reading.get(UserPhoto, alice.id)
    assert photo is not None and (photo.content, photo.source) == (b"mine", "uploaded")


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
    assert reading.get(UserPhoto, alice.id) is None
    assert f"Graph answered {status}" in caplog.text


def test_something_that_is_not_an_image_is_not_stored(
    browser: FlaskClient, scene: Scene, session: Session, reading: Session
) -> None:
    organisation = add_organisation(session, scene.contoso)
    alice = add_user(session, organisation, "alice@contoso.test")
    session.commit()
    scene.alice.photo_content_type = "text/html"

    assert sign_in_with_microsoft(browser, scene, scene.alice).status_code == 303

    assert reading.get(UserPhoto, alice.id) is None
