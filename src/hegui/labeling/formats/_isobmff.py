"""ISO base media (MP4/MOV) box reading and writing, just enough for metadata labeling.

Top-level boxes are located by seeking (the media data is never read into memory); the ``moov`` box,
which holds only the index and metadata, is parsed in memory.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from hegui.core.errors import InputError

# Boxes whose payload is a list of child boxes (those we descend into).
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta",
                        b"ilst", b"mvex", b"moof", b"traf", b"mfra"})
MAX_DEPTH = 12  # real files nest ~8 deep; the bound keeps hostile input from recursing forever


@dataclass(frozen=True, slots=True)
class Box:
    box_type: bytes
    offset: int   # of the box header, relative to the buffer/file it was found in
    header: int   # 8, or 16 with a 64-bit size
    size: int     # whole box, header included

    @property
    def start(self) -> int:
        """Offset of the payload."""
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.offset + self.size


def _header(raw: bytes, extra: bytes, offset: int, limit: int, where: str) -> Box:
    size, box_type = struct.unpack(">I4s", raw)
    header = 8
    if size == 1:
        if len(extra) < 8:
            raise InputError(f"{where}: box {box_type!r} at {offset} has a truncated 64-bit size")
        (size,) = struct.unpack(">Q", extra[:8])
        header = 16
    elif size == 0:  # "extends to the end": only meaningful for the last box
        size = limit - offset
    if size < header:
        raise InputError(f"{where}: box {box_type!r} at {offset} has an impossible size {size}")
    if offset + size > limit:
        raise InputError(f"{where}: box {box_type!r} at {offset} declares {size} bytes, past the end "
                         f"({limit}) — the file is truncated or corrupt")
    return Box(box_type, offset, header, size)


def scan_file(fh: BinaryIO) -> list[Box]:
    """The top-level boxes of an open file, found by seeking."""
    file_size = fh.seek(0, 2)
    boxes: list[Box] = []
    pos = 0
    while pos + 8 <= file_size:
        fh.seek(pos)
        raw = fh.read(16)
        box = _header(raw[:8], raw[8:], pos, file_size, "MP4")
        boxes.append(box)
        pos = box.end
    if pos != file_size:
        raise InputError(f"MP4: {file_size - pos} stray bytes at the end of the file (truncated box)")
    return boxes


def children(data: bytes, start: int, end: int, where: str = "MP4 moov") -> list[Box]:
    """Child boxes of ``data[start:end]`` (offsets relative to ``data``)."""
    out: list[Box] = []
    pos = start
    while pos + 8 <= end:
        box = _header(data[pos:pos + 8], data[pos + 8:pos + 16], pos, end, where)
        out.append(box)
        pos = box.end
    return out


def find(data: bytes, boxes: list[Box], box_type: bytes) -> list[Box]:
    return [b for b in boxes if b.box_type == box_type]


def meta_children_start(data: bytes, meta: Box) -> int:
    """Where a ``meta`` box's children start: ISO ``meta`` is a full box (4 bytes version+flags),
    QuickTime's is not — tell them apart by where the ``hdlr`` child sits."""
    if data[meta.start + 4:meta.start + 8] == b"hdlr":
        return meta.start
    return meta.start + 4


def handler_type(data: bytes, boxes: list[Box]) -> bytes:
    hdlr = find(data, boxes, b"hdlr")
    if not hdlr or hdlr[0].size < hdlr[0].header + 12:
        return b""
    return data[hdlr[0].start + 8:hdlr[0].start + 12]


def make_box(box_type: bytes, payload: bytes) -> bytes:
    if len(payload) + 8 <= 0xFFFFFFFF:
        return struct.pack(">I4s", len(payload) + 8, box_type) + payload
    return struct.pack(">I4sQ", 1, box_type, len(payload) + 16) + payload


def walk(data: bytes, start: int, end: int, depth: int = 0) -> list[tuple[tuple[bytes, ...], Box]]:
    """Every box under ``data[start:end]`` with its path of types (containers descended)."""
    out: list[tuple[tuple[bytes, ...], Box]] = []
    if depth > MAX_DEPTH:
        raise InputError("MP4: boxes nested too deeply (corrupt file)")
    for box in children(data, start, end):
        out.append(((box.box_type,), box))
        if box.box_type in CONTAINERS:
            for path, sub in walk(data, box.start, box.end, depth + 1):
                out.append(((box.box_type, *path), sub))
    return out
