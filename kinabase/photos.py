"""Profile photos that come from a directory (Microsoft 365), kept in `user_photos`.

A photo a user uploaded themselves is their choice and is never replaced by the directory's; one
that came from the directory follows it (a new photo replaces it, a removed one is removed).
"""

from __future__ import annotations

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


def follow_directory_photo(session: Session, user_id: int, content: bytes | None) -> bool:
    """Make the user's photo the directory's (None: the directory has none); returns whether
    anything changed. An uploaded photo is kept; bytes that are no image, or larger than 4 MB,
    change nothing."""
    current = session.get(UserPhoto, user_id)
    if current is not None and current.source != DIRECTORY_PHOTO_SOURCE:
        return False
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
