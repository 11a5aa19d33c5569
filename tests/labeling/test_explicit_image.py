"""Explicit image labels: measured text height ≥ 5 % of the shortest side, legible on white and black,
placement, animated GIFs, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from hegui.core.errors import InputError, LabelError
from hegui.labeling.explicit.image import draw_label, find_cjk_font, label_image_file


def _changed_bbox(before: Image.Image, after: Image.Image) -> tuple[int, int, int, int]:
    bbox = ImageChops.difference(before.convert("RGB"), after.convert("RGB")).getbbox()
    assert bbox is not None, "nothing was drawn"
    return bbox


def _text_rows(img: Image.Image, box: tuple[int, int, int, int]) -> tuple[int, int]:
    """Top and bottom rows (inclusive) inside ``box`` that hold bright text pixels (the box is dark)."""
    region = img.convert("L").crop(box)
    mask = region.point(lambda v: 255 if v >= 200 else 0)
    ink = mask.getbbox()
    assert ink is not None, "no text pixels in the label box"
    return ink[1], ink[3]


@pytest.mark.parametrize("background", [(255, 255, 255), (0, 0, 0), (128, 128, 128)])
@pytest.mark.parametrize("size", [(640, 480), (300, 900), (1200, 200)])
def test_text_height_at_least_5_percent_and_contrast(background: tuple[int, int, int],
                                                     size: tuple[int, int]) -> None:
    before = Image.new("RGB", size, background)
    after = before.copy()
    drawn = draw_label(after, "AI生成")
    box = _changed_bbox(before, after)
    top, bottom = _text_rows(after, box)
    text_height = bottom - top
    assert text_height >= 0.05 * min(size), (text_height, size)
    assert drawn.text_height >= 0.05 * min(size)
    # Contrast: the text (white) against its backing box (dark) whatever the background.
    region = after.convert("L").crop(box)
    darkest, brightest = region.getextrema()
    assert brightest - darkest >= 150


def test_placements_land_where_asked() -> None:
    w, h = 400, 300
    for placement, check in {
        "top-left": lambda b: b[0] < w / 2 and b[1] < h / 2,
        "top-right": lambda b: b[2] > w / 2 and b[1] < h / 2,
        "bottom-left": lambda b: b[0] < w / 2 and b[3] > h / 2,
        "bottom-right": lambda b: b[2] > w / 2 and b[3] > h / 2,
        "top": lambda b: b[1] < h / 2 and abs((b[0] + b[2]) / 2 - w / 2) < 2,
        "bottom": lambda b: b[3] > h / 2 and abs((b[0] + b[2]) / 2 - w / 2) < 2,
    }.items():
        before = Image.new("RGB", (w, h), "white")
        after = before.copy()
        draw_label(after, placement=placement)
        assert check(_changed_bbox(before, after)), placement


def test_height_ratio_below_minimum_and_bad_wording_rejected() -> None:
    img = Image.new("RGB", (100, 100))
    with pytest.raises(LabelError, match="5%"):
        draw_label(img, height_ratio=0.04)
    with pytest.raises(LabelError, match="generation element"):
        draw_label(img, "AI")


def test_cjk_font_is_found() -> None:
    assert Path(find_cjk_font()).is_file()


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"),
                                          ("TIFF", "tif")])
def test_file_roundtrip_keeps_format_and_size(tmp_path: Path, fmt: str, ext: str) -> None:
    src = tmp_path / f"in.{ext}"
    Image.new("RGB", (320, 240), (20, 120, 200)).save(src, format=fmt)
    dst = tmp_path / f"out.{ext}"
    label_image_file(src, dst)
    with Image.open(dst) as out, Image.open(src) as original:
        assert out.format == fmt and out.size == (320, 240)
        assert ImageChops.difference(out.convert("RGB"), original.convert("RGB")).getbbox() is not None


def test_animated_gif_labels_every_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (200, 200), c) for c in ("red", "green", "blue")]
    src = tmp_path / "a.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=80, loop=0)
    dst = tmp_path / "b.gif"
    label_image_file(src, dst)
    with Image.open(dst) as out:
        assert out.n_frames == 3
        for i in range(3):
            out.seek(i)
            frame = out.convert("RGB")
            assert ImageChops.difference(frame, frames[i]).getbbox() is not None


def test_corrupt_and_tiny_images(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    with pytest.raises(InputError):
        label_image_file(bad, tmp_path / "o.png")
    tiny = Image.new("RGB", (8, 8))
    with pytest.raises(LabelError, match="too small"):
        draw_label(tiny)
