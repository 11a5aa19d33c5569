"""JPEG: the label is XMP in an APP1 segment (``http://ns.adobe.com/xap/1.0/\\0``), placed after SOI, the
JFIF APP0 and an Exif APP1 (REGULATIONS.md §5.3). Segments are walked up to the first SOS; everything from
there on (entropy-coded data, later scans, EOI, trailing bytes) is copied untouched.

EXIF UserComment with the full JSON is the other carrier the practice guide names. It is READ; hegui does
not add one (that would mean restructuring the Exif block), but an existing AIGC UserComment is
rewritten in place when the new label fits, and blanked otherwise — one label per file, never two.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from hegui.core.errors import InputError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Labeler, LabelReading, register_labeler
from hegui.labeling.formats._splice import (
    Part,
    Source,
    digest_parts,
    json_carrier,
    merged_xmp,
    open_source,
    write_parts,
)
from hegui.labeling.formats.tiff import HEADERS, Entry, read_ifd
from hegui.labeling.xmp import read_xmp_carriers

XMP_ID = b"http://ns.adobe.com/xap/1.0/\0"
EXIF_ID = b"Exif\0\0"
APP0, APP1, SOS, EOI = 0xE0, 0xE1, 0xDA, 0xD9
MAX_SEGMENT_DATA = 65533  # a segment length field counts itself: 65535 - 2
TAG_EXIF_IFD, TAG_USER_COMMENT = 0x8769, 0x9286
# UserComment starts with an 8-byte character-code prefix (Exif 2.3 §4.6.5).
ASCII_PREFIX = b"ASCII\0\0\0"
UNICODE_PREFIX = b"UNICODE\0"


class Segment(NamedTuple):
    start: int   # offset of the 0xFF of the marker
    marker: int
    end: int     # offset after the segment (for SOS: after its header)
    data_start: int  # offset of the payload, after the marker (and any fill bytes) and length field
    kind: str = ""   # "xmp" or "exif" for those APP1 segments, else ""


def _scan(src: Source) -> list[Segment]:
    """Marker segments from SOI up to and including the first SOS header.

    The headers normally all lie in the source's cached head, so they are read from it directly (this
    runs once per labeled file); ``src.read`` — bounds-checked, same messages — serves the rest."""
    if src.read(0, min(2, src.size), "SOI") != b"\xff\xd8":
        raise src.fail("missing start-of-image marker")
    head = src.head
    cached = len(head)
    segments: list[Segment] = []
    pos = 2
    while True:
        start = pos
        if (head[pos] if pos < cached else src.read(pos, 1, "marker")[0]) != 0xFF:
            raise src.fail(f"expected a marker at byte {pos}")
        while True:  # any number of 0xFF fill bytes may precede the marker code
            pos += 1
            marker = head[pos] if pos < cached else src.read(pos, 1, "marker")[0]
            if marker != 0xFF:
                break
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            segments.append(Segment(start, marker, pos, pos))
            continue
        if marker in (0x00, 0xD8, EOI):
            raise src.fail(f"unexpected marker 0xFF{marker:02X} at byte {start} before the image data")
        if pos + 2 <= cached:
            length = head[pos] << 8 | head[pos + 1]
        else:
            (length,) = struct.unpack(">H", src.read(pos, 2, "segment length"))
        if length < 2:
            raise src.fail(f"segment length {length} at byte {start} is invalid")
        end = pos + length
        if end > src.size:
            raise src.fail(f"truncated (segment 0xFF{marker:02X} at byte {start} runs past the end)")
        kind = ""
        if marker == APP1:
            ident = src.read(pos + 2, min(length - 2, len(XMP_ID)), "segment id")
            kind = "xmp" if ident == XMP_ID else "exif" if ident[:len(EXIF_ID)] == EXIF_ID else ""
        segments.append(Segment(start, marker, end, pos + 2, kind))
        pos = end
        if marker == SOS:
            _check_eoi(src, end)
            return segments


def _check_eoi(src: Source, image_data: int) -> None:
    """A truncated JPEG has no EOI marker after its image data. Look at the tail first (EOI is
    normally there, maybe followed by a trailer) and scan everything only when it is not."""
    if src.size - image_data >= 2 and src.read(src.size - 2, 2, "image data") == b"\xff\xd9":
        return  # the usual case, one small read
    tail_at = max(image_data, src.size - 65536)
    if b"\xff\xd9" in src.read(tail_at, src.size - tail_at, "image data"):
        return
    if tail_at == image_data or src.find(b"\xff\xd9", image_data) < 0:
        raise src.fail("truncated (no end-of-image marker after the image data)")


def _is_xmp(seg: Segment) -> bool:
    return seg.kind == "xmp"


def _is_exif(seg: Segment) -> bool:
    return seg.kind == "exif"


@dataclass(frozen=True, slots=True)
class UserComment:
    offset: int   # absolute file offset of the value (its 8-byte character-code prefix included)
    size: int
    text: str


def _user_comment(src: Source, seg: Segment) -> UserComment | None:
    """The Exif UserComment of this APP1 Exif segment, if it has one. A corrupt Exif block is not ours
    to judge (it is copied as it is), so it simply has no comment."""
    try:
        return _parse_user_comment(src, seg)
    except InputError:
        return None


def _parse_user_comment(src: Source, seg: Segment) -> UserComment | None:
    base = seg.data_start + len(EXIF_ID)
    tiff = Source(io.BytesIO(src.read(base, seg.end - base, "Exif")), src.path, "JPEG Exif")
    head = tiff.read(0, min(8, tiff.size), "Exif header")
    order = HEADERS.get(head[:4])
    if order is None or len(head) < 8:
        return None
    ifd0 = read_ifd(tiff, struct.unpack(order + "I", head[4:8])[0], order)
    pointer = ifd0.get(TAG_EXIF_IFD)
    if pointer is None or pointer.count != 1 or pointer.type not in (4, 13):
        return None
    exif_ifd = read_ifd(tiff, struct.unpack(order + "I", pointer.field)[0], order)
    entry: Entry | None = exif_ifd.get(TAG_USER_COMMENT)
    if entry is None or entry.type not in (1, 2, 7):  # UNDEFINED per spec; some use BYTE or ASCII
        return None
    span = entry.span(order)
    if span is None or span[1] < 8:
        return None  # shorter than the character-code prefix: cannot be a label
    value = tiff.read(span[0], span[1], "UserComment")
    prefix, body = value[:8], value[8:]
    if prefix == UNICODE_PREFIX:
        text = body.decode("utf-16-le" if order == "<" else "utf-16-be", "replace")
    else:
        text = body.decode("utf-8", "replace")
    return UserComment(base + span[0], span[1], text.strip("\0 "))


def _is_label_text(text: str) -> bool:
    return text.startswith("{") and ("AIGC" in text or '"Label"' in text)


def _rewritten_comment(comment: UserComment, label: ContentLabel) -> bytes:
    """A new UserComment value of the same size (so no Exif offset moves): the label in ASCII,
    space-padded (still valid JSON), if it fits; else blanks — the XMP then holds the only label."""
    data = ASCII_PREFIX + label.to_json().encode("ascii")
    if len(data) > comment.size:
        return ASCII_PREFIX + b" " * (comment.size - len(ASCII_PREFIX))
    return data + b" " * (comment.size - len(data))


@register_labeler
class JpegLabeler(Labeler):
    name = "jpeg"
    media = "image"
    extensions = (".jpg", ".jpeg", ".jpe", ".jfif")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        return head[:3] == b"\xff\xd8\xff"

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        with open_source(src, "JPEG") as source:
            segments = _scan(source)
            existing = next((s for s in segments if _is_xmp(s)), None)
            packet = None
            if existing is not None:
                packet = source.read(existing.data_start + len(XMP_ID),
                                     existing.end - existing.data_start - len(XMP_ID), "XMP")
            xmp = XMP_ID + merged_xmp(src, packet, label)
            if len(xmp) > MAX_SEGMENT_DATA:
                raise source.fail(f"the file's XMP with the label ({len(xmp)} bytes) does not fit in one "
                                  "APP1 segment (64 KB); extended XMP is not supported")
            app1 = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
            if not any(seg.kind for seg in segments):
                # The common case (no Exif, no XMP): the label goes after SOI and any APP0, and the
                # rest of the file is one range. Same result as the general walk below, fewer steps.
                at = next(seg.start for seg in segments if seg.marker != APP0)  # SOS at the latest
                write_parts(source, dst, [(0, at), app1, (at, source.size)])
                return
            ours: bytes | None = app1
            parts: list[Part] = [(0, 2)]
            for seg in segments:
                leading = seg.marker == APP0 or _is_exif(seg)
                if ours is not None and not leading:
                    parts.append(ours)
                    ours = None
                if _is_xmp(seg):
                    continue
                comment = _user_comment(source, seg) if _is_exif(seg) else None
                if comment is not None and _is_label_text(comment.text):
                    parts += [(seg.start, comment.offset), _rewritten_comment(comment, label),
                              (comment.offset + comment.size, seg.end)]
                else:
                    parts.append((seg.start, seg.end))
            parts.append((segments[-1].end, source.size))
            write_parts(source, dst, parts)

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(self.name)
        with open_source(path, "JPEG") as source:
            for seg in _scan(source):
                if _is_xmp(seg):
                    start = seg.data_start + len(XMP_ID)
                    reading.carriers.extend(read_xmp_carriers(source.read(start, seg.end - start, "XMP")))
                elif _is_exif(seg):
                    comment = _user_comment(source, seg)
                    if comment is not None and _is_label_text(comment.text):
                        reading.carriers.append(json_carrier("exif-usercomment", comment.text))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """Everything but XMP APP1 segments and the Exif UserComment value (metadata that carries or
        may carry the label)."""
        with open_source(path, "JPEG") as source:
            segments = _scan(source)
            parts: list[Part] = [(0, 2)]
            for seg in segments:
                if _is_xmp(seg):
                    continue
                comment = _user_comment(source, seg) if _is_exif(seg) else None
                if comment is not None:
                    parts += [(seg.start, comment.offset), (comment.offset + comment.size, seg.end)]
                else:
                    parts.append((seg.start, seg.end))
            parts.append((segments[-1].end, source.size))
            return digest_parts(source, parts)


__all__ = ["JpegLabeler"]
