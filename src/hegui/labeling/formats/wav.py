"""WAV: the label is a RIFF sub-chunk with id ``AIGC`` holding the full JSON (TC260 practice guide).

Readers that only know standard chunks (ffprobe among them) ignore an unknown chunk id, so the same
JSON is also written as an ``AIGC`` entry of the ``LIST/INFO`` chunk, which ffmpeg and most tag
editors show. Both carriers are read back; every other chunk (``fmt ``, ``data`` …) is copied
byte-for-byte, the sample data streamed.
"""

from __future__ import annotations

import hashlib
import struct
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

from hegui.core.errors import InputError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Carrier, Labeler, LabelReading, copy_stream, register_labeler
from hegui.labeling.formats._stream import hash_range, read_exact
from hegui.labeling.formats.mp3 import build_tag, read_tag_bytes, tag_carriers

_CHUNK_ID = b"AIGC"
_ID3_CHUNKS = (b"id3 ", b"ID3 ")  # an ID3v2 tag inside RIFF (ffmpeg -write_id3v2 1, many tag editors)
_MAX_META_CHUNK = 64 << 20  # a LIST/AIGC chunk bigger than this is not metadata we should load


@dataclass(frozen=True, slots=True)
class _Chunk:
    chunk_id: bytes
    offset: int   # of the 8-byte chunk header
    size: int     # payload size as declared (without the pad byte)

    @property
    def payload_offset(self) -> int:
        return self.offset + 8

    @property
    def padded(self) -> int:
        return self.size + (self.size & 1)


def _scan(fh: BinaryIO) -> list[_Chunk]:
    """The top-level chunks of a RIFF/WAVE file, checked against the file size (no payload read)."""
    fh.seek(0)
    head = fh.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise InputError("not a RIFF/WAVE file")
    file_size = fh.seek(0, 2)
    chunks: list[_Chunk] = []
    pos = 12
    while pos + 8 <= file_size:
        fh.seek(pos)
        chunk_id, size = struct.unpack("<4sI", fh.read(8))
        if pos + 8 + size > file_size:
            raise InputError(f"WAV chunk {chunk_id!r} at offset {pos} declares {size} bytes, "
                             f"past the end of the file (truncated or corrupt)")
        chunk = _Chunk(chunk_id, pos, size)
        chunks.append(chunk)
        pos += 8 + chunk.padded
    if not any(c.chunk_id == b"data" for c in chunks):
        raise InputError("WAV file has no data chunk")
    return chunks


def _read_payload(fh: BinaryIO, chunk: _Chunk) -> bytes:
    if chunk.size > _MAX_META_CHUNK:
        raise InputError(f"WAV chunk {chunk.chunk_id!r} is too large for metadata ({chunk.size} bytes)")
    fh.seek(chunk.payload_offset)
    return read_exact(fh, chunk.size, f"WAV chunk {chunk.chunk_id!r}")


def _is_info(fh: BinaryIO, chunk: _Chunk) -> bool:
    if chunk.chunk_id != b"LIST" or chunk.size < 4:
        return False
    fh.seek(chunk.payload_offset)
    return fh.read(4) == b"INFO"


