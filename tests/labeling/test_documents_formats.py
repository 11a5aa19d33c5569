"""Implicit labels in PDF, DOCX/PPTX/XLSX and Markdown/plain text: round trip, one label per file,
real readers (exiftool for PDF XMP and OOXML custom properties), content unchanged, digest, bad input.
Fixtures are made here: pikepdf for PDFs, zipfile for minimal Office packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
import yaml

from hegui.core.errors import HeguiError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import labeler_for

LABEL = ContentLabel(ContentProducer="001191110102MAD55U9H0F10002", ProduceID="doc-7")
OTHER = LABEL.with_propagator("platform-x", "p-123")


def _embed(src: Path, label: ContentLabel, name: str | None = None) -> Path:
    dst = src.with_name(name or "labeled-" + src.name)
    labeler_for(src).embed(src, dst, label)
    return dst


def _exiftool_json(path: Path) -> dict[str, object]:
    exe = shutil.which("exiftool")
    if exe is None:
        pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl; run.sh does it)")
    out = subprocess.run([exe, "-j", "-G1", "-a", str(path)], check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout)[0]
    return result


# --- PDF -------------------------------------------------------------------------------------------

def make_pdf(path: Path, *, xmp: bool = True, encryption: pikepdf.Encryption | None = None) -> Path:
    pdf = pikepdf.new()
    for n in range(2):
        pdf.add_blank_page()
        pdf.pages[n].obj.Contents = pikepdf.Stream(pdf, f"BT /F1 12 Tf 72 720 Td (Page {n}) Tj ET\n".encode()
                                                   + b"0 0 m 100 100 l S\n" * 40)
    if xmp:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:creator"] = ["Tester"]
    pdf.docinfo["/Title"] = "A test document"
    pdf.save(path, compress_streams=True, encryption=encryption or False)
    return path


def _page_streams(path: Path) -> list[bytes]:
    with pikepdf.open(path) as pdf:
        return [bytes(p.obj.Contents.read_raw_bytes()) for p in pdf.pages]


@pytest.mark.parametrize("xmp", [True, False], ids=["with-xmp", "without-xmp"])
def test_pdf_round_trip_info_and_xmp(tmp_path: Path, xmp: bool) -> None:
    src = make_pdf(tmp_path / "a.pdf", xmp=xmp)
    labeler = labeler_for(src)
    assert labeler.name == "pdf" and labeler.extract(src).label is None
    twice = _embed(_embed(src, LABEL), OTHER, "twice.pdf")
    reading = labeler.extract(twice)
    assert sorted(c.name for c in reading.carriers) == ["pdf-info", "xmp"]
    assert reading.label == OTHER
    # Page content streams keep their exact stored (compressed) bytes: nothing was re-encoded.
    assert _page_streams(twice) == _page_streams(src)
    assert labeler.content_digest(twice) == labeler.content_digest(src)
    with pikepdf.open(twice) as pdf:
        assert str(pdf.docinfo["/Title"]) == "A test document"
        if xmp:
            assert "Tester" in str(pdf.open_metadata().get("dc:creator"))


def test_pdf_exiftool_sees_tc260_xmp_and_info(tmp_path: Path) -> None:
    labeled = _embed(make_pdf(tmp_path / "a.pdf"), OTHER)
    tags = _exiftool_json(labeled)
    xmp = next(v for k, v in tags.items() if k.startswith("XMP-TC260:") and k.lower().endswith("aigc"))
    assert ContentLabel.from_json(str(xmp)) == OTHER
    info = next(v for k, v in tags.items() if k.startswith("PDF:") and k.lower().endswith("aigc"))
    assert ContentLabel.from_json(str(info)) == OTHER


def test_pdf_digest_detects_page_change(tmp_path: Path) -> None:
    labeled = _embed(make_pdf(tmp_path / "a.pdf"), LABEL)
    before = labeler_for(labeled).content_digest(labeled)
    with pikepdf.open(labeled, allow_overwriting_input=True) as pdf:
        pdf.pages[1].obj.Contents = pikepdf.Stream(pdf, b"0 0 m 1 1 l S")
        pdf.save(labeled)
    assert labeler_for(labeled).content_digest(labeled) != before


def test_pdf_encrypted_is_refused(tmp_path: Path) -> None:
    owner_only = make_pdf(tmp_path / "owner.pdf", encryption=pikepdf.Encryption(owner="o", user=""))
    with pytest.raises(LabelError, match="encrypted"):
        labeler_for(owner_only).embed(owner_only, tmp_path / "out.pdf", LABEL)
    locked = make_pdf(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(owner="o", user="u"))
    with pytest.raises(HeguiError, match="password"):
        labeler_for(locked).extract(locked)


# --- OOXML -----------------------------------------------------------------------------------------

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="{main}"/>{extra}</Relationships>')
_CUSTOM = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.'
           'openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.'
           'openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-'
           '9397-08002B2CF9AE}" pid="2" name="Project"><vt:lpwstr>Apollo &amp; co</vt:lpwstr></property>'
           '</Properties>')
MAIN = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml", "xlsx": "xl/workbook.xml"}


def make_office(path: Path, kind: str, *, custom: bool = False) -> Path:
    main = MAIN[kind]
    overrides = f'<Override PartName="/{main}" ContentType="application/xml"/>'
    extra = ""
    if custom:
        overrides += ('<Override PartName="/docProps/custom.xml" ContentType="application/vnd.'
                      'openxmlformats-officedocument.custom-properties+xml"/>')
        extra = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/custom-properties" Target="docProps/custom.xml"/>')
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", _CT.format(overrides=overrides), zipfile.ZIP_DEFLATED)
        zf.writestr("_rels/.rels", _RELS.format(main=main, extra=extra), zipfile.ZIP_DEFLATED)
        zf.writestr(main, f"<root>{kind} body {'x' * 500}</root>", zipfile.ZIP_DEFLATED)
        zf.writestr("media/image1.bin", os.urandom(2000), zipfile.ZIP_STORED)
        if custom:
            zf.writestr("docProps/custom.xml", _CUSTOM, zipfile.ZIP_DEFLATED)
    return path


def _raw_members(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """name -> (method, CRC, stored bytes) as they sit in the file (compressed, not decoded)."""
    out = {}
    with zipfile.ZipFile(path) as zf, path.open("rb") as fh:
        for info in zf.infolist():
            fh.seek(info.header_offset + 26)
            name_len, extra_len = int.from_bytes(fh.read(2), "little"), int.from_bytes(fh.read(2), "little")
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            out[info.filename] = (info.compress_type, info.CRC, fh.read(info.compress_size))
    return out


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.mark.parametrize("kind", list(MAIN))
@pytest.mark.parametrize("custom", [False, True], ids=["new-custom", "existing-custom"])
def test_ooxml_round_trip(tmp_path: Path, kind: str, custom: bool) -> None:
    src = make_office(tmp_path / f"a.{kind}", kind, custom=custom)
    labeler = labeler_for(src)
    assert labeler.name == "ooxml" and labeler.extract(src).label is None
    once = _embed(src, LABEL)
    twice = _embed(once, OTHER, f"twice.{kind}")
    reading = labeler.extract(twice)
    assert [c.name for c in reading.carriers] == ["ooxml-custom"] and reading.label == OTHER
    before, after = _parts(src), _parts(twice)
    changed = {n for n in after if before.get(n) != after[n]}
    expected = {"docProps/custom.xml"} | (set() if custom else {"[Content_Types].xml", "_rels/.rels"})
    assert changed == expected  # every other part decompresses to identical bytes
    assert list(after)[:len(before)] == list(before)  # member order kept
    raw_before, raw_after = _raw_members(src), _raw_members(twice)
    for name in set(before) - changed:  # copied raw: the stored compressed bytes are identical
        assert raw_after[name] == raw_before[name], name
    with zipfile.ZipFile(twice) as zf:
        assert zf.testzip() is None  # every CRC checks out
    custom_xml = after["docProps/custom.xml"].decode()
    assert custom_xml.count('name="AIGC"') == 1
    if custom:
        assert "Apollo &amp; co" in custom_xml
    if not custom:  # the entries we add are well-formed and present exactly once
        assert after["[Content_Types].xml"].count(b"/docProps/custom.xml") == 1
        assert after["_rels/.rels"].count(b"custom-properties") == 1
    assert labeler.content_digest(twice) == labeler.content_digest(src)


def test_ooxml_streamed_zip_with_data_descriptors(tmp_path: Path) -> None:
    """Members written in streaming mode (sizes in a data descriptor after the data) copy correctly."""
    src = tmp_path / "streamed.xlsx"
    parts = _parts(make_office(tmp_path / "plain.xlsx", "xlsx"))
    with src.open("wb") as raw:
        class Unseekable:  # makes zipfile write data descriptors (flag bit 3)
            def write(self, data: bytes) -> int:
                return raw.write(data)

            def flush(self) -> None:
                raw.flush()

        with zipfile.ZipFile(Unseekable(), "w", zipfile.ZIP_DEFLATED) as zf:  # type: ignore[arg-type]
            for name, data in parts.items():
                with zf.open(name, "w") as member:
                    member.write(data)
    with zipfile.ZipFile(src) as zf:
        assert all(info.flag_bits & 0x08 for info in zf.infolist())
    labeled = _embed(src, LABEL)
    with zipfile.ZipFile(labeled) as zf:
        assert zf.testzip() is None
    assert {n: d for n, d in _parts(labeled).items() if n in parts and not n.startswith(("[", "_"))} \
        == {n: d for n, d in parts.items() if not n.startswith(("[", "_"))}
    assert labeler_for(labeled).extract(labeled).label == LABEL


def test_ooxml_exiftool_reads_custom_property(tmp_path: Path) -> None:
    labeled = _embed(make_office(tmp_path / "a.docx", "docx"), OTHER)
    tags = _exiftool_json(labeled)
    if not any(k.startswith("XML:") for k in tags):
        pytest.skip("exiftool lacks Archive::Zip (apt-get install libarchive-zip-perl; run.sh does it)")
    assert ContentLabel.from_json(str(tags["XML:AIGC"])) == OTHER


def test_ooxml_digest_detects_part_change(tmp_path: Path) -> None:
    labeled = _embed(make_office(tmp_path / "a.docx", "docx"), LABEL)
    before = labeler_for(labeled).content_digest(labeled)
    parts = _parts(labeled)
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"body", b"BODY")
    with zipfile.ZipFile(labeled, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert labeler_for(labeled).content_digest(labeled) != before


def test_plain_zip_is_not_office(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(HeguiError, match="not a supported format"):
        labeler_for(path)


# --- Markdown / plain text -------------------------------------------------------------------------

TEXTS = {
    "plain-crlf": b"Hello\r\nworld\r\n",
    "markdown-front-matter":
        "\ufeff---\ntitle: 标题\nAIGC: stale\n  continued\ntags: [a]\n---\n# 正文\n".encode(),
    "front-matter-at-eof": b"---\ntitle: y\n---",
    "dashes-without-close": b"---\nnot front matter\n",
    "empty-ish": b"x",
}


@pytest.mark.parametrize("kind", list(TEXTS))
def test_text_front_matter(tmp_path: Path, kind: str) -> None:
    src = tmp_path / "a.md"
    src.write_bytes(TEXTS[kind])
    labeler = labeler_for(src)
    assert labeler.name == "text"
    twice = _embed(_embed(src, LABEL), OTHER, "twice.md")
    raw = twice.read_bytes()
    reading = labeler.extract(twice)
    assert reading.label == OTHER and len(reading.carriers) == 1
    assert labeler.content_digest(twice) == labeler.content_digest(src)
    text = raw.decode("utf-8").removeprefix("\ufeff")
    front = text.split("---", 2)[1]
    meta = yaml.safe_load(front)
    assert ContentLabel.from_obj(meta["AIGC"]) == OTHER  # a YAML reader sees the Annex E mapping
    if kind == "markdown-front-matter":
        assert raw.startswith("\ufeff".encode()) and meta["title"] == "标题" and meta["tags"] == ["a"]
        assert raw.endswith("---\n# 正文\n".encode())
    if kind == "plain-crlf":
        assert raw.endswith(b"---\r\nHello\r\nworld\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    if kind == "dashes-without-close":
        assert raw.endswith(TEXTS[kind])


def test_text_reads_yaml_block_form(tmp_path: Path) -> None:
    src = tmp_path / "a.md"
    src.write_text('---\nAIGC:\n  Label: "1"\n  ContentProducer: acme\n  ProduceID: "9"\n---\nbody\n')
    assert labeler_for(src).extract(src).label == ContentLabel(ContentProducer="acme", ProduceID="9")


def test_text_not_utf8_or_binary(tmp_path: Path) -> None:
    latin = tmp_path / "a.txt"
    latin.write_bytes("caf\u00e9 ".encode("latin-1") * 10)
    with pytest.raises(HeguiError, match="not a supported format"):
        labeler_for(latin)
    late_binary = tmp_path / "b.txt"
    late_binary.write_bytes(b"plain start " * 10 + b"\xff\xfe\x00")
    labeler = labeler_for(late_binary)
    with pytest.raises(HeguiError, match="NUL"):
        labeler.embed(late_binary, tmp_path / "out.txt", LABEL)
    assert late_binary.read_bytes().endswith(b"\xff\xfe\x00")


@pytest.mark.parametrize("name,data", [
    ("pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R"),
    ("docx", b"PK\x03\x04" + b"\x00" * 40),
])
def test_corrupt_documents_give_one_clear_error(tmp_path: Path, name: str, data: bytes) -> None:
    src = tmp_path / f"bad.{name}"
    src.write_bytes(data)
    try:
        labeler = labeler_for(src)
    except HeguiError:
        return  # not even recognised: also one clear error
    with pytest.raises(HeguiError):
        labeler.embed(src, tmp_path / "out", LABEL)
    assert src.read_bytes() == data


@pytest.mark.parametrize("text", [b"Feelfree to read: this is prose, not a QuickTime 'free' box.\n",
                                  b"ID3 tags are not here either\n", b"%PDF is mentioned later? no.\n"])
def test_text_lookalikes_stay_text(tmp_path: Path, text: bytes) -> None:
    src = tmp_path / "notes.txt"
    src.write_bytes(text)
    assert labeler_for(src).name == "text"


def test_office_part_with_an_unknown_declared_encoding_is_one_clear_error(tmp_path: Path) -> None:
    """Found by the fuzzer: an XML declaration naming an unknown encoding raised LookupError."""
    src = make_office(tmp_path / "a.docx", "docx")
    parts = _parts(src)
    bad = tmp_path / "bad.docx"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in parts.items():
            if name == "[Content_Types].xml":
                data = b'<?xml version="1.0" encoding="TTF-8"?>' + data
            zf.writestr(name, data)
    before = bad.read_bytes()
    labeler = labeler_for(bad)
    with pytest.raises(HeguiError, match="not well-formed XML"):
        labeler.embed(bad, tmp_path / "out.docx", LABEL)
    assert bad.read_bytes() == before
