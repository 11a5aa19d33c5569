"""The normalizer: each evasion it undoes, per-transform switches, and fast path == reference path."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from pinyin_reference import _windows_large, _windows_small, letter_positions, pinyin_sounds_small

from hegui.moderation.lexicon.model import ALL_TRANSFORMS, Transform
from hegui.moderation.normalize import normalize_term, reference_normalize, scan_channel
from hegui.moderation.normalize.fast import channel_form, lane_pattern, pinyin_sounds
from hegui.moderation.normalize.sound import char_sound, initials
from hegui.moderation.normalize.split_forms import split_variants

T = Transform


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("法轮功", "法轮功"),
        ("Ｆａｌｕｎ", "falun"),                 # full-width → half-width, case folded
        ("FaLun", "falun"),
        ("法\u200b轮\u200d功\ufe0f", "法轮功"),  # zero-width and variation selector
        ("法̶轮̶功̶", "法轮功"),                 # combining strike-through
        ("法.轮 功😀！", "法轮功"),              # punctuation, space, emoji, full-width punctuation
        ("法輪功", "法轮功"),                    # traditional → simplified
        ("①⑩壹貳三〇", "1101230"),              # circled digits (⑩ expands to two) and Chinese numerals
        ("fǎ lún gōng", "falungong"),            # tone marks are combining marks once decomposed
        ("сосаіnе", "cocaine"),                  # Cyrillic look-alikes
        ("ΑΚ47", "ak47"),                        # Greek capitals
        ("𝐟𝐚𝐥𝐮𝐧", "falun"),                     # mathematical bold
        ("ß", "ss"),
        ("한국어", "한국어"),                    # Hangul is not decomposed
        ("", ""),
    ],
)
def test_each_evasion_is_undone(written: str, expected: str) -> None:
    assert normalize_term(written) == expected


def test_each_transform_can_be_switched_off() -> None:
    everything = ALL_TRANSFORMS
    assert normalize_term("法 轮", everything - {T.SEPARATORS}) == "法 轮"
    assert normalize_term("法輪", everything - {T.T2S}) == "法輪"
    assert normalize_term("Ｆ", everything - {T.NFKC}) == "ｆ"
    assert normalize_term("F", everything - {T.CASEFOLD}) == "F"
    assert normalize_term("法\u200b轮", everything - {T.INVISIBLE}) == "法\u200b轮"
    assert normalize_term("壹", everything - {T.NUMERALS}) == "壹"
    assert normalize_term("а", everything - {T.HOMOGLYPHS}) == "а"  # Cyrillic stays Cyrillic


def test_sounds_and_initials() -> None:
    assert [char_sound(c) for c in "法轮功绿1a"] == ["fa", "lun", "gong", "lv", "yi", "a"]
    assert initials("法轮功") == "flg"
    assert initials("法x") == "fx"
    # Homophones share the scan channel's class; different syllables do not.
    assert channel_form("发") == channel_form("法") != channel_form("轮")
    assert channel_form("1") == channel_form("一") == channel_form("医")
    assert pinyin_sounds(scan_channel("法lun功").sound.codes).data == b"falungong"


def test_split_variants() -> None:
    variants = split_variants("张三")
    assert "弓长三" in variants
    assert "张三" not in variants
    assert split_variants("你") == []


def test_offsets_point_into_the_original() -> None:
    text = "ab法 輪\u200b功⑩ß！"
    ch = scan_channel(text)
    assert ch.origin.tolist() == [0, 1, 2, 4, 6, 7, 7, 8, 8]
    ref, origin = reference_normalize(text)
    assert origin == ch.origin.tolist()
    assert ch.sound.data == lane_pattern(channel_form(ref))
    assert ch.plain.data == lane_pattern(ref)


def test_lone_surrogates_and_empty_text_do_not_fail() -> None:
    assert scan_channel("").sound.data == b""
    ch = scan_channel("a\ud800b")
    assert ch.plain.data == lane_pattern("ab")
    assert ch.origin.tolist() == [0, 2]


# Mixed text: CJK (simplified and traditional), Latin, digits, full-width, marks, invisibles, emoji,
# Cyrillic, expanding characters and random codepoints from anywhere in Unicode.
_ALPHABET = st.sampled_from(
    list("法轮功輪發中国人民abcXYZ0189 ，。!?-_ＡＢ１①⑩ß㈱ﬁаеοΑ\u200b\u200d\ufe0f\u0336\u0301😀🇨🇳一壹貳〇")
) | st.characters(codec="utf-8")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_fast_path_equals_reference(text: str) -> None:
    ch = scan_channel(text)
    ref, origin = reference_normalize(text)
    assert ch.sound.data == lane_pattern(channel_form(ref))
    assert ch.plain.data == lane_pattern(ref)
    assert ch.origin.tolist() == origin
    assert all(0 <= i < len(text) for i in origin)
    # Normalization is context-free: any split normalizes to the same concatenation.
    cut = len(text) // 2
    assert normalize_term(text[:cut]) + normalize_term(text[cut:]) == ref


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_spliced_and_vectorized_expansions_agree(text: str) -> None:
    """A few expanding characters are spliced in one by one, many in one vectorized pass: same lanes."""
    from hegui.moderation.normalize import fast

    # (``_scan_channel``: ``scan_channel`` would hand the second call the first call's channel)
    spliced = fast._scan_channel(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast, "_FEW_EXPANSIONS", -1)
        vectorized = fast._scan_channel(text)
    assert spliced.plain.data == vectorized.plain.data and spliced.sound.data == vectorized.sound.data
    assert spliced.plain.codes.tolist() == vectorized.plain.codes.tolist()
    assert spliced.sound.codes.tolist() == vectorized.sound.codes.tolist()
    assert spliced.origin.tolist() == vectorized.origin.tolist()
    assert spliced.origin.dtype == vectorized.origin.dtype == np.int64


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_pinyin_sounds_spell_each_character(text: str) -> None:
    codes = scan_channel(text).sound.codes
    spelled = pinyin_sounds(codes)
    assert len(spelled.owner) == len(spelled.data)
    assert spelled.unit_start.sum() == len(codes)
    if len(codes):
        assert np.all(np.diff(spelled.owner) >= 0)
    assert set(spelled.data.decode("ascii")) <= set(string.ascii_lowercase + "#")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_small_spelling_equals_numpy_spelling(text: str) -> None:
    codes = scan_channel(text).sound.codes
    big, small = pinyin_sounds(codes), pinyin_sounds_small(codes.tolist())
    assert big.data == small.data
    assert big.owner.tolist() == small.owner.tolist()
    assert big.unit_start.tolist() == small.unit_start.tolist()


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("法轮功ab xyz。")), max_size=80), st.integers(0, 6))
def test_pinyin_window_paths_agree(text: str, w: int) -> None:
    codes = scan_channel(text).sound.codes
    letters = letter_positions(codes)
    assume(len(letters) > 0)  # pinyin windows are only cut around letters
    small = _windows_small(letters.tolist(), codes, w)
    large = _windows_large(letters, codes, w)
    assert small[2].data == large[2].data
    assert small[1].tolist() == large[1].tolist()
    keep = [i for i, c in enumerate(small[1].tolist()) if c != ord("#") or codes[small[0][i]] == ord("#")]
    assert [small[0][i] for i in keep] == [int(large[0][i]) for i in keep]


def test_cached_tables_equal_a_fresh_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk cache round-trips: tables written to and read back from a fresh cache directory
    equal the ones this process uses (a stale or truncated cache would fail here)."""
    from hegui.moderation.normalize import tables as tables_module

    in_use = tables_module.tables()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tables_module.tables.cache_clear()
    try:
        built = tables_module.tables()       # no cache here: builds and writes it
        assert list((tmp_path / "hegui" / "normalize").glob("tables-*.npz"))
        tables_module.tables.cache_clear()
        reloaded = tables_module.tables()    # reads it back
    finally:
        tables_module.tables.cache_clear()
    for t in (built, reloaded):
        assert np.array_equal(t.normal, in_use.normal)
        assert np.array_equal(t.klass, in_use.klass)
        assert np.array_equal(t.sound, in_use.sound)
        assert t.multi == in_use.multi
        assert t.syllables == in_use.syllables


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
@example("法\ud83d\ude00\ud800轮\udfff😀")  # lone and paired surrogates, a character beyond the BMP
def test_sound_text_has_one_character_per_lane_unit(text: str) -> None:
    from hegui.moderation.normalize.fast import _scan_channel

    fresh = _scan_channel(text)
    sound_text = fresh.sound_text  # read off the lane's bytes: no codes built yet
    assert fresh.sound._codes is None or not text
    units = np.minimum(_scan_channel(text).sound.codes, 0xFFFD)
    assert [ord(c) for c in sound_text] == units.tolist()
    built = _scan_channel(text)
    built.sound.codes  # noqa: B018  (with the codes built, they are read instead)
    assert built.sound_text == sound_text


