"""Draws Videodrome's brand images into custom_components/videodrome/brand/.

Run with `.venv/bin/python scripts/draw_brand.py`. The mark is an original drawing, not Plex's
logo: an old television (two antennas, a rounded screen with a play triangle cut out of it) and
a round badge at its lower right with an arrow dropping into a tray, for the filing of new
downloads. Everything is one colour, amber, on a transparent background, so the images read on
light and dark themes alike.

Home Assistant's rules for local brand images (home-assistant/brands README, HA 2026.3+):
PNG, trimmed, transparent background; icon 1:1 at 256x256 (icon@2x 512x512); logo landscape
with its shortest side 128-256 px (logo@2x 256-512 px). Shapes are drawn as an alpha mask at
2048 px per unit, at least four times the largest output, and reduced with LANCZOS for smooth
edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

AMBER = (0xE5, 0xA0, 0x0D)
BRAND_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "videodrome" / "brand"
UNIT = 2048  # the mark's drawing size in pixels; outputs are at most 512 px, so >= 4x
ICON_SIZES = {"icon.png": 256, "icon@2x.png": 512}
LOGO_HEIGHTS = {"logo.png": 128, "logo@2x.png": 256}
WORDMARK = "Videodrome"
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

type Point = tuple[float, float]


def _px(*coords: float) -> list[float]:
    """Unit coordinates (0-1 of the mark's square) in pixels."""
    return [c * UNIT for c in coords]


def _polygon(draw: ImageDraw.ImageDraw, points: list[Point], fill: int) -> None:
    draw.polygon([(x * UNIT, y * UNIT) for x, y in points], fill=fill)


def draw_mark() -> Image.Image:
    """The mark as an alpha mask (255 = amber), UNIT x UNIT, before trimming."""
    mask = Image.new("L", (UNIT, UNIT), 0)
    draw = ImageDraw.Draw(mask)
    stroke = round(0.045 * UNIT)
    # Antennas, from the top of the screen to two round tips.
    for tip_x in (0.25, 0.63):
        draw.line(_px(0.44, 0.22, tip_x, 0.05), fill=255, width=stroke)
        draw.ellipse(_px(tip_x - 0.04, 0.01, tip_x + 0.04, 0.09), fill=255)
    draw.ellipse(_px(0.39, 0.13, 0.49, 0.23), fill=255)  # the antennas' base
    # The screen, and the play triangle cut out of it.
    draw.rounded_rectangle(_px(0.02, 0.18, 0.86, 0.80), radius=0.13 * UNIT, fill=255)
    _polygon(draw, [(0.33, 0.33), (0.33, 0.65), (0.60, 0.49)], fill=0)
    # The filing badge, set apart from the screen by a transparent ring.
    centre_x, centre_y, radius, gap = 0.79, 0.79, 0.19, 0.045
    ring = radius + gap
    draw.ellipse(_px(centre_x - ring, centre_y - ring, centre_x + ring, centre_y + ring), fill=0)
    draw.ellipse(
        _px(centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius), fill=255
    )
    # Inside the badge: an arrow dropping into an open tray.
    thin = round(0.032 * UNIT)
    draw.line(_px(centre_x, 0.66, centre_x, 0.78), fill=0, width=thin)
    _polygon(draw, [(0.735, 0.765), (0.845, 0.765), (0.79, 0.83)], fill=0)
    draw.line(
        _px(0.70, 0.80, 0.70, 0.875, 0.88, 0.875, 0.88, 0.80), fill=0, width=thin, joint="curve"
    )
    return mask


def trim(mask: Image.Image) -> Image.Image:
    """The mask cropped to what is drawn (Home Assistant asks for trimmed images)."""
    box = mask.getbbox()
    if box is None:
        raise ValueError("nothing was drawn")
    return mask.crop(box)


def colourise(mask: Image.Image) -> Image.Image:
    """Amber everywhere, with the mask as the alpha channel."""
    image = Image.new("RGBA", mask.size, (*AMBER, 0))
    image.putalpha(mask)
    return image


def icon(mark: Image.Image, size: int) -> Image.Image:
    """The trimmed mark centred in a transparent square, reduced to size x size."""
    side = max(mark.size)
    square = Image.new("L", (side, side), 0)
    square.paste(mark, ((side - mark.width) // 2, (side - mark.height) // 2))
    return colourise(square.resize((size, size), Image.Resampling.LANCZOS))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT_PATH.exists():
        return ImageFont.truetype(str(FONT_PATH), size)
    print(f"{FONT_PATH} not found; using Pillow's default font")
    return ImageFont.load_default(size)


def logo(mark: Image.Image, height: int) -> Image.Image:
    """The mark and the word beside it, trimmed and reduced to the given height."""
    font = _font(round(mark.height * 0.42))
    left, top, right, bottom = font.getbbox(WORDMARK)
    gap = round(mark.height * 0.16)
    canvas = Image.new("L", (mark.width + gap + round(right - left), mark.height), 0)
    canvas.paste(mark, (0, 0))
    text_y = (mark.height - (bottom - top)) / 2 - top
    ImageDraw.Draw(canvas).text((mark.width + gap - left, text_y), WORDMARK, fill=255, font=font)
    canvas = trim(canvas)
    width = round(canvas.width * height / canvas.height)
    return colourise(canvas.resize((width, height), Image.Resampling.LANCZOS))


def main() -> None:
    """Draw the four images and say what was written."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    mark = trim(draw_mark())
    images = {name: icon(mark, size) for name, size in ICON_SIZES.items()}
    images |= {name: logo(mark, height) for name, height in LOGO_HEIGHTS.items()}
    for name, image in images.items():
        path = BRAND_DIR / name
        image.save(path, optimize=True)
        print(f"{path.relative_to(Path.cwd(), walk_up=True)}: {image.width}x{image.height}")


if __name__ == "__main__":
    main()