def _info_entries(payload: bytes) -> list[tuple[bytes, bytes]]:
    """(id, value) entries of a LIST/INFO payload; stops quietly at a malformed tail."""
    entries: list[tuple[bytes, bytes]] = []
    pos = 4
    while pos + 8 <= len(payload):
        entry_id, size = struct.unpack("<4sI", payload[pos:pos + 8])
        if pos + 8 + size > len(payload):
            break
        entries.append((entry_id, payload[pos + 8:pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return entries


def _chunk(chunk_id: bytes, payload: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) & 1 else b"")


def _info_list(entries: list[tuple[bytes, bytes]]) -> bytes:
    return _chunk(b"LIST", b"INFO" + b"".join(_chunk(i, v) for i, v in entries))


def _carrier(name: str, raw: bytes) -> Carrier:
    text = raw.rstrip(b"\x00").decode("latin-1")
    try:
        return Carrier(name, ContentLabel.from_json(text), text)
    except LabelError as err:
        return Carrier(name, None, text, err.message)


@register_labeler
class WavLabeler(Labeler):
    name: ClassVar[str] = "wav"
    media: ClassVar[str] = "audio"
    extensions: ClassVar[tuple[str, ...]] = (".wav",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        value = label.to_json().encode("ascii")
        with src.open("rb") as fin:
            chunks = _scan(fin)
            infos = [c for c in chunks if _is_info(fin, c)]
            # Our LIST/INFO entry goes into the first existing INFO list; others lose stale entries.
            replacements: dict[int, bytes] = {}
            for n, chunk in enumerate(infos):
                kept = [(i, v) for i, v in _info_entries(_read_payload(fin, chunk)) if i != _CHUNK_ID]
                if n == 0:
                    kept.append((_CHUNK_ID, value + b"\x00"))
                replacements[chunk.offset] = _info_list(kept)
            # An ID3 chunk, when the file has one, carries the same label (TXXX:AIGC) so that
            # ID3-reading tools see it too; one the parser cannot read is copied untouched.
            id3_updated = False
            for chunk in chunks:
                if chunk.chunk_id in _ID3_CHUNKS:
                    with suppress(InputError):
                        tag = read_tag_bytes(_read_payload(fin, chunk))
                        if tag is not None and tag.major != 2:
                            new_tag = build_tag(tag, label, str(src))
                            replacements[chunk.offset] = _chunk(chunk.chunk_id, new_tag)
                            id3_updated = True
            ours = _chunk(_CHUNK_ID, value)
            if not infos and not id3_updated:
                # ffmpeg shows ID3 chunk metadata only when there is no LIST/INFO: adding one would
                # hide the file's ID3 tags from it, and the ID3 chunk already shows our label.
                ours += _info_list([(_CHUNK_ID, value + b"\x00")])
            with dst.open("wb") as fout:
                fout.write(b"RIFF\x00\x00\x00\x00WAVE")
                for chunk in chunks:
                    if chunk.chunk_id == _CHUNK_ID:
                        continue  # replaced, never appended
                    if chunk.chunk_id == b"data" and ours:
                        fout.write(ours)  # before the samples, where streaming readers see it
                        ours = b""
                    if chunk.offset in replacements:
                        fout.write(replacements[chunk.offset])
                        continue
                    fin.seek(chunk.offset)
                    copy_stream(fin, fout, 8 + chunk.size)
                    if chunk.size & 1:
                        fout.write(b"\x00")  # some writers omit the pad byte at EOF; we add it
                riff_size = fout.tell() - 8
                if riff_size > 0xFFFFFFFF:
                    raise LabelError(f"{src}: labeled WAV would exceed the 4 GB RIFF limit")
                fout.seek(4)
                fout.write(struct.pack("<I", riff_size))

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(format=self.name)
        with path.open("rb") as fh:
            for chunk in _scan(fh):
                if chunk.chunk_id == _CHUNK_ID:
                    reading.carriers.append(_carrier("riff-aigc", _read_payload(fh, chunk)))
                elif _is_info(fh, chunk):
                    for entry_id, raw in _info_entries(_read_payload(fh, chunk)):
                        if entry_id == _CHUNK_ID:
                            reading.carriers.append(_carrier("riff-info-aigc", raw))
                elif chunk.chunk_id in _ID3_CHUNKS:
                    with suppress(InputError):  # an unreadable ID3 chunk is not a label carrier
                        tag = read_tag_bytes(_read_payload(fh, chunk))
                        reading.carriers.extend(tag_carriers(tag, "riff-id3-txxx"))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """SHA-256 over every chunk except the label carriers (``AIGC``, ``LIST/INFO``, ``id3 ``)."""
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in _scan(fh):
                if chunk.chunk_id == _CHUNK_ID or chunk.chunk_id in _ID3_CHUNKS or _is_info(fh, chunk):
                    continue
                fh.seek(chunk.offset)
                hash_range(fh, digest, 8 + chunk.size)
        return digest.digest()
