"""Fuzzing the PDF, OOXML and text readers: random bytes, mutated labeled files and (for OOXML)
mutated package parts. Every step succeeds or raises one HeguiError; no other exception, no hang.
Each test states how many inputs it tried (``-s`` shows them)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pikepdf
import pytest
from hypothesis import strategies as st

from hegui.core.label import ContentLabel
from hegui.labeling.base import labeler_for
from hegui.testing.fuzz import fuzz_labeler

# Inputs per format and strategy (PDF: 2 strategies, OOXML and text: 3); HEGUI_FUZZ_SCALE=10 goes deeper.
INPUTS = int(500 * float(os.environ.get("HEGUI_FUZZ_SCALE", "1")))
LABEL = ContentLabel(ContentProducer="acme", ProduceID="fuzz-2")
MAGIC = {"pdf": [b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj\n<<"], "ooxml": [b"PK\x03\x04"],
         "text": [b"---\n", b"---\nAIGC: {", b"# title\n"]}


@st.composite
def mutations(draw: st.DrawFn, sample: bytes) -> bytes:
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        last = len(data) - 1
        pos = draw(st.one_of(st.integers(0, min(last, 256)), st.integers(max(0, last - 1500), last),
                             st.integers(0, last)))
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[pos] = draw(st.sampled_from([0x00, 0x0A, 0x20, 0x22, 0x2F, 0x3C, 0x7B, 0xFF]))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=12))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 12))]
        else:
            del data[pos:]
    return bytes(data)


def _pdf_sample(tmp: Path) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, b"BT (fuzz) Tj ET")
    pdf.docinfo["/Title"] = "fuzz"
    raw = tmp / "raw.pdf"
    pdf.save(raw, compress_streams=False)  # uncompressed: mutations hit structure, not zlib noise
    labeled = tmp / "labeled.pdf"
    labeler_for(raw).embed(raw, labeled, LABEL)
    return labeled.read_bytes()


_OFFICE_PARTS = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                           b'2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                           b"</Types>",
    "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                   b'2006/relationships"></Relationships>',
    "word/document.xml": b"<doc>fuzz</doc>",
}


def _zip(parts: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _office_sample(tmp: Path) -> tuple[bytes, dict[str, bytes]]:
    raw = tmp / "raw.docx"
    raw.write_bytes(_zip(_OFFICE_PARTS))
    labeled = tmp / "labeled.docx"
    labeler_for(raw).embed(raw, labeled, LABEL)
    with zipfile.ZipFile(labeled) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    return labeled.read_bytes(), parts


@st.composite
def mutated_parts(draw: st.DrawFn, parts: dict[str, bytes]) -> bytes:
    """A well-formed zip whose bookkeeping or label parts are damaged (exercises the XML handling)."""
    name = draw(st.sampled_from(sorted(parts)))
    changed = dict(parts)
    changed[name] = draw(mutations(parts[name]))
    return _zip(changed, draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])))


_TEXT_SAMPLE = ('---\ntitle: "fuzz"\nAIGC: ' + LABEL.inner_json() + "\ntags: [a, b]\n---\n# 正文\n").encode()


@pytest.mark.parametrize("fmt", list(MAGIC))
def test_fuzz_random_bytes(fmt: str, tmp_path: Path) -> None:
    strategy = st.one_of(st.binary(max_size=1024),
                         st.tuples(st.sampled_from(MAGIC[fmt]), st.binary(max_size=1024)).map(b"".join))
    assert fuzz_labeler(fmt, strategy, INPUTS, tmp_path, LABEL) >= INPUTS


def test_fuzz_random_text(tmp_path: Path) -> None:
    lines = st.lists(st.one_of(st.sampled_from(["---", "...", "AIGC:", "AIGC: {", "  Label: '1'", ""]),
                               st.text(max_size=40)), max_size=12)
    strategy = lines.map(lambda ls: "\n".join(ls).encode("utf-8", errors="surrogatepass"))
    assert fuzz_labeler("text", strategy, INPUTS, tmp_path, LABEL) >= INPUTS


@pytest.mark.parametrize("fmt", ["pdf", "ooxml", "text"])
def test_fuzz_mutated_labeled_files(fmt: str, tmp_path: Path) -> None:
    sample = {"pdf": lambda: _pdf_sample(tmp_path), "ooxml": lambda: _office_sample(tmp_path)[0],
              "text": lambda: _TEXT_SAMPLE}[fmt]()
    assert fuzz_labeler(fmt, mutations(sample), INPUTS, tmp_path, LABEL) >= INPUTS


def test_fuzz_mutated_office_parts(tmp_path: Path) -> None:
    _, parts = _office_sample(tmp_path)
    assert fuzz_labeler("ooxml", mutated_parts(parts), INPUTS, tmp_path, LABEL) >= INPUTS
