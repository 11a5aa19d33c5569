"""Properties over generated text: the detector never raises, its findings are disjoint and point
into the original text, and streaming with ``holdback`` never releases part of an identifier."""

from __future__ import annotations

import itertools
import random

import test_pii_generators as fake
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.moderation.pii import PIIDetector

DETECTOR = PIIDetector()

_rng = random.Random(11)
PIECES = [fake.cn_id(_rng), fake.bank_card(_rng), fake.mobile(_rng), "138 1234 5678", "+86 13812345678",
          "010-62345678", "z.s@example.com", "京A12345", "粤B·D12345", "8.8.8.8", "2001:db8::1",
          fake.uscc(_rng), fake.hk_id(_rng), "护照E12345678", "１３８１２３４５６７８",
          "你好", "，", "。", " ", "-", "1", "23", "X", "@", ".", ":", "（", "）", "身份证", "台胞证",
          "护照", "版本", "12345678", "1.2.3.4", "E12345678", "110105491231002"]

texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_never_raises_on_any_text(text: str) -> None:
    for f in DETECTOR.detect(text):
        assert f.span is not None and text[f.span[0]:f.span[1]] == f.evidence


@given(texts)
@settings(max_examples=300, deadline=None)
def test_findings_are_sorted_disjoint_and_exact(text: str) -> None:
    findings = DETECTOR.detect(text)
    spans = [f.span for f in findings]
    assert all(s is not None for s in spans)
    ordered = sorted(s for s in spans if s is not None)
    assert ordered == spans
    for (_, end), (start, _) in itertools.pairwise(ordered):
        assert end <= start
    for f in findings:
        assert f.span is not None and text[f.span[0]:f.span[1]] == f.evidence


@given(texts)
@settings(max_examples=200, deadline=None)
def test_holdback_never_releases_an_unfinished_identifier(text: str) -> None:
    final = {(f.span, f.meta["type"]) for f in DETECTOR.detect(text)}
    for length in range(len(text) + 1):
        prefix = text[:length]
        hold = DETECTOR.holdback(prefix)
        assert 0 <= hold <= length
        released = length - hold
        # Whatever is released is final: the same findings the whole text will have there.
        early = {(f.span, f.meta["type"]) for f in DETECTOR.detect(prefix)
                 if f.span is not None and f.span[1] <= released}
        assert early == {(span, kind) for span, kind in final if span is not None and span[1] <= released}
        # And no identifier of the whole text straddles the release point.
        assert all(not (span[0] < released < span[1]) for span, _ in final if span is not None)


@given(texts)
@settings(max_examples=200, deadline=None)
def test_a_window_starting_holdback_characters_back_sees_what_the_whole_text_shows(text: str) -> None:
    # How a stream checks new text: from the release point, plus holdback(released) of left context.
    final = {(f.span, f.meta["type"], f.score) for f in DETECTOR.detect(text)}
    for start in range(len(text) + 1):
        window_start = start - DETECTOR.holdback(text[:start])
        seen = {((f.span[0] + window_start, f.span[1] + window_start), f.meta["type"], f.score)
                for f in DETECTOR.detect(text[window_start:]) if f.span is not None}
        expected = {x for x in final if x[0] is not None and x[0][0] >= start}
        assert {x for x in seen if x[0][0] >= start} == expected


def test_holdback_examples() -> None:
    assert DETECTOR.holdback("你好。") == 0
    assert DETECTOR.holdback("号码 138 ") == 4  # "138 " may continue as "1234 5678"
    assert DETECTOR.holdback("车牌京") == 1  # a plate's province character
    assert DETECTOR.holdback("车牌京A12") == 4
    assert DETECTOR.holdback("x" * 1000) == 256  # nothing we detect is longer than an e-mail
    assert DETECTOR.holdback("我的护照号码是") == 5  # the cue word: a passport number may follow
    assert DETECTOR.holdback("护照" + "。" * 20) == 0
    assert DETECTOR.holdback("这是护") == 1  # may become 护照
