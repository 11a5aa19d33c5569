"""Checksum, date and plausibility checks that turn a regex candidate into a validated identifier.

Pure functions on plain strings (separators already removed), so tests and other layers
(e.g. governance's corpus scanner) can reuse them without the detector.
"""

from __future__ import annotations

import datetime as _dt
import functools
import ipaddress

# GB/T 2260 province-level codes: the first two digits of a resident ID. 71 = Taiwan, 81/82 = Hong
# Kong / Macao, 83 = residence permits issued to Taiwan residents (same 18-digit scheme).
CN_PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def cn_id_check_char(first17: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits of a resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _plausible_birth_date(yyyymmdd: str, today: _dt.date | None = None) -> bool:
    try:
        born = _dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= (today or _dt.date.today())


def is_valid_cn_id(number: str, today: _dt.date | None = None) -> bool:
    """True for an 18-digit resident ID with a known province code, a real past birth date (≥ 1900)
    and the right check character (``X`` or ``x``); or a 15-digit legacy ID (no check digit) with a
    known province code and a real 19YYMMDD birth date."""
    if len(number) == 18:
        if not (number[:17].isascii() and number[:17].isdigit()):
            return False
        return (
            int(number[:2]) in CN_PROVINCE_CODES
            and _plausible_birth_date(number[6:14], today)
            and cn_id_check_char(number[:17]) == number[17].upper()
        )
    if len(number) == 15:
        return (
            number.isascii() and number.isdigit()
            and int(number[:2]) in CN_PROVINCE_CODES
            and _plausible_birth_date("19" + number[6:12], today)
        )
    return False


_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def is_valid_org_code(code: str) -> bool:
    """GB 11714 organisation code (8 characters + check character), the middle of a USCC."""
    if len(code) != 9 or not code[:8].isalnum() or not code.isascii():
        return False
    total = sum(int(c, 36) * w for c, w in zip(code[:8].upper(), _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return code[8].upper() == {10: "X", 11: "0"}.get(check, str(check))


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check over a string of ASCII digits, check digit last."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Issuer prefixes of cards issued or accepted in China: 62 UnionPay, 4 Visa, 51–55 and 2221–2720
# Mastercard, 35 JCB, 60/65 Discover, 9558 (old ICBC debit). Anything else is more likely an order or
# tracking number that happens to pass Luhn (1 in 10 random numbers do).
def plausible_card_iin(digits: str) -> bool:
    if digits[:2] == "62" or digits[0] == "4" or digits[:2] in ("35", "60", "65"):
        return True
    if "51" <= digits[:2] <= "55":
        return True
    return "2221" <= digits[:4] <= "2720" or digits[:4] == "9558"


def is_valid_bank_card(digits: str) -> bool:
    return 16 <= len(digits) <= 19 and digits.isascii() and digits.isdigit() \
        and plausible_card_iin(digits) and luhn_ok(digits)


def _hk_char_value(ch: str) -> int:
    return ord(ch) - 55 if ch.isalpha() else int(ch)  # A=10 … Z=35


def is_valid_hk_id(letters: str, digits: str, check: str) -> bool:
    """Hong Kong identity card: 1–2 letters, 6 digits, check character (0–9 or A) mod 11."""
    values = [_hk_char_value(c) for c in letters.upper()]
    if len(values) == 1:
        values.insert(0, 36)  # a one-letter prefix counts as a leading space worth 36
    total = sum(v * w for v, w in zip(values + [int(d) for d in digits], range(9, 1, -1), strict=True))
    expected = (11 - total % 11) % 11
    return check.upper() == ("A" if expected == 10 else str(expected))


@functools.lru_cache(maxsize=4096)  # logs repeat the same few addresses; parsing is the slow part
def ip_kind(text: str) -> str | None:
    """``"global"`` or ``"local"`` (private, loopback, reserved …) for a host address; None when
    ``text`` is not an address, or is one that is punctuation or a mask more often than a host:
    ``::``, ``0.0.0.0``, netmasks like ``255.255.248.0``."""
    try:
        addr = ipaddress.ip_address(text)  # IPv4 rejects octets > 255 and leading zeros
    except ValueError:
        return None
    if addr.is_unspecified:
        return None
    if addr.version == 4:
        inverted = ~int(addr) & 0xFFFFFFFF
        if inverted & (inverted + 1) == 0:  # contiguous one bits, then zeros
            return None
    return "global" if addr.is_global else "local"
