"""ModerationStream: generated text is released only after a check has covered it."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.core.types import Action, Detector, Direction
from hegui.moderation.engine import Moderator
from hegui.moderation.pii import PIIDetector
from hegui.moderation.policy import parse_policy
from hegui.testing.detectors import TermDetector

POLICY = """
version = "stream-test-1"
[detectors.terms]
[detectors.pii]

[[rules]]
risk = "*"
min_score = 0.5
action = "label"

[[rules]]
risk = "A1"
min_score = 0.8
action = "block"

[[rules]]
detector = "pii"
risk = "*"
min_score = 0.5
action = "rewrite"

[templates.refuse]
zh = "拒绝"
en = "refused"

[templates.block]
zh = "【已停止】"
en = "[stopped]"
"""

# "abcd" blocks alone; "xy" and "pq" are weak (0.6) but together (0.84) they block too.
TERMS = {"abcd": ("A1.4", 0.95), "xy": ("A1.8", 0.6), "pq": ("A1.8", 0.6), "炸弹": ("A1.4", 0.9)}
STOPS = (Action.REFUSE, Action.BLOCK)


def make(exact_holdback: bool = True, pii: bool = False) -> Moderator:
    policy = parse_policy(POLICY, detector_names=["terms", "pii"])
    detectors: list[Detector] = [TermDetector(TERMS, exact_holdback=exact_holdback)]
    if pii:
        detectors.append(PIIDetector())
    return Moderator(detectors, policy)


EXACT = make()
DEFAULT_HOLDBACK = make(exact_holdback=False)

# Term letters, filler letters, CJK, and separators the detector ignores (space, dot, zero-width).
alphabet = st.sampled_from(list("abcdxypq") + list("ez炸弹") + [" ", ".", "-", "\u200b"])
texts = st.text(alphabet, max_size=60)


def chunked(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points)]


def run_stream(moderator: Moderator, chunks: list[str]) -> tuple[str, str, object]:
    stream = moderator.stream(Direction.OUTPUT, check_every=1)
    emitted = "".join(stream.feed(c) for c in chunks) + stream.finish()
    return emitted, stream.released_text, stream


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=12),
       exact=st.booleans(), check_every=st.sampled_from([1, 1, 4, 24]))
def test_released_text_never_holds_what_a_whole_check_would_stop(text: str, cuts: list[int],
                                                                    exact: bool, check_every: int) -> None:
    moderator = EXACT if exact else DEFAULT_HOLDBACK
    whole = moderator.check(text, Direction.OUTPUT)
    stream = moderator.stream(Direction.OUTPUT, check_every=check_every)
    emitted = "".join(stream.feed(c) for c in chunked(text, cuts)) + stream.finish()
    released = stream.released_text
    # What was released is a prefix of the text and, checked on its own, would not be stopped.
    assert text.startswith(released)
    assert moderator.check(released, Direction.OUTPUT).action not in STOPS
    if whole.action in STOPS:
        # No stopping finding of the whole text lies inside the released text.
        assert stream.stopped and stream.verdict.message in ("[stopped]", "【已停止】")
        assert emitted == released + stream.verdict.message
        assert stream.verdict.action is whole.action
    else:
        # Chunking never causes a false stop: everything comes out, with the same verdict.
        assert not stream.stopped and emitted == released == text
        assert stream.verdict.action is whole.action
        assert stream.verdict.risks == pytest.approx(whole.risks)


def test_term_spread_over_many_chunks_and_separators_is_caught() -> None:
    chunks = ["safe text ", "a", " . ", "b", "\u200b", "c  ", "-", "d", " tail"]
    emitted, released, stream = run_stream(EXACT, chunks)
    assert released == "safe text "  # nothing of the term ever left the stream
    assert emitted == "safe text [stopped]"
    assert stream.verdict.action is Action.BLOCK  # type: ignore[attr-defined]


def test_text_is_released_before_the_end_with_exact_holdback() -> None:
    stream = EXACT.stream(check_every=1)
    first = stream.feed("hello there, ")
    assert first == "hello th"  # the tail holding the last 3 significant characters waits
    assert first + stream.feed("friend") + stream.finish() == "hello there, friend"
    assert stream.verdict.action is Action.PASS and not stream.stopped


def test_default_holdback_is_conservative_but_complete() -> None:
    stream = DEFAULT_HOLDBACK.stream()
    assert stream.feed("short answer") == ""  # fewer than 64 significant characters: all held
    assert stream.finish() == "short answer"
    long_text = "word " * 40
    stream = DEFAULT_HOLDBACK.stream(check_every=1)
    out = stream.feed(long_text)
    assert 0 < len(out) < len(long_text)
    assert out + stream.finish() == long_text


def test_weak_hits_across_the_stream_add_up_like_a_whole_check() -> None:
    text = "xy " + "e" * 20 + " pq and more"
    assert EXACT.check(text, "output").action is Action.BLOCK
    emitted, released, _ = run_stream(EXACT, list(text))
    assert "pq" not in released and emitted.endswith("[stopped]")


def test_after_a_stop_nothing_more_is_released() -> None:
    stream = EXACT.stream(check_every=1)
    out = stream.feed("炸弹是这样做的：")
    assert out == "【已停止】" and stream.stopped
    assert stream.feed("更多内容") == "" and stream.finish() == ""
    assert stream.verdict.message == "【已停止】"


def test_personal_information_in_output_is_masked_as_it_streams() -> None:
    moderator = make(pii=True)
    text = "客服电话是13812345678，欢迎来电。" + "谢谢" * 40
    for size, every in ((1, 1), (3, 24), (7, 1), (len(text), 24)):
        stream = moderator.stream(check_every=every)
        emitted = "".join(stream.feed(text[i:i + size]) for i in range(0, len(text), size))
        emitted += stream.finish()
        assert "13812345678" not in emitted
        assert emitted == moderator.check(text, "output").rewritten
        assert stream.verdict.action is Action.REWRITE


def test_stream_limit_and_bad_chunks() -> None:
    from hegui.core.errors import InputError, PayloadTooLargeError

    small = Moderator(EXACT.detectors, EXACT.policy, max_text_chars=5)
    stream = small.stream(check_every=1)
    stream.feed("abc")
    with pytest.raises(PayloadTooLargeError):
        stream.feed("efg")
    with pytest.raises(InputError):
        EXACT.stream().feed(None)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        EXACT.stream(direction="both")


def test_a_masked_identifier_is_never_released_in_halves() -> None:
    # "5678欢迎" completes inside the holdback while the phone number is already settled, so the
    # release point would fall inside the number: half-masked halves would reveal its digits.
    terms = {"5678欢迎": ("A1.8", 0.3), "z" * 20: ("A1.8", 0.3)}
    policy = parse_policy(POLICY, detector_names=["terms", "pii"])
    moderator = Moderator([TermDetector(terms), PIIDetector()], policy)
    text = "电话13812345678" + "，欢迎来电咨询我们的服务" * 4
    stream = moderator.stream(check_every=1)
    emitted = "".join(stream.feed(ch) for ch in text) + stream.finish()
    assert emitted == moderator.check(text, "output").rewritten
    assert "1234" not in emitted and "138****5678" in emitted


def _reference_tail(text: str, count: int) -> int:
    import unicodedata

    if count <= 0:
        return 0
    seen = 0
    for back, char in enumerate(reversed(text), start=1):
        if unicodedata.category(char)[0] not in "ZPSCM":
            seen += 1
            if seen >= count:
                return back
    return len(text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.sampled_from(list("ab1炸①_ .\u200b\u0301😀\t")) | st.characters(), max_size=300),
       count=st.integers(min_value=0, max_value=90))
def test_significant_tail_counts_letters_and_digits_only(text: str, count: int) -> None:
    from hegui.core.types import significant_tail

    assert significant_tail(text, count) == _reference_tail(text, count)


def test_checks_gather_new_text_between_runs() -> None:
    stream = EXACT.stream(check_every=10)
    assert stream.feed("hello ") == ""          # 6 new characters: no check yet
    assert stream.feed("there, fr") == "hello ther"  # 15 new: checked; "e, fr" holds 3 letters
    assert stream.feed("iend") == ""
    assert stream.finish() == "e, friend"
