"""PDF: the label is the document Info dictionary key ``/AIGC`` (full JSON) and the TC260 ``AIGC``
property in the document's XMP metadata stream (inner JSON), so exiftool and XMP readers see it too.

pikepdf (MPL-2.0, qpdf) rewrites the file without decoding or recompressing any stream: page content
streams, images and fonts keep their exact stored bytes. Encrypted PDFs are refused — saving them
would need the owner's password to re-encrypt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from hegui.core.errors import HeguiError, InputError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Carrier, Labeler, LabelReading, register_labeler
from hegui.labeling.xmp import merge_into_xmp, read_xmp_carriers

if TYPE_CHECKING:
    import pikepdf

_KEY = "/AIGC"


def _open(path: Path) -> pikepdf.Pdf:
    """Open with pikepdf (imported lazily: it is heavy). Any parse failure → one InputError."""
    import pikepdf

    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise InputError(f"{path}: PDF is encrypted with a password; decrypt it before labeling") from None
    except (pikepdf.PdfError, ValueError, RuntimeError, OverflowError, RecursionError) as err:
        raise InputError(f"{path}: not a readable PDF ({_first_line(err)})") from None
    return pdf


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__


@contextmanager
def _guard(path: Path, what: str) -> Iterator[None]:
    """Wrap pikepdf work on an open file: corrupt objects only surface when touched, as PdfError
    (or a Python error from a malformed object); either becomes one InputError."""
    import pikepdf

    try:
        yield
    except HeguiError:
        raise
    except (pikepdf.PdfError, pikepdf.ForeignObjectError, ValueError, RuntimeError, TypeError,
            AttributeError, KeyError, IndexError, OverflowError, RecursionError) as err:
        raise InputError(f"{path}: corrupt PDF while {what} ({_first_line(err)})") from None


def _metadata_bytes(pdf: pikepdf.Pdf) -> bytes | None:
    import pikepdf

    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return None
    return bytes(stream.read_bytes())


@register_labeler
class PdfLabeler(Labeler):
    name: ClassVar[str] = "pdf"
    media: ClassVar[str] = "document"
    extensions: ClassVar[tuple[str, ...]] = (".pdf",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        # The header may follow a little junk (PDF readers accept it within the first 1 KB).
        return b"%PDF-" in head

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        import pikepdf

        with _open(src) as pdf, _guard(src, "labeling"):
            if pdf.is_encrypted:
                raise LabelError(f"{src}: PDF is encrypted; hegui does not re-encrypt documents, "
                                 "so it will not label one (decrypt it first)")
            pdf.docinfo[pikepdf.Name(_KEY)] = pikepdf.String(label.to_json())
            packet = merge_into_xmp(_metadata_bytes(pdf), label)
            # XMP stays uncompressed so that tools scanning for packets find it.
            pdf.Root[pikepdf.Name.Metadata] = pikepdf.Stream(
                pdf, packet, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
            try:
                pdf.save(dst, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                         compress_streams=False, recompress_flate=False,
                         object_stream_mode=pikepdf.ObjectStreamMode.preserve)
            except OSError as err:
                raise InputError(f"{dst}: cannot write ({err.strerror or err})") from None

    def extract(self, path: Path) -> LabelReading:
        import pikepdf

        reading = LabelReading(format=self.name)
        with _open(path) as pdf, _guard(path, "reading labels"):
            info = pdf.trailer.get("/Info")
            value = info.get(_KEY) if isinstance(info, pikepdf.Dictionary) else None
            if value is not None:
                raw = str(value) if isinstance(value, pikepdf.String) else repr(value)
                try:
                    reading.carriers.append(Carrier("pdf-info", ContentLabel.from_json(raw), raw))
                except LabelError as err:
                    reading.carriers.append(Carrier("pdf-info", None, raw, err.message))
            packet = _metadata_bytes(pdf)
            if packet is not None:
                reading.carriers.extend(read_xmp_carriers(packet, "xmp"))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """SHA-256 of every page's decoded content stream(s), in page order."""
        digest = hashlib.sha256()
        with _open(path) as pdf, _guard(path, "hashing page content"):
            for number, page in enumerate(pdf.pages):
                digest.update(f"\x00page {number}\x00".encode())
                digest.update(_page_content(page))
        return digest.digest()


def _page_content(page: pikepdf.Page) -> bytes:
    import pikepdf

    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return b"\n".join(bytes(s.read_bytes()) for s in streams if isinstance(s, pikepdf.Stream))
