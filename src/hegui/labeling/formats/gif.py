"""GIF: the label is XMP in an application extension ``XMP DataXMP`` (XMP spec part 3, §1.1.2), placed
just before the trailer (REGULATIONS.md §5.3).

The packet is stored raw, followed by the 258-byte "magic trailer" (0x01, 0xFF, 0xFE … 0x00, 0x00) that
makes any GIF reader which walks it as ordinary sub-blocks land on the block terminator. Image data
sub-blocks are copied byte for byte. A GIF87a file becomes GIF89a (extensions need 89a).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from hegui.core.errors import InputError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Labeler, LabelReading, register_labeler
from hegui.labeling.formats._splice import merged_xmp, open_source, write_parts
from hegui.labeling.xmp import read_xmp_carriers

XMP_APP_ID = b"XMP DataXMP"
MAGIC_TRAILER = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"
# GIFs are small; larger ones are refused rather than read into memory.
MAX_GIF_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Block:
    start: int
    end: int
    is_xmp: bool


class _Gif:
    """A GIF held in memory and split into blocks (header, extensions, images, trailer)."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.blocks: list[Block] = []
        self._parse()

    def fail(self, message: str) -> InputError:
        return InputError(f"{self.path}: not a valid GIF file: {message}")

    def _byte(self, pos: int) -> int:
        if pos >= len(self.data):
            raise self.fail(f"truncated at byte {pos}")
        return self.data[pos]

    def _skip_sub_blocks(self, pos: int) -> int:
        """Offset after the terminating zero-length sub-block."""
        while True:
            n = self._byte(pos)
            pos += 1 + n
            if n == 0:
                return pos

    def _color_table(self, packed: int) -> int:
        return 3 * (2 << (packed & 7)) if packed & 0x80 else 0

    def _parse(self) -> None:
        data = self.data
        if data[:6] not in (b"GIF87a", b"GIF89a"):
            raise self.fail("missing GIF87a/GIF89a header")
        pos = 13 + self._color_table(self._byte(10))
        self.screen_end = pos
        if pos > len(data):
            raise self.fail("truncated in the global color table")
        while True:
            start = pos
            kind = self._byte(pos)
            if kind == 0x3B:
                self.trailer = pos
                return
            if kind == 0x21:
                label = self._byte(pos + 1)
                is_xmp = label == 0xFF and data[pos + 2:pos + 3 + len(XMP_APP_ID)] == b"\x0b" + XMP_APP_ID
                pos = self._skip_sub_blocks(pos + 2)
                self.blocks.append(Block(start, pos, is_xmp))
            elif kind == 0x2C:
                packed = self._byte(pos + 9)
                pos += 10 + self._color_table(packed)
                self._byte(pos)  # LZW minimum code size
                pos = self._skip_sub_blocks(pos + 1)
                self.blocks.append(Block(start, pos, False))
            else:
                raise self.fail(f"unknown block type 0x{kind:02X} at byte {pos}")

    def packet(self, block: Block) -> bytes:
        raw = self.data[block.start + 3 + len(XMP_APP_ID):block.end]
        if raw.endswith(MAGIC_TRAILER):
            return raw[:-len(MAGIC_TRAILER)]
        # Some writers store XMP as ordinary sub-blocks: join their payloads.
        out, pos = bytearray(), 0
        while pos < len(raw) and raw[pos]:
            out += raw[pos + 1:pos + 1 + raw[pos]]
            pos += 1 + raw[pos]
        return bytes(out)


def _read(path: Path) -> _Gif:
    with open_source(path, "GIF") as source:
        if source.size > MAX_GIF_BYTES:
            raise InputError(f"{path}: GIF larger than {MAX_GIF_BYTES // 2**20} MB is not supported")
        return _Gif(source.read(0, source.size, "file"), path)


@register_labeler
class GifLabeler(Labeler):
    name = "gif"
    media = "image"
    extensions = (".gif",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        return head[:6] in (b"GIF87a", b"GIF89a")

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        gif = _read(src)
        old = next((b for b in gif.blocks if b.is_xmp), None)
        packet = merged_xmp(src, gif.packet(old) if old else None, label)
        if b"\0" in packet:  # cannot happen with UTF-8 XML; the raw-packet trick would break
            raise InputError(f"{src}: the file's XMP contains NUL bytes and cannot be stored in GIF")
        xmp = b"\x21\xff\x0b" + XMP_APP_ID + packet + MAGIC_TRAILER
        with open_source(src, "GIF") as source:
            parts: list[tuple[int, int] | bytes] = [b"GIF89a", (6, gif.screen_end)]
            parts += [(b.start, b.end) for b in gif.blocks if not b.is_xmp]
            parts += [xmp, (gif.trailer, source.size)]
            write_parts(source, dst, parts)

    def extract(self, path: Path) -> LabelReading:
        gif = _read(path)
        reading = LabelReading(self.name)
        for block in gif.blocks:
            if block.is_xmp:
                reading.carriers.extend(read_xmp_carriers(gif.packet(block)))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """Everything after the version (87a/89a) except XMP application extensions."""
        gif = _read(path)
        sha = hashlib.sha256(b"GIF")
        sha.update(gif.data[6:gif.screen_end])
        for block in gif.blocks:
            if not block.is_xmp:
                sha.update(gif.data[block.start:block.end])
        sha.update(gif.data[gif.trailer:])
        return sha.digest()
