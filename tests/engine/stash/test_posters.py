"""Letterboxed posters: a frame of any shape centred on a black 2:3 canvas, from real images."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
import pytest

from custom_components.videodrome.engine.stash.errors import StashImageError
from custom_components.videodrome.engine.stash.posters import (
    MAX_PIXELS,
    letterboxed_poster,
    poster_size,
)

RED = (200, 30, 30)


def _image(
    width: int, height: int, kind: str = "JPEG", mode: str = "RGB", **extra: object
) -> bytes:
    colour: tuple[int, ...] = (*RED, 255) if mode == "RGBA" else RED
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, kind, **extra)
    return out.getvalue()


def _open(poster: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(poster))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.width * 3 == image.height * 2, image.size
    return image


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int], slack: int = 12) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel, colour, strict=False))


def _rows_of(image: Image.Image, colour: tuple[int, int, int]) -> list[int]:
    """The rows whose middle pixel is `colour`."""
    return [y for y in range(image.height) if _near(image.getpixel((image.width // 2, y)), colour)]  # type: ignore[arg-type]


def test_a_16_9_frame_gets_bars_above_and_below() -> None:
    poster = _open(letterboxed_poster(_image(1920, 1080)))
    assert poster.size == (1000, 1500)
    frame = _rows_of(poster, RED)
    assert len(frame) == pytest.approx(562, abs=6)  # 1000 x 562.5
    top, bottom = frame[0], poster.height - 1 - frame[-1]
    assert abs(top - bottom) <= 2  # centred
    assert _near(poster.getpixel((500, 10)), (0, 0, 0))  # type: ignore[arg-type]
    assert _near(poster.getpixel((500, 1490)), (0, 0, 0))  # type: ignore[arg-type]
    assert _near(poster.getpixel((5, 750)), RED)  # type: ignore[arg-type]  # full width


def test_a_4_3_frame_keeps_its_size() -> None:
    poster = _open(letterboxed_poster(_image(640, 480)))
    assert poster.size == (640, 960)
    frame = _rows_of(poster, RED)
    assert (frame[0], len(frame)) == pytest.approx((240, 480), abs=2)


def test_a_2_3_frame_fills_the_poster() -> None:
    poster = _open(letterboxed_poster(_image(800, 1200, "PNG")))
    assert poster.size == (800, 1200)
    for point in ((1, 1), (400, 600), (798, 1198)):
        assert _near(poster.getpixel(point), RED), point  # type: ignore[arg-type]


def test_a_frame_taller_than_2_3_gets_bars_left_and_right() -> None:
    poster = _open(letterboxed_poster(_image(300, 1200)))
    assert poster.size == (800, 1200)
    columns = [x for x in range(800) if _near(poster.getpixel((x, 600)), RED)]  # type: ignore[arg-type]
    assert (columns[0], len(columns)) == pytest.approx((250, 300), abs=2)
    assert _near(poster.getpixel((10, 600)), (0, 0, 0))  # type: ignore[arg-type]


def test_tiny_frames() -> None:
    assert _open(letterboxed_poster(_image(1, 1))).size == (2, 3)
    assert _open(letterboxed_poster(_image(16, 9))).size == (16, 24)
    assert _open(letterboxed_poster(_image(3, 2))).size == (2, 3)


def test_a_huge_frame_is_scaled_down() -> None:
    poster = _open(letterboxed_poster(_image(7680, 4320), max_width=600))
    assert poster.size == (600, 900)
    assert len(_rows_of(poster, RED)) == pytest.approx(338, abs=6)


def test_transparency_is_black() -> None:
    out = io.BytesIO()
    image = Image.new("RGBA", (160, 90), (0, 255, 0, 0))
    image.paste((*RED, 255), (40, 0, 120, 90))
    image.save(out, "PNG")
    poster = _open(letterboxed_poster(out.getvalue()))
    assert poster.size == (160, 240)
    assert _near(poster.getpixel((10, 120)), (0, 0, 0))  # type: ignore[arg-type]  # was transparent
    assert _near(poster.getpixel((80, 120)), RED)  # type: ignore[arg-type]


def test_an_exif_rotated_frame_is_turned_first() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # turned 90 degrees: 900 x 1600 stored, 1600 x 900 shown
    poster = _open(letterboxed_poster(_image(900, 1600, exif=exif.tobytes())))
    assert poster.size == (1000, 1500)
    assert len(_rows_of(poster, RED)) == pytest.approx(562, abs=6)


def test_the_size_of_a_canvas() -> None:
    assert poster_size(1920, 1080) == (1000, 1500)
    assert poster_size(640, 480) == (640, 960)
    assert poster_size(641, 480) == (640, 960)  # an even width: the height is exactly 3/2
    assert poster_size(300, 1200) == (800, 1200)
    assert poster_size(1, 1) == (2, 3)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` (its one row of data is all there is)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" + b"\x00" * 3))
        + chunk(b"IEND", b"")
    )


def test_a_huge_image_is_refused_before_it_is_decoded() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    with pytest.raises(StashImageError, match="too large"):
        letterboxed_poster(_png_header(side, side))
    with pytest.raises(StashImageError, match="too large"):
        letterboxed_poster(_png_header(100_000, 100_000))  # past Pillow's own bomb limit too


def test_what_is_not_an_image_is_a_clear_error() -> None:
    with pytest.raises(StashImageError, match="not an image"):
        letterboxed_poster(b"<html>login</html>")
    with pytest.raises(StashImageError, match="not an image"):
        letterboxed_poster(b"")
    with pytest.raises(StashImageError, match="damaged"):
        letterboxed_poster(_image(640, 360)[:300])
    with pytest.raises(StashImageError, match="damaged"):
        letterboxed_poster(_png_header(64, 36))
