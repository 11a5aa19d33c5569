"""WebP: the label is XMP in an ``XMP `` chunk of the extended (VP8X) format (REGULATIONS.md §5.3).

A simple file (one ``VP8 `` or ``VP8L`` chunk) is converted to the extended format: a VP8X chunk with
the XMP flag and the canvas size read from the bitstream header is put in front. The bitstream chunks
themselves are copied byte for byte; the RIFF size is recomputed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from hegui.core.label import ContentLabel
from hegui.labeling.base import Labeler, LabelReading, register_labeler
from hegui.labeling.formats._splice import Part, Source, digest_parts, merged_xmp, open_source, write_parts
from hegui.labeling.xmp import MAX_XMP_BYTES, read_xmp_carriers

XMP_FLAG, ALPHA_FLAG = 0x04, 0x10
# Chunks the container spec orders before XMP; anything else is "unknown" and goes after it.
KNOWN_BEFORE_XMP = {b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L", b"EXIF"}


@dataclass(frozen=True, slots=True)
class Chunk:
    offset: int
    fourcc: bytes
    size: int

    @property
    def end(self) -> int:
        return self.offset + 8 + self.size + (self.size & 1)

    @property
    def data_start(self) -> int:
        return self.offset + 8


def _scan(src: Source) -> tuple[list[Chunk], int]:
    """The chunks inside the RIFF container and the offset where the container ends."""
    head = src.read(0, min(12, src.size), "RIFF header")
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        raise src.fail("missing RIFF/WEBP header")
    riff_end = 8 + struct.unpack("<I", head[4:8])[0]
    if riff_end > src.size:
        raise src.fail(f"truncated (RIFF header declares {riff_end} bytes, file has {src.size})")
    chunks: list[Chunk] = []
    pos = 12
    while pos < riff_end:
        fourcc, size = struct.unpack("<4sI", src.read(pos, 8, "chunk header"))
        chunk = Chunk(pos, fourcc, size)
        if chunk.end > riff_end:
            raise src.fail(f"truncated ({fourcc!r} chunk at byte {pos} runs past the RIFF end)")
        chunks.append(chunk)
        pos = chunk.end
    if not chunks or chunks[0].fourcc not in (b"VP8X", b"VP8 ", b"VP8L"):
        raise src.fail("first chunk is not VP8X, VP8 or VP8L")
    return chunks, riff_end


def _canvas(src: Source, chunk: Chunk) -> tuple[int, int, bool]:
    """(width, height, has_alpha) from a simple file's bitstream header."""
    data = src.read(chunk.data_start, min(chunk.size, 10), "bitstream header")
    if chunk.fourcc == b"VP8 ":
        if len(data) < 10 or data[3:6] != b"\x9d\x01\x2a":
            raise src.fail("VP8 bitstream without a key-frame start code")
        width, height = struct.unpack("<HH", data[6:10])
        if not width & 0x3FFF or not height & 0x3FFF:
            raise src.fail("VP8 frame of zero width or height")
        return width & 0x3FFF, height & 0x3FFF, False
    if len(data) < 5 or data[0] != 0x2F:
        raise src.fail("VP8L bitstream without its signature byte")
    (bits,) = struct.unpack("<I", data[1:5])
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)


def _vp8x(flags: int, width: int, height: int) -> bytes:
    data = bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"VP8X" + struct.pack("<I", len(data)) + data


def _chunk_bytes(fourcc: bytes, data: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")


def _xmp_of(src: Source, chunk: Chunk) -> bytes:
    if chunk.size > MAX_XMP_BYTES:
        raise src.fail(f"XMP chunk of {chunk.size} bytes exceeds the {MAX_XMP_BYTES}-byte limit")
    return src.read(chunk.data_start, chunk.size, "XMP chunk")


@register_labeler
class WebpLabeler(Labeler):
    name = "webp"
    media = "image"
    extensions = (".webp",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        with open_source(src, "WebP") as source:
            chunks, riff_end = _scan(source)
            old = [c for c in chunks if c.fourcc == b"XMP "]
            xmp = _chunk_bytes(b"XMP ", merged_xmp(src, _xmp_of(source, old[0]) if old else None, label))
            body: list[Part] = []
            first = chunks[0]
            if first.fourcc == b"VP8X":
                flags = source.read(first.data_start, 1, "VP8X flags")[0]
                body += [(first.offset, first.data_start), bytes([flags | XMP_FLAG]),
                         (first.data_start + 1, first.end)]
            else:
                width, height, alpha = _canvas(source, first)
                body += [_vp8x(XMP_FLAG | (ALPHA_FLAG if alpha else 0), width, height),
                         (first.offset, first.end)]
            rest = chunks[1:]
            known = [i for i, c in enumerate(rest) if c.fourcc in KNOWN_BEFORE_XMP]
            insert_at = rest.index(old[0]) if old else (known[-1] + 1 if known else 0)
            for i, chunk in enumerate(rest):
                if i == insert_at:
                    body.append(xmp)
                if chunk.fourcc != b"XMP ":
                    body.append((chunk.offset, chunk.end))
            if insert_at >= len(rest):
                body.append(xmp)
            size = 4 + sum(len(p) if isinstance(p, bytes) else p[1] - p[0] for p in body)
            if size > 0xFFFFFFFF:
                raise source.fail("file would exceed the 4 GB RIFF limit")
            header = b"RIFF" + struct.pack("<I", size) + b"WEBP"
            write_parts(source, dst, [header, *body, (riff_end, source.size)])

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(self.name)
        with open_source(path, "WebP") as source:
            chunks, _end = _scan(source)
            for chunk in chunks:
                if chunk.fourcc == b"XMP ":
                    reading.carriers.extend(read_xmp_carriers(_xmp_of(source, chunk)))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """All chunks except VP8X (labeling sets its XMP flag or adds it) and XMP; the bitstream
        chunks carry the image size themselves."""
        with open_source(path, "WebP") as source:
            chunks, riff_end = _scan(source)
            parts: list[Part] = [(c.offset, c.end) for c in chunks if c.fourcc not in (b"VP8X", b"XMP ")]
            return digest_parts(source, [*parts, (riff_end, source.size)])
