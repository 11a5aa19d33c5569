"""Implicit labels in PNG, JPEG, WebP, GIF and TIFF: written, read back, replaced (never appended),
lossless (pixels AND media bytes identical), other metadata kept, digest stable."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from hegui.core.errors import LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import atomic_output, labeler_for
from hegui.labeling.xmp import build_xmp_packet

LABEL = ContentLabel(ContentProducer="001191110102MAD55U9H0F10002", ProduceID="img-0001")
PROPAGATED = LABEL.with_propagator("001191110102MAD55U9H0F20001", "plat-42")
EXPECTED_FORMAT = {"png": "png", "jpe": "jpeg", "web": "webp", "gif": "gif", "tif": "tiff"}
Factory = Callable[..., Path]
IMAGE_KINDS = ("png", "png-palette", "jpeg", "jpeg-exif", "webp-lossy", "webp-lossless", "webp-alpha",
               "webp-exif", "gif", "gif-anim", "tiff", "tiff-lzw", "tiff-be")  # see conftest.make_image


def frames(path: Path) -> list[tuple[str, tuple[int, int], bytes]]:
    with Image.open(path) as im:
        out = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append((im.mode, im.size, im.tobytes()))
        return out


def label_file(src: Path, dst: Path, label: ContentLabel) -> None:
    labeler = labeler_for(src)
    with atomic_output(dst) as tmp:
        labeler.embed(src, tmp, label)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Independent PNG chunk walk (not the code under test)."""
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return out


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_label_round_trip_is_lossless(kind: str, image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory(kind)
    original = src.read_bytes()
    dst = tmp_path / ("labeled-" + src.name)
    label_file(src, dst, LABEL)
    assert src.read_bytes() == original  # the source is never modified
    labeler = labeler_for(dst)
    assert labeler.name == EXPECTED_FORMAT[kind[:3]]
    reading = labeler.extract(dst)
    assert reading.label == LABEL and not reading.conflicting
    assert all(c.error is None for c in reading.carriers)
    assert frames(dst) == frames(src)
    assert labeler.content_digest(dst) == labeler.content_digest(src)
    assert labeler_for(src).extract(src).carriers == []


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_relabel_replaces_and_does_not_grow(kind: str, image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory(kind)
    first, second, third = (tmp_path / f"{n}-{src.name}" for n in ("a", "b", "c"))
    label_file(src, first, LABEL)
    label_file(first, second, PROPAGATED)
    label_file(second, third, PROPAGATED)
    labeler = labeler_for(third)
    before = labeler.extract(first)
    after = labeler.extract(third)
    assert after.label == PROPAGATED
    assert len(after.carriers) == len(before.carriers)  # replaced, not appended
    assert LABEL.inner_json().encode() not in third.read_bytes()  # the old label is gone entirely
    assert third.stat().st_size == second.stat().st_size
    assert frames(third) == frames(src)
    assert len({labeler.content_digest(p) for p in (src, first, second, third)}) == 1


def test_png_media_chunks_are_byte_identical_and_carriers_precede_idat(image_factory: Factory,
                                                                         tmp_path: Path) -> None:
    src = image_factory("png")
    dst = tmp_path / "out.png"
    label_file(src, dst, LABEL)
    before, after = png_chunks(src.read_bytes()), png_chunks(dst.read_bytes())
    ours = {(b"iTXt", b"XML:com.adobe.xmp"), (b"tEXt", b"AIGC")}
    kept = [c for c in after if (c[0], c[1].split(b"\0")[0]) not in ours]
    assert kept == before  # every original chunk, same order, same bytes
    types = [t for t, _ in after]
    assert types.index(b"IDAT") > max(i for i, (t, d) in enumerate(after)
                                      if (t, d.split(b"\0")[0]) in ours)
    text = dict(c[1].split(b"\0", 1) for c in after if c[0] == b"tEXt")
    assert text[b"AIGC"] == LABEL.to_json().encode()
    assert text[b"Comment"] == b"made by a test"


@pytest.mark.parametrize("kind", ["jpeg", "jpeg-exif"])
def test_jpeg_entropy_coded_data_untouched_and_xmp_after_exif(kind: str, image_factory: Factory,
                                                              tmp_path: Path) -> None:
    src = image_factory(kind)
    dst = tmp_path / "out.jpg"
    label_file(src, dst, LABEL)
    a, b = src.read_bytes(), dst.read_bytes()
    assert a[a.index(b"\xff\xda"):] == b[b.index(b"\xff\xda"):]
    xmp_at = b.index(b"http://ns.adobe.com/xap/1.0/\0")
    if kind == "jpeg-exif":
        assert b.index(b"Exif\0\0") < xmp_at
        with Image.open(dst) as im:
            assert im.getexif()[0x010E] == "test description"


def test_webp_simple_file_becomes_vp8x_with_xmp_flag_and_correct_sizes(image_factory: Factory,
                                                                       tmp_path: Path) -> None:
    src = image_factory("webp-lossy")
    dst = tmp_path / "out.webp"
    label_file(src, dst, LABEL)
    a, b = src.read_bytes(), dst.read_bytes()
    assert a[12:16] == b"VP8 " and b[12:16] == b"VP8X"
    assert struct.unpack("<I", b[4:8])[0] == len(b) - 8
    flags = b[20]
    assert flags & 0x04
    width = int.from_bytes(b[24:27], "little") + 1
    height = int.from_bytes(b[27:30], "little") + 1
    assert (width, height) == (48, 32)
    assert a[12:] in b  # the VP8 bitstream chunk, byte for byte


def test_webp_keeps_exif_chunk(image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory("webp-exif")
    dst = tmp_path / "out.webp"
    label_file(src, dst, LABEL)
    with Image.open(dst) as im:
        assert im.getexif()[0x010E] == "test description"


def test_gif_keeps_comment_loop_and_image_blocks(image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory("gif-anim")
    dst = tmp_path / "out.gif"
    label_file(src, dst, LABEL)
    a, b = src.read_bytes(), dst.read_bytes()
    assert a[6:-1] in b and b.endswith(b";")  # all blocks unchanged; XMP goes right before the trailer
    with Image.open(dst) as im:
        assert im.info.get("loop") == 0 and im.n_frames == 3


@pytest.mark.parametrize("kind", ["tiff", "tiff-be"])
def test_tiff_keeps_every_original_byte_and_tags(kind: str, image_factory: Factory, tmp_path: Path) -> None:
    src = image_factory(kind)
    dst = tmp_path / "out.tif"
    label_file(src, dst, LABEL)
    a, b = src.read_bytes(), dst.read_bytes()
    assert b[:4] == a[:4] and b[8:len(a)] == a[8:]  # only the IFD0 pointer changed; new data appended
    if kind == "tiff":
        with Image.open(dst) as im:
            assert im.tag_v2[270] == "test description"


def test_foreign_xmp_properties_survive(tmp_path: Path) -> None:
    foreign = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf'
               b'-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
               b'dc:format="image/x-test"/></rdf:RDF></x:xmpmeta>')
    im = Image.effect_noise((16, 16), 30).convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", foreign.decode())
    files = [tmp_path / "a.png", tmp_path / "a.jpg", tmp_path / "a.webp", tmp_path / "a.tif"]
    im.save(files[0], pnginfo=info)
    im.save(files[1], xmp=foreign)
    im.save(files[2], xmp=foreign)
    im.save(files[3], tiffinfo={700: foreign})
    for src in files:
        dst = tmp_path / ("out" + src.suffix)
        label_file(src, dst, LABEL)
        data = dst.read_bytes()
        assert data.count(b'dc:format="image/x-test"') == 1, src.suffix
        assert labeler_for(dst).extract(dst).label == LABEL


def test_conflicting_carriers_are_reported(tmp_path: Path) -> None:
    other = ContentLabel(Label="3", ContentProducer="SOMEONE-ELSE", ProduceID="z")
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", build_xmp_packet(LABEL).decode())
    info.add_text("AIGC", other.to_json())
    src = tmp_path / "conflict.png"
    Image.new("RGB", (8, 8)).save(src, pnginfo=info)
    reading = labeler_for(src).extract(src)
    assert reading.conflicting and set(reading.labels) == {LABEL, other}
    with pytest.raises(LabelError, match="2 conflicting"):
        _ = reading.label
    dst = tmp_path / "fixed.png"
    label_file(src, dst, LABEL)  # writing replaces both: one label afterwards
    fixed = labeler_for(dst).extract(dst)
    assert not fixed.conflicting and fixed.label == LABEL


def _jpeg_with_comment(path: Path, comment: bytes) -> Path:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = comment
    Image.effect_noise((16, 16), 30).convert("RGB").save(path, exif=exif.tobytes())
    return path


def test_jpeg_exif_usercomment_is_read_and_rewritten_in_place(tmp_path: Path) -> None:
    old = ContentLabel(Label="2", ContentProducer="OLD", ProduceID="o")
    src = _jpeg_with_comment(tmp_path / "c.jpg", b"ASCII\0\0\0" + old.to_json().encode() + b" " * 200)
    reading = labeler_for(src).extract(src)
    assert [(c.name, c.label) for c in reading.carriers] == [("exif-usercomment", old)]
    dst = tmp_path / "out.jpg"
    label_file(src, dst, LABEL)
    after = labeler_for(dst).extract(dst)
    assert sorted(c.name for c in after.carriers) == ["exif-usercomment", "xmp"]
    assert after.label == LABEL and dst.stat().st_size - src.stat().st_size < 1200
    assert labeler_for(dst).content_digest(dst) == labeler_for(src).content_digest(src)


def test_jpeg_usercomment_too_small_for_the_new_label_is_blanked(tmp_path: Path) -> None:
    src = _jpeg_with_comment(tmp_path / "c.jpg", b'ASCII\0\0\0{"AIGC":{"Label":"2"}}')
    dst = tmp_path / "out.jpg"
    label_file(src, dst, LABEL)
    after = labeler_for(dst).extract(dst)
    assert [c.name for c in after.carriers] == ["xmp"] and after.label == LABEL
    assert b'"Label":"2"' not in dst.read_bytes()


def test_ordinary_usercomment_is_not_a_carrier_and_is_kept(tmp_path: Path) -> None:
    src = _jpeg_with_comment(tmp_path / "c.jpg", b"ASCII\0\0\0holiday photo")
    dst = tmp_path / "out.jpg"
    label_file(src, dst, LABEL)
    assert [c.name for c in labeler_for(dst).extract(dst).carriers] == ["xmp"]
    assert b"holiday photo" in dst.read_bytes()


def test_extension_does_not_decide_the_format(image_factory: Factory, tmp_path: Path) -> None:
    """A PNG named .jpg is sniffed as PNG (content decides) and labeled as PNG."""
    src = image_factory("png", name="really-a-png.jpg")
    assert labeler_for(src).name == "png"
    dst = tmp_path / "out.jpg"
    label_file(src, dst, LABEL)
    assert labeler_for(dst).extract(dst).label == LABEL


@pytest.mark.parametrize("kind", ["png", "jpeg", "webp-lossy", "gif", "tiff", "tiff-be"])
def test_digest_changes_when_the_media_changes(kind: str, image_factory: Factory, tmp_path: Path) -> None:
    a = image_factory(kind, seed=1)
    labeler = labeler_for(a)
    digest = labeler.content_digest(a)
    assert digest != labeler.content_digest(image_factory(kind, seed=2))
    data = bytearray(a.read_bytes())
    data[len(data) * 2 // 3] ^= 0x01  # inside the pixel data for these small files
    flipped = tmp_path / ("flipped" + a.suffix)
    flipped.write_bytes(bytes(data))
    assert labeler.content_digest(flipped) != digest


def test_png_xmp_in_a_ztxt_chunk_is_merged_not_lost(tmp_path: Path) -> None:
    foreign = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf'
               '-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
               'dc:format="image/x-test"/></rdf:RDF></x:xmpmeta>')
    info = PngImagePlugin.PngInfo()
    info.add_text("XML:com.adobe.xmp", foreign, zip=True)  # a zTXt chunk, as some old tools write
    src = tmp_path / "z.png"
    Image.new("RGB", (4, 4)).save(src, pnginfo=info)
    dst = tmp_path / "out.png"
    label_file(src, dst, LABEL)
    chunks = png_chunks(dst.read_bytes())
    assert [t for t, _ in chunks].count(b"zTXt") == 0
    [xmp] = [d for t, d in chunks if t == b"iTXt" and d.startswith(b"XML:com.adobe.xmp\0")]
    assert b'dc:format="image/x-test"' in xmp
    assert labeler_for(dst).extract(dst).label == LABEL
