"""Optional invisible watermark: round trip, survival after JPEG quality 80 (and 60), no false positive
on unmarked images, invisibility (PSNR), and its use by inspect and propagate."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hegui.core.errors import LabelError
from hegui.labeling.api import add_label, inspect, propagate
from hegui.labeling.watermark import content_id_for, embed_watermark, read_watermark


def natural_image(seed: int = 1, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """Gradients plus texture noise: closer to a photo than a flat colour."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx / w * 200 + 20, yy / h * 200 + 20, (xx + yy) / (w + h) * 200 + 20], -1)
    noisy = base + rng.normal(0, 10, (h, w, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf)


def test_round_trip_and_invisibility() -> None:
    img = natural_image()
    marked = embed_watermark(img, "prod-42")
    reading = read_watermark(marked)
    assert reading is not None and reading.content_id == content_id_for("prod-42")
    assert reading.matches("prod-42") and not reading.matches("prod-43")
    diff = np.asarray(marked, dtype=float) - np.asarray(img, dtype=float)
    psnr = 10 * np.log10(255**2 / np.mean(diff**2))
    assert psnr >= 38, psnr


@pytest.mark.parametrize("quality", [80, 60])
def test_survives_jpeg(quality: int) -> None:
    marked = embed_watermark(natural_image(2), "prod-7")
    reading = read_watermark(_jpeg(marked, quality))
    assert reading is not None and reading.content_id == content_id_for("prod-7")


@pytest.mark.parametrize("seed", range(5))
def test_no_false_positive_on_unmarked_images(seed: int) -> None:
    assert read_watermark(natural_image(seed + 10)) is None
    assert read_watermark(_jpeg(natural_image(seed + 20), 80)) is None


def test_too_small() -> None:
    with pytest.raises(LabelError, match="too small"):
        embed_watermark(Image.new("RGB", (40, 40), "gray"), "x")
    assert read_watermark(Image.new("RGB", (40, 40), "gray")) is None


def test_api_inspect_and_propagate_after_jpeg_recompression(tmp_path: Path) -> None:
    src = tmp_path / "gen.png"
    natural_image(3).save(src)
    result = add_label(src, out_dir=tmp_path / "out", producer="MakerAI", produce_id="img-9",
                       watermark=True, explicit=False)
    assert result.watermark_id == content_id_for("img-9")
    report = inspect(result.dst)
    assert report.watermark is not None and report.watermark["matches_label"] is True
    # A re-upload that lost its metadata (re-encoded at quality 80) still shows the trace.
    reencoded = tmp_path / "reupload.jpg"
    with Image.open(result.dst) as img:
        img.convert("RGB").save(reencoded, "JPEG", quality=80)
    again = inspect(reencoded)
    assert again.label is None
    assert again.watermark is not None and again.watermark["content_id"] == content_id_for("img-9")
    decision = propagate(reencoded, platform="PlatformX", propagate_id="p-1", out_dir=tmp_path / "plat")
    assert decision.decision == "suspected" and "watermark" in decision.reason
    assert inspect(decision.dst).label.Label == "3"  # type: ignore[arg-type, union-attr]


def test_gif_watermark_refused(tmp_path: Path) -> None:
    src = tmp_path / "a.gif"
    Image.new("RGB", (100, 100)).save(src)
    with pytest.raises(LabelError, match="PNG, JPEG, WebP and TIFF"):
        add_label(src, out_dir=tmp_path / "out", producer="P", watermark=True)
