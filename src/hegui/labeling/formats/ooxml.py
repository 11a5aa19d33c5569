"""DOCX / PPTX / XLSX: the label is the custom document property ``AIGC`` (``vt:lpwstr``, full JSON)
in ``docProps/custom.xml``, linked from ``_rels/.rels`` and declared in ``[Content_Types].xml``.

Every other part is copied raw — its stored (compressed) bytes, name, order, timestamp, method and
CRC unchanged, nothing decompressed or recompressed. ``[Content_Types].xml`` and ``_rels/.rels``
change only by the one entry we insert when the document had no custom properties yet.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, ClassVar, cast
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from hegui.core.errors import HeguiError, InputError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Carrier, Labeler, LabelReading, copy_stream, register_labeler
from hegui.labeling.formats._stream import read_exact

CUSTOM_PART = "docProps/custom.xml"
_MAIN_PARTS = ("word/document.xml", "ppt/presentation.xml", "xl/workbook.xml")
_PROPERTY = "AIGC"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one fmtid Office uses for custom properties
_CP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_MAX_XML_PART = 32 << 20  # parts we parse (XML bookkeeping) larger than this are not plausible
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


# What zipfile/zlib raise on damaged archives (OSError: e.g. a negative seek from a bad offset;
# RuntimeError: an encrypted member).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               NotImplementedError, RuntimeError, zlib.error, struct.error, KeyError, IndexError)


@contextmanager
def _zip_guard(path: Path) -> Iterator[None]:
    """Turn any failure of zipfile on a damaged package into one InputError."""
    try:
        yield
    except HeguiError:
        raise
    except _ZIP_ERRORS as err:
        raise InputError(f"{path}: corrupt Office document ({type(err).__name__}: {err})") from None


def _read_xml(zf: zipfile.ZipFile, name: str) -> ET.Element | None:
    """Parse one bookkeeping part; DOCTYPE/entities are refused (untrusted input, no entity bombs)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_XML_PART:
        raise InputError(f"{name} is implausibly large ({info.file_size} bytes)")
    data = zf.read(info)
    if _DTD.search(data):
        raise InputError(f"{name} contains a DOCTYPE or entity declaration (refused for safety)")
    try:
        return ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError) as err:  # LookupError: unknown declared encoding
        raise InputError(f"{name} is not well-formed XML ({err})") from None


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
    except _ZIP_ERRORS as err:
        raise InputError(f"{path}: not a readable Office (zip) document ({err})") from None
    if not any(n in zf.namelist() for n in _MAIN_PARTS):
        zf.close()
        raise InputError(f"{path}: zip file is not a DOCX/PPTX/XLSX document (no main part)")
    return zf


def _custom_values(root: ET.Element | None) -> list[str]:
    if root is None:
        return []
    values = []
    for prop in root.findall(f"{{{_CP_NS}}}property"):
        if prop.get("name") == _PROPERTY:
            values.append("".join(el.text or "" for el in prop))
    return values


def _custom_xml(existing: ET.Element | None, label: ContentLabel) -> bytes:
    """custom.xml with every other property kept (re-serialised), ours replaced and appended."""
    props: list[str] = []
    pid = 1
    for prop in existing.findall(f"{{{_CP_NS}}}property") if existing is not None else []:
        if prop.get("name") == _PROPERTY:
            continue
        pid = max(pid, int(prop.get("pid", "1")) if prop.get("pid", "").isdigit() else pid)
        props.append(_reserialise(prop))
    value = escape(label.to_json())
    props.append(f'<property fmtid="{_FMTID}" pid="{pid + 1}" name="{_PROPERTY}">'
                 f"<vt:lpwstr>{value}</vt:lpwstr></property>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Properties xmlns="{_CP_NS}" xmlns:vt="{_VT_NS}">' + "".join(props)
            + "</Properties>").encode("utf-8")


def _reserialise(prop: ET.Element) -> str:
    """A property element in the default/``vt`` prefixes our custom.xml declares."""
    def render(el: ET.Element) -> str:
        ns, _, local = el.tag[1:].partition("}") if el.tag.startswith("{") else ("", "", el.tag)
        name = local if ns == _CP_NS else f"vt:{local}" if ns == _VT_NS else None
        if name is None:
            raise InputError(f"{CUSTOM_PART}: unexpected element {el.tag!r}")
        attrs = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in el.attrib.items()
                        if not k.startswith("{"))
        inner = escape(el.text or "") + "".join(render(c) + escape(c.tail or "") for c in el)
        return f"<{name}{attrs}>{inner}</{name}>"
    return render(prop)


def _with_entry(data: bytes, closing: bytes, entry: str) -> bytes:
    """Insert ``entry`` before the root's closing tag, leaving every other byte as it was."""
    at = data.rfind(closing)
    if at < 0:
        raise InputError(f"cannot find {closing.decode()} to register {CUSTOM_PART}")
    return data[:at] + entry.encode("utf-8") + data[at:]


