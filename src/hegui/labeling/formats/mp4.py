"""MP4 / MOV: the label is an ``mdta`` key ``AIGC`` in ``moov/udta/meta`` (``hdlr`` = ``mdta``,
``keys`` + ``ilst`` with a UTF-8 ``data`` atom holding the full JSON) — exactly what
``ffmpeg -metadata AIGC=… -movflags use_metadata_tags`` writes, so ffprobe and ffmpeg read it.

Only ``moov`` (index + metadata, small) is parsed in memory; ``mdat`` and every other top-level box is
stream-copied. When the new ``moov`` changes size and media data follows it, the difference is absorbed
by a following ``free`` box when possible, otherwise every ``stco``/``co64`` chunk offset is shifted.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import BinaryIO, ClassVar

from hegui.core.errors import InputError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Carrier, Labeler, LabelReading, copy_stream, register_labeler
from hegui.labeling.formats import _isobmff as bmff
from hegui.labeling.formats._stream import hash_range, read_exact

_KEY = b"AIGC"
_MAX_MOOV = 256 << 20
# ftyp major brands that are still images (HEIF/AVIF), not audio/video.
_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"})
_QT_FIRST_BOXES = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
_FREE = frozenset({b"free", b"skip"})


def _read_moov(fh: BinaryIO) -> tuple[list[bmff.Box], bmff.Box, bytes]:
    """Top-level boxes, the ``moov`` box (file offsets) and its bytes (``moov`` itself at offset 0)."""
    boxes = bmff.scan_file(fh)
    moovs = [b for b in boxes if b.box_type == b"moov"]
    if len(moovs) != 1:
        raise InputError(f"MP4: expected one 'moov' box, found {len(moovs)} (incomplete or corrupt file)")
    moov = moovs[0]
    if moov.size > _MAX_MOOV:
        raise InputError(f"MP4: 'moov' box is implausibly large ({moov.size} bytes)")
    fh.seek(moov.offset)
    return boxes, moov, read_exact(fh, moov.size, "MP4 'moov' box")


def _local(moov: bmff.Box) -> bmff.Box:
    """The ``moov`` box as found at the start of its own bytes."""
    return bmff.Box(moov.box_type, 0, moov.header, moov.size)


def _mdta_metas(data: bytes, parent: bmff.Box) -> list[tuple[bmff.Box, list[bmff.Box]]]:
    """The ``meta`` boxes directly under ``parent`` whose handler is ``mdta``, with their children."""
    out = []
    for meta in bmff.find(data, bmff.children(data, parent.start, parent.end), b"meta"):
        kids = bmff.children(data, bmff.meta_children_start(data, meta), meta.end)
        if bmff.handler_type(data, kids) == b"mdta":
            out.append((meta, kids))
    return out


def _keys(data: bytes, kids: list[bmff.Box]) -> list[tuple[bytes, bytes]]:
    """(namespace, name) of each entry of the ``keys`` box (1-based order = ilst item index)."""
    boxes = bmff.find(data, kids, b"keys")
    if not boxes:
        return []
    box = boxes[0]
    pos, out = box.start + 8, []
    while pos + 8 <= box.end:
        (size,) = struct.unpack(">I", data[pos:pos + 4])
        if size < 8 or pos + size > box.end:
            raise InputError("MP4: malformed 'keys' box")
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + size]))
        pos += size
    return out


def _item_value(data: bytes, item: bmff.Box) -> bytes | None:
    for sub in bmff.children(data, item.start, item.end):
        if sub.box_type == b"data" and sub.size >= sub.header + 8:
            return data[sub.start + 8:sub.end]
    return None


def _aigc_values(data: bytes, kids: list[bmff.Box]) -> list[bytes]:
    keys = _keys(data, kids)
    wanted = {n + 1 for n, (ns, name) in enumerate(keys) if ns == b"mdta" and name == _KEY}
    values = []
    for ilst in bmff.find(data, kids, b"ilst"):
        for item in bmff.children(data, ilst.start, ilst.end):
            if int.from_bytes(item.box_type, "big") in wanted:
                value = _item_value(data, item)
                if value is not None:
                    values.append(value)
    return values


def _rebuild_meta(data: bytes, meta: bmff.Box, kids: list[bmff.Box], value: bytes | None) -> bytes:
    """The ``meta`` box without its AIGC key(s) — plus ours when ``value`` is given. Other keys keep
    their items; item indices above a removed key are renumbered, as ``ilst`` refers to keys by index."""
    keys = _keys(data, kids)
    drop = {n + 1 for n, (ns, name) in enumerate(keys) if ns == b"mdta" and name == _KEY}
    new_index: dict[int, int] = {}
    kept_keys: list[tuple[bytes, bytes]] = []
    for n, key in enumerate(keys, start=1):
        if n not in drop:
            kept_keys.append(key)
            new_index[n] = len(kept_keys)
    items = []
    ilsts = bmff.find(data, kids, b"ilst")
    for ilst in ilsts[:1]:
        for item in bmff.children(data, ilst.start, ilst.end):
            index = int.from_bytes(item.box_type, "big")
            if index in drop:
                continue
            body = data[item.start:item.end]
            items.append(bmff.make_box(new_index.get(index, index).to_bytes(4, "big"), body))
    if value is not None:
        kept_keys.append((b"mdta", _KEY))
        data_atom = bmff.make_box(b"data", struct.pack(">II", 1, 0) + value)  # type 1 = UTF-8
        items.append(bmff.make_box(len(kept_keys).to_bytes(4, "big"), data_atom))
    keys_box = bmff.make_box(b"keys", struct.pack(">II", 0, len(kept_keys)) + b"".join(
        struct.pack(">I4s", 8 + len(name), ns) + name for ns, name in kept_keys))
    out = []
    for kid in kids:
        if kid.box_type == b"keys":
            out.append(keys_box)
        elif kid.box_type == b"ilst":
            if kid is ilsts[0]:
                out.append(bmff.make_box(b"ilst", b"".join(items)))
        else:
            out.append(data[kid.offset:kid.end])
    if not any(k.box_type == b"keys" for k in kids):
        out.append(keys_box)
    if not ilsts:
        out.append(bmff.make_box(b"ilst", b"".join(items)))
    prefix = data[meta.start:bmff.meta_children_start(data, meta)]  # version+flags if ISO style
    return bmff.make_box(b"meta", prefix + b"".join(out))


def _new_meta(value: bytes) -> bytes:
    """A fresh ISO-style ``meta`` (as ffmpeg writes it): hdlr ``mdta``, one key, one item."""
    hdlr = bmff.make_box(b"hdlr", struct.pack(">II4s", 0, 0, b"mdta") + b"\x00" * 13)
    keys = bmff.make_box(b"keys", struct.pack(">III4s", 0, 1, 8 + len(_KEY), b"mdta") + _KEY)
    data_atom = bmff.make_box(b"data", struct.pack(">II", 1, 0) + value)
    ilst = bmff.make_box(b"ilst", bmff.make_box((1).to_bytes(4, "big"), data_atom))
    return bmff.make_box(b"meta", b"\x00\x00\x00\x00" + hdlr + keys + ilst)


def _rebuild_udta(data: bytes, udta: bmff.Box, value: bytes) -> bytes:
    """``udta`` with our key in its first mdta ``meta`` (stale AIGC keys removed from every mdta meta);
    without an mdta meta, a fresh one is appended after the existing (e.g. iTunes ``mdir``) ones."""
    metas = {m.offset: kids for m, kids in _mdta_metas(data, udta)}
    pending: bytes | None = value
    out = []
    for kid in bmff.children(data, udta.start, udta.end):
        if kid.offset in metas:
            out.append(_rebuild_meta(data, kid, metas[kid.offset], pending))
            pending = None
        else:
            out.append(data[kid.offset:kid.end])
    if pending is not None:
        out.append(_new_meta(pending))
    return bmff.make_box(b"udta", b"".join(out))


def _new_moov(data: bytes, moov: bmff.Box, value: bytes) -> bytes:
    kids = bmff.children(data, moov.start, moov.end)
    udtas = bmff.find(data, kids, b"udta")
    moov_metas = {m.offset: mk for m, mk in _mdta_metas(data, moov)}
    parts = []
    for kid in kids:
        if udtas and kid is udtas[0]:
            parts.append(_rebuild_udta(data, kid, value))
        elif kid.offset in moov_metas:  # a QuickTime moov-level mdta meta: drop a stale AIGC key
            parts.append(_rebuild_meta(data, kid, moov_metas[kid.offset], None))
        else:
            parts.append(data[kid.offset:kid.end])
    if not udtas:
        parts.append(bmff.make_box(b"udta", _new_meta(value)))
    return bmff.make_box(b"moov", b"".join(parts))


def _shift_chunk_offsets(moov: bytearray, threshold: int, delta: int) -> None:
    """Add ``delta`` to every ``stco``/``co64`` chunk offset at or after ``threshold`` (data that moved)."""
    for _, box in bmff.walk(bytes(moov), 8, len(moov)):
        if box.box_type not in (b"stco", b"co64"):
            continue
        width, fmt = (4, ">I") if box.box_type == b"stco" else (8, ">Q")
        (count,) = struct.unpack_from(">I", moov, box.start + 4)
        if box.start + 8 + count * width > box.end:
            raise InputError(f"MP4: '{box.box_type.decode()}' box is shorter than its entry count")
        for n in range(count):
            pos = box.start + 8 + n * width
            (offset,) = struct.unpack_from(fmt, moov, pos)
            if offset >= threshold:
                if offset + delta > (0xFFFFFFFF if width == 4 else 0xFFFFFFFFFFFFFFFF):
                    raise LabelError("MP4: growing 'moov' would push a 32-bit chunk offset past 4 GB")
                struct.pack_into(fmt, moov, pos, offset + delta)


def _shift_fragment_offsets(box: bytearray, threshold: int, delta: int) -> None:
    """Shift the absolute file offsets of a fragmented file's top-level ``moof`` (tfhd
    base-data-offset) or ``mfra`` (tfra moof offsets) box in place; relative offsets need nothing."""
    for _, sub in bmff.walk(bytes(box), 8 if box[:4] != b"\x00\x00\x00\x01" else 16, len(box)):
        if sub.box_type == b"tfhd" and sub.size >= sub.header + 16 and box[sub.start + 3] & 0x01:
            _add(box, sub.start + 8, 8, threshold, delta)  # after version/flags and track_ID
        elif sub.box_type == b"tfra" and sub.size >= sub.header + 16:
            version = box[sub.start]
            sizes = int.from_bytes(box[sub.start + 8:sub.start + 12], "big")
            tail = sum(((sizes >> shift) & 0x3) + 1 for shift in (4, 2, 0))  # traf/trun/sample numbers
            width = 8 if version == 1 else 4
            count = int.from_bytes(box[sub.start + 12:sub.start + 16], "big")
            pos = sub.start + 16
            for _ in range(count):
                if pos + 2 * width + tail > sub.end:
                    raise InputError("MP4: 'tfra' box is shorter than its entry count")
                _add(box, pos + width, width, threshold, delta)  # moof_offset follows the time
                pos += 2 * width + tail


def _add(buf: bytearray, pos: int, width: int, threshold: int, delta: int) -> None:
    value = int.from_bytes(buf[pos:pos + width], "big")
    if value >= threshold:
        if value + delta >= 1 << (8 * width):
            raise LabelError("MP4: growing 'moov' would overflow a fragment offset")
        buf[pos:pos + width] = (value + delta).to_bytes(width, "big")


@register_labeler
class Mp4Labeler(Labeler):
    name: ClassVar[str] = "mp4"
    media: ClassVar[str] = "video"
    extensions: ClassVar[tuple[str, ...]] = (".mp4", ".mov", ".m4v", ".m4a", ".3gp")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        if len(head) < 12:
            return False
        if head[4:8] == b"ftyp":
            return head[8:12] not in _IMAGE_BRANDS
        # Old QuickTime files may start straight with moov/mdat/wide. The size must fit the file,
        # which keeps text that happens to contain e.g. "free" at offset 4 from matching.
        size = int.from_bytes(head[:4], "big")
        if head[4:8] not in _QT_FIRST_BOXES or size in range(2, 8):
            return False
        try:
            return size <= path.stat().st_size
        except OSError:
            return False

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        with src.open("rb") as fin:
            boxes, moov, data = _read_moov(fin)
            new_moov = bytearray(_new_moov(data, _local(moov), label.to_json().encode("ascii")))
            delta = len(new_moov) - moov.size
            later = [b for b in boxes if b.offset > moov.offset]
            replaced_free: bmff.Box | None = None
            shift = 0  # how far the boxes after moov move
            filler = b""
            if delta and later:
                nxt = later[0]
                if nxt.box_type in _FREE and nxt.header == 8 and nxt.size - delta >= 8:
                    replaced_free, filler = nxt, bmff.make_box(b"free", b"\x00" * (nxt.size - delta - 8))
                elif delta < 0 and -delta >= 8:
                    filler = bmff.make_box(b"free", b"\x00" * (-delta - 8))
                else:
                    shift = delta
                    _shift_chunk_offsets(new_moov, moov.end, delta)
            with dst.open("wb") as fout:
                for box in boxes:
                    if box is moov:
                        fout.write(new_moov)
                        fout.write(filler)
                    elif shift and box.box_type in (b"moof", b"mfra") and box.size <= _MAX_MOOV:
                        fin.seek(box.offset)
                        fragment = bytearray(read_exact(fin, box.size, "MP4 fragment box"))
                        _shift_fragment_offsets(fragment, moov.end, shift)
                        fout.write(fragment)
                    elif box is not replaced_free:
                        fin.seek(box.offset)
                        copy_stream(fin, fout, box.size)

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(format=self.name)
        with path.open("rb") as fh:
            _, file_moov, data = _read_moov(fh)
        moov = _local(file_moov)
        parents = [moov, *bmff.find(data, bmff.children(data, moov.start, moov.end), b"udta")]
        for parent in parents:
            for _, kids in _mdta_metas(data, parent):
                for value in _aigc_values(data, kids):
                    raw = value.decode("utf-8", errors="replace")
                    try:
                        reading.carriers.append(Carrier("mp4-mdta", ContentLabel.from_json(raw), raw))
                    except LabelError as err:
                        reading.carriers.append(Carrier("mp4-mdta", None, raw, err.message))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """SHA-256 of the track boxes (chunk offsets made relative to their ``mdat``, so moving the
        data does not change it) and of every ``mdat`` payload; ``udta``/``meta`` are excluded."""
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            boxes, file_moov, data = _read_moov(fh)
            moov = _local(file_moov)
            mdats = [b for b in boxes if b.box_type == b"mdat"]
            for kid in bmff.children(data, moov.start, moov.end):
                if kid.box_type in (b"udta", b"meta"):
                    continue
                digest.update(kid.box_type)
                if kid.box_type not in bmff.CONTAINERS:
                    digest.update(data[kid.start:kid.end])
                    continue
                for box_path, box in bmff.walk(data, kid.start, kid.end):
                    digest.update(b"/".join(box_path))
                    if box.box_type in (b"stco", b"co64"):
                        digest.update(_relative_offsets(data, box, mdats))
                    elif box.box_type not in bmff.CONTAINERS:
                        digest.update(data[box.start:box.end])
            for mdat in mdats:
                fh.seek(mdat.start)
                hash_range(fh, digest, mdat.end - mdat.start)
        return digest.digest()


def _relative_offsets(data: bytes, box: bmff.Box, mdats: list[bmff.Box]) -> bytes:
    width = 4 if box.box_type == b"stco" else 8
    count = int.from_bytes(data[box.start + 4:box.start + 8], "big")
    out = bytearray()
    for n in range(min(count, (box.end - box.start - 8) // width)):
        pos = box.start + 8 + n * width
        offset = int.from_bytes(data[pos:pos + width], "big")
        where = next(((i, offset - m.start) for i, m in enumerate(mdats) if m.start <= offset < m.end),
                     (-1, offset))
        out += struct.pack(">qQ", *where)
    return bytes(out)
