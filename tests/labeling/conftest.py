"""Shared fixtures for labeling tests: small image files made on the fly (no binary fixtures in git)
and the real exiftool, skipped with a reason when it is not installed."""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

# The image variants `make_image` writes (tests import nothing from here: they use the fixtures).
IMAGE_KINDS = ("png", "png-palette", "jpeg", "jpeg-exif", "webp-lossy", "webp-lossless", "webp-alpha",
               "webp-exif", "gif", "gif-anim", "tiff", "tiff-lzw", "tiff-be")


def _tiff_big_endian(width: int, height: int, pixels: bytes) -> bytes:
    """A minimal big-endian grayscale TIFF (Pillow only writes little-endian)."""
    entries = [(256, 3, 1, width), (257, 3, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 0), (277, 3, 1, 1), (278, 3, 1, height), (279, 4, 1, len(pixels))]
    ifd_size = 2 + 12 * len(entries) + 4
    data_at = 8 + ifd_size
    out = bytearray(b"MM\0*" + struct.pack(">I", 8) + struct.pack(">H", len(entries)))
    for tag, typ, count, value in entries:
        value = data_at if tag == 273 else value
        field = struct.pack(">HH", value, 0) if typ == 3 else struct.pack(">I", value)
        out += struct.pack(">HHI", tag, typ, count) + field
    out += struct.pack(">I", 0) + pixels
    return bytes(out)


def make_image(kind: str, path: Path, seed: int = 1, size: tuple[int, int] = (48, 32)) -> Path:
    """Write a small noisy image of the given kind to ``path`` and return it."""
    from PIL import Image, PngImagePlugin

    noise = Image.effect_noise(size, 40 + seed).convert("RGB")
    if kind == "png":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "made by a test")
        noise.save(path, format="PNG", pnginfo=info)
    elif kind == "png-palette":
        noise.convert("P").save(path, format="PNG")
    elif kind == "jpeg":
        noise.save(path, format="JPEG", quality=85)
    elif kind == "jpeg-exif":
        exif = Image.Exif()
        exif[0x010E] = "test description"
        noise.save(path, format="JPEG", quality=85, exif=exif.tobytes())
    elif kind == "webp-lossy":
        noise.save(path, format="WEBP", quality=80)
    elif kind == "webp-lossless":
        noise.save(path, format="WEBP", lossless=True)
    elif kind == "webp-alpha":
        rgba = noise.convert("RGBA")
        rgba.putalpha(Image.linear_gradient("L").resize(size))
        rgba.save(path, format="WEBP", lossless=True)
    elif kind == "webp-exif":
        exif = Image.Exif()
        exif[0x010E] = "test description"
        noise.save(path, format="WEBP", quality=80, exif=exif.tobytes())
    elif kind == "gif":
        noise.convert("P").save(path, format="GIF", comment=b"made by a test")
    elif kind == "gif-anim":
        frames = [Image.effect_noise(size, 40 + seed + i).convert("P") for i in range(3)]
        frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:], loop=0, duration=80)
    elif kind == "tiff":
        noise.save(path, format="TIFF", tiffinfo={270: "test description"})
    elif kind == "tiff-lzw":
        noise.save(path, format="TIFF", compression="tiff_lzw")
    elif kind == "tiff-be":
        gray = noise.convert("L")
        path.write_bytes(_tiff_big_endian(*size, gray.tobytes()))
    else:
        raise ValueError(kind)
    return path


@pytest.fixture
def image_factory(tmp_path: Path) -> Callable[..., Path]:
    """``image_factory(kind, name=None, seed=1)`` → a fresh image file in tmp_path."""
    def make(kind: str, name: str | None = None, seed: int = 1) -> Path:
        suffix = {"png": ".png", "jpe": ".jpg", "web": ".webp", "gif": ".gif", "tif": ".tif"}[kind[:3]]
        return make_image(kind, tmp_path / (name or f"{kind}-{seed}{suffix}"), seed)
    return make


@pytest.fixture(scope="session")
def make_image_file() -> Callable[..., Path]:
    """``make_image`` for session/module-scoped fixtures (tests cannot import conftest)."""
    return make_image


@pytest.fixture(scope="session")
def image_samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One small valid file of every kind, as bytes (for fuzzing: hypothesis cannot use tmp_path)."""
    folder = tmp_path_factory.mktemp("image-samples")
    return {kind: make_image(kind, folder / kind).read_bytes() for kind in IMAGE_KINDS}


@pytest.fixture(scope="session")
def exiftool() -> str:
    path = shutil.which("exiftool")
    if path is None:
        pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl; run.sh does it)")
    return path
