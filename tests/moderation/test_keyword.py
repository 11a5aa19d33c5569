"""KeywordDetector: every evasion caught with spans into the original, per-term switches honoured,
allow phrases, context rules, word/exact modes, both matcher backends, and the chunked stream."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.core.types import DetectionContext, Detector
from hegui.moderation.keyword import KeywordDetector
from hegui.moderation.lexicon.model import (
    DEFAULT_TRANSFORMS,
    ContextRule,
    Lexicon,
    MatchMode,
    Term,
    Transform,
)
from hegui.moderation.matcher_backends import hyperscan_available

T = Transform
CTX = DetectionContext()

TERMS = [
    Term("法轮功", "A1.1", 1.0, transforms=DEFAULT_TRANSFORMS | {T.INITIALS, T.SPLIT}),
    Term("冰毒", "A1.8", 0.8),
    Term("一夜情", "A1.6", 0.6),
    Term("ass", "A2.1", 0.3, mode=MatchMode.WORD),
    Term("SB", "A2.1", 0.3, mode=MatchMode.EXACT),
    Term("先进分子", "A1.3", 0.5, transforms=DEFAULT_TRANSFORMS - {T.HOMOPHONES, T.PINYIN}),
    Term("洗钱通道", "A1.8", 0.9, transforms=DEFAULT_TRANSFORMS - {T.SEPARATORS}),
    Term("藏独", "A1.1", 0.9),  # 藏: cáng (most common) and zàng
]
LEXICON = Lexicon(
    "test-lib", "2026.11.25.1", terms=TERMS,
    allow=["冰毒危害"],
    context=[ContextRule("一夜情", exclude_any=("电影",), window=6)],
)


@pytest.fixture(scope="module", params=["ahocorasick", "hyperscan"])
def detector(request: pytest.FixtureRequest) -> KeywordDetector:
    if request.param == "hyperscan" and not hyperscan_available():
        pytest.skip("Hyperscan does not run on this machine")
    return KeywordDetector([LEXICON], backend=request.param)


def hits(detector: KeywordDetector, text: str) -> list[tuple[str, str, str]]:
    """(term, evidence, via) of each finding, checking that every span is the evidence's place."""
    out = []
    for f in detector.detect(text, CTX):
        assert f.span is not None
        assert text[f.span[0]: f.span[1]] == f.evidence
        assert f.detector == "keyword"
        out.append((f.meta["term"], f.evidence, f.meta["via"]))
    return out


@pytest.mark.parametrize(
    ("text", "evidence", "via"),
    [
        ("他在练法轮功。", "法轮功", "exact"),
        ("他在练法 . 轮 . 功", "法 . 轮 . 功", "normalized"),     # inserted symbols and spaces
        ("法😀轮🔥功", "法😀轮🔥功", "normalized"),                # emoji
        ("法輪功好", "法輪功", "normalized"),                       # traditional script
        ("ＦＡＬＵＮ ＧＯＮＧ", "ＦＡＬＵＮ ＧＯＮＧ", "pinyin"),   # full-width pinyin
        ("法\u200b轮\u200c功", "法\u200b轮\u200c功", "normalized"),  # zero-width characters
        ("看法̶轮̶功̶了", "法̶轮̶功̶", "normalized"),                 # combining strike-through
        ("发轮工", "发轮工", "homophone"),
        ("我学 fa lun gong", "fa lun gong", "pinyin"),
        ("法lun功", "法lun功", "pinyin"),
        ("加入flg吧", "flg", "initials"),
        ("氵去车仑工力", "氵去车仑工力", "split"),
        ("壹夜情", "壹夜情", "normalized"),                         # financial numeral
        ("1夜情", "1夜情", "normalized"),
        ("依夜情", "依夜情", "homophone"),
        ("bing du 出售", "bing du", "pinyin"),
        ("冰\u0336毒", "冰\u0336毒", "normalized"),
        ("支持zang du", "zang du", "pinyin"),                    # a polyphonic character's other reading
        ("支持cang du", "cang du", "pinyin"),
    ],
)
def test_evasions_are_caught_with_original_spans(detector: KeywordDetector, text: str,
                                                 evidence: str, via: str) -> None:
    found = hits(detector, text)
    assert any(ev == evidence and v == via for _term, ev, v in found), found


@pytest.mark.parametrize(
    "text",
    [
        "今天天气很好",
        "西安进分子",          # 西安 is two syllables, never 先
        "aflgb",               # initials inside a Latin word
        "first class",         # 'ass' inside a word
        "sb",                  # EXACT term: case matters
        "关于冰毒危害的讲座",  # allow phrase
        "这部电影讲一夜情",    # context rule: excluded word nearby
        "洗 钱 通 道",         # the term switched separators off
        "线金分子",            # the term switched homophones off
        "xian jin fen zi",     # ... and pinyin
    ],
)
def test_no_false_hits(detector: KeywordDetector, text: str) -> None:
    assert hits(detector, text) == []


def test_pinyin_in_long_latin_text(detector: KeywordDetector) -> None:
    # Many letters: the vectorized window path (few letters take the plain-Python path).
    text = "the quick brown fox jumps over the lazy dog " * 5 + "fa lun gong" + " and more words" * 5
    assert ("法轮功", "fa lun gong", "pinyin") in hits(detector, text)


