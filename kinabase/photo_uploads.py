"""A profile photo the user uploads: checked, resized and re-encoded with Pillow, then kept as
their own (`kinabase.photos`: shown before the directory's).

Only PNG and JPEG are taken, up to MAX_UPLOAD_BYTES and MAX_UPLOAD_PIXELS. The pixel count is read
from the header, before anything is decoded, so a small file that would decode to gigabytes (a
decompression bomb) is refused without decoding it; Pillow's own bomb check is an error here too.
What is kept is never the uploaded file: the decoded image, turned as its EXIF orientation says,
scaled to fit PHOTO_SIZE by PHOTO_SIZE, written anew as JPEG (PNG when it has transparency). So
no metadata (EXIF, GPS position) and nothing appended to the image survives.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kinabase.base import utcnow
from kinabase.errors import DomainError
from kinabase.photos import UPLOADED_PHOTO_SOURCE
from kinabase.users import User, UserPhoto

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000
PHOTO_SIZE = 512
ACCEPTED_FORMATS = ("PNG", "JPEG")
JPEG_QUALITY = 85
NOT_AN_IMAGE = "Choose a PNG or JPEG image."
TOO_LARGE = f"The photo is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."


class PhotoRefused(DomainError):
    """An uploaded file that cannot become a profile photo; the message says why, for the user."""


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo as it is kept: re-encoded bytes, their type and size in pixels."""

    content_type: str
    content: bytes
    width: int
    height: int


def prepare_photo(content: bytes) -> PreparedPhoto:
    """The uploaded bytes as a profile photo, or PhotoRefused saying what is wrong with them."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise PhotoRefused(TOO_LARGE)
    if not content:
        raise PhotoRefused(NOT_AN_IMAGE)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=ACCEPTED_FORMATS) as image:
                return _reencoded(image)
        except UnidentifiedImageError:
            raise PhotoRefused(NOT_AN_IMAGE) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (OSError, SyntaxError, ValueError):
            raise PhotoRefused("The image could not be read: it may be damaged.") from None


def _too_many_pixels() -> PhotoRefused:
    megapixels = MAX_UPLOAD_PIXELS // 1_000_000
    return PhotoRefused(f"The image has more than {megapixels} million pixels.")


def _reencoded(image: Image.Image) -> PreparedPhoto:
    width, height = image.size
    if width * height > MAX_UPLOAD_PIXELS:
        raise _too_many_pixels()
    source_format = image.format
    if source_format == "JPEG":
        image.draft("RGB", (PHOTO_SIZE, PHOTO_SIZE))  # decode at 1/2, 1/4 or 1/8 scale
    image.load()
    transparent = source_format == "PNG" and (
        image.has_transparency_data or image.mode in ("LA", "PA", "RGBA")
    )
    turned = ImageOps.exif_transpose(image)
    converted = turned.convert("RGBA" if transparent else "RGB")
    converted.thumbnail((PHOTO_SIZE, PHOTO_SIZE), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    if transparent:
        converted.save(output, "PNG", optimize=True)
        content_type = "image/png"
    else:
        converted.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type = "image/jpeg"
    return PreparedPhoto(content_type, output.getvalue(), *converted.size)


def upload_photo(session: Session, user_id: int, content: bytes) -> PreparedPhoto:
    """Make the uploaded bytes the user's own photo (replacing one uploaded before); raises
    PhotoRefused, writing nothing. The caller commits."""
    prepared = prepare_photo(content)
    # One writer per user at a time (PostgreSQL; SQLite's writers are serialised already), so
    # that two uploads never both insert.
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    current = session.get(UserPhoto, (user_id, UPLOADED_PHOTO_SOURCE))
    if current is None:
        session.add(
            UserPhoto(
                user_id=user_id,
                content_type=prepared.content_type,
                content=prepared.content,
                source=UPLOADED_PHOTO_SOURCE,
            )
        )
    else:
        current.content, current.content_type = prepared.content, prepared.content_type
        current.updated_at = utcnow()
    session.flush()
    return prepared


def remove_uploaded_photo(session: Session, user_id: int) -> bool:
    """Remove the photo the user uploaded (the directory's, if any, is shown again); returns
    whether there was one. The caller commits."""
    removed = session.execute(
        delete(UserPhoto).where(
            UserPhoto.user_id == user_id, UserPhoto.source == UPLOADED_PHOTO_SOURCE
        )
    )
    return bool(getattr(removed, "rowcount", 0))