def test_scan_units_are_a_permutation_without_zero_bytes_for_text() -> None:
    from hegui.moderation.normalize.fast import SCAN_UNIT

    assert sorted(SCAN_UNIT.tolist()) == list(range(0x10000))  # a bijection: matches are unchanged
    # Every unit a lane can hold (no surrogates) is written without a zero byte, so literal patterns
    # never hold one (the Hyperscan binding would fall back to regex mode).
    lane_units = np.array([u for u in range(0x10000) if not 0xD800 <= u <= 0xDFFF])
    written = SCAN_UNIT[lane_units]
    assert not ((written & 0xFF) == 0).any() and not ((written >> 8) == 0).any()
    assert b"\0" not in scan_channel("abc 123 法轮功 ＡＢＣ ① xyz").plain.data


def test_scan_bytes_write_every_code_from_beyond_the_bmp_as_one_unit() -> None:
    from hegui.moderation.normalize.fast import BEYOND_BMP, SCAN_UNIT, scan_bytes

    codes = np.array([0x61, 0x6CD5, 0xE000, 0xFFFC, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x20000, 0x10FFFF],
                     dtype=np.uint32)
    expected = [int(SCAN_UNIT[c]) for c in (0x61, 0x6CD5, 0xE000, 0xFFFC)] + [int(SCAN_UNIT[BEYOND_BMP])] * 6
    assert np.frombuffer(scan_bytes(codes), dtype="<u2").tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
