"""The profile photo a user brings from Microsoft 365 at their first Microsoft sign-in.

`GET {graph}/v1.0/me/photo/$value` with the delegated `User.Read` token of that sign-in
(Microsoft Graph, profilephoto-get.md). 404 (`ImageNotFound`) means the user has no photo, which
is not an error. Any other failure is logged and the sign-in goes on without a photo: a picture
is never worth refusing a sign-in. A user who already has a photo keeps it — above all one they
uploaded themselves — so nothing is fetched, and nothing stored over it.

Fetching does no database work, so that no transaction (on SQLite, the write lock) is held while
Graph answers; storing is its own short unit of work after the sign-in is committed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinabase.photos import DIRECTORY_PHOTO_SOURCE as PHOTO_SOURCE
from kinabase.photos import MAX_PHOTO_BYTES, PHOTO_CONTENT_TYPES
from kinabase.users import User, UserPhoto

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Photo:
    """An image as Graph sent it."""

    content_type: str
    content: bytes


def has_photo(session: Session, user: User) -> bool:
    """Whether the user has a photo of any source (stored bytes or a URL)."""
    return user.photo_url is not None or session.get(UserPhoto, user.id) is not None


def fetch_my_photo(http: requests.Session, graph_base_url: str, access_token: str) -> Photo | None:
    """The signed-in user's photo from Graph, or None (no photo, or Graph failed: logged)."""
    url = f"{graph_base_url.rstrip('/')}/v1.0/me/photo/$value"
    try:
        response = http.get(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10)
    except requests.RequestException as error:
        log.warning("profile photo not fetched: %s", type(error).__name__)
        return None
    if response.status_code == 404:
        return None
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if response.status_code != 200 or content_type not in PHOTO_CONTENT_TYPES:
        log.warning(
            "profile photo not stored: Graph answered %s (%s)",
            response.status_code,
            content_type or "no content type",
        )
        return None
    if len(response.content) > MAX_PHOTO_BYTES:
        log.warning("profile photo not stored: larger than 4 MB")
        return None
    return Photo(content_type, response.content)


def store_first_photo(session: Session, user: User, photo: Photo) -> bool:
    """Keep the photo as the user's, unless they have one by now; commits. Returns whether kept."""
    if has_photo(session, user):
        session.rollback()
        return False
    session.add(
        UserPhoto(
            user_id=user.id,
            content_type=photo.content_type,
            content=photo.content,
            source=PHOTO_SOURCE,
        )
    )
    try:
        session.commit()
    except IntegrityError:  # a photo arrived in the meantime; theirs wins
        session.rollback()
        return False
    return True
