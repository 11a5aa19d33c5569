"""Optional invisible image watermark carrying a content id (numpy only; no model, no torch).

Scheme: the luminance plane is cut into 8×8 blocks; in each block two mid-frequency DCT coefficients
carry one payload bit each by quantisation index modulation (QIM: the coefficient is moved to the
nearest point of one of two interleaved lattices, step ``STEP``). The 80-bit payload — 16-bit magic,
48-bit content id (the first 6 bytes of SHA-256 of the ProduceID), 16-bit CRC — is spread over all
slots by a fixed pseudo-random permutation, so each bit is repeated dozens to thousands of times and
read back by majority vote. JPEG quality 80 quantises these coefficients with steps of ≈ 5–6, well
inside the ±STEP/4 margin, so the mark survives it (tested). It does not survive cropping, scaling
or rotation (the block grid moves), and flat saturated areas (pure white/black) cannot hold it.

A watermark complements the metadata label; it never replaces it (REGULATIONS.md §5.3).
"""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hegui.core.errors import LabelError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from PIL import Image

STEP = 24.0
MAGIC = 0xA1C6
PAYLOAD_BITS = 80
_COEFFS = ((1, 2), (2, 1))   # mid-low frequencies: robust to JPEG, invisible at this step
_SEED = 0x4845_4755        # "HEGU": fixed, so any hegui can read any hegui mark
MIN_VOTES = 8              # fewer repetitions than this per bit → image too small to mark
MIN_SIZE = 64


@dataclass(frozen=True, slots=True)
class WatermarkReading:
    content_id: str        # 12 hex characters
    confidence: float      # mean vote margin in [0, 1]

    def matches(self, produce_id: str) -> bool:
        return self.content_id == content_id_for(produce_id)


def content_id_for(produce_id: str) -> str:
    return hashlib.sha256(produce_id.encode("utf-8")).hexdigest()[:12]


def _bits(content_id: str) -> list[int]:
    body = MAGIC.to_bytes(2, "big") + bytes.fromhex(content_id)
    crc = binascii.crc_hqx(body, 0xFFFF)
    data = body + crc.to_bytes(2, "big")
    return [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]


def _dct_matrix() -> NDArray[np.float64]:
    import numpy as np

    k = np.arange(8, dtype=np.float64)
    m: NDArray[np.float64] = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / 16) * np.sqrt(2 / 8)
    m[0, :] = np.sqrt(1 / 8)
    return m


def _layout(blocks_y: int, blocks_x: int) -> NDArray[np.int64]:
    """For each slot (block, coefficient) the payload bit it carries, in a fixed pseudo-random order."""
    import numpy as np

    slots = blocks_y * blocks_x * len(_COEFFS)
    order = np.random.default_rng(_SEED).permutation(slots)
    return (order % PAYLOAD_BITS).astype(np.int64)


