"""How often hegui's invisible watermark survives JPEG re-encoding, and its false-positive rate.

Figure: share of marked images whose content id reads back after JPEG at quality 90/80/70/60/50.
Baseline in the same run: the same images UNMARKED, through the same JPEG qualities — any "reading"
there is a false positive (should be 0). Also: PSNR of marked vs original, embed/read time per image.

    .venv/bin/python benchmarks/watermark_survival.py [--images 40] [--size 640x480]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import numpy as np
from PIL import Image

from hegui.labeling.watermark import content_id_for, embed_watermark, read_watermark

QUALITIES = (90, 80, 70, 60, 50)


def photo_like(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    """Smooth random gradients, a few shapes and sensor-like noise."""
    yy, xx = np.mgrid[0:h, 0:w] / max(w, h)
    chans = []
    for _ in range(3):
        a, b, c = rng.uniform(-150, 150, 3)
        chans.append(128 + a * xx + b * yy + c * np.sin(6 * xx * rng.uniform(0.5, 3)))
    img = np.stack(chans, -1)
    for _ in range(5):
        cx, cy, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.2)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.uniform(20, 235, 3)
    img += rng.normal(0, rng.uniform(2, 12), img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--size", default="640x480")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    rng = np.random.default_rng(2026)
    survived = dict.fromkeys(QUALITIES, 0)
    false_pos = dict.fromkeys(QUALITIES, 0)
    psnrs, t_embed, t_read = [], [], []
    for i in range(args.images):
        original = photo_like(rng, w, h)
        pid = f"bench-{i}"
        t0 = time.perf_counter()
        marked = embed_watermark(original, pid)
        t_embed.append(time.perf_counter() - t0)
        diff = np.asarray(marked, float) - np.asarray(original, float)
        psnrs.append(10 * np.log10(255**2 / max(np.mean(diff**2), 1e-9)))
        for q in QUALITIES:
            t0 = time.perf_counter()
            reading = read_watermark(jpeg(marked, q))
            t_read.append(time.perf_counter() - t0)
            survived[q] += reading is not None and reading.content_id == content_id_for(pid)
            false_pos[q] += read_watermark(jpeg(original, q)) is not None
    n = args.images
    print(f"images: {n} at {w}x{h}; PSNR marked vs original: median {statistics.median(psnrs):.1f} dB, "
          f"min {min(psnrs):.1f} dB")
    embed_ms, read_ms = 1000 * statistics.median(t_embed), 1000 * statistics.median(t_read)
    print(f"embed {embed_ms:.0f} ms/image, read {read_ms:.0f} ms/image (median)")
    print("JPEG quality | marked: id read back | baseline unmarked: false positives")
    for q in QUALITIES:
        print(f"{q:>12} | {survived[q]:>3}/{n} ({100 * survived[q] / n:5.1f} %) | {false_pos[q]}/{n}")


if __name__ == "__main__":
    main()
