"""Bad image input: one clear HeguiError, the original untouched, no output file left behind."""

from __future__ import annotations

import os
import struct
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from hegui.core.errors import HeguiError, InputError, UnsupportedFormatError
from hegui.core.label import ContentLabel
from hegui.labeling.base import atomic_output, labeler_for
from hegui.labeling.formats.gif import GifLabeler
from hegui.labeling.formats.jpeg import JpegLabeler
from hegui.labeling.formats.png import PngLabeler
from hegui.labeling.formats.tiff import TiffLabeler
from hegui.labeling.formats.webp import WebpLabeler

LABEL = ContentLabel(ContentProducer="P", ProduceID="1")
Factory = Callable[..., Path]
KINDS = ["png", "jpeg", "webp-lossy", "webp-lossless", "gif", "tiff"]


def _label_into(src: Path, dst: Path) -> None:
    labeler = labeler_for(src)
    with atomic_output(dst) as tmp:
        labeler.embed(src, tmp, LABEL)


def _assert_refused(src: Path, tmp_path: Path, match: str) -> None:
    original = src.read_bytes()
    dst = tmp_path / ("out" + src.suffix)
    with pytest.raises(HeguiError, match=match) as info:
        _label_into(src, dst)
    assert str(src) in str(info.value)
    assert src.read_bytes() == original
    assert not dst.exists() and not list(tmp_path.glob("*.hegui-tmp"))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_files_are_refused(kind: str, keep: float, image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory(kind)
    data = src.read_bytes()
    src.write_bytes(data[: int(len(data) * keep)])
    labeler = labeler_for(src)
    with pytest.raises(InputError, match="truncated"):
        labeler.content_digest(src)
    with pytest.raises(InputError, match="truncated"):
        labeler.extract(src)
    _assert_refused(src, tmp_path, "truncated")


@pytest.mark.parametrize("labeler", [PngLabeler(), JpegLabeler(), WebpLabeler(), GifLabeler(), TiffLabeler()])
def test_wrong_magic_gives_a_clear_error(labeler: object, tmp_path: Path) -> None:
    src = tmp_path / "notes.png"
    src.write_text("just some text, not an image\n" * 3)
    with pytest.raises(InputError, match="not a valid"):
        labeler.extract(src)  # type: ignore[attr-defined]


def test_unsupported_content_with_an_image_extension(tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(b"\x00\x01\x02 definitely not a picture" * 4)
    with pytest.raises(UnsupportedFormatError, match="not a supported format"):
        labeler_for(src)


def test_a_jpeg_named_png_is_handled_as_jpeg(image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory("jpeg", name="liar.png")
    assert labeler_for(src).name == "jpeg"  # sniffing decides, the extension is ignored
    _label_into(src, tmp_path / "ok.png")


def test_bigtiff_is_refused_clearly(tmp_path: Path) -> None:
    src = tmp_path / "big.tif"
    src.write_bytes(b"II+\x00\x08\x00\x00\x00" + struct.pack("<Q", 16) + b"\0" * 64)
    labeler = labeler_for(src)
    assert labeler.name == "tiff"
    with pytest.raises(UnsupportedFormatError, match="BigTIFF is not supported"):
        labeler.extract(src)
    _assert_refused(src, tmp_path, "BigTIFF")


def _png_with_huge_chunk() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", 0x7FFFFFF0) + b"tEXt" + b"AIGC\0{}"


@pytest.mark.parametrize("data", [
    _png_with_huge_chunk(),
    b"RIFF\xff\xff\xff\x7fWEBPVP8X\x0a\x00\x00\x00" + b"\0" * 10,            # RIFF size 2 GB
    b"RIFF\x40\x00\x00\x00WEBPVP8X\xf0\xff\xff\x7f" + b"\0" * 52,             # chunk size 2 GB
    b"II*\x00\x08\x00\x00\x00\x01\x00\xbc\x02\x01\x00\xff\xff\xff\x7f\x10\x00\x00\x00\0\0\0\0",  # tag 700
    b"\xff\xd8\xff\xe1\xff\xff" + b"\0" * 50,                                 # APP1 longer than the file
])
def test_huge_declared_lengths_do_not_allocate(data: bytes, tmp_path: Path) -> None:
    src = tmp_path / "evil.bin"
    src.write_bytes(data)
    tracemalloc.start()
    try:
        with pytest.raises(InputError):
            labeler_for(src).extract(src)
        _peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _peak < 8 * 1024 * 1024


def test_malformed_existing_xmp_is_refused_not_overwritten(tmp_path: Path) -> None:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta><rdf:RDF unclosed")
    src = tmp_path / "badxmp.png"
    Image.new("RGB", (4, 4)).save(src, pnginfo=info)
    _assert_refused(src, tmp_path, "malformed XMP")


def test_png_text_chunk_with_bad_crc_is_reported(image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory("png")
    labeled = tmp_path / "l.png"
    _label_into(src, labeled)
    data = bytearray(labeled.read_bytes())
    at = data.index(b"tEXtAIGC") + 10
    data[at] ^= 0x20  # change one byte of the label text without fixing the CRC
    labeled.write_bytes(bytes(data))
    with pytest.raises(InputError, match="CRC mismatch"):
        labeler_for(labeled).extract(labeled)


def test_output_directory_missing_or_read_only(image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory("png")
    original = src.read_bytes()
    with pytest.raises(InputError, match="cannot write"):
        _label_into(src, tmp_path / "no-such-dir" / "out.png")
    if os.geteuid() != 0:  # root ignores directory permissions
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(InputError, match="cannot write"):
                _label_into(src, locked / "out.png")
        finally:
            locked.chmod(0o700)
    assert src.read_bytes() == original


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        labeler_for(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        PngLabeler().extract(tmp_path / "missing.png")


def test_webp_with_zero_sized_vp8_frame_is_refused(tmp_path: Path) -> None:
    vp8 = b"\x10\x02\x00\x9d\x01\x2a\x00\x00\x10\x00" + b"\0" * 10
    src = tmp_path / "zero.webp"
    src.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(vp8)) + b"WEBPVP8 " + struct.pack("<I", len(vp8))
                    + vp8)
    _assert_refused(src, tmp_path, "zero width or height")
