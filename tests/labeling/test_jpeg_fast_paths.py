"""The JPEG labeling paths made faster for batch labeling keep their behaviour: segment headers are
parsed from the cached head or, past it, from the file; 0xFF fill bytes before a marker do not hide an
existing XMP segment (one label afterwards); output is byte-exact around the inserted segment; atomic
writes keep an existing file's mode, skip a stale temp name and leave nothing behind on failure."""

from __future__ import annotations

import copy
import os
import struct
from pathlib import Path

import pytest
from PIL import Image

from hegui.core.errors import InputError
from hegui.core.label import ContentLabel
from hegui.labeling import base
from hegui.labeling.base import atomic_output, labeler_for
from hegui.labeling.formats.jpeg import JpegLabeler
from hegui.labeling.xmp import build_xmp_packet

LABEL = ContentLabel(ContentProducer="001191110102MAD55U9H0F10002", ProduceID="fast-0001")
OLD = ContentLabel(Label="2", ContentProducer="OLD", ProduceID="old-1")
XMP_ID = b"http://ns.adobe.com/xap/1.0/\0"


def plain_jpeg(path: Path, size: tuple[int, int] = (64, 48)) -> bytes:
    Image.effect_noise(size, 50).convert("RGB").save(path, format="JPEG", quality=90)
    return path.read_bytes()


def segment(marker: int, payload: bytes, fill: int = 0) -> bytes:
    return b"\xff" * (1 + fill) + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def first_sos(data: bytes) -> int:
    """Offset of the SOS marker, by an independent walk (not the code under test)."""
    pos = 2
    while True:
        while data[pos + 1] == 0xFF:
            pos += 1
        marker = data[pos + 1]
        if marker == 0xDA:
            return pos
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        pos += 2 + length


def label_file(src: Path, dst: Path, label: ContentLabel) -> None:
    labeler = labeler_for(src)
    with atomic_output(dst) as tmp:
        labeler.embed(src, tmp, label)


@pytest.mark.parametrize("fill", [0, 3])
def test_existing_xmp_after_fill_bytes_is_replaced_not_duplicated(fill: int, tmp_path: Path) -> None:
    jpeg = plain_jpeg(tmp_path / "plain.jpg")
    src = tmp_path / "with-xmp.jpg"
    src.write_bytes(jpeg[:2] + segment(0xE1, XMP_ID + build_xmp_packet(OLD), fill) + jpeg[2:])
    assert labeler_for(src).extract(src).label == OLD
    dst = tmp_path / "out.jpg"
    label_file(src, dst, LABEL)
    reading = labeler_for(dst).extract(dst)
    assert [c.label for c in reading.carriers] == [LABEL]
    out = dst.read_bytes()
    assert out[first_sos(out):] == jpeg[first_sos(jpeg):]  # entropy-coded data and EOI untouched


def test_segments_beyond_the_cached_head_are_walked(tmp_path: Path) -> None:
    """A 40 KB comment segment pushes later headers (and an old XMP) past the 16 KB read cache."""
    jpeg = plain_jpeg(tmp_path / "plain.jpg")
    big_comment = segment(0xFE, bytes(range(256)) * 160)
    old_xmp = segment(0xE1, XMP_ID + build_xmp_packet(OLD))
    src = tmp_path / "big.jpg"
    src.write_bytes(jpeg[:2] + big_comment + old_xmp + jpeg[2:])
    dst = tmp_path / "out.jpg"
    label_file(src, dst, LABEL)
    out = dst.read_bytes()
    assert [c.label for c in labeler_for(dst).extract(dst).carriers] == [LABEL]
    assert big_comment in out and build_xmp_packet(OLD) not in out
    assert out[first_sos(out):] == jpeg[first_sos(jpeg):]
    assert labeler_for(dst).content_digest(dst) == labeler_for(src).content_digest(src)


def test_output_is_the_source_with_exactly_one_segment_inserted(tmp_path: Path) -> None:
    src = tmp_path / "plain.jpg"
    jpeg = plain_jpeg(src, size=(600, 400))  # larger than the head cache: the tail is kernel-copied
    dst = tmp_path / "out.jpg"
    label_file(src, dst, LABEL)
    out = dst.read_bytes()
    at = out.index(b"\xff\xe1")
    (length,) = struct.unpack(">H", out[at + 2:at + 4])
    assert out[at + 4:at + 4 + len(XMP_ID)] == XMP_ID
    assert out[:at] + out[at + 2 + length:] == jpeg


def test_truncated_jpeg_is_refused_and_nothing_is_left_behind(tmp_path: Path) -> None:
    jpeg = plain_jpeg(tmp_path / "plain.jpg")
    src = tmp_path / "cut.jpg"
    src.write_bytes(jpeg[:len(jpeg) // 2])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(InputError, match="truncated"):
        label_file(src, out_dir / "cut.jpg", LABEL)
    assert list(out_dir.iterdir()) == []


def test_atomic_output_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    dst = tmp_path / "existing.jpg"
    dst.write_bytes(b"old")
    os.chmod(dst, 0o640)
    with atomic_output(dst) as tmp:
        tmp.write_bytes(b"new")
    assert dst.read_bytes() == b"new" and (dst.stat().st_mode & 0o777) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.jpg"]


def test_atomic_output_skips_a_stale_temp_file_and_leaves_it_alone(tmp_path: Path) -> None:
    dst = tmp_path / "new.jpg"
    upcoming = next(copy.copy(base._tmp_counter))  # the name the next call would try first
    stale = tmp_path / f".new.jpg.{base._tmp_token}{upcoming:x}.hegui-tmp"
    stale.write_bytes(b"someone else's")
    with atomic_output(dst) as tmp:
        assert tmp != stale
        tmp.write_bytes(b"ours")
    assert dst.read_bytes() == b"ours" and stale.read_bytes() == b"someone else's"


def test_atomic_output_failure_removes_the_temp_file(tmp_path: Path) -> None:
    dst = tmp_path / "x.jpg"
    with pytest.raises(RuntimeError), atomic_output(dst) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_in_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write in"), atomic_output(tmp_path / "no" / "x.jpg"):
        pass


def test_directories_and_devices_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        JpegLabeler().extract(tmp_path)
    with pytest.raises(InputError, match="not a valid JPEG"):
        JpegLabeler().extract(Path(os.devnull))  # a character device, read through a file object
