"""A profile photo the user uploads: PNG or JPEG only, size- and pixel-limited, resized and
re-encoded (no metadata survives), kept beside the directory's photo and shown before it."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from kinabase.accounts import create_organisation, create_user
from kinabase.photo_uploads import (
    MAX_UPLOAD_BYTES,
    PHOTO_SIZE,
    PhotoRefused,
    prepare_photo,
    remove_uploaded_photo,
    upload_photo,
)
from kinabase.photos import follow_directory_photo, shown_photo
from kinabase.users import UserPhoto

DIRECTORY_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 the directory's photo"


def image_file(
    image_format: str, size: tuple[int, int], mode: str = "RGB", **save: object
) -> bytes:
    """An image of `size` in `image_format`, coloured so that orientation can be seen: the left
    half red, the right half blue."""
    width, height = size
    image = Image.new(mode, size, "red" if mode != "RGBA" else (255, 0, 0, 128))
    image.paste("blue" if mode != "RGBA" else (0, 0, 255, 128), (width // 2, 0, width, height))
    output = io.BytesIO()
    image.save(output, image_format, **save)
    return output.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims `width` by `height` pixels (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def decoded(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def test_a_large_jpeg_is_resized_turned_upright_and_stripped_of_its_metadata() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; show it rotated 90° clockwise
    exif[0x010F] = "Camera Maker"
    original = image_file("JPEG", (2000, 1000), exif=exif.tobytes())

    prepared = prepare_photo(original)

    assert prepared.content_type == "image/jpeg"
    image = decoded(prepared.content)
    assert image.format == "JPEG" and image.size == (256, 512) == (prepared.width, prepared.height)
    assert image.getexif() == {}
    assert b"Camera Maker" not in prepared.content
    # Turned 90° clockwise, the left (red) half is on top and the right (blue) one below.
    top, bottom = image.getpixel((128, 64)), image.getpixel((128, 448))
    assert isinstance(top, tuple) and top[0] > 200 and top[2] < 60
    assert isinstance(bottom, tuple) and bottom[2] > 200 and bottom[0] < 60


def test_a_png_with_transparency_stays_a_png_with_its_alpha() -> None:
    prepared = prepare_photo(image_file("PNG", (1024, 1024), mode="RGBA"))

    assert prepared.content_type == "image/png"
    image = decoded(prepared.content)
    assert image.mode == "RGBA" and image.size == (PHOTO_SIZE, PHOTO_SIZE)
    assert image.getpixel((10, 10)) == (255, 0, 0, 128)


def test_an_opaque_png_becomes_a_jpeg_and_a_small_one_is_not_enlarged() -> None:
    prepared = prepare_photo(image_file("PNG", (120, 80)))

    assert prepared.content_type == "image/jpeg"
    assert decoded(prepared.content).size == (120, 80)


def test_bytes_appended_to_an_image_are_not_kept() -> None:
    polyglot = image_file("PNG", (64, 64)) + b"<script>alert(1)</script>"

    prepared = prepare_photo(polyglot)

    assert b"<script>" not in prepared.content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (image_file("GIF", (64, 64)), "Choose a PNG or JPEG image."),
        (image_file("BMP", (64, 64)), "Choose a PNG or JPEG image."),
        (image_file("WEBP", (64, 64)), "Choose a PNG or JPEG image."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Choose a PNG or JPEG image."),
        (b"", "Choose a PNG or JPEG image."),
        (image_file("JPEG", (400, 400))[:300], "The image could not be read: it may be damaged."),
        (png_claiming(10_000, 5_000), "The image has more than 40 million pixels."),
        # beyond Pillow's own decompression bomb limit, refused as it opens
        (png_claiming(60_000, 60_000), "The image has more than 40 million pixels."),
        (b"\xff\xd8\xff" + b"\x00" * MAX_UPLOAD_BYTES, "The photo is larger than 10 MB."),
    ],
    ids=["gif", "bmp", "webp", "svg", "empty", "truncated", "bomb", "huge-bomb", "too-large"],
)
def test_what_cannot_become_a_photo_is_refused_saying_why(content: bytes, message: str) -> None:
    with pytest.raises(PhotoRefused) as refused:
        prepare_photo(content)

    assert str(refused.value) == message


def test_the_uploaded_photo_is_shown_before_the_directorys_and_removing_it_falls_back(
    session: Session,
) -> None:
    organisation = create_organisation(session, "Acme")
    ada = create_user(session, organisation.id, "ada@acme.test")
    follow_directory_photo(session, ada.id, DIRECTORY_JPEG)
    session.commit()

    upload_photo(session, ada.id, image_file("PNG", (64, 64)))
    session.commit()
    first = shown_photo(session, ada.id)
    assert first is not None and first.source == "uploaded"
    upload_photo(session, ada.id, image_file("JPEG", (32, 32)))
    session.commit()
    assert session.query(UserPhoto).filter_by(user_id=ada.id, source="uploaded").count() == 1

    assert follow_directory_photo(session, ada.id, DIRECTORY_JPEG + b"new")  # the pull goes on
    session.commit()
    shown = shown_photo(session, ada.id)
    assert shown is not None and shown.source == "uploaded"
    assert decoded(shown.content).size == (32, 32)

    assert remove_uploaded_photo(session, ada.id)
    session.commit()
    session.expire_all()
    fallback = shown_photo(session, ada.id)
    assert fallback is not None and fallback.content == DIRECTORY_JPEG + b"new"
    assert not remove_uploaded_photo(session, ada.id)


def test_a_refused_upload_writes_nothing(session: Session) -> None:
    organisation = create_organisation(session, "Acme")
    ada = create_user(session, organisation.id, "ada@acme.test")
    upload_photo(session, ada.id, image_file("PNG", (64, 64)))
    session.commit()
    before = shown_photo(session, ada.id)
    assert before is not None
    kept = before.content

    with pytest.raises(PhotoRefused):
        upload_photo(session, ada.id, b"not an image")
    session.commit()

    session.expire_all()
    after = shown_photo(session, ada.id)
    assert after is not None and after.content == kept
    bob = create_user(session, organisation.id, "bob@acme.test")
    assert shown_photo(session, bob.id) is None
