"""Explicit (perceivable) labels for text: a prompt at the start and/or end of the content.

Wording rule (REGULATIONS.md §5.1): it must contain an AI element ("人工智能" or "AI") AND a
generation element ("生成" and/or "合成"); bare "AI" is not enough.

English wording: GB 45438 names the generation element in Chinese only, so an English-only phrase such
as "AI-generated content" does NOT meet the letter of the rule. Our English template is therefore
bilingual — "AI生成 | AI-generated content" — it reads in English and still passes the validator. The
validator stays strict on purpose: it checks the rule as written, not a translation of it.
"""

from __future__ import annotations

import enum
import re

from hegui.core.errors import LabelError

AI_ELEMENTS: tuple[str, ...] = ("人工智能", "AI")
GENERATION_ELEMENTS: tuple[str, ...] = ("生成", "合成")

TEMPLATES: dict[str, str] = {
    "zh": "本内容由人工智能生成",
    "en": "AI生成 | AI-generated content",
}
# What a distributing platform shows for each Label value (Measures Art. 6).
PLATFORM_WORDING: dict[str, str] = {
    "1": "AI生成",
    "2": "可能为AI生成",
    "3": "疑似AI生成",
}
# Short wording drawn on images and video frames, where space is scarce.
SHORT_WORDING = "AI生成"

# "AI" counts only as a word of its own in Latin text (not inside "MAIL" or "AIM"); CJK around it is fine.
_AI_RE = re.compile(r"人工智能|(?<![A-Za-z])AI(?![A-Za-z])")
_GEN_RE = re.compile(r"生成|合成")
# A label-like phrase: the two elements close together, in either order (≤ 12 characters apart).
# The gap may not cross a sentence end; the tail stops at punctuation or a closing bracket.
_AI = r"(?:人工智能|(?<![A-Za-z])AI(?![A-Za-z]))"
_GAP = r"[^\n。.!！?？;；]{0,12}?"
_LABEL_RE = re.compile(
    rf"{_AI}{_GAP}(?:生成|合成)[^\s。.!！?？;；|,，、】」』）)\]]{{0,6}}"
    rf"|(?:生成|合成){_GAP}{_AI}"
)


class Position(enum.StrEnum):
    PREFIX = "prefix"
    SUFFIX = "suffix"
    BOTH = "both"


def wording_problem(wording: str) -> str | None:
    """Why ``wording`` is not an acceptable explicit label, or None if it is."""
    text = wording.strip()
    if not text:
        return "explicit label wording is empty"
    missing = []
    if not _AI_RE.search(text):
        missing.append("an AI element ('人工智能' or 'AI')")
    if not _GEN_RE.search(text):
        missing.append("a generation element ('生成' or '合成')")
    if missing:
        return f"explicit label wording {wording!r} lacks " + " and ".join(missing)
    return None


def validate_wording(wording: str) -> str:
    problem = wording_problem(wording)
    if problem:
        raise LabelError(problem)
    return wording.strip()


def resolve_wording(wording: str | None = None, language: str = "zh") -> str:
    """The wording to use: an explicit one (validated) or the template for ``language``."""
    if wording is not None:
        return validate_wording(wording)
    try:
        return TEMPLATES[language]
    except KeyError:
        raise LabelError(f"no explicit-label template for language {language!r}; "
                         f"known: {', '.join(sorted(TEMPLATES))}") from None


def _line(wording: str, markdown: bool) -> str:
    # Markdown: a blockquote note renders as a visible call-out at the top of the document.
    return f"> **{wording}**" if markdown else f"【{wording}】"


def add_text_label(text: str, *, wording: str | None = None, language: str = "zh",
                   position: Position | str = Position.PREFIX, markdown: bool = False) -> str:
    """``text`` with the explicit label added at the start, end or both. Idempotent per position: a
    label line we already added there is not added twice."""
    label = resolve_wording(wording, language)
    pos = Position(position)
    line = _line(label, markdown)
    out = text
    if pos in (Position.PREFIX, Position.BOTH) and not out.startswith(line):
        out = f"{line}\n\n{out}" if out else line + "\n"
    if pos in (Position.SUFFIX, Position.BOTH) and not out.rstrip("\n").endswith(line):
        sep = "" if not out or out.endswith("\n\n") else ("\n" if out.endswith("\n") else "\n\n")
        out = f"{out}{sep}{line}\n"
    return out


def detect_text_label(text: str) -> str | None:
    """The first explicit-label wording found in ``text`` (both elements, close together), or None.

    Used on the platform side: a detected label is a trace of AI generation (Label 3 "suspected")."""
    for match in _LABEL_RE.finditer(text):
        phrase = match.group(0).strip()
        if wording_problem(phrase) is None:
            return phrase
    return None
