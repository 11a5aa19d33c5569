"""PNG: the label goes in an iTXt chunk ``XML:com.adobe.xmp`` (XMP with the TC260 property) and a tEXt
chunk with keyword ``AIGC`` holding the full JSON (REGULATIONS.md §5.3), both before the first IDAT.

Every other chunk — pixel data included — is copied byte for byte with its original CRC.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

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
from hegui.labeling.xmp import inner_json, read_xmp_carriers

SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = b"XML:com.adobe.xmp"
AIGC_KEYWORD = b"AIGC"
TEXT_TYPES = (b"tEXt", b"iTXt", b"zTXt")
# Largest text we inflate from a compressed chunk: a label is ~300 bytes, XMP a few KB.
MAX_TEXT_BYTES = 8 * 1024 * 1024
_MAX_CHUNK = 2**31 - 1  # PNG spec limit for a chunk length


@dataclass(frozen=True, slots=True)
class Chunk:
    offset: int   # of the length field
    type: bytes
    length: int   # of the data

    @property
    def end(self) -> int:
        return self.offset + 12 + self.length


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def _scan(src: Source) -> tuple[list[Chunk], int]:
    """All chunks up to IEND, and the offset where bytes after IEND start."""
    if src.read(0, min(8, src.size), "signature") != SIGNATURE:
        raise src.fail("missing PNG signature")
    chunks: list[Chunk] = []
    pos = 8
    while True:
        length, ctype = struct.unpack(">I4s", src.read(pos, 8, "chunk header"))
        if length > _MAX_CHUNK:
            raise src.fail(f"chunk length {length} at byte {pos} exceeds the PNG limit")
        if not all(65 <= c <= 90 or 97 <= c <= 122 for c in ctype):
            raise src.fail(f"invalid chunk type {ctype!r} at byte {pos}")
        chunk = Chunk(pos, ctype, length)
        if chunk.end > src.size:
            raise src.fail(f"truncated ({ctype.decode()} chunk at byte {pos} runs past the end)")
        if not chunks and ctype != b"IHDR":
            raise src.fail("first chunk is not IHDR")
        chunks.append(chunk)
        pos = chunk.end
        if ctype == b"IEND":
            return chunks, pos


def _inflate(src: Source, data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES)
    except zlib.error as err:
        raise src.fail(f"corrupt compressed text chunk ({err})") from None
    if inflater.unconsumed_tail:
        raise src.fail(f"compressed text chunk inflates beyond {MAX_TEXT_BYTES} bytes")
    return out


def _keyword(src: Source, chunk: Chunk) -> bytes:
    head = src.read(chunk.offset + 8, min(chunk.length, 80), "text chunk")
    return head.split(b"\0", 1)[0]


def _is_label_chunk(src: Source, chunk: Chunk) -> bool:
    return chunk.type in TEXT_TYPES and _keyword(src, chunk) in (XMP_KEYWORD, AIGC_KEYWORD)


def _text(src: Source, chunk: Chunk) -> tuple[bytes, bytes]:
    """(keyword, decoded text bytes) of a tEXt/zTXt/iTXt chunk; checks the CRC."""
    data = src.read(chunk.offset + 8, chunk.length, "text chunk")
    (crc,) = struct.unpack(">I", src.read(chunk.end - 4, 4, "CRC"))
    if zlib.crc32(chunk.type + data) != crc:
        raise src.fail(f"CRC mismatch in {chunk.type.decode()} chunk at byte {chunk.offset}")
    keyword, sep, rest = data.partition(b"\0")
    if not sep:
        raise src.fail(f"{chunk.type.decode()} chunk without keyword terminator")
    if chunk.type == b"tEXt":
        return keyword, rest
    if chunk.type == b"zTXt":
        return keyword, _inflate(src, rest[1:])
    if len(rest) < 2:
        raise src.fail("iTXt chunk too short")
    compressed, _method = rest[0], rest[1]
    parts = rest[2:].split(b"\0", 2)
    if len(parts) != 3:
        raise src.fail("iTXt chunk without language/translated-keyword terminators")
    text = parts[2]
    return keyword, _inflate(src, text) if compressed else text


@register_labeler
class PngLabeler(Labeler):
    name = "png"
    media = "image"
    extensions = (".png", ".apng")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        return head.startswith(SIGNATURE)

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        with open_source(src, "PNG") as source:
            chunks, tail = _scan(source)
            existing_xmp: bytes | None = None
            for chunk in chunks:
                # XMP belongs in iTXt, but some tools put it in tEXt/zTXt: merge from whichever is first.
                if existing_xmp is None and chunk.type in TEXT_TYPES \
                        and _keyword(source, chunk) == XMP_KEYWORD:
                    existing_xmp = _text(source, chunk)[1]
            if not any(c.type == b"IDAT" for c in chunks):
                raise source.fail("no IDAT (image data) chunk")
            xmp = merged_xmp(src, existing_xmp, label)
            full_json = b'{"AIGC":' + inner_json(label).encode("ascii") + b"}"
            ours = (_chunk(b"iTXt", XMP_KEYWORD + b"\0\0\0\0\0" + xmp)
                    + _chunk(b"tEXt", AIGC_KEYWORD + b"\0" + full_json))
            parts: list[Part] = [(0, 8)]
            for chunk in chunks:
                if chunk.type == b"IDAT" and ours:
                    parts.append(ours)
                    ours = b""
                if not _is_label_chunk(source, chunk):
                    parts.append((chunk.offset, chunk.end))
            parts.append((tail, source.size))
            write_parts(source, dst, parts)

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(self.name)
        with open_source(path, "PNG") as source:
            chunks, _tail = _scan(source)
            for chunk in chunks:
                if not _is_label_chunk(source, chunk):
                    continue
                keyword, text = _text(source, chunk)
                if keyword == XMP_KEYWORD:
                    reading.carriers.extend(read_xmp_carriers(text, "xmp"))
                else:
                    reading.carriers.append(
                        json_carrier(f"png-{chunk.type.decode()}-AIGC", text.decode("latin-1")
                                     if chunk.type != b"iTXt" else text.decode("utf-8", "replace")))
        return reading

    def content_digest(self, path: Path) -> bytes:
        with open_source(path, "PNG") as source:
            chunks, tail = _scan(source)
            parts: list[Part] = [(0, 8)]
            parts += [(c.offset, c.end) for c in chunks if not _is_label_chunk(source, c)]
            parts.append((tail, source.size))
            return digest_parts(source, parts)


__all__ = ["PngLabeler"]
