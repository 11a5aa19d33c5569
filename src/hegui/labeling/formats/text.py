"""Markdown and plain text: the label is a front-matter key ``AIGC: {…}`` (a YAML front matter
block ``---`` … ``---`` at the start of the file). The value is the inner JSON object — JSON is valid
YAML, so front-matter readers see ``AIGC`` as the Annex E mapping.

Other front-matter keys, the line endings, a UTF-8 BOM and the body are kept byte-identical. Text
has no universal metadata carrier (REGULATIONS.md §5.3): the explicit label matters more here.

Sniffing is the weakest of all formats (valid UTF-8, no NUL), so this labeler only claims a file
that no other registered labeler claims.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from hegui.core.errors import InputError, LabelError
from hegui.core.label import ContentLabel
from hegui.labeling.base import Carrier, Labeler, LabelReading, labelers, register_labeler

_BOM = "\ufeff"
_OPEN = re.compile(r"---[ \t]*(\r?\n)")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)
_KEY_LINE = re.compile(r"AIGC[ \t]*:")
_MAX_TEXT = 256 << 20


@dataclass(frozen=True, slots=True)
class _Document:
    bom: str
    opening: str | None   # the opening '---' line as written, None without front matter
    lines: list[str]      # front-matter lines (with their line endings)
    closing: str          # the closing line as written
    body: str
    newline: str


def _decode(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > _MAX_TEXT:
            raise InputError(f"{path}: text file is too large to label ({size} bytes)")
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror or err})") from None
    if b"\x00" in data:
        raise InputError(f"{path}: contains NUL bytes — not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not valid UTF-8 text (byte {err.start}); "
                         "convert it to UTF-8 before labeling") from None


def _parse(text: str) -> _Document:
    bom = _BOM if text.startswith(_BOM) else ""
    rest = text[len(bom):]
    opening = _OPEN.match(rest)
    if opening:
        close = _CLOSE.search(rest, opening.end())
        if close:
            return _Document(bom, rest[:opening.end()], rest[opening.end():close.start()].splitlines(True),
                             close.group(0), rest[close.end():], opening.group(1))
    first_lf = rest.find("\n")
    newline = "\r\n" if first_lf > 0 and rest[first_lf - 1] == "\r" else "\n"
    return _Document(bom, None, [], "", rest, newline)


def _key_segments(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) line ranges of every top-level ``AIGC:`` key, with its indented continuation."""
    segments: list[tuple[int, int]] = []
    n = 0
    while n < len(lines):
        if _KEY_LINE.match(lines[n]):
            end = n + 1
            while end < len(lines) and lines[end][:1] in (" ", "\t"):
                end += 1
            segments.append((n, end))
            n = end
        else:
            n += 1
    return segments


def _carrier(segment: str) -> Carrier:
    """Read one ``AIGC:`` key: JSON on the line (what we write), else any YAML form of the mapping."""
    value = segment.split(":", 1)[1].strip()
    try:
        return Carrier("front-matter", ContentLabel.from_json(value), value)
    except LabelError as json_err:
        import yaml

        try:
            loaded = yaml.safe_load(segment)
        except yaml.YAMLError:
            return Carrier("front-matter", None, value, json_err.message)
        obj = loaded.get("AIGC") if isinstance(loaded, dict) else None
        try:
            label = ContentLabel.from_json(obj) if isinstance(obj, str) else ContentLabel.from_obj(obj)
        except LabelError as err:
            return Carrier("front-matter", None, value, err.message)
        return Carrier("front-matter", label, value)


@register_labeler
class TextLabeler(Labeler):
    name: ClassVar[str] = "text"
    media: ClassVar[str] = "text"
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown", ".txt")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> bool:
        if not head or b"\x00" in head:
            return False
        try:  # the head may end inside a multi-byte character: decode incrementally
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        except UnicodeDecodeError:
            return False
        # Last in priority: any other format that recognises the bytes wins.
        return not any(other.sniff(head, path) for other in labelers() if other.name != cls.name)

    def embed(self, src: Path, dst: Path, label: ContentLabel) -> None:
        doc = _parse(_decode(src))
        ours = f"AIGC: {label.inner_json()}{doc.newline}"
        lines = list(doc.lines)
        segments = _key_segments(lines)
        if segments:  # replace the first in place (keeps key order), drop any others
            first = segments[0][0]
            for start, end in reversed(segments):
                del lines[start:end]
            lines.insert(first, ours)
        else:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += doc.newline
            lines.append(ours)
        opening = doc.opening if doc.opening is not None else "---" + doc.newline
        closing = doc.closing if doc.opening is not None else "---" + doc.newline
        out = doc.bom + opening + "".join(lines) + closing + doc.body
        try:
            dst.write_bytes(out.encode("utf-8"))
        except OSError as err:
            raise InputError(f"{dst}: cannot write ({err.strerror or err})") from None

    def extract(self, path: Path) -> LabelReading:
        reading = LabelReading(format=self.name)
        doc = _parse(_decode(path))
        for start, end in _key_segments(doc.lines):
            reading.carriers.append(_carrier("".join(doc.lines[start:end])))
        return reading

    def content_digest(self, path: Path) -> bytes:
        """SHA-256 of the body: the text without BOM and front matter."""
        return hashlib.sha256(_parse(_decode(path)).body.encode("utf-8")).digest()