def _luma_blocks(image: Image.Image) -> tuple[NDArray[np.float64], Image.Image, int, int]:
    import numpy as np

    ycbcr = image.convert("YCbCr")
    y = np.asarray(ycbcr.getchannel("Y"), dtype=np.float64)
    h8, w8 = (y.shape[0] // 8) * 8, (y.shape[1] // 8) * 8
    if min(h8, w8) < MIN_SIZE:
        raise LabelError(f"image {image.size[0]}x{image.size[1]} is too small for a watermark")
    blocks = y[:h8, :w8].reshape(h8 // 8, 8, w8 // 8, 8).transpose(0, 2, 1, 3)
    return blocks, ycbcr, h8 // 8, w8 // 8


def _coefficient(blocks: NDArray[np.float64], dct: NDArray[np.float64], u: int, v: int) -> (
        NDArray[np.float64]):
    """DCT coefficient (u, v) of every 8×8 block: D[u] · block · D[v]ᵀ (no full transform needed)."""
    import numpy as np

    out: NDArray[np.float64] = np.einsum("abjk,j,k->ab", blocks, dct[u], dct[v], optimize=True)
    return out


def embed_watermark(image: Image.Image, produce_id: str) -> Image.Image:
    """A copy of ``image`` (RGB/RGBA) carrying ``content_id_for(produce_id)``."""
    import numpy as np
    from PIL import Image as PILImage

    blocks, ycbcr, by, bx = _luma_blocks(image)
    bits = np.array(_bits(content_id_for(produce_id)), dtype=np.float64)
    layout = _layout(by, bx).reshape(by, bx, len(_COEFFS))
    dct = _dct_matrix()
    marked = blocks.copy()
    for n, (u, v) in enumerate(_COEFFS):
        # Only the two carrier coefficients change: add (new - old) × their (orthonormal) basis image.
        c = _coefficient(blocks, dct, u, v)
        dither = bits[layout[:, :, n]] * STEP / 2
        target = np.round((c - dither) / STEP) * STEP + dither
        marked += (target - c)[:, :, None, None] * np.outer(dct[u], dct[v])[None, None]
    y = np.asarray(ycbcr.getchannel("Y"), dtype=np.float64).copy()
    y[:by * 8, :bx * 8] = marked.transpose(0, 2, 1, 3).reshape(by * 8, bx * 8)
    luma = PILImage.fromarray(np.clip(np.round(y), 0, 255).astype(np.uint8), "L")
    _, cb, cr = ycbcr.split()
    out = PILImage.merge("YCbCr", (luma, cb, cr)).convert("RGB")
    if image.mode == "RGBA":
        out.putalpha(image.getchannel("A"))
    return out


def read_watermark(image: Image.Image) -> WatermarkReading | None:
    """The content id if a hegui watermark is present (magic and CRC must check), else None."""
    import numpy as np

    try:
        blocks, _, by, bx = _luma_blocks(image)
    except LabelError:
        return None
    layout = _layout(by, bx).reshape(by, bx, len(_COEFFS))
    if layout.size // PAYLOAD_BITS < MIN_VOTES:
        return None
    dct = _dct_matrix()
    votes = np.zeros(PAYLOAD_BITS)
    counts = np.zeros(PAYLOAD_BITS)
    for n, (u, v) in enumerate(_COEFFS):
        # Position within the lattice period: near 0 → bit 0, near STEP/2 → bit 1.
        phase = np.mod(_coefficient(blocks, dct, u, v), STEP) / STEP
        to_bit0 = np.minimum(phase, 1 - phase)   # 0 … 0.5; the bit-1 lattice is 0.5 - to_bit0 away
        vote = 4 * to_bit0 - 1                   # -1 = surely bit 0 … +1 = surely bit 1
        np.add.at(votes, layout[:, :, n].ravel(), vote.ravel())
        np.add.at(counts, layout[:, :, n].ravel(), 1)
    mean = votes / np.maximum(counts, 1)
    bits = (mean > 0).astype(int)
    data = bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, PAYLOAD_BITS, 8))
    if int.from_bytes(data[:2], "big") != MAGIC:
        return None
    if binascii.crc_hqx(data[:8], 0xFFFF) != int.from_bytes(data[8:], "big"):
        return None
    return WatermarkReading(data[2:8].hex(), float(np.mean(np.abs(mean))))


# Formats whose pixels we can carry the mark in (GIF's palette would destroy it).
WATERMARK_FORMATS = frozenset({"png", "jpeg", "webp", "tiff"})
# Larger images are not scanned by ``inspect`` (decoding cost); the mark is in every block anyway.
MAX_SCAN_PIXELS = 40_000_000


def watermark_file(src: Path, dst: Path, produce_id: str) -> str:
    """Write ``src`` with the watermark to ``dst`` in the same format; returns the content id."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    from hegui.core.errors import InputError
    from hegui.labeling.explicit.image import save_args

    try:
        with PILImage.open(src) as img:
            fmt = img.format or "PNG"
            mode = "RGBA" if "A" in img.getbands() else "RGB"
            marked = embed_watermark(img.convert(mode), produce_id)
            extra = save_args(fmt, img)
        if fmt == "JPEG":
            marked = marked.convert("RGB")
        marked.save(dst, format=fmt, **extra)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            PILImage.DecompressionBombError) as err:
        raise InputError(f"{src}: cannot decode image to add the watermark ({err})") from None
    return content_id_for(produce_id)


def scan_file(path: Path) -> WatermarkReading | None:
    """The watermark in an image file, or None (also for anything that does not decode)."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as img:
            if img.size[0] * img.size[1] > MAX_SCAN_PIXELS:
                return None
            img.load()
            return read_watermark(img)
    except Exception:  # a scan of untrusted bytes is best-effort: it must never fail the inspection
        return None
