"""FLAC: the label is a Vorbis comment ``AIGC=<full JSON>`` in the VORBIS_COMMENT metadata block.

The metadata blocks are rewritten (our field replaced, other comments kept, a block created after
STREAMINFO when there is none, the last-block flag set on the final block only); the audio frames
after the metadata are stream-copied unchanged.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

from hegui.core.errors import InputError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Carrier, Labeler, LabelReading, copy_stream, register_labeler
from hegui.labeling.formats._stream import hash_range, read_exact

_STREAMINFO, _VORBIS_COMMENT = 0, 4
_FIELD = "AIGC"
_LAST = 0x80
_VENDOR = b"hegui"


@dataclass(slots=True)
class _Block:
    block_type: int
    data: bytes


def id3_prefix_size(fh: BinaryIO) -> int:
    """Bytes of an ID3v2 tag in front of the stream (some rippers add one; FLAC readers skip it)."""
    fh.seek(0)
    head = fh.read(10)
    if len(head) < 10 or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)


def _read_blocks(fh: BinaryIO) -> tuple[list[_Block], int]:
    """All metadata blocks and the offset of the first audio frame."""
    fh.seek(id3_prefix_size(fh))
    if fh.read(4) != b"fLaC":
        raise InputError("not a FLAC file (no 'fLaC' marker)")
    blocks: list[_Block] = []
    while True:
        header = read_exact(fh, 4, "FLAC metadata block header")
        block_type = header[0] & 0x7F
        length = int.from_bytes(header[1:4], "big")
        if block_type == 127:
            raise InputError("FLAC metadata block has the invalid type 127 (corrupt file)")
        if not blocks and (block_type != _STREAMINFO or length != 34):
            raise InputError("FLAC file does not start with a valid STREAMINFO block (corrupt file)")
        blocks.append(_Block(block_type, read_exact(fh, length, "FLAC metadata block")))
        if header[0] & _LAST:
            return blocks, fh.tell()


def _parse_comments(data: bytes) -> tuple[bytes, list[bytes]]:
    """(vendor, comments) of a VORBIS_COMMENT block (little-endian lengths, unlike the rest of FLAC)."""
    try:
        (vendor_len,) = struct.unpack_from("<I", data, 0)
        vendor = data[4:4 + vendor_len]
        if len(vendor) != vendor_len:
            raise InputError("FLAC Vorbis comment: vendor string runs past the block")
        pos = 4 + vendor_len
        (count,) = struct.unpack_from("<I", data, pos)
        pos += 4
        comments: list[bytes] = []
        for _ in range(count):
            (n,) = struct.unpack_from("<I", data, pos)
            comment = data[pos + 4:pos + 4 + n]
            if len(comment) != n:
                raise InputError("FLAC Vorbis comment: a comment runs past the block")
            comments.append(comment)
            pos += 4 + n
    except struct.error:
        raise InputError("FLAC Vorbis comment block is truncated (corrupt file)") from None
    return vendor, comments


def _build_comments(vendor: bytes, comments: list[bytes]) -> bytes:
    out = [struct.pack("<I", len(vendor)), vendor, struct.pack("<I", len(comments))]
    for comment in comments:
        out += [struct.pack("<I", len(comment)), comment]
    return b"".join(out)


def _is_ours(comment: bytes) -> bool:
    key, sep, _ = comment.partition(b"=")
    return bool(sep) and key.upper() == _FIELD.encode()


@register_labeler
class FlacLabeler(Labeler):
    name: ClassVar[str] = "flac"
    media: ClassVar[str] = "audio"
    extensions: ClassVar[tuple[str, ...]] = (".flac",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        if head[:4] == b"fLaC":
            return True
        if head[:3] != b"ID3":
            return False
        try:
            with path.open("rb") as fh:
                fh.seek(id3_prefix_size(fh))
                return fh.read(4) == b"fLaC"
        except OSError:
            return False

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        ours = f"{_FIELD}={label.to_json()}".encode("ascii")
        with src.open("rb") as fin:
            blocks, audio_start = _read_blocks(fin)
            found = False
            for block in blocks:
                if block.block_type != _VORBIS_COMMENT:
                    continue
                vendor, comments = _parse_comments(block.data)
                comments = [c for c in comments if not _is_ours(c)]
                if not found:
                    comments.append(ours)  # one label per file: only the first block carries it
                found = True
                block.data = _build_comments(vendor, comments)
            if not found:
                blocks.insert(1, _Block(_VORBIS_COMMENT, _build_comments(_VENDOR, [ours])))
            with dst.open("wb") as fout:
                prefix = id3_prefix_size(fin)
                fin.seek(0)
                copy_stream(fin, fout, prefix)  # a leading ID3 tag is kept as it is
                fout.write(b"fLaC")
                for n, block in enumerate(blocks):
                    if len(block.data) >= 1 << 24:
                        raise LabelError(f"{src}: FLAC metadata block would exceed 16 MB")
                    flag = _LAST if n == len(blocks) - 1 else 0
                    fout.write(bytes((flag | block.block_type,)) + len(block.data).to_bytes(3, "big"))
                    fout.write(block.data)
                fin.seek(audio_start)
                copy_stream(fin, fout)

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(format=self.name)
        with path.open("rb") as fh:
            blocks, _ = _read_blocks(fh)
        for block in blocks:
            if block.block_type != _VORBIS_COMMENT:
                continue
            for comment in _parse_comments(block.data)[1]:
                if not _is_ours(comment):
                    continue
                raw = comment.partition(b"=")[2].decode("utf-8", errors="replace")
                try:
                    reading.carriers.append(Carrier("vorbis-comment", ContentLabel.from_json(raw), raw))
                except LabelError as err:
                    reading.carriers.append(Carrier("vorbis-comment", None, raw, err.message))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """SHA-256 of STREAMINFO (which holds the MD5 of the decoded audio) and the audio frames."""
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            blocks, audio_start = _read_blocks(fh)
            digest.update(blocks[0].data)
            fh.seek(audio_start)
            hash_range(fh, digest)
        return digest.digest()
