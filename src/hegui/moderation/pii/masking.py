"""Masking operators for findings: ``mask`` (type-aware partial masking), ``hash`` (stable salted
HMAC-SHA256 token), ``redact`` (type placeholder) and ``keep``.

Works on the ORIGINAL spans of the findings, replacing from the end so earlier spans stay valid.
Separators inside an identifier (spaces, dashes, ``·``, parentheses) are kept by ``mask`` so the
masked text still reads like the original (``138-****-5678``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping

from hegui.core.errors import ConfigError, InputError
from hegui.core.types import Finding

MASK_OPERATORS: tuple[str, ...] = ("mask", "hash", "redact", "keep")

# Significant characters kept visible by ``mask``: (head, tail). Types not listed keep one each side.
_KEEP: dict[str, tuple[int, int]] = {
    "cn_id": (6, 4),  # region code + last four, as on Chinese service receipts: 110105********1234
    "bank_card": (4, 4),
    "uscc": (2, 4),
    "passport": (1, 2),
    "hk_macao_permit": (1, 2),
    "taiwan_permit": (1, 2),
    "hk_id": (1, 1),
    "plate": (2, 1),  # province + issuing letter: 京A****5
}


def mask(
    text: str,
    findings: Iterable[Finding],
    operator: str | Mapping[str, str] = "mask",
    *,
    salt: bytes | str | None = None,
    mask_char: str = "*",
    digest_chars: int = 8,
) -> str:
    """Return ``text`` with every finding's span replaced according to ``operator``.

    ``operator`` is one of ``MASK_OPERATORS`` or a mapping from finding type (``meta["type"]``, else
    the detector name) to operator, with ``"*"`` as the default for unlisted types (``"mask"`` if
    absent). ``salt`` is required by ``hash``: the same identifier with the same salt always gives the
    same token, so records stay linkable without revealing the identifier. Overlapping findings are
    resolved by keeping the one that starts first (the longer one on a tie). A finding whose span does
    not lie in ``text`` or does not match its evidence raises ``InputError`` rather than masking the
    wrong characters.
    """
    operators = _operator_table(operator)
    key = _salt_key(salt) if "hash" in operators.values() else b""
    chosen = _non_overlapping(text, findings)
    # Build the result from pieces in one pass: rebuilding the string per finding is quadratic.
    pieces: list[str] = []
    cursor = 0
    for finding, (start, end) in chosen:
        kind = _type_of(finding)
        op = operators.get(kind, operators["*"])
        piece = text[start:end]
        if op == "mask":
            # Part of an identifier (a stream released only some of it): which characters the
            # type-aware rule would show is unknown, so hide them all.
            partial = finding.detector == "pii" and bool(finding.evidence) and piece != finding.evidence
            replacement = _mask_piece("" if partial else kind, piece, mask_char)
        elif op == "hash":
            digest = hmac.new(key, _canonical(kind, piece).encode("utf-8"), hashlib.sha256).hexdigest()
            replacement = f"<{kind}:{digest[:digest_chars]}>"
        elif op == "redact":
            replacement = f"<{kind}>"
        else:
            continue
        pieces.append(text[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _operator_table(operator: str | Mapping[str, str]) -> dict[str, str]:
    table = {"*": operator} if isinstance(operator, str) else {"*": "mask", **operator}
    bad = sorted({op for op in table.values() if op not in MASK_OPERATORS})
    if bad:
        raise ConfigError(f"unknown masking operator(s) {', '.join(map(repr, bad))}; "
                          f"use one of {', '.join(MASK_OPERATORS)}")
    return table


def _salt_key(salt: bytes | str | None) -> bytes:
    key = salt.encode("utf-8") if isinstance(salt, str) else salt
    if not key:
        raise ConfigError("the 'hash' masking operator needs a non-empty salt: without one, anyone can "
                          "hash every possible phone or ID number and reverse the tokens")
    return key


def _type_of(finding: Finding) -> str:
    kind = finding.meta.get("type") if finding.meta else None
    return str(kind) if kind else finding.detector


def _non_overlapping(text: str, findings: Iterable[Finding]) -> list[tuple[Finding, tuple[int, int]]]:
    spanned: list[tuple[Finding, tuple[int, int]]] = []
    for f in findings:
        if f.span is None:
            continue  # a finding about the whole text has nothing to mask
        start, end = f.span
        if not 0 <= start < end <= len(text):
            raise InputError(f"finding span {f.span} lies outside the text (length {len(text)})")
        # A PII finding's evidence is its span's text (or contains it, once a stream clipped the span),
        # so a mismatch means the findings belong to another text: refuse rather than mask the wrong
        # characters. Other detectors may report a normalised term as evidence, so only spans count.
        if f.detector == "pii" and f.evidence and text[start:end] not in f.evidence:
            raise InputError(f"finding span {f.span} does not match its evidence {f.evidence!r}; "
                             "were the findings computed on a different text?")
        spanned.append((f, (start, end)))
    spanned.sort(key=lambda item: (item[1][0], -item[1][1]))
    chosen: list[tuple[Finding, tuple[int, int]]] = []
    for item in spanned:
        if not chosen or item[1][0] >= chosen[-1][1][1]:
            chosen.append(item)
    return chosen


def _mask_piece(kind: str, piece: str, mask_char: str) -> str:
    if kind == "email" and "@" in piece:
        local, _, domain = piece.rpartition("@")
        return f"{local[:1]}{mask_char * 3}@{domain}"
    if kind in ("ipv4", "ipv6"):
        sep = "." if kind == "ipv4" else ":"
        groups = piece.split(sep)
        return sep.join(g if i < 2 or not g else mask_char for i, g in enumerate(groups))
    significant = sum(ch.isalnum() for ch in piece)
    if kind == "mobile":
        head, tail = max(0, significant - 8), 4  # country prefix + first three digits: +86 138****5678
    elif kind == "landline":
        head, tail = _landline_head(piece), 4
    elif not kind:
        head, tail = 0, 0
    else:
        head, tail = _KEEP.get(kind, (1, 1))
    if head + tail >= significant:
        head, tail = min(head, 1), 0
    out: list[str] = []
    seen = 0
    for ch in piece:
        if ch.isalnum():
            out.append(ch if seen < head or seen >= significant - tail else mask_char)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def _landline_head(piece: str) -> int:
    """Digits up to the end of the area code (country prefix included): 010-, 0755-, +86 10 …"""
    digits = "".join(ch for ch in piece if ch.isdigit())
    prefix = 4 if digits.startswith("0086") else 2 if piece.lstrip("( ").startswith("+86") else 0
    national = digits[prefix:]
    if national.startswith("0"):
        return prefix + (3 if national[1:2] in ("1", "2") else 4)
    return prefix + (2 if national[:1] in ("1", "2") else 3)


def _canonical(kind: str, piece: str) -> str:
    """The identifier without its formatting, so 138-1234-5678 and +86 13812345678 hash alike."""
    if kind == "email":
        return piece.casefold()
    if kind in ("ipv4", "ipv6"):
        try:
            return str(ipaddress.ip_address(piece))
        except ValueError:
            return piece
    significant = "".join(ch for ch in piece if ch.isalnum()).upper()
    if kind == "mobile":
        return significant[-11:]
    if kind == "landline" and (not significant.startswith("0") or significant.startswith("0086")):
        # +86 10 6234 5678 and 0086 10 … are 010-62345678 dialled from abroad
        return "0" + significant.removeprefix("0086").removeprefix("86").removeprefix("0")
    return significant
