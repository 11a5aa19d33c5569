"""MP3: the label is an ID3v2 ``TXXX`` frame with description ``AIGC`` holding the full JSON.

Only the ID3v2 tag at the start of the file is rewritten; every byte after it (the audio frames and
any ID3v1 trailer) is stream-copied unchanged. Existing v2.3/v2.4 tags keep their other frames; a file
without a tag gets a new v2.3 tag (the version most players and Windows read).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

from hegui.core.errors import InputError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Carrier, Labeler, LabelReading, copy_stream, register_labeler
from hegui.labeling.formats._stream import hash_range

_HEADER = struct.Struct(">3sBBB4s")  # "ID3", major, revision, flags, syncsafe size
_FRAME_ID = re.compile(rb"[A-Z0-9]{4}")
_DESCRIPTION = "AIGC"
_MAX_TAG = 256 << 20  # syncsafe sizes max out at 256 MB anyway

# Tag header flags.
_UNSYNC, _EXTENDED, _FOOTER = 0x80, 0x40, 0x10
# v2.4 frame format flags (low byte of the frame flags).
_V4_COMPRESSED, _V4_ENCRYPTED, _V4_UNSYNC, _V4_LENGTH = 0x08, 0x04, 0x02, 0x01
# v2.3 frame format flags.
_V3_COMPRESSED, _V3_ENCRYPTED = 0x80, 0x40


def _syncsafe(raw: bytes) -> int:
    if any(b & 0x80 for b in raw):
        raise InputError("ID3 tag: size is not a syncsafe integer (corrupt tag)")
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def _to_syncsafe(n: int) -> bytes:
    if n >= 1 << 28:
        raise LabelError("ID3 tag would exceed the 256 MB limit of the format")
    return bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))


def _deunsync(data: bytes) -> bytes:
    return data.replace(b"\xff\x00", b"\xff")


@dataclass(slots=True)
class _Frame:
    frame_id: bytes
    flags: int
    raw: bytes  # the frame body as stored (after tag-level de-unsynchronisation for v2.3)


@dataclass(slots=True)
class _Tag:
    major: int
    revision: int
    flags: int
    total_size: int  # bytes the tag occupies in the file, header (and footer) included
    frames: list[_Frame]


def _read_tag(fh: BinaryIO) -> _Tag | None:
    """Parse the ID3v2 tag at the start of ``fh``; None when the file has no tag."""
    fh.seek(0)
    head = fh.read(10)
    if len(head) < 10 or head[:3] != b"ID3":
        return None
    _, major, revision, flags, size_raw = _HEADER.unpack(head)
    if major not in (2, 3, 4) or revision == 0xFF:
        raise InputError(f"ID3 tag: unknown version 2.{major}.{revision}")
    size = _syncsafe(size_raw)
    body = fh.read(size)
    if len(body) < size:
        raise InputError(f"ID3 tag: size {size} runs past the end of the file (truncated or corrupt)")
    total = 10 + size + (10 if major == 4 and flags & _FOOTER else 0)
    if major == 2:  # v2.2 has 3-character frame ids; we read nothing from it and cannot extend it
        return _Tag(major, revision, flags, total, [])
    if major == 3 and flags & _UNSYNC:
        body = _deunsync(body)
    pos = 0
    if flags & _EXTENDED:
        if len(body) < 4:
            raise InputError("ID3 tag: truncated extended header")
        ext = struct.unpack(">I", body[:4])[0] + 4 if major == 3 else _syncsafe(body[:4])
        if ext > len(body):
            raise InputError("ID3 tag: extended header runs past the tag")
        pos = ext
    frames: list[_Frame] = []
    while pos + 10 <= len(body):
        frame_id, size_raw, fflags = body[pos:pos + 4], body[pos + 4:pos + 8], body[pos + 8:pos + 10]
        if not _FRAME_ID.fullmatch(frame_id):
            break  # padding (zero bytes) or junk: the frame list ends here
        fsize = _syncsafe(size_raw) if major == 4 else struct.unpack(">I", size_raw)[0]
        if pos + 10 + fsize > len(body):
            raise InputError(f"ID3 tag: frame {frame_id.decode()} runs past the end of the tag")
        frames.append(_Frame(frame_id, struct.unpack(">H", fflags)[0], body[pos + 10:pos + 10 + fsize]))
        pos += 10 + fsize
    return _Tag(major, revision, flags, total, frames)


def _frame_payload(tag: _Tag, frame: _Frame) -> bytes | None:
    """The decoded frame content, or None when it is compressed/encrypted (not ours to read)."""
    data = frame.raw
    if tag.major == 4:
        if frame.flags & (_V4_COMPRESSED | _V4_ENCRYPTED):
            return None
        if frame.flags & _V4_LENGTH:
            data = data[4:]
        if frame.flags & _V4_UNSYNC:
            data = _deunsync(data)
    elif frame.flags & (_V3_COMPRESSED | _V3_ENCRYPTED):
        return None
    return data


_ENCODINGS = {0: ("latin-1", b"\x00"), 1: ("utf-16", b"\x00\x00"), 2: ("utf-16-be", b"\x00\x00"),
              3: ("utf-8", b"\x00")}


def _split_txxx(payload: bytes) -> tuple[str, str] | None:
    """(description, value) of a TXXX payload, or None when it cannot be decoded."""
    if not payload or payload[0] not in _ENCODINGS:
        return None
    codec, nul = _ENCODINGS[payload[0]]
    text = payload[1:]
    # The terminator of a UTF-16 string is aligned on a character boundary.
    step = len(nul)
    cut = next((i for i in range(0, len(text) - step + 1, step) if text[i:i + step] == nul), -1)
    if cut < 0:
        return None
    try:
        desc = text[:cut].decode(codec)
        value = text[cut + step:].decode(codec)
    except UnicodeDecodeError:
        return None
    return desc, value.rstrip("\x00")


def _is_aigc(tag: _Tag, frame: _Frame) -> bool:
    if frame.frame_id != b"TXXX":
        return False
    payload = _frame_payload(tag, frame)
    parts = _split_txxx(payload) if payload is not None else None
    return parts is not None and parts[0].strip().upper() == _DESCRIPTION


def _txxx_frame(major: int, label: ContentLabel) -> bytes:
    # Encoding 0 (ISO-8859-1): the JSON is ASCII, and every ID3 reader handles it.
    body = b"\x00" + _DESCRIPTION.encode() + b"\x00" + label.to_json().encode("ascii")
    size = _to_syncsafe(len(body)) if major == 4 else struct.pack(">I", len(body))
    return b"TXXX" + size + b"\x00\x00" + body


def read_tag_bytes(data: bytes) -> _Tag | None:
    """Parse an ID3v2 tag held in memory (e.g. the ``id3 `` chunk of a WAV file)."""
    return _read_tag(io.BytesIO(data))


def build_tag(tag: _Tag | None, label: ContentLabel, where: str) -> bytes:
    """A complete ID3v2 tag: ``tag``'s frames (v2.3/v2.4 kept) with our TXXX replacing any old one;
    a new v2.3 tag when ``tag`` is None."""
    if tag is not None and tag.major == 2:
        raise LabelError(f"{where}: ID3v2.2 tags cannot carry a TXXX frame; "
                         "convert the tag to v2.3 or v2.4 first")
    major = tag.major if tag is not None else 3
    flags = 0
    frames = b""
    if tag is not None:
        # The extended header and footer describe the old tag (CRC, padding): drop them.
        # v2.3 tag-level unsynchronisation was undone while parsing, so it is cleared too.
        flags = tag.flags & ~(_EXTENDED | _FOOTER | (_UNSYNC if major == 3 else 0))
        for frame in tag.frames:
            if _is_aigc(tag, frame):
                continue  # one label per file: the old one is replaced
            size = _to_syncsafe(len(frame.raw)) if major == 4 else struct.pack(">I", len(frame.raw))
            frames += frame.frame_id + size + struct.pack(">H", frame.flags) + frame.raw
    frames += _txxx_frame(major, label)
    return b"ID3" + bytes((major, 0, flags)) + _to_syncsafe(len(frames)) + frames


def tag_carriers(tag: _Tag | None, name: str) -> list[Carrier]:
    """Every TXXX:AIGC frame of the tag as a Carrier."""
    carriers: list[Carrier] = []
    if tag is None:
        return carriers
    for frame in tag.frames:
        if frame.frame_id != b"TXXX":
            continue
        payload = _frame_payload(tag, frame)
        parts = _split_txxx(payload) if payload is not None else None
        if parts is None or parts[0].strip().upper() != _DESCRIPTION:
            continue
        try:
            carriers.append(Carrier(name, ContentLabel.from_json(parts[1]), parts[1]))
        except LabelError as err:
            carriers.append(Carrier(name, None, parts[1], err.message))
    return carriers


@register_labeler
class Mp3Labeler(Labeler):
    name: ClassVar[str] = "mp3"
    media: ClassVar[str] = "audio"
    extensions: ClassVar[tuple[str, ...]] = (".mp3",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        if head[:3] == b"ID3" and len(head) >= 10 and head[3] in (2, 3, 4):
            # FLAC files sometimes carry an ID3 tag in front: those belong to the FLAC labeler.
            from hegui.labeling.formats.flac import FlacLabeler

            return not FlacLabeler.sniff(head, path)
        # A bare MPEG audio frame header: 11 sync bits, a valid version, layer and bitrate index.
        return (len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                and head[1] & 0x18 != 0x08 and head[1] & 0x06 != 0
                and head[2] & 0xF0 != 0xF0 and head[2] & 0x0C != 0x0C)

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        with src.open("rb") as fin:
            tag = _read_tag(fin)
            new_tag = build_tag(tag, label, str(src))
            fin.seek(tag.total_size if tag is not None else 0)
            with dst.open("wb") as fout:
                fout.write(new_tag)
                copy_stream(fin, fout)

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(format=self.name)
        with path.open("rb") as fh:
            tag = _read_tag(fh)
        reading.carriers.extend(tag_carriers(tag, "id3-txxx"))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """SHA-256 of everything after the ID3v2 tag, minus an ID3v1 trailer: the audio frames."""
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            tag = _read_tag(fh)
            start = tag.total_size if tag is not None else 0
            end = fh.seek(0, 2)
            if end - start >= 128:
                fh.seek(end - 128)
                if fh.read(3) == b"TAG":
                    end -= 128
            fh.seek(start)
            hash_range(fh, digest, max(0, end - start))
        return digest.digest()