@example("ß法ﬀ轮™功abc")  # expanding characters: the channel is built the other way
def test_lanes_written_at_once_equal_their_codes_written(text: str) -> None:
    """A channel's lanes are written straight from the original code points (the codes derived only
    when read): the bytes, the codes and the letters agree with each other either way."""
    from hegui.moderation.normalize.fast import _scan_channel, scan_bytes

    channel = _scan_channel(text)
    letters = channel.letters.tolist()  # read off the plain lane's bytes, before any codes exist
    assert channel.plain.data == scan_bytes(channel.plain.codes)
    assert channel.sound.data == scan_bytes(channel.sound.codes)
    assert letters == letter_positions(channel.sound.codes).tolist()
    assert letters == letter_positions(channel.plain.codes).tolist()
    shared = scan_channel(text)  # (the channel the detectors of one message share: read-only)
    assert not shared.plain.codes.flags.writeable and not shared.sound.codes.flags.writeable


def test_latin_letters_are_the_same_in_both_lanes() -> None:
    from hegui.moderation.normalize.tables import tables

    t = tables()
    plain_letter = (t.normal >= 0x61) & (t.normal <= 0x7A)
    sound_letter = (t.sound >= 0x61) & (t.sound <= 0x7A)
    assert plain_letter.sum() > 26 and (plain_letter == sound_letter).all()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80), st.integers(0, 90), st.integers(0, 90))
@example("ß法ﬀ轮™功abc", 1, 5)  # expanding characters: no per-character code points to slice
@example("法 轮\u200b功", 0, 3)
@example("法𠀀轮", 0, 3)  # beyond the BMP: one lane unit for all such characters
def test_plain_between_is_a_slice_of_the_plain_text(text: str, lo: int, hi: int) -> None:
    """Context checks read a few normalized characters of a long text (``plain_between``) without
    normalizing all of it: the same characters as the whole plain text, sliced."""
    from hegui.moderation.normalize.fast import _scan_channel

    fresh = _scan_channel(text)
    expected = _scan_channel(text).plain_text
    assert fresh.plain_between(lo, hi) == expected[lo:hi]
    beyond_bmp = any(ord(c) > 0xFFFF for c in expected[lo:hi])
    assert (fresh._plain_text is None) != beyond_bmp  # (read off the lane unless it cannot be)
