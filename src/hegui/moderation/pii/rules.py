"""One rule per way a personal identifier is written: a compiled regex that finds candidates and a
check that validates a candidate (checksum, date, prefix) and scores it, or rejects it.

Rules run on the text with full-width ASCII folded to half-width character by character, so every
match position is also a position in the original text. Boundaries are explicit lookarounds: an
identifier glued to further digits or Latin letters is a fragment of something else, not an ID.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hegui.core.ids import is_valid_uscc
from hegui.moderation.pii import validators as v

# Scores: what fraction of validated matches we expect to really be that identifier.
CHECKSUM = 0.95  # checksum + structure (1 in 10–31 random strings would pass the checksum alone)
STRUCTURED = 0.9  # no checksum, but a format random text rarely has (mobile, e-mail)
PLAUSIBLE = 0.75  # format plus plausibility checks (plates, IPs, separated landlines)
WEAK = 0.6  # a bare letter + digits format; raised to CUED when a cue word precedes it
CUED = 0.9

_NB = r"(?<![0-9A-Za-z])"  # not glued to a preceding digit or Latin letter
_NA = r"(?![0-9A-Za-z])"  # … nor to a following one

Check = Callable[[re.Match[str], str], float | None]


@dataclass(frozen=True, slots=True)
class Rule:
    type: str
    pattern: re.Pattern[str]
    check: Check  # (match, folded text) -> score, or None when the candidate is not valid
    # Where the rule runs: "text" = over the whole text; otherwise only inside identifier spans that
    # pass this pre-check ("digits": enough digits, "at": an "@", "dot": a ".", "colon": a ":").
    gate: str
    explanation: str
    min_digits: int = 0  # span rules are skipped for spans with fewer digits than the identifier has
    needs_letter: bool = False  # … or without any Latin letter when the identifier starts with one


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


CUE_WINDOW = 16  # a cue word counts when it ends within this many characters before the identifier
CUE_WORDS: set[str] = set()  # every cue word of every rule, case-folded


def _cue(words: str) -> Callable[[str, int], bool]:
    """A check for any of the "|"-separated literal ``words`` (case-insensitive) shortly before."""
    cues = re.compile("|".join(map(re.escape, words.split("|"))), re.IGNORECASE)
    CUE_WORDS.update(w.casefold() for w in words.split("|"))

    def has_cue(text: str, start: int) -> bool:
        return cues.search(text, max(0, start - CUE_WINDOW), start) is not None

    return has_cue


_ID_CUE = _cue("身份证|证件|公民身份|ID")
_PHONE_CUE = _cue("电话|座机|固话|致电|拨打|热线|手机|tel|phone|fax|传真")
_PASSPORT_CUE = _cue("护照|passport")
_HKMO_CUE = _cue("通行证|港澳|permit")
_TW_CUE = _cue("台胞证|台湾通行证|台湾居民来往大陆通行证|往来台湾通行证|赴台")
_TW_RESIDENT_CUE = _cue("台胞证|台湾居民来往大陆通行证")


def _check_cn_id18(m: re.Match[str], text: str) -> float | None:
    return CHECKSUM if v.is_valid_cn_id(m.group().replace(" ", "")) else None


def _check_cn_id15(m: re.Match[str], text: str) -> float | None:
    # No check digit, and 15-digit numbers (IMEIs, order numbers) are common: trust a cue word.
    if not v.is_valid_cn_id(m.group()):
        return None
    return CUED if _ID_CUE(text, m.start()) else WEAK


def _check_mobile(m: re.Match[str], text: str) -> float | None:
    return STRUCTURED


def _check_landline(m: re.Match[str], text: str) -> float | None:
    area = m.group("a1") or m.group("a2") or m.group("a3") or "0" + m.group("a4")
    # Three-digit area codes (010, 02x) go with 8-digit local numbers; four-digit ones with 7 or 8.
    if len(area) == 3 and len(_digits(m.group("local"))) != 8:
        return None
    if _PHONE_CUE(text, m.start()):
        return STRUCTURED
    # An unseparated 0-led 11/12-digit run could as well be an order or account number.
    separated = m.group("a3") is None or bool(m.group("sep"))  # (010), （010）, +86 10 … all count
    return PLAUSIBLE if separated else WEAK


def _check_bank_card(m: re.Match[str], text: str) -> float | None:
    return CHECKSUM if v.is_valid_bank_card(_digits(m.group())) else None


_EMAIL_BAD_LOCAL = re.compile(r"\.\.|\.$")


def _check_email(m: re.Match[str], text: str) -> float | None:
    local = m.group("local")
    return None if _EMAIL_BAD_LOCAL.search(local) or len(m.group()) > 254 else STRUCTURED


_USCC_AUTHORITIES = frozenset("123456789ANY")  # registration-authority codes of GB 32100
_USCC_CATEGORIES = frozenset("123459")  # the category codes those authorities use


def _check_uscc(m: re.Match[str], text: str) -> float | None:
    code = m.group()
    if (code[0] not in _USCC_AUTHORITIES or code[1] not in _USCC_CATEGORIES
            or int(code[2:4]) not in v.CN_PROVINCE_CODES | {10} or not is_valid_uscc(code)):
        return None
    # Characters 9–17 are the organisation code with its own GB 11714 check character: an 18-digit
    # order number passes the outer checksum 1 time in 31, both checks 1 time in ~340.
    return STRUCTURED if v.is_valid_org_code(code[8:17]) else WEAK


def _weak_with(cue: Callable[[str, int], bool], required: bool = False) -> Check:
    def check(m: re.Match[str], text: str) -> float | None:
        if cue(text, m.start()):
            return CUED
        return None if required else WEAK

    return check


def _check_hk_id(m: re.Match[str], text: str) -> float | None:
    check = m.group("c1") or m.group("c2")
    if not v.is_valid_hk_id(m.group("letters"), m.group("digits"), check):
        return None
    return STRUCTURED if m.group("c1") else WEAK  # "A123456(3)" is how HKIDs are written


PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_NEV_BODY = re.compile(r"[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]")  # new-energy plates


def _check_plate(m: re.Match[str], text: str) -> float | None:
    body = m.group("body")
    if len(body) == 6:
        return PLAUSIBLE if _NEV_BODY.fullmatch(body) else None
    letters = sum(c.isalpha() for c in body if c.isascii())
    # Ordinary plates carry at most two letters among their five characters.
    return PLAUSIBLE if letters <= 2 else None


def _not_a_network(m: re.Match[str], text: str) -> bool:
    # "10.0.0.0/8" names a network, not a host someone used: CIDR notation is documentation.
    return not (text[m.end():m.end() + 1] == "/" and text[m.end() + 1:m.end() + 2].isdigit())


_VERSION_CUE = _cue("版本|version|ver.|build|固件|firmware")


def _check_ipv4(m: re.Match[str], text: str) -> float | None:
    if _VERSION_CUE(text, m.start()):
        return None  # "版本 2.1.0.3" is a version number that happens to look like an address
    kind = v.ip_kind(m.group()) if _not_a_network(m, text) else None
    # A public address can identify a subscriber; a private or reserved one identifies a device at most.
    return None if kind is None else PLAUSIBLE if kind == "global" else WEAK


def _check_ipv6(m: re.Match[str], text: str) -> float | None:
    kind = v.ip_kind(m.group()) if _not_a_network(m, text) else None
    return None if kind is None else PLAUSIBLE if kind == "global" else WEAK


_L = "A-HJ-NP-Z"  # plate and passport letters: no I or O
_USCC_CHAR = "0-9A-HJ-NPQRTUWXY"

RULES: tuple[Rule, ...] = (
    Rule("cn_id", re.compile(_NB + r"[1-8][0-9]{5}( ?)[0-9]{8}\1[0-9]{3}[0-9Xx]" + _NA), _check_cn_id18,
         "digits", "18-digit resident ID number: region, birth date and check digit valid", 17),
    Rule("cn_id", re.compile(_NB + r"[1-8][0-9]{14}" + _NA), _check_cn_id15,
         "digits", "15-digit legacy resident ID number: region and birth date valid", 15),
    Rule("bank_card", re.compile(_NB + r"[0-9]{16,19}" + _NA), _check_bank_card,
         "digits", "bank card number: issuer prefix and Luhn check digit valid", 16),
    Rule("bank_card",
         re.compile(_NB + r"(?<![0-9][ -])[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?:\1[0-9]{1,3})?"
                    + _NA + r"(?![ -][0-9])"),
         _check_bank_card, "digits", "bank card number in groups of four: issuer prefix and Luhn valid", 16),
    Rule("mobile",
         re.compile(r"(?<![0-9A-Za-z+])(?:(?:\+86|0086|86|\(\+?86\))[ -]?)?"
                    r"1[3-9][0-9]([ -]?)[0-9]{4}\1[0-9]{4}" + _NA),
         _check_mobile, "digits", "mainland mobile number (1[3-9]x, 11 digits)", 11),
    Rule("landline",
         re.compile(r"(?<![0-9A-Za-z+])(?:\((?P<a1>010|02[0-9]|0[3-9][0-9]{2})\)"
                    r"|（(?P<a2>010|02[0-9]|0[3-9][0-9]{2})）"
                    r"|(?P<a3>010|02[0-9]|0[3-9][0-9]{2})(?P<sep>[ -]?)"
                    # international form drops the trunk 0: +86 10 6234 5678, 0086-755-2345678
                    r"|(?:\+86|0086)[ -]?(?:\(0\))?(?P<a4>10|2[0-9]|[3-9][0-9]{2})[ -]?) ?"
                    r"(?P<local>[2-9][0-9]{2,3}[ -]?[0-9]{4})" + _NA),
         _check_landline, "digits", "landline number: area code and local number length valid", 10),
    Rule("email",
         re.compile(r"(?<![A-Za-z0-9._%+-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+-]{0,63})@"
                    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"),
         _check_email, "at", "e-mail address"),
    Rule("uscc", re.compile(_NB + f"[{_USCC_CHAR}]{{2}}[0-9]{{6}}[{_USCC_CHAR}]{{10}}" + _NA), _check_uscc,
         "digits", "unified social credit code: check characters valid", 6),
    Rule("passport", re.compile(_NB + f"(?:[EG][0-9]{{8}}|E[{_L}][0-9]{{7}})" + _NA),
         _weak_with(_PASSPORT_CUE), "digits", "PRC passport number format (E/G + 8 digits, E + letter + 7)",
         7, needs_letter=True),
    Rule("hk_macao_permit", re.compile(_NB + r"[CW][0-9]{8}" + _NA), _weak_with(_HKMO_CUE),
         "digits", "Exit-Entry Permit for Travelling to and from Hong Kong and Macao (C/W + 8 digits)",
         8, needs_letter=True),
    Rule("taiwan_permit", re.compile(_NB + r"L[0-9]{8}" + _NA), _weak_with(_TW_CUE),
         "digits", "mainland residents' permit for travelling to Taiwan (L + 8 digits)",
         8, needs_letter=True),
    Rule("taiwan_permit", re.compile(_NB + r"[0-9]{8}(?:[0-9]{2})?" + _NA),
         _weak_with(_TW_RESIDENT_CUE, required=True),
         "digits", "Taiwan residents' mainland travel permit number after a 台胞证 cue", 8),
    Rule("hk_id",
         re.compile(_NB + r"(?P<letters>[A-Z]{1,2})(?P<digits>[0-9]{6})(?:\((?P<c1>[0-9A])\)|(?P<c2>[0-9A])"
                    + _NA + ")"),
         _check_hk_id, "digits", "Hong Kong identity card number: check character valid",
         6, needs_letter=True),
    Rule("plate",
         re.compile(f"[{PLATE_PROVINCES}][{_L}][·•・ -]?(?P<body>[{_L}0-9]{{5,6}}|[{_L}0-9]{{4}}[挂学警港澳])"
                    + _NA),
         _check_plate, "text", "vehicle licence plate (province, issuing letter, 5 or 6 characters)"),
    Rule("ipv4", re.compile(r"(?<![0-9A-Za-z.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9A-Za-z]|\.[0-9])"),
         _check_ipv4, "dot", "IPv4 address", 4),
    Rule("ipv6",
         re.compile(r"(?<![0-9A-Za-z:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{3,39}"
                    r"(?![0-9A-Za-z:.])"),
         _check_ipv6, "colon", "IPv6 address"),
)

PII_TYPES: tuple[str, ...] = tuple(dict.fromkeys(rule.type for rule in RULES))

# Any cue word of any rule: a stream must not release one while an identifier may still follow it,
# nor the start of one ("护" of 护照) that the next chunk may complete.
ANY_CUE = re.compile("|".join(map(re.escape, sorted(CUE_WORDS))), re.IGNORECASE)
CUE_PREFIXES = frozenset(w[:k] for w in CUE_WORDS for k in range(1, len(w)))
LONGEST_CUE = max(map(len, CUE_WORDS))
