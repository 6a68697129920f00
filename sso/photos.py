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

import io
import logging
import warnings
from dataclasses import dataclass

import requests
from PIL import Image
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinabase.photos import DIRECTORY_PHOTO_SOURCE as PHOTO_SOURCE
from kinabase.photos import MAX_PHOTO_BYTES, PHOTO_CONTENT_TYPES, shown_photo
from kinabase.users import User, UserPhoto

log = logging.getLogger(__name__)

# Pillow's name for each type kinabase/photos.py keeps: the bytes must decode as the one declared.
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/bmp": "BMP"}


@dataclass(frozen=True)
class Photo:
    """An image as Graph sent it."""

    content_type: str
    content: bytes


def has_photo(session: Session, user: User) -> bool:
    """Whether the user has a photo of any source (stored bytes or a URL)."""
    return user.photo_url is not None or shown_photo(session, user.id) is not None


def fetch_my_photo(http: requests.Session, graph_base_url: str, access_token: str) -> Photo | None:
    """The signed-in user's photo from Graph, or None (no photo, or Graph failed: logged).

    The body is streamed and never read past MAX_PHOTO_BYTES: a Content-Length above it is
    refused before reading anything, and a body without one is cut off there. What arrives
    must decode as the image type Graph declared (Pillow), so nothing else is ever stored and
    served back as a photo.
    """
    url = f"{graph_base_url.rstrip('/')}/v1.0/me/photo/$value"
    try:
        with http.get(
            url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10, stream=True
        ) as response:
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
            content = _read_at_most(response, MAX_PHOTO_BYTES)
    except requests.RequestException as error:
        log.warning("profile photo not fetched: %s", type(error).__name__)
        return None
    if content is None:
        log.warning("profile photo not stored: larger than 4 MiB")
        return None
    if not is_image_of_type(content, content_type):
        log.warning("profile photo not stored: the bytes are not a valid %s image", content_type)
        return None
    return Photo(content_type, content)


def _read_at_most(response: requests.Response, limit: int) -> bytes | None:
    """The body, or None if it is longer than `limit` (declared or as it arrives)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    received = bytearray()
    for chunk in response.iter_content(chunk_size=64 * 1024):
        received += chunk
        if len(received) > limit:
            return None
    return bytes(received)


def is_image_of_type(content: bytes, content_type: str) -> bool:
    """Whether `content` decodes as an image of the declared type (Pillow reads the header and
    checks the structure; a decompression bomb is refused by Pillow's pixel limit)."""
    expected = _PILLOW_FORMATS.get(content_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != expected:
                    return False
                image.verify()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        return False
    return True


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
