"""A scene's screenshot as a poster: the frame centred on a black 2:3 canvas (letterboxed).

Plex shows a movie's poster at 2:3; Stash's screenshots are frames of the video, mostly 16:9,
which Plex would crop. So the frame is kept whole: scaled to the canvas's width (bars above
and below) or, for a frame taller than 2:3, to its height (bars left and right). The canvas
is as large as the frame, at most `POSTER_WIDTH` wide.

Pure and blocking (Pillow decodes and encodes): the caller runs it in an executor job. The
image's size is checked from its header before anything is decoded, against a bound of our
own (Pillow's decompression-bomb limit is process-wide; it is left as Home Assistant set it).
"""

from __future__ import annotations

import io
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import StashImageError

POSTER_WIDTH: Final = 1000  # the canvas at most (1000 x 1500, what Plex's own posters are)
MAX_PIXELS: Final = 40_000_000  # an 8K frame is 33 million; more is no screenshot
JPEG_QUALITY: Final = 85
_ORIENTATION: Final = 0x0112  # EXIF: how the camera was held
_TURNED: Final = 5  # orientations 5 to 8 swap width and height


def poster_size(width: int, height: int, max_width: int = POSTER_WIDTH) -> tuple[int, int]:
    """The 2:3 canvas for a `width` x `height` frame: as wide as the frame, or as tall.

    Its width is even (so that its height is exactly 3/2 of it), at least 2, at most
    `max_width`.
    """
    wide = width * 3 >= height * 2  # as wide as 2:3 or wider: bars above and below
    canvas = width if wide else -(-height * 2 // 3)
    canvas = min(canvas, max_width)
    canvas = max(canvas - canvas % 2, 2)
    return canvas, canvas * 3 // 2


def letterboxed_poster(
    image: bytes, *, max_width: int = POSTER_WIDTH, quality: int = JPEG_QUALITY
) -> bytes:
    """A 2:3 JPEG with the frame of `image` centred on black (StashImageError if unreadable)."""
    try:
        with Image.open(io.BytesIO(image)) as frame:  # reads the header only
            width, height = frame.size
            if width * height > MAX_PIXELS:
                raise StashImageError(
                    f"the image is too large to be a screenshot ({width}x{height})"
                )
            if frame.getexif().get(_ORIENTATION, 1) < _TURNED:
                # A JPEG much larger than its place on the poster is decoded at a reduced scale.
                frame.draft("RGB", _fitted(width, height, poster_size(width, height, max_width)))
            picture = ImageOps.exif_transpose(frame)
            return _compose(picture, max_width, quality)
    except Image.DecompressionBombError:  # Pillow's own bound, checked as it opens the image
        raise StashImageError("the image is too large to be a screenshot") from None
    except UnidentifiedImageError:
        raise StashImageError("not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise StashImageError(f"the image is damaged ({type(err).__name__})") from None


def _compose(picture: Image.Image, max_width: int, quality: int) -> bytes:
    transparent = picture.mode in {"RGBA", "LA", "PA"} or "transparency" in picture.info
    picture = picture.convert("RGBA" if transparent else "RGB")
    canvas_width, canvas_height = poster_size(picture.width, picture.height, max_width)
    size = _fitted(picture.width, picture.height, (canvas_width, canvas_height))
    if size != picture.size:
        picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    canvas = Image.new("RGB", (canvas_width, canvas_height), (0, 0, 0))
    place = ((canvas_width - size[0]) // 2, (canvas_height - size[1]) // 2)
    canvas.paste(picture, place, picture if transparent else None)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _fitted(width: int, height: int, canvas: tuple[int, int]) -> tuple[int, int]:
    """The size of a `width` x `height` frame scaled to fit `canvas`, proportions kept."""
    scale = min(canvas[0] / width, canvas[1] / height)
    return max(round(width * scale), 1), max(round(height * scale), 1)
