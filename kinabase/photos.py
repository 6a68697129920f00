"""Profile photos, kept in `user_photos`: at most one per user and source.

Two sources: the directory's (Microsoft 365: fetched at a first Microsoft sign-in, and followed by
the directory pull) and the one the user uploaded. The uploaded photo is the user's choice and is
the one shown while it exists; the directory's is kept beside it, following the directory (a new
photo replaces it, a removed one is removed), so that removing the uploaded photo shows the
directory's again.
"""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from kinabase.users import UserPhoto

DIRECTORY_PHOTO_SOURCE = "microsoft"
UPLOADED_PHOTO_SOURCE = "uploaded"
MAX_PHOTO_BYTES = 4 * 1024 * 1024  # Exchange Online keeps photos up to 4 MB
PHOTO_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp"})

# The first bytes of each image format Exchange keeps (its photos are JPEG, others are accepted).
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def image_content_type(content: bytes) -> str | None:
    """The image type of these bytes by their signature, or None if they are no image kept."""
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    return None


def shown_photo(session: Session, user_id: int) -> UserPhoto | None:
    """The photo shown for the user: the uploaded one, else the directory's, else None."""
    uploaded_first = case((UserPhoto.source == UPLOADED_PHOTO_SOURCE, 0), else_=1)
    return session.scalars(
        select(UserPhoto).where(UserPhoto.user_id == user_id).order_by(uploaded_first).limit(1)
    ).first()


def directory_photo(session: Session, user_id: int) -> UserPhoto | None:
    """The user's photo from the directory, if any."""
    return session.get(UserPhoto, (user_id, DIRECTORY_PHOTO_SOURCE))


def uploaded_photo(session: Session, user_id: int) -> UserPhoto | None:
    """The photo the user uploaded, if any."""
    return session.get(UserPhoto, (user_id, UPLOADED_PHOTO_SOURCE))


def follow_directory_photo(session: Session, user_id: int, content: bytes | None) -> bool:
    """Make the user's directory photo the directory's (None: the directory has none); returns
    whether it changed. An uploaded photo stays the one shown; bytes that are no image, or
    larger than 4 MB, change nothing."""
    current = directory_photo(session, user_id)
    if content is None:
        if current is not None:
            session.delete(current)
        return current is not None
    content_type = image_content_type(content)
    unchanged = current is not None and current.content == content
    if content_type is None or len(content) > MAX_PHOTO_BYTES or unchanged:
        return False
    if current is None:
        session.add(
            UserPhoto(
                user_id=user_id,
                content_type=content_type,
                content=content,
                source=DIRECTORY_PHOTO_SOURCE,
            )
        )
    else:
        current.content, current.content_type = content, content_type
    return True
