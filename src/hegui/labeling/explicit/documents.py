"""Explicit labels on documents.

- PDF: the wording, rendered by Pillow (so CJK never depends on PDF font embedding), is placed as an
  image XObject at the top-left of page 1; the existing page content is wrapped in q/Q so its
  graphics state cannot move or hide the label. Page /Rotate is not compensated (label follows the
  unrotated page).
- DOCX: a bold paragraph at the very top of the body (first page, before any content).
- PPTX: a text box at the top of the first slide.
- XLSX: no explicit label (a cell would change the data users compute with); metadata only — reported.
- Markdown / plain text: a note line at the top (after any front matter), see ``text.py``.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

from hegui.core.errors import InputError, LabelError
from hegui.labeling.explicit.text import Position, add_text_label, validate_wording

_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


# --------------------------------------------------------------------------------------------- text
def label_text_file(src: Path, dst: Path, wording: str, *, position: Position | str = Position.PREFIX,
                    markdown: bool | None = None) -> None:
    """Explicit label in a UTF-8 text or Markdown file; YAML front matter stays first."""
    try:
        text = src.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{src}: not UTF-8 text") from None
    if markdown is None:
        markdown = src.suffix.lower() in {".md", ".markdown", ".mdown", ".mkd"}
    match = _FRONT_MATTER_RE.match(text)
    head, body = (match.group(0), text[match.end():]) if match else ("", text)
    body = add_text_label(body, wording=wording, position=position, markdown=markdown)
    # newline="" semantics: write exactly what we built.
    dst.write_bytes((head + body).encode("utf-8"))


# ---------------------------------------------------------------------------------------------- PDF
def label_pdf_file(src: Path, dst: Path, wording: str, *, height_ratio: float = 0.03) -> None:
    import pikepdf
    from PIL import Image

    from hegui.labeling.explicit.image import draw_label

    wording = validate_wording(wording)
    try:
        pdf = pikepdf.open(src)
    except pikepdf.PasswordError:
        raise InputError(f"{src}: PDF is encrypted; cannot add a visible label") from None
    except (pikepdf.PdfError, OSError) as err:
        raise InputError(f"{src}: not a readable PDF ({err})") from None
    with pdf:
        if not len(pdf.pages):
            raise InputError(f"{src}: PDF has no pages")
        page = pdf.pages[0]
        llx, lly, urx, ury = (float(v) for v in page.mediabox)
        width_pt, height_pt = urx - llx, ury - lly
        # Render at 4 px per point for a crisp image; crop to the drawn box.
        scale = 4
        canvas = Image.new("RGBA", (int(width_pt * scale), int(height_pt * scale)), (0, 0, 0, 0))
        drawn = draw_label(canvas, wording, placement="top-left", height_ratio=max(0.05, height_ratio))
        label_img = canvas.crop(drawn.box)
        w_px, h_px = label_img.size
        rgb = label_img.convert("RGB").tobytes()
        alpha = label_img.getchannel("A").tobytes()
        smask = pikepdf.Stream(pdf, zlib.compress(alpha))
        smask.update({"/Type": pikepdf.Name.XObject, "/Subtype": pikepdf.Name.Image,
                      "/Width": w_px, "/Height": h_px, "/ColorSpace": pikepdf.Name.DeviceGray,
                      "/BitsPerComponent": 8, "/Filter": pikepdf.Name.FlateDecode})
        image = pikepdf.Stream(pdf, zlib.compress(rgb))
        image.update({"/Type": pikepdf.Name.XObject, "/Subtype": pikepdf.Name.Image,
                      "/Width": w_px, "/Height": h_px, "/ColorSpace": pikepdf.Name.DeviceRGB,
                      "/BitsPerComponent": 8, "/Filter": pikepdf.Name.FlateDecode, "/SMask": smask})
        name = page.add_resource(image, pikepdf.Name.XObject, prefix="HgAIGC")
        x0, y0 = llx + drawn.box[0] / scale, ury - drawn.box[3] / scale
        w_pt, h_pt = w_px / scale, h_px / scale
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        draw = f"\nQ\nq {w_pt:.3f} 0 0 {h_pt:.3f} {x0:.3f} {y0:.3f} cm {name} Do Q\n"
        page.contents_add(pikepdf.Stream(pdf, draw.encode("ascii")))
        try:
            pdf.save(dst)
        except (pikepdf.PdfError, OSError) as err:
            raise InputError(f"{dst}: cannot write PDF ({err})") from None


# --------------------------------------------------------------------------------------------- OOXML
def ooxml_kind(path: Path) -> str:
    """"docx", "pptx" or "xlsx" by the main part inside the zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError) as err:
        raise InputError(f"{path}: not a readable Office file ({err})") from None
    for part, kind in (("word/document.xml", "docx"), ("ppt/presentation.xml", "pptx"),
                       ("xl/workbook.xml", "xlsx")):
        if part in names:
            return kind
    raise InputError(f"{path}: zip file is not a DOCX, PPTX or XLSX document")


