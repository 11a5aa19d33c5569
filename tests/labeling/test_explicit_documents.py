"""Explicit labels in PDF (image on page 1), DOCX (first paragraph), PPTX (text box on slide 1);
XLSX is metadata-only by design."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pikepdf
import pytest

from hegui.core.errors import InputError
from hegui.labeling.explicit import ExplicitOptions, apply_explicit
from hegui.labeling.explicit.documents import document_text, label_pdf_file
from hegui.labeling.explicit.text import detect_text_label

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def make_pdf(path: Path) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    content = b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET"
    pdf.pages[0].Contents = pikepdf.Stream(pdf, content)
    pdf.save(path)
    return content


def make_docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", f'<Types xmlns="{CT_NS}"/>')
        zf.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>'
                    "<w:p><w:r><w:t>正文第一段</w:t></w:r></w:p></w:body></w:document>")


def make_pptx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", f'<Types xmlns="{CT_NS}"/>')
        zf.writestr("ppt/presentation.xml", f'<p:presentation xmlns:p="{P_NS}" xmlns:r="{R_NS}">'
                    '<p:sldIdLst><p:sldId id="256" r:id="rId7"/></p:sldIdLst></p:presentation>')
        zf.writestr("ppt/_rels/presentation.xml.rels",
                    '<Relationships><Relationship Id="rId7" Target="slides/slide1.xml"/></Relationships>')
        zf.writestr("ppt/slides/slide1.xml", f'<p:sld xmlns:p="{P_NS}" xmlns:a="{A_NS}"><p:cSld><p:spTree>'
                    "</p:spTree></p:cSld></p:sld>")


def test_pdf_label_image_on_first_page(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.pdf", tmp_path / "out.pdf"
    original = make_pdf(src)
    label_pdf_file(src, dst, "本内容由人工智能生成")
    with pikepdf.open(dst) as pdf:
        page = pdf.pages[0]
        names = [str(n) for n in page.Resources.XObject.keys()]  # noqa: SIM118
        assert len(names) == 1 and names[0].startswith("/HgAIGC")
        image = pikepdf.PdfImage(page.Resources.XObject[names[0]]).as_pil_image()
        assert image.convert("L").getextrema()[1] >= 200  # bright text on a dark box
        streams = page.Contents if isinstance(page.Contents, pikepdf.Array) else [page.Contents]
        data = b"".join(s.read_bytes() for s in streams)
        assert original in data                      # the page's own content is kept
        assert data.strip().endswith(b"Do Q")        # the label is drawn last, on top
        assert data.lstrip().startswith(b"q")        # original content wrapped in q/Q


def test_encrypted_or_broken_pdf(tmp_path: Path) -> None:
    src = tmp_path / "enc.pdf"
    make_pdf(tmp_path / "plain.pdf")
    with pikepdf.open(tmp_path / "plain.pdf") as pdf:
        pdf.save(src, encryption=pikepdf.Encryption(owner="o", user="u"))
    with pytest.raises(InputError, match="encrypted"):
        label_pdf_file(src, tmp_path / "o.pdf", "AI生成")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n garbage")
    with pytest.raises(InputError):
        label_pdf_file(broken, tmp_path / "o2.pdf", "AI生成")


def test_docx_first_paragraph(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.docx", tmp_path / "out.docx"
    make_docx(src)
    outcome = apply_explicit(src, dst, "ooxml", ExplicitOptions())
    assert outcome.applied and outcome.kind == "docx"
    text = document_text(dst)
    assert text is not None
    assert text.splitlines()[0] == "本内容由人工智能生成"
    assert "正文第一段" in text
    assert detect_text_label(text) is not None
    assert document_text(src) is not None and detect_text_label(document_text(src) or "") is None
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst) as b:
        assert a.read("[Content_Types].xml") == b.read("[Content_Types].xml")


def test_pptx_text_box_on_first_slide(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.pptx", tmp_path / "out.pptx"
    make_pptx(src)
    outcome = apply_explicit(src, dst, "ooxml", ExplicitOptions(wording="AI生成"))
    assert outcome.applied and outcome.kind == "pptx"
    assert (document_text(dst) or "").strip() == "AI生成"


def test_xlsx_is_metadata_only(tmp_path: Path) -> None:
    src = tmp_path / "in.xlsx"
    with zipfile.ZipFile(src, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    outcome = apply_explicit(src, tmp_path / "out.xlsx", "ooxml", ExplicitOptions())
    assert not outcome.applied and "XLSX" in outcome.note
    assert not (tmp_path / "out.xlsx").exists()
