"""Masking operators on real detector findings: mask, hash, redact, keep."""

from __future__ import annotations

import random

import pytest
import test_pii_generators as fake

from hegui.core.errors import ConfigError, InputError
from hegui.core.types import Finding
from hegui.moderation.pii import MASK_OPERATORS, PIIDetector, mask

DETECTOR = PIIDetector()


def masked(text: str, operator: str = "mask", **kw: object) -> str:
    return mask(text, DETECTOR.detect(text), operator, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ("身份证11010519491231002X。", "身份证110105********002X。"),
    ("手机13812345678", "手机138****5678"),
    ("手机 +86 138-1234-5678 找我", "手机 +86 138-****-5678 找我"),
    ("邮箱zhangsan@example.com", "邮箱z***@example.com"),
    ("座机010-62345678", "座机010-****5678"),
    ("座机0755-2345678", "座机0755-***5678"),
    ("座机+86 10 6234 5678", "座机+86 10 **** 5678"),
    ("座机0086-755-2345678", "座机0086-755-***5678"),
    ("车牌粤B·D12345", "车牌粤B·*****5"),
    ("IP 8.8.4.4 与 2001:db8:85a3::8a2e:370:7334", "IP 8.8.*.* 与 2001:db8:*::*:*:*"),
    ("香港身份证A123456(3)", "香港身份证A******(3)"),
    ("护照E12345678", "护照E******78"),
])
def test_mask_keeps_a_few_type_specific_characters(text: str, expected: str) -> None:
    assert masked(text) == expected


def test_mask_bank_card_keeps_first_and_last_four_and_the_grouping() -> None:
    card = fake.bank_card(random.Random(1), "62", 19)
    grouped = " ".join(card[i:i + 4] for i in range(0, 19, 4))
    assert masked(f"卡号{grouped}") == f"卡号{card[:4]} **** **** ***{card[15]} {card[16:]}"
    assert masked(f"卡号{card}") == f"卡号{card[:4]}{'*' * 11}{card[15:]}"


def test_redact_and_keep() -> None:
    text = "张三 13812345678，z@x.cn"
    assert masked(text, "redact") == "张三 <mobile>，<email>"
    assert masked(text, "keep") == text


def test_hash_is_stable_salted_and_ignores_formatting() -> None:
    a = masked("电话13812345678", "hash", salt="s1")
    b = masked("电话+86 138-1234-5678", "hash", salt="s1")
    c = masked("电话13812345678", "hash", salt="s2")
    assert a == b and a != c
    assert a.startswith("电话<mobile:") and len(a) == len("电话<mobile:>") + 8
    assert masked("13812345679", "hash", salt="s1") != a[2:]
    assert masked("+86 10 6234 5678", "hash", salt="s1") == masked("010-62345678", "hash", salt="s1")
    upper = masked("11010519491231002X", "hash", salt=b"k")
    assert upper == masked("11010519491231002x", "hash", salt=b"k")


def test_hash_token_is_hmac_sha256_of_the_identifier() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"salt", b"13812345678", hashlib.sha256).hexdigest()[:12]
    assert masked("13812345678", "hash", salt="salt", digest_chars=12) == f"<mobile:{expected}>"


def test_per_type_operators() -> None:
    text = "身份证11010519491231002X 手机13812345678 邮箱z@x.cn"
    out = mask(text, DETECTOR.detect(text), {"cn_id": "redact", "email": "keep"})
    assert out == "身份证<cn_id> 手机138****5678 邮箱z@x.cn"


def test_many_findings_replace_from_the_end_so_spans_stay_valid() -> None:
    rng = random.Random(2)
    numbers = [fake.cn_id(rng) for _ in range(20)]
    text = "，".join(numbers)
    out = masked(text, "redact")
    assert out == "，".join(["<cn_id>"] * 20)


def test_overlapping_findings_mask_each_character_once() -> None:
    text = "abc 13812345678 def"
    f1 = Finding("pii", "A4.6", 0.9, (4, 15), "13812345678", meta={"type": "mobile"})
    f2 = Finding("other", "A4.6", 0.5, (7, 11), "1234")
    assert mask(text, [f2, f1], "redact") == "abc <mobile> def"


def test_a_clipped_pii_finding_and_a_normalised_keyword_evidence_are_accepted() -> None:
    # A stream may release only part of a finding; a keyword detector may report the term it
    # matched ("法轮功") as evidence for a span written with separators.
    [phone] = DETECTOR.detect("13812345678")
    clipped = Finding("pii", "A4.6", 0.9, (0, 6), phone.evidence, meta=phone.meta)
    assert mask("138123", [clipped], "redact") == "<mobile>"
    assert mask("138123", [clipped]) == "******"
    term = Finding("keyword", "A1.1", 0.9, (2, 11), "法轮功")
    assert mask("他说法 . 轮 . 功", [term], "redact") == "他说<keyword>"
    assert mask("他说法 . 轮 . 功", [term]) == "他说法 . * . 功"


def test_findings_without_span_or_type_are_handled() -> None:
    text = "hello world"
    whole = Finding("judge", "A4.6", 0.9, None, "")
    word = Finding("keyword", "A4.6", 0.9, (6, 11), "world")
    assert mask(text, [whole, word]) == "hello w***d"
    assert mask(text, [word], "redact") == "hello <keyword>"


def test_bad_arguments_give_one_clear_error() -> None:
    text = "13812345678"
    findings = DETECTOR.detect(text)
    with pytest.raises(ConfigError, match=r"unknown masking operator.*'blur'"):
        mask(text, findings, "blur")
    with pytest.raises(ConfigError, match="salt"):
        mask(text, findings, "hash")
    with pytest.raises(InputError, match="does not match its evidence"):
        mask("13912345678", findings)
    with pytest.raises(InputError, match="outside the text"):
        mask("138", findings)
    assert set(MASK_OPERATORS) == {"mask", "hash", "redact", "keep"}
