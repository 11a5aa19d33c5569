"""Explicit labels on images: the wording drawn at an edge or corner, text height ≥ 5 % of the
shortest side, on a semi-opaque backing box with an outlined glyph so it reads on any background.

"Text height" is the height of the rendered glyphs' ink (their bounding box), not the font size:
we grow the font until the ink is tall enough, because a font's nominal size overstates glyph height.
"""

from __future__ import annotations

import enum
import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hegui.core.errors import InputError, LabelError
from hegui.labeling.explicit.text import SHORT_WORDING, validate_wording

if TYPE_CHECKING:
    from PIL import Image, ImageFont

MIN_HEIGHT_RATIO = 0.05
# Aim a little above the minimum so rounding in resampling or re-encoding never takes us below it.
DEFAULT_HEIGHT_RATIO = 0.06

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class Placement(enum.StrEnum):
    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"
    TOP = "top"
    BOTTOM = "bottom"


@dataclass(frozen=True, slots=True)
class DrawnLabel:
    """Where the label went: the backing box and the measured glyph-ink height, in pixels."""

    box: tuple[int, int, int, int]
    text_height: int
    font_path: str


@functools.cache
def find_cjk_font() -> str:
    """A font file that has CJK glyphs: wqy-microhei (installed by run.sh) or whatever fc-match finds."""
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True,
                                 text=True, timeout=10, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        # fc-match always answers something; only trust it if the font really covers Chinese.
        if out and Path(out).is_file() and _has_cjk_glyph(out):
            return out
    raise LabelError("no CJK font found for drawing explicit labels: install fonts-wqy-microhei "
                     "(apt-get install fonts-wqy-microhei) or another font covering Chinese")


def _has_cjk_glyph(path: str) -> bool:
    from PIL import ImageFont

    try:
        font = ImageFont.truetype(path, 32)
        bbox = font.getbbox("生")
    except OSError:
        return False
    return bbox[2] - bbox[0] > 0 and bbox[3] - bbox[1] > 0 and font.getmask("生").getbbox() is not None


def _font_for_height(font_path: str, wording: str, target: int) -> ImageFont.FreeTypeFont:
    """The smallest font whose rendered ink for ``wording`` is at least ``target`` pixels tall."""
    from PIL import ImageFont

    size = max(4, target)
    for _ in range(64):
        font = ImageFont.truetype(font_path, size)
        _, top, _, bottom = font.getbbox(wording)
        ink = int(bottom - top)
        if ink >= target:
            return font
        size += max(1, (target - ink) // 2)
    return font


def draw_label(image: Image.Image, wording: str = SHORT_WORDING, *,
               placement: Placement | str = Placement.BOTTOM_RIGHT,
               height_ratio: float = DEFAULT_HEIGHT_RATIO, font_path: str | None = None) -> DrawnLabel:
    """Draw the label onto ``image`` in place (RGB or RGBA) and say where."""
    from PIL import Image, ImageDraw

    wording = validate_wording(wording)
    if height_ratio < MIN_HEIGHT_RATIO:
        raise LabelError(f"label text height ratio {height_ratio} is below the required "
                         f"{MIN_HEIGHT_RATIO:.0%} of the shortest side")
    place = Placement(placement)
    width, height = image.size
    target = max(1, -(-int(min(width, height) * height_ratio * 1000) // 1000))  # ceil
    font_path = font_path or find_cjk_font()
    font = _font_for_height(font_path, wording, target)
    # An outline helps large glyphs on busy backgrounds; on small ones it would eat the fill.
    stroke = target // 16
    left, top, right, bottom = (int(v) for v in font.getbbox(wording, stroke_width=stroke))
    text_w, text_h = right - left, bottom - top
    pad = max(2, target // 4)
    box_w, box_h = text_w + 2 * pad, text_h + 2 * pad
    if box_w > width or box_h > height:
        raise LabelError(f"image {width}x{height} is too small for a legible label "
                         f"({box_w}x{box_h} pixels needed)")
    margin = max(0, min(pad, (width - box_w) // 2, (height - box_h) // 2))
    x = {"left": margin, "right": width - box_w - margin}.get(place.value.split("-")[-1],
                                                            (width - box_w) // 2)
    y = margin if place.value.startswith("top") else height - box_h - margin
    box = (x, y, x + box_w, y + box_h)

    # Semi-opaque dark box + white text with a dark outline: legible on white, black and noise.
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle(box, fill=(0, 0, 0, 180))
    draw.text((x + pad - left, y + pad - top), wording, font=font, fill=(255, 255, 255, 255),
              stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    base = image.convert("RGBA") if image.mode != "RGBA" else image
    composed = Image.alpha_composite(base, overlay)
    image.paste(composed.convert(image.mode) if image.mode in ("RGB", "RGBA") else composed)
    ink = font.getbbox(wording)
    return DrawnLabel(box=box, text_height=int(ink[3] - ink[1]), font_path=font_path)


# Pillow format name → save arguments that keep quality high (the image is re-encoded anyway).
_SAVE_ARGS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 95, "subsampling": 0},
    "WEBP": {"quality": 95},
    "PNG": {},
    "TIFF": {},
    "GIF": {},
}


def save_args(fmt: str, img: Image.Image) -> dict[str, object]:
    """Arguments for saving a re-encoded ``fmt`` image at high quality, keeping its ICC profile."""
    extra: dict[str, object] = dict(_SAVE_ARGS.get(fmt, {}))
    if "icc_profile" in img.info and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        extra["icc_profile"] = img.info["icc_profile"]
    return extra


def label_image_file(src: Path, dst: Path, wording: str = SHORT_WORDING, *,
                     placement: Placement | str = Placement.BOTTOM_RIGHT,
                     height_ratio: float = DEFAULT_HEIGHT_RATIO) -> DrawnLabel:
    """Read ``src``, draw the label, write ``dst`` in the same format (metadata is re-added later by
    the implicit labeler). Animated images get the label on every frame."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(src) as img:
            fmt = img.format or "PNG"
            if fmt not in _SAVE_ARGS:
                raise LabelError(f"{src}: cannot draw an explicit label on {fmt} images")
            frames = []
            drawn: DrawnLabel | None = None
            for frame in ImageSequence.Iterator(img):
                mode = "RGBA" if ("A" in frame.mode or "transparency" in frame.info) else "RGB"
                canvas = frame.convert(mode)
                drawn = draw_label(canvas, wording, placement=placement, height_ratio=height_ratio)
                frames.append(canvas)
            extra = save_args(fmt, img)
            if fmt == "JPEG":
                frames = [f.convert("RGB") for f in frames]
            if len(frames) > 1:
                extra.update(save_all=True, append_images=frames[1:],
                             duration=img.info.get("duration", 100), loop=img.info.get("loop", 0))
            frames[0].save(dst, format=fmt, **extra)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError) as err:
        raise InputError(f"{src}: cannot decode image to draw the explicit label ({err})") from None
    assert drawn is not None
    return drawn
