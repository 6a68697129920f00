"""The add-in's icons, drawn with Pillow: a white "K" on a rounded square of Kinabase blue.

Drawn rather than shipped as files so that every size comes from one drawing and nothing binary
sits in the repository. Each size is drawn once per process (about a millisecond) at four times
its size and scaled down, which smooths the edges.
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageDraw

from outlook.manifest import ICON_SIZES

BACKGROUND = (26, 86, 219, 255)
FOREGROUND = (255, 255, 255, 255)
_SUPERSAMPLING = 4


@functools.lru_cache(maxsize=len(ICON_SIZES))
def icon_png(size: int) -> bytes:
    """The icon of `size` pixels square as PNG bytes (one of ICON_SIZES)."""
    if size not in ICON_SIZES:
        raise ValueError(f"no icon of size {size}")
    big = size * _SUPERSAMPLING
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BACKGROUND)
    _draw_k(draw, big)
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _draw_k(draw: ImageDraw.ImageDraw, big: int) -> None:
    """A "K" of three strokes, centred, its height 56 % of the square."""
    stroke = max(1, round(big * 0.13))
    top, bottom = round(big * 0.22), round(big * 0.78)
    left = round(big * 0.30)
    middle = (top + bottom) // 2
    right = round(big * 0.72)
    draw.rectangle((left, top, left + stroke, bottom), fill=FOREGROUND)
    draw.line((left + stroke, middle, right, top), fill=FOREGROUND, width=stroke)
    draw.line(
        (left + stroke + stroke // 2, middle - stroke // 3, right, bottom),
        fill=FOREGROUND,
        width=stroke,
    )
