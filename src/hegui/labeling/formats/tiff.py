"""TIFF: the label is XMP in tag 700 of IFD0 (REGULATIONS.md §5.3). Classic TIFF, both byte orders;
BigTIFF is refused with a clear message.

Nothing already in the file moves, so every offset inside it (strips, tiles, Exif, maker notes) stays
valid: an existing XMP value is rewritten in place when the new packet fits (XMP padding fills the
rest); otherwise the packet is appended and the tag-700 entry repointed; a file without tag 700 gets a
copy of IFD0 with the new entry appended at the end and the header repointed to it.

The IFD reader here is also used for the Exif block of JPEG files.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

from hegui.core.errors import InputError, UnsupportedFormatError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Labeler, LabelReading, register_labeler
from hegui.labeling.formats._splice import Part, Source, merged_xmp, open_source, write_parts
from hegui.labeling.xmp import MAX_XMP_BYTES, read_xmp_carriers

TAG_XMP = 700
TAG_STRIP_OFFSETS, TAG_STRIP_COUNTS = 273, 279
TAG_TILE_OFFSETS, TAG_TILE_COUNTS = 324, 325
TYPE_BYTE, TYPE_SHORT, TYPE_LONG = 1, 3, 4
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
MAX_IFDS = 1024          # longest IFD chain we follow (a loop or a corrupt chain stops here)
XMP_APPEND_PADDING = 1024  # room for a later, longer label without moving the packet again

HEADERS = {b"II*\0": "<", b"MM\0*": ">"}
BIGTIFF_HEADERS = (b"II+\0", b"MM\0+")


@dataclass(frozen=True, slots=True)
class Entry:
    position: int  # offset of the 12-byte entry
    tag: int
    type: int
    count: int
    field: bytes   # the 4-byte value-or-offset field, as stored

    def span(self, order: str) -> tuple[int, int] | None:
        """(offset, size) of an out-of-line value; None when the value fits in the entry (or the type
        is unknown, so the size cannot be known)."""
        size = TYPE_SIZES.get(self.type)
        if size is None or size * self.count <= 4:
            return None
        (offset,) = struct.unpack(order + "I", self.field)
        return offset, size * self.count

    def value(self, src: Source, order: str, what: str) -> bytes:
        span = self.span(order)
        if span is None:
            size = TYPE_SIZES.get(self.type, 1) * self.count
            return self.field[:size]
        return src.read(span[0], span[1], what)

    def ints(self, src: Source, order: str, what: str) -> list[int]:
        if self.type not in (TYPE_SHORT, TYPE_LONG):
            raise src.fail(f"{what} has type {self.type}, expected SHORT or LONG")
        code = "H" if self.type == TYPE_SHORT else "I"
        raw = self.value(src, order, what)
        return list(struct.unpack(f"{order}{self.count}{code}", raw))


@dataclass(frozen=True, slots=True)
class Ifd:
    offset: int
    entries: list[Entry]
    next_offset: int

    def get(self, tag: int) -> Entry | None:
        return next((e for e in self.entries if e.tag == tag), None)


def parse_header(src: Source) -> tuple[str, int]:
    """(byte order '<' or '>', offset of IFD0)."""
    head = src.read(0, min(8, src.size), "header")
    if head[:4] in BIGTIFF_HEADERS:
        raise UnsupportedFormatError(f"{src.path}: BigTIFF is not supported (only classic TIFF)")
    order = HEADERS.get(head[:4])
    if order is None or len(head) < 8:
        raise src.fail("missing TIFF header")
    (ifd0,) = struct.unpack(order + "I", head[4:8])
    return order, ifd0


def read_ifd(src: Source, offset: int, order: str) -> Ifd:
    if offset < 8:  # (word alignment is required by the spec but often ignored: accept it)
        raise src.fail(f"IFD offset {offset} is invalid")
    (count,) = struct.unpack(order + "H", src.read(offset, 2, "IFD"))
    body = src.read(offset + 2, count * 12 + 4, "IFD entries")
    entries = []
    for i in range(count):
        tag, typ, n = struct.unpack(order + "HHI", body[i * 12:i * 12 + 8])
        entries.append(Entry(offset + 2 + i * 12, tag, typ, n, body[i * 12 + 8:i * 12 + 12]))
    (next_offset,) = struct.unpack(order + "I", body[-4:])
    return Ifd(offset, entries, next_offset)


def ifd_chain(src: Source, first: int, order: str) -> list[Ifd]:
    ifds: list[Ifd] = []
    seen: set[int] = set()
    offset = first
    while offset and offset not in seen and len(ifds) < MAX_IFDS:
        seen.add(offset)
        ifds.append(read_ifd(src, offset, order))
        offset = ifds[-1].next_offset
    return ifds


def _data_ranges(src: Source, ifd: Ifd, order: str) -> list[tuple[int, int]]:
    """(offset, size) of every strip or tile of the IFD, each checked to lie inside the file — the
    check that finds a truncated TIFF, whose IFD is often still readable at the start."""
    ranges: list[tuple[int, int]] = []
    for offsets_tag, counts_tag in ((TAG_STRIP_OFFSETS, TAG_STRIP_COUNTS),
                                    (TAG_TILE_OFFSETS, TAG_TILE_COUNTS)):
        offsets, counts = ifd.get(offsets_tag), ifd.get(counts_tag)
        if offsets is None or counts is None:
            continue
        for start, size in zip(offsets.ints(src, order, "data offsets"),
                               counts.ints(src, order, "data byte counts"), strict=False):
            if start + size > src.size:
                raise src.fail(f"truncated (image data at byte {start} runs past the end of the file)")
            ranges.append((start, size))
    return ranges


def _xmp_value(src: Source, entry: Entry, order: str) -> bytes:
    span = entry.span(order)
    if span is not None and span[1] > MAX_XMP_BYTES:
        raise src.fail(f"XMP of {span[1]} bytes exceeds the {MAX_XMP_BYTES}-byte limit")
    return entry.value(src, order, "XMP (tag 700)")


def _even(n: int) -> int:
    return n + (n & 1)


def _entry_bytes(order: str, tag: int, typ: int, count: int, field: bytes) -> bytes:
    return struct.pack(order + "HHI", tag, typ, count) + field


@register_labeler
class TiffLabeler(Labeler):
    name = "tiff"
    media = "image"
    extensions = (".tif", ".tiff")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        return head[:4] in HEADERS or head[:4] in BIGTIFF_HEADERS

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        with open_source(src, "TIFF") as source:
            order, ifd0_offset = parse_header(source)
            ifd0 = read_ifd(source, ifd0_offset, order)
            _data_ranges(source, ifd0, order)
            old = ifd0.get(TAG_XMP)
            old_span = old.span(order) if old else None
            xmp = merged_xmp(src, _xmp_value(source, old, order) if old else None, label)
            parts: list[Part]
            if old is not None and old_span is not None and len(xmp) <= old_span[1]:
                # Same place, same size: pad the packet to the old length.
                xmp = merged_xmp(src, _xmp_value(source, old, order), label, old_span[1] - len(xmp))
                start, size = old_span
                parts = [(0, start), xmp, (start + size, source.size)]
            else:
                xmp = merged_xmp(src, _xmp_value(source, old, order) if old else None, label,
                                     XMP_APPEND_PADDING)
                parts = self._append(source, order, ifd0, old, old_span, xmp)
            write_parts(source, dst, parts)

    @staticmethod
    def _append(source: Source, order: str, ifd0: Ifd, old: Entry | None,
                old_span: tuple[int, int] | None, xmp: bytes) -> list[Part]:
        xmp_at = _even(source.size)
        align = b"\0" * (xmp_at - source.size)
        new_field = struct.pack(order + "I", xmp_at)
        # Blank the previous packet so the file holds one label, not an old one as well.
        body: list[Part] = [(0, source.size)]
        if old_span is not None:
            start, size = old_span
            body = [(0, start), b" " * size, (start + size, source.size)]
        if old is not None:
            # Repoint the existing entry in place (type BYTE, new count and offset).
            entry = _entry_bytes(order, TAG_XMP, TYPE_BYTE, len(xmp), new_field)
            return [*_patch(body, old.position, entry), align, xmp]
        entries = [_entry_bytes(order, e.tag, e.type, e.count, e.field) for e in ifd0.entries]
        tags = [e.tag for e in ifd0.entries]
        at = next((i for i, t in enumerate(tags) if t > TAG_XMP), len(tags))
        entries.insert(at, _entry_bytes(order, TAG_XMP, TYPE_BYTE, len(xmp), new_field))
        ifd_at = _even(xmp_at + len(xmp))
        ifd = (struct.pack(order + "H", len(entries)) + b"".join(entries)
               + struct.pack(order + "I", ifd0.next_offset))
        header = struct.pack(order + "I", ifd_at)
        return [*_patch(body, 4, header), align, xmp, b"\0" * (ifd_at - xmp_at - len(xmp)), ifd]

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(self.name)
        with open_source(path, "TIFF") as source:
            order, ifd0_offset = parse_header(source)
            ifd0 = read_ifd(source, ifd0_offset, order)
            _data_ranges(source, ifd0, order)
            entry = ifd0.get(TAG_XMP)
            if entry is not None:
                reading.carriers.extend(read_xmp_carriers(_xmp_value(source, entry, order)))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """Hash of every IFD's entries (values resolved, tag 700 left out) and the strip/tile data they
        point to — independent of where IFD0 and the XMP live in the file."""
        sha = hashlib.sha256()
        with open_source(path, "TIFF") as source:
            order, ifd0_offset = parse_header(source)
            sha.update(order.encode())
            for ifd in ifd_chain(source, ifd0_offset, order):
                sha.update(b"IFD")
                for entry in ifd.entries:
                    if entry.tag == TAG_XMP:
                        continue
                    sha.update(struct.pack(">HHI", entry.tag, entry.type, entry.count))
                    span = entry.span(order)
                    sha.update(entry.field if span is None else source.read(*span, "tag value"))
                for start, size in _data_ranges(source, ifd, order):
                    _hash_range(source, sha, start, size)
        return sha.digest()


def _hash_range(source: Source, sha: hashlib._Hash, start: int, size: int) -> None:
    source.fh.seek(start)
    while size:
        block = source.fh.read(min(size, 1 << 20))
        sha.update(block)
        size -= len(block)


def _patch(parts: list[Part], position: int, data: bytes) -> list[Part]:
    """Replace the source bytes at ``position`` (inside one of the copied ranges) with ``data``."""
    out: list[Part] = []
    done = False
    for part in parts:
        if not done and isinstance(part, tuple) and part[0] <= position and position + len(data) <= part[1]:
            out += [(part[0], position), data, (position + len(data), part[1])]
            done = True
        else:
            out.append(part)
    if not done:  # the entry overlaps the blanked XMP: a corrupt file, refuse rather than guess
        raise InputError(f"cannot patch byte {position}: TIFF structures overlap")
    return out
