"""PIIDetector: validated identifiers are found with exact spans; near misses are not."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import test_pii_generators as fake

from hegui.core.errors import ConfigError
from hegui.core.types import DetectionContext, Detector
from hegui.moderation.pii import PII_RISK, PII_TYPES, PIIDetector

DETECTOR = PIIDetector()
CTX = DetectionContext()


def found(text: str, detector: PIIDetector = DETECTOR) -> list[tuple[str, str]]:
    return [(f.meta["type"], f.evidence) for f in detector.detect(text, CTX)]


def test_is_a_detector_with_the_personal_information_risk() -> None:
    assert isinstance(DETECTOR, Detector) and DETECTOR.name == "pii"
    text = "我的身份证号是11010519491231002X，请保密"
    [finding] = DETECTOR.detect(text, CTX)
    assert finding.risk == PII_RISK == "A4.6" and finding.detector == "pii"
    assert finding.span == (7, 25) and text[7:25] == finding.evidence == "11010519491231002X"
    assert finding.meta == {"type": "cn_id", "valid": True}
    assert finding.score >= 0.9 and finding.explanation


def test_generated_resident_ids_are_found_and_one_wrong_digit_is_rejected() -> None:
    rng = random.Random(1)
    for _ in range(200):
        number = fake.cn_id(rng)
        assert found(f"证件{number}号") == [("cn_id", number)]
        for pos in range(18):
            bad = fake.wrong_digit(number, pos)
            assert not any(t == "cn_id" for t, _ in found(f"证件{bad}号")), (number, pos)


def test_resident_id_needs_a_real_past_birth_date_and_a_province() -> None:
    rng = random.Random(2)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    future = fake.cn_id(rng, born=tomorrow)
    too_old = fake.cn_id(rng, born=dt.date(1899, 12, 31))
    first17 = "11010519900230123"  # 30 February
    bad_date = first17 + fake.id_check(first17)
    first17 = "99010519900101123"  # no province 99
    bad_region = first17 + fake.id_check(first17)
    for number in (future, too_old, bad_date, bad_region):
        assert not any(t == "cn_id" for t, _ in found(number)), number
    assert found(fake.cn_id(rng, born=dt.date.today())) != []


def test_resident_id_boundaries_spaces_and_lowercase_x() -> None:
    number = "11010519491231002X"
    assert found(f"1{number}") == [] and found(f"{number}5") == []  # inside a longer digit run
    assert found(f"ID{number}") == []  # glued to Latin letters: part of some other code
    assert found(number.lower()) == [("cn_id", number.lower())]
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    assert found(f"身份证 {spaced}。") == [("cn_id", spaced)]


def test_legacy_15_digit_ids_need_a_real_date_and_score_higher_with_a_cue() -> None:
    legacy = "110105491231002"  # 1949-12-31
    [bare] = DETECTOR.detect(f"编号{legacy}", CTX)
    [cued] = DETECTOR.detect(f"身份证号：{legacy}", CTX)
    assert bare.meta["type"] == cued.meta["type"] == "cn_id" and cued.score > bare.score
    assert found("110105491331002") == []  # month 13


@pytest.mark.parametrize("written", [
    "13812345678", "+8613812345678", "+86 138 1234 5678", "0086-138-1234-5678", "8613812345678",
    "138-1234-5678", "138 1234 5678", "(+86)13812345678",
])
def test_mobile_numbers_in_their_usual_spellings(written: str) -> None:
    assert found(f"请拨打{written}联系") == [("mobile", written)]


@pytest.mark.parametrize("text", [
    "12812345678", "1381234567", "138123456789", "x13812345678", "订单号2138123456789",
])
def test_not_mobile_numbers(text: str) -> None:
    assert [t for t, _ in found(text) if t == "mobile"] == []


def test_full_width_digits_are_found_with_original_spans() -> None:
    text = "手机：１３８１２３４５６７８，谢谢"
    [finding] = DETECTOR.detect(text, CTX)
    assert finding.meta["type"] == "mobile" and finding.evidence == "１３８１２３４５６７８"
    assert text[finding.span[0]:finding.span[1]] == finding.evidence


@pytest.mark.parametrize("written", [
    "010-62345678", "(021)87654321", "（0755）8888 8888", "0755-2345678", "020 3456 7890",
    "+86 10 6234 5678", "0086-755-2345678", "+86-21-87654321",
])
def test_landlines(written: str) -> None:
    assert found(f"办公室{written}。") == [("landline", written)]


def test_landline_needs_the_right_local_length_for_its_area_code() -> None:
    assert found("010-1234567") == [] and found("010-02345678") == []


def test_bank_cards_luhn_and_issuer() -> None:
    rng = random.Random(3)
    for prefix, length in (("62", 16), ("62", 19), ("4", 16), ("51", 16), ("35", 16)):
        card = fake.bank_card(rng, prefix, length)
        assert found(f"卡号{card}") == [("bank_card", card)]
        grouped = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
        assert found(f"卡号 {grouped}。") == [("bank_card", grouped)]
        for pos in range(length):
            assert found(f"卡号{fake.wrong_digit(card, pos)}") == [], (card, pos)
    unknown_issuer = fake.bank_card(rng, "12", 16)
    assert found(unknown_issuer) == []


def test_a_phone_number_inside_a_bank_card_is_not_a_phone_number() -> None:
    card = fake.luhn_complete("62" + "13812345678" + "123")  # 17 digits with a mobile inside
    assert found(card) == [("bank_card", card)]
    grouped = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    assert found(grouped) == [("bank_card", grouped)]


def test_emails() -> None:
    address = "zhang.san+ai@mail.example.com.cn"
    assert found(f"发到{address}谢谢") == [("email", address)]
    assert found("联系 767514612@qq.com。") == [("email", "767514612@qq.com")]
    assert found("@张三 你好") == [] and found("a..b@example.com") == [] and found("me@localhost") == []


def test_email_wins_over_the_phone_number_inside_it() -> None:
    assert found("13812345678@163.com") == [("email", "13812345678@163.com")]


def test_unified_social_credit_codes_checksum() -> None:
    rng = random.Random(4)
    for _ in range(100):
        code = fake.uscc(rng)
        assert found(f"信用代码{code}。") == [("uscc", code)]
        wrong = code[:-1] + fake.USCC_ALPHABET[(fake.USCC_ALPHABET.index(code[-1]) + 1) % 31]
        assert found(f"信用代码{wrong}。") == []


def test_social_credit_code_with_a_wrong_organisation_code_scores_low() -> None:
    rng = random.Random(9)
    good = DETECTOR.detect(f"代码{fake.uscc(rng)}", CTX)
    bad = DETECTOR.detect(f"代码{fake.uscc(rng, org_check=False)}", CTX)
    assert [f.meta["type"] for f in good + bad] == ["uscc", "uscc"]
    assert good[0].score >= 0.9 > 0.7 > bad[0].score


def test_resident_id_beats_a_social_credit_code_with_the_same_digits() -> None:
    rng = random.Random(5)
    # Find an ID that the social-credit rule alone accepts too, then check which type wins.
    uscc_only = PIIDetector(types=["uscc"])
    number = next(n for n in (fake.cn_id(rng) for _ in range(100_000)) if uscc_only.detect(n))
    assert found(number) == [("cn_id", number)]


def test_passports_and_permits_score_higher_after_a_cue_word() -> None:
    cases = [("护照号码E12345678", "passport"), ("护照 EA1234567", "passport"),
             ("港澳通行证C12345678", "hk_macao_permit"), ("往来台湾通行证L12345678", "taiwan_permit"),
             ("台胞证 12345678", "taiwan_permit")]
    for text, kind in cases:
        [finding] = DETECTOR.detect(text, CTX)
        assert finding.meta["type"] == kind and finding.score >= 0.9, text
    [bare] = DETECTOR.detect("型号E12345678", CTX)
    assert bare.meta["type"] == "passport" and bare.score < 0.7
    assert found("编号 12345678") == []  # a bare 8-digit number is a Taiwan permit only after 台胞证


def test_hong_kong_identity_cards_checksum() -> None:
    rng = random.Random(6)
    for _ in range(50):
        hkid = fake.hk_id(rng)
        assert found(f"香港身份证{hkid}") == [("hk_id", hkid)]
        check = hkid[-2]
        wrong = hkid[:-2] + ("0" if check == "A" else str((int(check) + 1) % 10)) + ")"
        if wrong != hkid:
            assert [t for t, _ in found(f"香港身份证{wrong}") if t == "hk_id"] == []


@pytest.mark.parametrize("plate", [
    "京A12345", "粤B·D12345", "沪AD12345", "川A·12345", "京A1234警", "苏E12345F",
])
def test_licence_plates(plate: str) -> None:
    assert found(f"车牌{plate}停在路边") == [("plate", plate)]


@pytest.mark.parametrize("text", ["京A123", "新ABCD1号", "京A123456", "粤BX12345"])
def test_not_licence_plates(text: str) -> None:
    assert [t for t, _ in found(text) if t == "plate"] == []


def test_ip_addresses() -> None:
    assert found("来自 8.8.8.8 的请求") == [("ipv4", "8.8.8.8")]
    assert found("地址2001:db8:85a3::8a2e:370:7334。") == [("ipv6", "2001:db8:85a3::8a2e:370:7334")]
    private = DETECTOR.detect("内网 192.168.1.10", CTX)[0]
    public = DETECTOR.detect("公网 202.96.134.133", CTX)[0]
    assert private.score < public.score
    for text in ("256.1.1.1", "1.2.3.4.5", "v1.2.3.4", "10.0.0.0/8", "掩码255.255.248.0", "12:30:45",
                 "fe80::/10", "::", "版本号 2.1.0.3", "Version 1.2.3.4"):
        assert found(text) == [], text


def test_types_can_be_selected_and_excluded_by_name() -> None:
    text = "手机13812345678，邮箱a@example.com"
    assert found(text, PIIDetector(types=["email"])) == [("email", "a@example.com")]
    assert found(text, PIIDetector(exclude=["email"])) == [("mobile", "13812345678")]
    assert found(text, PIIDetector(types=[])) == []
    with pytest.raises(ConfigError, match=r"unknown PII type.*'phone'.*known: cn_id"):
        PIIDetector(types=["phone"])
    assert set(PII_TYPES) >= {"cn_id", "mobile", "landline", "bank_card", "email", "uscc", "passport",
                              "hk_macao_permit", "taiwan_permit", "plate", "ipv4", "ipv6"}


def test_several_identifiers_in_one_text_are_ordered_and_disjoint() -> None:
    rng = random.Random(7)
    number, card = fake.cn_id(rng), fake.bank_card(rng)
    text = f"张三，身份证{number}，手机138-1234-5678，卡号{card}，住在京A12345的车里，邮箱z@x.cn。"
    assert found(text) == [("cn_id", number), ("mobile", "138-1234-5678"), ("bank_card", card),
                           ("plate", "京A12345"), ("email", "z@x.cn")]


def test_validators_are_usable_on_single_values() -> None:
    from hegui.moderation.pii import is_valid_bank_card, is_valid_cn_id

    rng = random.Random(8)
    number = fake.cn_id(rng, born=dt.date(2020, 5, 17))
    assert is_valid_cn_id(number) and not is_valid_cn_id(number, today=dt.date(2020, 5, 16))
    assert is_valid_cn_id("110105491231002") and not is_valid_cn_id("11010519491231002")
    card = fake.bank_card(rng, "62", 19)
    assert is_valid_bank_card(card) and not is_valid_bank_card(card[:-1])
