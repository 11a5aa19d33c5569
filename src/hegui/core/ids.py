"""Validators for identifiers the rules name: unified social credit codes (统一社会信用代码, GB 32100)
and the 27-character AIGC provider code of TC260-PG-20252A. Shared by PII detection and labeling."""

from __future__ import annotations

import re

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(f"[{USCC_ALPHABET}]{{18}}")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for an 18-character unified social credit code whose check character is right."""
    if not _USCC_RE.fullmatch(code):
        return False
    return uscc_check_char(code[:17]) == code[17]


# 00 + 20-character subject code + 5-character service extension.
_PROVIDER_RE = re.compile(r"00(?P<subject>[0-9A-Z]{20})(?P<ext>00000|[12][0-9A-Z]{4})")


def provider_code_problem(code: str) -> str | None:
    """Why ``code`` is not a well-formed 27-character provider code, or None if it is.

    Organisations use subject code ``1`` + ``1`` + their 18-character USCC, whose checksum we verify.
    """
    if len(code) != 27:
        return f"provider code must be 27 characters, got {len(code)}"
    m = _PROVIDER_RE.fullmatch(code)
    if m is None:
        return ("provider code must be '00' + 20-character subject code + 5-character extension "
                "('00000', or '1'/'2' followed by 4 characters), upper-case letters and digits only")
    subject = m.group("subject")
    if subject.startswith("11") and not is_valid_uscc(subject[2:]):
        return f"provider code's unified social credit code {subject[2:]} fails its checksum"
    return None