def test_modes_and_findings(detector: KeywordDetector) -> None:
    assert hits(detector, "you ass!") == [("ass", "ass", "exact")]
    assert hits(detector, "傻SB") == [("SB", "SB", "exact")]
    [f] = detector.detect("去买冰毒", CTX)
    assert f.risk == "A1.8"
    assert f.score == 0.8
    assert f.span == (2, 4)
    assert "冰毒" in f.explanation
    assert "test-lib" in f.explanation
    assert f.meta["library"] == "test-lib"


def test_overlapping_hits_of_one_term_are_one_finding(detector: KeywordDetector) -> None:
    # Both the exact text and its homophone channel match; one finding.
    assert len(detector.detect("法轮功", CTX)) == 1
    assert len(detector.detect("法轮功 法轮功", CTX)) == 2


def test_detector_contract(detector: KeywordDetector) -> None:
    assert isinstance(detector, Detector)
    assert detector.name == "keyword"
    assert detector.version == "test-lib@2026.11.25.1"
    assert detector.detect("", CTX) == []
    # Holdback counts significant characters: separators between them cost nothing.
    assert detector.holdback("x" * 200) < 200
    spaced = " 法" * 100
    assert detector.holdback(spaced) == 2 * detector.holdback("法" * 100) - 1


def test_empty_library_and_empty_terms() -> None:
    assert KeywordDetector([]).detect("法轮功", CTX) == []
    odd = Lexicon("odd", "1", terms=[Term("。。", "A1.1"), Term("赌场", "A1.8")])
    assert [f.evidence for f in KeywordDetector([odd]).detect("。。网上赌场", CTX)] == ["赌场"]


def test_characters_beyond_the_bmp_keep_their_identity() -> None:
    # U+20002 and U+20004 (CJK extension B, no pinyin) share one lane unit; verification tells them apart.
    lib = Lexicon("ext", "1", terms=[Term("\U00020002赌", "A1.8")])
    det = KeywordDetector([lib])
    assert [f.span for f in det.detect("看\U00020002赌", CTX)] == [(1, 3)]
    assert det.detect("看\U00020004赌", CTX) == []


def test_per_term_transforms_are_exact() -> None:
    only_exact = Lexicon("s", "1", terms=[Term("赌场", "A1.8", transforms=frozenset())])
    det = KeywordDetector([only_exact])
    assert [f.evidence for f in det.detect("网上赌场", CTX)] == ["赌场"]
    assert det.detect("网上賭場 赌 场 堵场", CTX) == []


def test_backends_agree() -> None:
    if not hyperscan_available():
        pytest.skip("Hyperscan does not run on this machine")
    a = KeywordDetector([LEXICON], backend="ahocorasick")
    b = KeywordDetector([LEXICON], backend="hyperscan")
    text = "法轮功 发轮工 fa lun gong 冰毒 1夜情 ass SB 洗钱通道 " * 3
    assert a.detect(text, CTX) == b.detect(text, CTX)


_PIECES = st.sampled_from(["法", "轮", "功", "发", "fa", "lun", "gong", " ", "。", "冰毒", "一夜", "情",
                           "电影", "ass", "SB", "flg", "好", "\u200b", "輪", "洗钱通道", "x"])


@settings(max_examples=60, deadline=None)
@given(st.lists(_PIECES, max_size=30), st.lists(st.integers(0, 200), max_size=8))
def test_stream_finds_what_the_whole_text_has(pieces: list[str], cuts: list[int]) -> None:
    det = _STREAM_DETECTOR
    text = "".join(pieces)
    bounds = sorted({min(c, len(text)) for c in cuts})
    chunks = [text[a:b] for a, b in zip([0, *bounds], [*bounds, len(text)], strict=True)]
    stream = det.stream()
    found = [f for chunk in chunks for f in stream.feed(chunk)] + stream.close()
    whole = det.detect(text, CTX)
    assert sorted((f.span, f.meta["term"]) for f in found) == sorted((f.span, f.meta["term"]) for f in whole)


_STREAM_DETECTOR = KeywordDetector([LEXICON], backend="ahocorasick")


_ODD_LEXICON = Lexicon("odd", "1", terms=[
    Term("法轮功", "A1.1", transforms=frozenset()),
    Term("法轮功", "A1.1", transforms=frozenset({T.T2S, T.HOMOPHONES, T.PINYIN})),
    Term("ab", "A2.1", mode=MatchMode.WORD, transforms=frozenset({T.SEPARATORS})),
    Term("\ud800x", "A2.1", mode=MatchMode.EXACT),
], allow=["功法"], context=[ContextRule("ab", require_any=("c",))])
_ODD = KeywordDetector([_ODD_LEXICON, LEXICON])
_ANY_CHAR = st.characters(codec=None) | st.sampled_from(list("法轮功发fa lun gongab\u0336\u200b"))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ANY_CHAR, max_size=50))
def test_any_text_is_safe(text: str) -> None:
    """Any str — lone surrogates, marks, private use, unassigned codepoints — gives findings whose
    spans point into the text, never an exception."""
    for f in _ODD.detect(text, CTX):
        assert f.span is not None
        assert 0 <= f.span[0] < f.span[1] <= len(text)
        assert text[f.span[0]: f.span[1]] == f.evidence
