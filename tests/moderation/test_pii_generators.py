"""Generators of VALID identifiers for the PII tests (imported by the other test_pii files).

The checksums are computed here from their definitions (ISO 7064 MOD 11-2 weights as 2^k mod 11,
Luhn, GB 32100 weights as 3^k mod 31), not with hegui's own functions, so a wrong table in hegui
cannot agree with itself. The tests at the end check the generators against published values."""

from __future__ import annotations

import datetime as dt
import random

PROVINCES = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
             50, 51, 52, 53, 54, 61, 62, 63, 64, 65]


def id_check(first17: str) -> str:
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    r = (12 - total % 11) % 11
    return "X" if r == 10 else str(r)


def cn_id(rng: random.Random, born: dt.date | None = None, province: int | None = None) -> str:
    born = born or dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(80 * 365))
    region = f"{province or rng.choice(PROVINCES):02d}{rng.randrange(100):02d}{rng.randrange(1, 100):02d}"
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check(first17)


def luhn_complete(partial: str) -> str:
    """Append the Luhn check digit to ``partial``."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:  # these digits are doubled once the check digit is appended
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return partial + str((10 - total % 10) % 10)


def bank_card(rng: random.Random, prefix: str = "62", length: int = 16) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_code_check(body8: str) -> str:
    """GB 11714: weights 3 7 9 10 5 8 4 2, letters worth 10…35, check 11 - sum mod 11 (10 → X)."""
    total = sum(int(c, 36) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc(rng: random.Random, org_check: bool = True) -> str:
    head = rng.choice("159") + rng.choice("123") + f"{rng.choice(PROVINCES)}{rng.randrange(10000):04d}"
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    check = org_code_check(body)
    if not org_check:
        check = "0" if check != "0" else "1"
    first17 = head + body + check
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def hk_id(rng: random.Random) -> str:
    letter = rng.choice("ABCDEGHKMPRVYZ")
    digits = f"{rng.randrange(10**6):06d}"
    values = [36, ord(letter) - 55] + [int(d) for d in digits]
    check = (11 - sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True)) % 11) % 11
    return f"{letter}{digits}({'A' if check == 10 else check})"


def mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3456789") + "".join(str(rng.randrange(10)) for _ in range(9))


def wrong_digit(number: str, position: int) -> str:
    """``number`` with the digit at ``position`` changed (an X check character becomes 0)."""
    old = number[position]
    new = "0" if not old.isdigit() else str((int(old) + 1) % 10)
    return number[:position] + new + number[position + 1:]


# The generators themselves, checked against published examples.
def test_id_check_matches_the_gb11643_example() -> None:
    assert id_check("11010519491231002") == "X"


def test_luhn_matches_known_test_card_numbers() -> None:
    assert luhn_complete("411111111111111") == "4111111111111111"
    assert luhn_complete("555555555555444") == "5555555555554444"


def test_weight_tables_are_the_published_ones() -> None:
    # GB 11643 and GB 32100 print these weight tables; the generators derive them as powers.
    assert [pow(2, 17 - i, 11) for i in range(17)] == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    assert [pow(3, i, 31) for i in range(17)] == [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def test_org_code_check_agrees_with_published_codes() -> None:
    # Organisation codes inside two companies' published codes (9144030071526726XG, 91330100716105852F).
    assert org_code_check("71526726") == "X" and org_code_check("71610585") == "2"


def test_hk_id_generator_agrees_with_a_published_example() -> None:
    values = [36, ord("A") - 55, 1, 2, 3, 4, 5, 6]
    # A123456(3)
    assert (11 - sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True)) % 11) % 11 == 3
