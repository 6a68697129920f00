"""The profile photo a user brings from Microsoft 365 at their first Microsoft sign-in.

`GET {graph}/v1.0/me/photo/$value` with the delegated `User.Read` token of that sign-in
(Microsoft Graph, profilephoto-get.md). 404 (`ImageNotFound`) means the user has no photo, which
is not an error. Any other failure is logged and the sign-in goes on without a photo: a picture
is never worth refusing a sign-in. A user who already has a photo keeps it — above all one they
uploaded themselves — so nothing is fetched.
"""

from __future__ import annotations

import logging

import requests
from sqlalchemy.orm import Session

from kinabase.users import User, UserPhoto

log = logging.getLogger(__name__)

PHOTO_SOURCE = "microsoft"
MAX_PHOTO_BYTES = 4 * 1024 * 1024  # Exchange Online keeps photos up to 4 MB
PHOTO_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp"})


def has_photo(session: Session, user: User) -> bool:
    """Whether the user has a photo of any source (stored bytes or a URL)."""
    return user.photo_url is not None or session.get(UserPhoto, user.id) is not None


def fetch_first_photo(
    session: Session, http: requests.Session, graph_base_url: str, user: User, access_token: str
) -> bool:
    """Store the user's Microsoft 365 photo if they have none yet; returns whether one was."""
    if has_photo(session, user):
        return False
    url = f"{graph_base_url.rstrip('/')}/v1.0/me/photo/$value"
    try:
        response = http.get(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=10)
    except requests.RequestException as error:
        log.warning("profile photo of user %s not fetched: %s", user.id, type(error).__name__)
        return False
    if response.status_code == 404:
        return False
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if response.status_code != 200 or content_type not in PHOTO_CONTENT_TYPES:
        log.warning(
            "profile photo of user %s not stored: Graph answered %s (%s)",
            user.id,
            response.status_code,
            content_type or "no content type",
        )
        return False
    if len(response.content) > MAX_PHOTO_BYTES:
        log.warning("profile photo of user %s not stored: larger than 4 MB", user.id)
        return False
    session.add(
        UserPhoto(
            user_id=user.id,
            content_type=content_type,
            content=response.content,
            source=PHOTO_SOURCE,
        )
    )
    session.flush()
    return True
