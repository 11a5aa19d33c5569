"""The keyword detector's cheaper hot path gives the same answers as the straightforward one:
the one-lookup pinyin spelling, the window paths for few and many letters, the pinyin tiers,
allow phrases / context windows read off the channel instead of normalized again, and compiled
tables loaded from the disk cache."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from pinyin_reference import letter_positions, pinyin_windows

from hegui.moderation import keyword_cache, keyword_pinyin
from hegui.moderation.keyword import KeywordDetector
from hegui.moderation.lexicon.model import ContextRule, Lexicon, Term, Transform
from hegui.moderation.lexicon.parse_cache import cache_dir
from hegui.moderation.normalize.chars import normalize_term
from hegui.moderation.normalize.fast import (
    pinyin_sounds,
    scan_bytes,
    scan_channel,
    spell_units,
    window_index,
    window_units,
)

_ALPHABET = (st.sampled_from(list("法轮功輪發中国人民abcxyz0189 ，。ＡＢ①ß㈱аε\u200b😀一壹"))
             | st.characters(codec="utf-8"))
LONG = "法轮功" * 9  # 27 characters: in the long pinyin tier


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_spelling_lane_units_equals_pinyin_sounds(text: str) -> None:
    channel = scan_channel(text)
    data, starts = spell_units(channel.sound_units)
    reference = pinyin_sounds(channel.sound.codes)
    assert data == reference.data
    assert starts[:-1].tolist() == np.flatnonzero(reference.unit_start).tolist()
    assert starts[-1] == len(data)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("法轮功ab xyz。")), max_size=120), st.integers(0, 9))
def test_window_index_cuts_the_same_windows(text: str, w: int) -> None:
    codes = scan_channel(text).sound.codes
    letters = letter_positions(codes)
    assume(len(letters) > 0)
    _index, expected_codes, expected = pinyin_windows(codes, letters, w)
    units = np.frombuffer(scan_bytes(codes), dtype="<u2")
    got = window_units(units, window_index(letters, len(codes), w))
    assert got.tobytes() == scan_bytes(expected_codes)
    assert spell_units(got)[0] == expected.data


def _detector() -> KeywordDetector:
    lexicon = Lexicon("hot", "1", terms=[Term("法轮功", "A1.1"), Term("习近平", "A1.1"),
                                         Term(LONG, "A1.1"), Term("开车", "A1.8"), Term("冰毒", "A1.8")],
                      allow=["冰毒危害"],
                      context=[ContextRule("开车", require_any=("视频",), window=6)])
    return KeywordDetector([lexicon])


def _spans(detector: KeywordDetector, text: str) -> list[tuple[str, int, int, str]]:
    return [(str(f.meta["term"]), *(f.span or (0, 0)), str(f.meta["via"])) for f in detector.detect(text)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["法lun功", "falungong", "fa lun gong", "xi近ping", "他说", "abc", "。",
                                 "法轮", "gong", " "]), max_size=12))
def test_short_and_long_text_paths_agree(pieces: list[str]) -> None:
    """The same text found alone (a short text: str slices) and followed, far away, by a long text
    with many letters (the vectorized windows) gives the same findings in the common part."""
    detector = _detector()
    text = "".join(pieces)
    padding = "中" * (keyword_pinyin.SHORT_TEXT + 120) + "q" * 40
    alone = _spans(detector, text)
    padded = [s for s in _spans(detector, text + padding) if s[2] <= len(text)]
    assert alone == padded


def test_pinyin_tiers_find_long_and_short_terms() -> None:
    detector = _detector()
    # The short tiers (the second holds only the anchors of the long term: 24 characters) and the
    # long tier.
    assert [t.width for _p, t in detector._pinyin_matchers] == [3, 24]
    assert detector._long_pinyin is not None and detector._long_pinyin[1].width == 27
    # Spelled all in pinyin and partly, in a short text (str slices) and a long one (numpy windows).
    for spelled in ("falungong" * 9, "法轮功" * 8 + "falungong"):
        for pad in (50, keyword_pinyin.SHORT_TEXT):
            text = "看" * pad + spelled + "看" * pad
            assert LONG in {s[0] for s in _spans(detector, text)}
    assert {s[0] for s in _spans(detector, "看 falungong 看" + "q" * 40)} == {"法轮功"}
    # A window separator is not text: letters of two far-apart windows do not join into one term.
    assert "法轮功" not in {s[0] for s in _spans(detector, "fa" + "看" * 30 + "lungong")}


def test_allow_phrases_and_context_windows_read_off_the_channel() -> None:
    detector = _detector()
    # Traditional, full-width and spaced forms: the checks see the normalized text.
    assert _spans(detector, "關於冰毒危害的宣傳") == []
    assert _spans(detector, "冰 毒 危 害") == []
    assert [s[0] for s in _spans(detector, "冰毒很危险")] == ["冰毒"]
    assert [s[0] for s in _spans(detector, "開車視頻在這裡")] == ["开车"]
    assert [s[0] for s in _spans(detector, "開 車 ， 視 頻")] == ["开车"]
    assert _spans(detector, "他開車去上班，路上很堵，沒有視頻") == []  # 视频 beyond the window
    text = "開車視頻"
    assert normalize_term(text) == "开车视频"


def test_compiled_tables_come_back_from_the_disk_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    rng = random.Random(3)
    common = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于"
              "出就分对成会可主发年动同工也能下过子说产种面")
    texts = sorted({"".join(rng.choices(common, k=3)) for _ in range(keyword_cache.MIN_TERMS + 500)})
    terms = [Term(t, "A1.8") for t in texts] + [Term("法轮功", "A1.1")]
    fresh = KeywordDetector([Lexicon("big", "1", terms=terms, allow=["冰毒危害"])])
    assert len(list(cache_dir().glob("*.pickle"))) == 1
    cached = KeywordDetector([Lexicon("big", "1", terms=terms, allow=["冰毒危害"])])
    sample = "".join(rng.choices(common + "，。fa lun gong", k=3000))
    assert cached.detect(sample) == fresh.detect(sample) and fresh.detect(sample)
    assert cached._trusted == fresh._trusted and cached._sound.index == fresh._sound.index
    # A changed library is a new key: compiled again, the change seen.
    changed = KeywordDetector([Lexicon("big", "1", terms=[*terms[:-1], Term("冰毒", "A1.8")])])
    assert len(list(cache_dir().glob("*.pickle"))) == 2
    assert {f.meta["term"] for f in changed.detect("冰毒 falungong")} == {"冰毒"}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["法轮功", "法lun功", "falungong", "fa", "lun", "gong", "习近平", "xi",
                                 "开成", "kai", "成", "看", " ", "。", "ß", "1", "a", "b"]), max_size=40))
@example(["看", "kai", "成", "看"])  # "kaicheng" holds "kaiche" (开车), but not on whole characters
@example(["法轮功", "a"])  # a match without a letter: the sound lane's business
def test_short_text_pinyin_pass_equals_the_vectorized_one(pieces: list[str]) -> None:
    """The str-slice pass for messages finds exactly the candidates of the numpy pass."""
    text = "".join(pieces)
    detector = _detector()
    tiers = [t for _p, t in detector._pinyin_matchers]
    channel = scan_channel(text)
    short = keyword_pinyin.pinyin_matches(channel, tiers)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyword_pinyin, "SHORT_TEXT", -1)
        vectorized = keyword_pinyin.pinyin_matches(channel, tiers)
    assert sorted(short) == sorted(vectorized)


def test_no_combining_mark_below_the_first_mark_constant() -> None:
    """Hits skip the mark lookup for characters below ``_FIRST_MARK``: true of this Unicode version."""
    import unicodedata

    from hegui.moderation.keyword import _FIRST_MARK

    below = [chr(c) for c in range(ord(_FIRST_MARK))]
    assert not [c for c in below if unicodedata.category(c) in ("Mn", "Me")]
    assert unicodedata.category(_FIRST_MARK) == "Mn"


@pytest.mark.parametrize("pad", [5, keyword_pinyin.SHORT_TEXT])
def test_pinyin_windows_reach_exactly_far_enough(pad: int) -> None:
    """A term of n characters with one spelled in pinyin at an end reaches n - 1 characters beyond
    the letters: the windows (n - 1 either side of a letter run) still hold it, in both paths."""
    detector = _detector()
    for text in ("法轮gong", "falun功", LONG[:-1] + "gong", "fa" + LONG[1:]):
        padded = "看" * pad + text + "看" * pad
        found = {(s[0], s[1] - pad, s[2] - pad) for s in _spans(detector, padded)}
        term = LONG if len(text) > 9 else "法轮功"
        assert (term, 0, len(text)) in found, text


def test_one_character_terms_match_whole_units_only() -> None:
    from hegui.moderation.normalize.fast import SCAN_UNIT

    detector = KeywordDetector([Lexicon("one", "1", terms=[Term("枪", "A1.8"), Term("毒品", "A1.8")])])
    # Two characters whose scanned bytes hold 枪's two bytes across their boundary: a byte-level
    # scan matches there; the detector must not.
    target = int(SCAN_UNIT[ord("枪")])
    cjk = range(0x4E00, 0x9FA6)
    first = next(c for c in cjk if int(SCAN_UNIT[c]) >> 8 == target & 0xFF)
    second = next(c for c in cjk if int(SCAN_UNIT[c]) & 0xFF == target >> 8)
    straddle = chr(first) + chr(second)
    assert scan_channel(straddle).plain.data[1:3] == scan_channel("枪").plain.data
    assert detector.detect(straddle) == []
    text = f"买{straddle}枪和毒品，枪"
    expected = [("枪", (3, 4)), ("毒品", (5, 7)), ("枪", (8, 9))]
    assert [(f.evidence, f.span) for f in detector.detect(text)] == expected
    # A long text: the one-unit patterns are looked up in a table, not scanned.
    padding = "看" * 3000
    assert [(f.evidence, f.span) for f in detector.detect(text + padding)] == expected
    assert [(f.evidence, (f.span[0] - 3000, f.span[1] - 3000)) for f in detector.detect(padding + text)
            if f.span] == expected
    assert detector._plain_matcher is not None and detector._plain_matcher._longer is not None


LONG2 = "中华人民共和国国务院新闻办公室发言人今天在北京表示"  # 25 characters, not periodic


def _long_detector() -> KeywordDetector:
    return KeywordDetector([Lexicon("long", "1", terms=[Term(LONG, "A1.1"), Term(LONG2, "A1.1"),
                                                        Term("国务院", "A1.1")])])


def _long_tier_hits(detector: KeywordDetector, text: str, *, anchored: bool) -> set[tuple[int, int, int]]:
    """Hits of the long terms (> 8 characters) by the pinyin pass: as the detector finds them (the
    long tier scanned only around anchors) or with the long tier scanned around every letter."""
    channel = scan_channel(text)
    hits: list = []
    if anchored:
        detector._pinyin_candidates(text, channel, hits)
    else:
        assert detector._long_pinyin is not None
        patterns, tier = detector._long_pinyin
        for _t, pid, start, end in keyword_pinyin.pinyin_matches(channel, [tier._replace(pieces=None)]):
            for idx, _kind in patterns.entries[pid]:
                detector._verify(text, idx, start, end, hits)
    return {(term, start, -neg_end) for start, _rank, neg_end, term in hits
            if len(detector.terms[term].text) > 8}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["法轮功", "falun", "gong", "lun功", "法lun", " ", "。", "看", "q",
                                 "中华人民共和国", "zhonghua", "renmin", "gongheguo", "国务院", "guowuyuan",
                                 "新闻", "xinwen", "办公室", "bangongshi", "ban公室", "发言人今天在北京表示",
                                 "fayanren", "今天zai北京", "biaoshi"]), max_size=30),
       st.booleans())
def test_anchored_long_tier_finds_what_a_full_scan_finds(pieces: list[str], long_text: bool) -> None:
    detector = _long_detector()
    text = "".join(pieces)
    if long_text:  # the vectorized windows of a long text
        text += "中" * keyword_pinyin.SHORT_TEXT + "q"
    assert _long_tier_hits(detector, text, anchored=True) == _long_tier_hits(detector, text, anchored=False)


def test_long_terms_spelled_in_pinyin_anywhere_are_found() -> None:
    detector = _long_detector()
    cases = [(LONG, "法轮功" * 4 + "falungong" + "法轮功" * 4),  # letters only in the middle
             (LONG, "falungong" + "法轮功" * 8), (LONG, "falungong" * 9),
             (LONG2, "中华人民共和国国务院新闻办公室发言人今天在北京biaoshi"),
             (LONG2, "zhong华人民共和国国务院新闻办公室发言人今天在北京表示"),
             (LONG2, "中华人民共和国国务院新闻办公室fa言人今天在北京表示"),  # in the overlap of two chunks
             (LONG2, "中华人民gong和国国务院xin闻办公室发言人今天在北京表示"),
             (LONG2, "zhonghuarenmingongheguoguowuyuanxinwenbangongshifayanrenjintianzaibeijingbiaoshi")]
    for term, spelled in cases:
        for pad in (5, keyword_pinyin.SHORT_TEXT):
            text = "看" * pad + spelled + "。" + "看" * pad
            found = [s for s in _spans(detector, text) if s[0] == term]
            assert found and found[0][1:] == (pad, pad + len(spelled), "pinyin"), (spelled, pad)


def _pinyin_hits(detector: KeywordDetector, text: str, *, filtered: bool) -> set[tuple[int, int, int, int]]:
    """The pinyin pass's verified hits spelled in pinyin or initials, with the tiers' piece filters
    or without them."""
    saved = detector._pinyin_matchers, detector._long_pinyin
    if not filtered:
        detector._pinyin_matchers = [(p, t._replace(pieces=None)) for p, t in saved[0]]
        detector._long_pinyin = None if saved[1] is None else (saved[1][0], saved[1][1]._replace(pieces=None))
    try:
        hits: list = []
        detector._pinyin_candidates(text, scan_channel(text), hits)
    finally:
        detector._pinyin_matchers, detector._long_pinyin = saved
    pinyin_ranks = {4, 5}  # pinyin, initials: the spellings that must be word-bounded
    return {hit for hit in hits if hit[1] in pinyin_ranks}


def _letters_detector() -> KeywordDetector:
    """Terms that hold Latin letters literally (the pieces of such letters open no window alone)."""
    return KeywordDetector([Lexicon("letters", "1", terms=[
        Term("傻b", "A2.1"), Term("qq群", "A1.8"), Term("ak47步枪", "A1.8"), Term("a片", "A1.8"),
        Term("x光机", "A1.8"), Term("法轮功", "A1.1"), Term("知识", "A1.8")])])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["法轮功", "法lun功", "falungong", "fa", "lun", "gong", "xi", "jin", "ping",
                                 "习近平", "cpu", "the", "emmm", "a", "q", "ﬀ", "f\u0336a\u0336", "\u200b",
                                 " ", "。", "-", "看", "1", "x" * 5, "zhonghua", "国务院", "guowuyuan",
                                 "ban公室", "fayanren", "法", "轮", "功", "习", "近", "平", "kaiche", "开",
                                 "che", "bing", "毒", "du", "中华人民", "gongheguo", "b", "sha", "傻", "qq",
                                 "qun", "群", "ak", "47", "buqiang", "bu", "枪", "pian", "片", "x", "guang",
                                 "光", "ji", "机", "ip", "gdp", "nba", "zh", "i", "sh", "知"]), max_size=30),
       st.booleans())
@example(["sha", "b"], False)  # a literal letter after a spelled syllable
@example(["看", "shab", "看"], True)
@example(["qq", "qun"], False)
@example(["ak", "47", "buqiang"], True)
@example(["x", "guang", "ji"], False)
@example(["b", " ", "sha"], False)
@example(["zh", " ", "i", " ", "sh", " ", "i"], True)  # every piece part of a syllable, none one
@example(["cpu", "falungong"], False)  # an impossible piece right before a possible one
@example(["看", "zhonghua", "人民共和国国务院新闻办公室发言人今天在北京表示"], True)
@example(["中华人民共和国国务院新闻办公室发言人今天在北京", "biaoshi", "看"], False)
@example(["fa", "\u200b", "lun", "\u200b", "gong"], False)  # pieces cut by a dropped character
def test_piece_filters_keep_every_pinyin_hit(pieces: list[str], long_text: bool) -> None:
    """The piece filters only skip letters no pinyin-spelled hit can hold: the pass finds the same
    pinyin and initials hits with them as without, for short and long terms, in both paths."""
    text = "".join(pieces)
    if long_text:
        text += "中" * keyword_pinyin.SHORT_TEXT + "q"
    for detector in (_detector(), _long_detector(), _letters_detector()):
        assert _pinyin_hits(detector, text, filtered=True) == _pinyin_hits(detector, text, filtered=False)


def test_only_short_pieces_of_literal_letters_between_non_letters_open_no_window() -> None:
    """b站, x光, gdp, ip: such pieces hold no spelled syllable; a piece that can (a, nba, shab) or
    that touches a dropped character (its syllable may go on beyond it) is kept."""
    detector = _letters_detector()
    syllables = detector._syllable_pieces
    for literal in ("b", "x", "qq", "ak", "ip", "gdp", "bb", "xqq"):
        assert not syllables.possible(literal), literal
    for spelled in ("a", "nba", "shab", "qun", "fa", "lun", "xqqa", "bsha"):
        assert syllables.possible(spelled), spelled
    tiers = [t for _p, t in detector._pinyin_matchers]
    for pad in (1, keyword_pinyin.SHORT_TEXT):
        filler = "看" * pad
        # Literal letters only: no window at all. (Without the table x's window spells "xguangji",
        # a candidate for x光机 — which the lane finds as written anyway.)
        text = f"{filler}b站和x光机，gdp与ip看{filler}"
        assert keyword_pinyin.pinyin_matches(scan_channel(text), tiers, syllables=syllables) == []
        assert keyword_pinyin.pinyin_matches(scan_channel(text), tiers) != []
        assert {f.meta["term"]: f.meta["via"] for f in detector.detect(text)} == {"x光机": "exact"}
        # A piece next to a dropped character is kept: q q 群 spells qq群's literal letters apart.
        found = {f.meta["term"]: f.meta["via"]
                 for f in detector.detect(f"{filler}看shab，q q qun，x光ji，zh i sh i{filler}")}
        assert found == {"傻b": "pinyin", "qq群": "pinyin", "x光机": "pinyin", "知识": "pinyin"}


def test_syllable_pieces_table_equals_a_split_search() -> None:
    """The vectorized table equals a plain search over the splits of every string of <= 3 letters."""
    import itertools
    import string

    syllables = {"a", "e", "o", "n", "fa", "lun", "gong", "sha", "ba", "ji", "qun", "bu", "xi"}
    literal = {"b", "qq", "x", "ak", "bb", "ip"}
    table = keyword_pinyin.syllable_pieces(syllables, literal)

    def holds_syllable(piece: str) -> bool:
        best = [1] + [0] * len(piece)  # 0: no split, 1: literal runs only, 2: with a syllable
        for i in range(len(piece)):
            for j in range(i + 1, len(piece) + 1):
                unit = 2 if piece[i:j] in syllables else 1 if piece[i:j] in literal else 0
                if best[i] and unit:
                    best[j] = max(best[j], best[i], unit)
        return best[-1] == 2

    for k in (1, 2, 3):
        for letters in itertools.product(string.ascii_lowercase, repeat=k):
            piece = "".join(letters)
            assert table.possible(piece) == holds_syllable(piece), piece


def test_piece_filter_knows_which_letters_a_pinyin_spelling_can_hold() -> None:
    detector = _detector()
    pieces = detector._pinyin_matchers[0][1].pieces
    assert pieces is not None
    for possible in ("falungong", "lun", "f", "ngo", "xijinping", "jinp"):
        assert pieces.possible(possible), possible
    for impossible in ("cpu", "the", "emmm", "falungongx"):
        assert not pieces.possible(impossible), impossible
    # The same answers vectorized (a long text's pieces) and after the compiled-tables cache.
    restored = keyword_pinyin.PieceFilter.unpacked(pieces.packed())
    assert np.array_equal(restored.table, pieces.table)
    text = "看 cpu 看 falungong 看 the xi近ping " + "看" * keyword_pinyin.SHORT_TEXT
    channel = scan_channel(text)
    letters = letter_positions(channel.sound.codes)
    kept = keyword_pinyin._Pieces(letters, channel.sound_units, channel.origin).possible_letters(restored)
    assert "".join(channel.sound_text[i] for i in kept.tolist()) == "falungongxiping"
    # Only the possible pieces' windows are spelled: a text whose letters are all English words
    # holds no pinyin candidate at all.
    tiers = [t for _p, t in detector._pinyin_matchers]
    assert keyword_pinyin.pinyin_matches(scan_channel("看 cpu 和 the 看"), tiers) == []


def test_findings_that_start_together_are_ordered_by_span_then_risk() -> None:
    terms = [Term("毒品交易", "A1.8"), Term("毒品", "A1.8"), Term("毒品", "A1.1"), Term("交易", "A1.6"),
             Term("品交", "A1.2"), Term("看", "A1.3")]
    lexicon = Lexicon("order", "1", terms=terms)
    detector = KeywordDetector([lexicon])
    text = "看毒品交易，毒品交易看毒品"
    found = [(f.span, f.risk) for f in detector.detect(text)]
    assert found == sorted(found)
    assert found[:5] == [((0, 1), "A1.3"), ((1, 3), "A1.1"), ((1, 3), "A1.8"), ((1, 5), "A1.8"),
                         ((2, 4), "A1.2")]
    assert len(found) == 14


def _vector_detector() -> KeywordDetector:
    from hegui.moderation.lexicon.model import MatchMode, Transform

    terms = [Term("毒品", "A1.8"), Term("毒品", "A1.2"),  # one pattern, two trusted terms
             Term("冰毒", "A1.8"), Term("开车", "A1.8", mode=MatchMode.WORD),  # a WORD term
             Term("法轮功", "A1.1", transforms=frozenset({Transform.NFKC})),  # not trusted: verified
             Term("枪支", "A1.8")]
    return KeywordDetector([Lexicon("vec", "1", terms=terms, allow=["冰毒危害"])])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["毒品", "读品", "毒\u0336品\u0336", "冰毒", "冰毒危害", "开车", "a开车",
                                 "开车b", "法轮功", "法輪功", "枪支", "抢枝", "x", " ", "，", "看",
                                 "\u0301"]),
                min_size=1, max_size=40))
def test_vectorized_trusted_hits_equal_the_loop(pieces: list[str]) -> None:
    """Long texts take the numpy path for their trusted hits; it finds exactly what the per-match
    loop finds (spellings, marks after a hit, WORD boundaries, shared patterns, allow phrases)."""
    import hegui.moderation.keyword as keyword_module

    detector = _vector_detector()
    text = "".join(pieces) * 30 + "看" * 2100  # (long: its lane matches come as arrays)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyword_module, "_VECTORIZED_FROM", 10**9)
        by_loop = detector.detect(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyword_module, "_VECTORIZED_FROM", 1)
        vectorized = detector.detect((text + " ")[:-1])
    assert vectorized == by_loop


def test_every_combining_mark_is_dropped_by_normalization() -> None:
    """The vectorized hit path finds marks after a hit where normalization dropped a character."""
    import unicodedata

    from hegui.moderation.normalize.tables import tables

    normal = tables().normal
    marks = [cp for cp in range(0x110000) if unicodedata.category(chr(cp)) in ("Mn", "Me")]
    assert len(marks) > 1000 and not normal[np.asarray(marks)].any()


LONG3 = "中华人民共和国国务院新闻办公室发言人今天在北京表示我们坚决反对任何形式的恐怖主义活动并将依法严惩"


@pytest.mark.parametrize("pad", [5, keyword_pinyin.SHORT_TEXT])
def test_a_long_term_spelled_across_its_anchor_chunks_is_found(pad: int) -> None:
    """A 48-character term has two 24-character anchor chunks that meet without overlapping; a run of
    letters across the meeting point is no substring of either anchor, and must still open the
    anchor tier's windows (its piece filter also knows the long terms' spellings)."""
    from hegui.moderation.normalize.sound import sound_of_chars

    assert len(LONG3) == 2 * keyword_pinyin.ANCHOR_CHARS
    detector = KeywordDetector([Lexicon("long3", "1", terms=[Term(LONG3, "A1.1")])])
    spell = sound_of_chars()
    for spelled in ("".join(spell[c] for c in LONG3),  # all of it in pinyin
                    LONG3[:20] + "".join(spell[c] for c in LONG3[20:28]) + LONG3[28:]):  # across
        text = "看" * pad + spelled + "。" + "看" * pad
        found = [s for s in _spans(detector, text) if s[0] == LONG3]
        assert found == [(LONG3, pad, pad + len(spelled), "pinyin")], spelled


def test_warm_up_builds_what_a_first_long_text_needs() -> None:
    """A server warms the detector up before its first request: the long-text paths' matcher of the
    longer lane patterns, the vectorized hit tables and the verification's readings table are built
    then, not by the first texts (a first long text took ~0.2 s instead of ~5 ms)."""
    detector = KeywordDetector([Lexicon("warm", "1", terms=[
        Term("枪", "A1.8"), Term("毒品", "A1.8"),  # a one-character term (table) and a longer one
        Term("法轮功", "A1.1", transforms=frozenset({Transform.NFKC}))])])  # the plain lane
    from hegui.moderation.normalize import sound

    lanes = [m for m in (detector._sound_matcher, detector._plain_matcher) if m is not None]
    assert lanes and all(m._longer is None for m in lanes) and not detector._trusted_tables
    sound._other_readings.cache_clear()  # (read from disk by the first verification of a sound)
    detector.warm_up()
    assert sound._other_readings.cache_info().currsize == 1
    assert all(m._longer is not None for m in lanes if m._units is not None)
    assert any(m._units is not None for m in lanes)
    assert set(detector._trusted_tables) == {"sound", "plain"}
    text = ("看枪" + "毒品" + "法轮功") * 1000
    found = detector.detect(text)
    assert len(found) == 3000 and {f.meta["term"] for f in found} == {"枪", "毒品", "法轮功"}


@pytest.mark.parametrize("pad", [4, 3000])
def test_lane_matches_count_only_at_whole_units(pad: int) -> None:
    """A lane is 16-bit units: a pattern found at an odd byte offset straddles two characters and is
    no match, in a short lane (one scan) and a long one (arrays; one-unit patterns from a table)."""
    from hegui.moderation.keyword import _LaneMatcher

    lane = _LaneMatcher([b"\x11\x22\x33\x44", b"\x55\x66"], "auto")
    filler = b"\x77\x78" * pad
    # Both patterns at odd offsets (straddling), then the same bytes on whole units.
    data = filler + b"\x99" + b"\x11\x22\x33\x44\x55\x66" + b"\x99" + b"\x11\x22\x33\x44\x55\x66"
    data += b"\x99\x99" + filler
    whole = 2 * pad + 8
    expected = [(0, whole, whole + 4), (1, whole + 4, whole + 6)]
    assert sorted(lane.scan(data)) == expected
    if pad > 1000:
        pids, starts, ends = lane.scan_arrays(data)
        assert sorted(zip(pids.tolist(), starts.tolist(), ends.tolist(), strict=True)) == expected