def _rewrite_zip(src: Path, dst: Path, part: str, edit: object) -> None:
    """Copy the zip, replacing ``part`` by ``edit(old_xml_text)``; other members unchanged."""
    assert callable(edit)
    try:
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                if info.filename == part:
                    data = edit(data.decode("utf-8")).encode("utf-8")
                zout.writestr(info, data, compress_type=info.compress_type)
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError, zlib.error) as err:
        raise InputError(f"{src}: damaged Office file ({err})") from None


def _docx_paragraph(wording: str) -> str:
    return ('<w:p><w:pPr><w:jc w:val="left"/></w:pPr><w:r><w:rPr><w:b/><w:color w:val="C00000"/>'
            f'</w:rPr><w:t xml:space="preserve">{escape(wording)}</w:t></w:r></w:p>')


def _insert_docx(xml: str, wording: str) -> str:
    match = re.search(r"<w:body(?:\s[^>]*)?>", xml)
    if match is None:
        raise LabelError("DOCX main document has no <w:body>")
    return xml[:match.end()] + _docx_paragraph(wording) + xml[match.end():]


def _pptx_textbox(wording: str) -> str:
    # 9144000 EMU = 10 in (a slide's usual width); 0.5 in tall box, 24 pt bold text at the top.
    return ('<p:sp><p:nvSpPr><p:cNvPr id="31415" name="AIGC label"/><p:cNvSpPr txBox="1"/><p:nvPr/>'
            '</p:nvSpPr><p:spPr><a:xfrm><a:off x="228600" y="76200"/><a:ext cx="6096000" cy="457200"/>'
            '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="000000">'
            '<a:alpha val="60000"/></a:srgbClr></a:solidFill></p:spPr><p:txBody><a:bodyPr wrap="none"/>'
            '<a:lstStyle/><a:p><a:r><a:rPr lang="zh-CN" sz="2400" b="1"><a:solidFill>'
            f'<a:srgbClr val="FFFFFF"/></a:solidFill></a:rPr><a:t>{escape(wording)}</a:t></a:r></a:p>'
            '</p:txBody></p:sp>')


def _insert_pptx(xml: str, wording: str) -> str:
    if 'xmlns:a="' not in xml:
        raise LabelError("PPTX slide lacks the DrawingML namespace")
    end = xml.rfind("</p:spTree>")
    if end < 0:
        raise LabelError("PPTX slide has no shape tree")
    return xml[:end] + _pptx_textbox(wording) + xml[end:]


def _first_slide(path: Path) -> str:
    """The part name of the first slide in presentation order."""
    with zipfile.ZipFile(path) as zf:
        pres = zf.read("ppt/presentation.xml").decode("utf-8")
        rels = zf.read("ppt/_rels/presentation.xml.rels").decode("utf-8")
    first = re.search(r"<p:sldId\b[^>]*\br:id=\"([^\"]+)\"", pres)
    if first is None:
        raise LabelError(f"{path}: presentation has no slides")
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        if f'Id="{first.group(1)}"' in tag:
            target = re.search(r'Target="([^"]+)"', tag)
            if target:
                return "ppt/" + target.group(1).lstrip("/").removeprefix("ppt/")
    raise LabelError(f"{path}: first slide not found in the presentation relationships")


def label_ooxml_file(src: Path, dst: Path, wording: str) -> str | None:
    """Explicit label in a DOCX or PPTX; returns None if done, or the reason it is not (XLSX)."""
    wording = validate_wording(wording)
    kind = ooxml_kind(src)
    if kind == "docx":
        _rewrite_zip(src, dst, "word/document.xml", lambda xml: _insert_docx(xml, wording))
        return None
    if kind == "pptx":
        try:
            slide = _first_slide(src)
        except (KeyError, UnicodeDecodeError, zipfile.BadZipFile) as err:
            raise InputError(f"{src}: damaged presentation ({err})") from None
        _rewrite_zip(src, dst, slide, lambda xml: _insert_pptx(xml, wording))
        return None
    return "XLSX gets no visible label (it would change the sheet's data); metadata only"


def document_text(path: Path) -> str | None:
    """Visible text of a DOCX (body) or PPTX (first slide) for explicit-label detection; None for
    XLSX or unreadable files."""
    try:
        kind = ooxml_kind(path)
        part = {"docx": "word/document.xml"}.get(kind) or (_first_slide(path) if kind == "pptx" else None)
        if part is None:
            return None
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(part)
            if info.file_size > 64 * 1024 * 1024:  # zip bomb guard
                return None
            xml = zf.read(info).decode("utf-8", errors="replace")
    except (InputError, LabelError, KeyError, zipfile.BadZipFile, OSError, zlib.error, RuntimeError):
        return None
    # Text runs (w:t / a:t) joined per paragraph; markup dropped.
    paragraphs = re.split(r"</(?:w|a):p>", xml)
    return "\n".join("".join(re.findall(r"<(?:w|a):t(?:\s[^>]*)?>([^<]*)</(?:w|a):t>", p))
                     for p in paragraphs)