def _bookkeeping(zf: zipfile.ZipFile) -> dict[str, bytes]:
    """New bytes for [Content_Types].xml and _rels/.rels when custom.xml is not registered yet."""
    changed: dict[str, bytes] = {}
    types = _read_xml(zf, "[Content_Types].xml")
    if types is None:
        raise InputError("Office document has no [Content_Types].xml (corrupt package)")
    if not any(o.get("PartName") == "/" + CUSTOM_PART for o in types.findall(f"{{{_CT_NS}}}Override")):
        changed["[Content_Types].xml"] = _with_entry(
            zf.read("[Content_Types].xml"), b"</Types>",
            f'<Override PartName="/{CUSTOM_PART}" ContentType="{_CUSTOM_CT}"/>')
    rels = _read_xml(zf, "_rels/.rels")
    if rels is None:
        raise InputError("Office document has no _rels/.rels (corrupt package)")
    relations = rels.findall(f"{{{_REL_NS}}}Relationship")
    if not any(r.get("Type") == _CUSTOM_REL for r in relations):
        ids = {r.get("Id") for r in relations}
        n = 1
        while f"rId{n}" in ids:
            n += 1
        changed["_rels/.rels"] = _with_entry(
            zf.read("_rels/.rels"), b"</Relationships>",
            f'<Relationship Id="rId{n}" Type="{_CUSTOM_REL}" Target="{CUSTOM_PART}"/>')
    return changed


@register_labeler
class OoxmlLabeler(Labeler):
    name: ClassVar[str] = "ooxml"
    media: ClassVar[str] = "document"
    extensions: ClassVar[tuple[str, ...]] = (".docx", ".pptx", ".xlsx", ".docm", ".pptm", ".xlsm")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        if head[:4] != b"PK\x03\x04":
            return False
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except _ZIP_ERRORS:
            return False
        return any(n in names for n in _MAIN_PARTS)

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        with _open_zip(src) as zin, _zip_guard(src):
            replaced = _bookkeeping(zin)
            replaced[CUSTOM_PART] = _custom_xml(_read_xml(zin, CUSTOM_PART), label)
            with zipfile.ZipFile(dst, "w") as zout:
                for info in zin.infolist():
                    if info.flag_bits & 0x1:
                        raise LabelError(f"{src}: encrypted Office documents cannot be labeled")
                    if info.filename in replaced:
                        zout.writestr(_copy_info(info), replaced.pop(info.filename))
                        continue
                    _copy_raw(zin, zout, info)
                for name, data in replaced.items():  # custom.xml when the document had none
                    zout.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                                  compress_type=zipfile.ZIP_DEFLATED)

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(format=self.name)
        with _open_zip(path) as zf, _zip_guard(path):
            root = _read_xml(zf, CUSTOM_PART)
            for raw in _custom_values(root):
                try:
                    reading.carriers.append(Carrier("ooxml-custom", ContentLabel.from_json(raw), raw))
                except LabelError as err:
                    reading.carriers.append(Carrier("ooxml-custom", None, raw, err.message))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """SHA-256 over every part but custom.xml (decompressed, by name), with the entries that
        register custom.xml left out of [Content_Types].xml and _rels/.rels."""
        digest = hashlib.sha256()
        with _open_zip(path) as zf, _zip_guard(path):
            for name in sorted(zf.namelist()):
                if name == CUSTOM_PART:
                    continue
                digest.update(b"\x00" + name.encode() + b"\x00")
                if name in ("[Content_Types].xml", "_rels/.rels"):
                    digest.update(_without_registration(zf, name))
                    continue
                with zf.open(name) as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
        return digest.digest()


def _without_registration(zf: zipfile.ZipFile, name: str) -> bytes:
    """A canonical form of the bookkeeping part without the custom.xml override/relationship."""
    root = _read_xml(zf, name)
    entries = []
    for el in root if root is not None else []:
        attrs = dict(el.attrib)
        if attrs.get("PartName") == "/" + CUSTOM_PART or attrs.get("Type") == _CUSTOM_REL:
            continue
        entries.append(el.tag + repr(sorted(attrs.items())))
    return "\n".join(sorted(entries)).encode()


def _copy_raw(zin: zipfile.ZipFile, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Copy one member's STORED/COMPRESSED bytes as they are (no decompression, no recompression).

    zipfile has no public raw-copy API: we write the local header and data ourselves and register
    the entry in ``filelist``/``NameToInfo``, from which ZipFile.close() writes the central directory.
    Sizes and CRC come from the source's central directory, so a data descriptor is never needed.
    """
    if zin.fp is None or zout.fp is None:
        raise InputError("zip file is closed")
    src, dst = cast(BinaryIO, zin.fp), cast(BinaryIO, zout.fp)
    src.seek(info.header_offset)
    local = read_exact(src, 30, f"zip local header of {info.filename}")
    if local[:4] != b"PK\x03\x04":
        raise InputError(f"zip member {info.filename}: bad local header (corrupt file)")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    src.seek(info.header_offset + 30 + name_len + extra_len)
    new = _copy_info(info)
    new.flag_bits = info.flag_bits & ~0x08  # sizes are in the local header: no data descriptor
    new.CRC = info.CRC
    new.compress_size = info.compress_size
    dst.seek(zout.start_dir)
    new.header_offset = dst.tell()
    dst.write(new.FileHeader())
    copy_stream(src, dst, info.compress_size)
    zout.filelist.append(new)
    zout.NameToInfo[new.filename] = new
    zout.start_dir = dst.tell()


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh ZipInfo with the same name, timestamp, attributes and compression method."""
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    new.comment = info.comment
    new.extra = b""  # size/zip64 extras belong to the old entry
    new.file_size = info.file_size
    return new
