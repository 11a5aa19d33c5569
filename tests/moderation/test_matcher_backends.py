"""The two matcher backends report exactly the same matches, in block and chunked-stream modes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hegui.core.errors import ConfigError
from hegui.moderation import matcher_backends
from hegui.moderation.matcher import Match, Matcher, build_matcher

HAS_HYPERSCAN = matcher_backends.hyperscan_available()
needs_hyperscan = pytest.mark.skipif(not HAS_HYPERSCAN, reason="Hyperscan does not run on this machine")


def brute_force(patterns: list[bytes], data: bytes) -> list[Match]:
    """The definition of the result: every occurrence of every non-empty pattern."""
    found = []
    for idx, pat in enumerate(patterns):
        if not pat:
            continue
        start = data.find(pat)
        while start != -1:
            found.append((idx, start, start + len(pat)))
            start = data.find(pat, start + 1)
    return sorted(found, key=lambda m: (m[2], m[0]))


def stream_all(matcher: Matcher, chunks: list[bytes]) -> list[Match]:
    stream = matcher.stream()
    out: list[Match] = []
    for chunk in chunks:
        got = stream.feed(chunk)
        out.extend(got)
    out.extend(stream.close())
    return out


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    pieces, prev = [], 0
    for p in [*points, len(data)]:
        pieces.append(data[prev:p])
        prev = p
    return pieces


def backends() -> list[str]:
    return ["ahocorasick", "hyperscan"] if HAS_HYPERSCAN else ["ahocorasick"]


# A small alphabet of 1-, 2-, 3- and 4-byte characters (and a NUL) so random texts are full of matches
# and chunk boundaries fall inside multi-byte characters.
ALPHABET = "ab法轮功习近平中国😀é\x00 "
texts = st.text(alphabet=ALPHABET, max_size=120)
pattern_lists = st.lists(st.text(alphabet=ALPHABET, min_size=0, max_size=5), max_size=12)


@given(pattern_lists, texts, st.lists(st.integers(min_value=0, max_value=400), max_size=8))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_backends_agree_with_brute_force_in_block_and_stream_mode(
    pattern_texts: list[str], text: str, cuts: list[int]
) -> None:
    patterns = [p.encode() for p in pattern_texts]
    data = text.encode()
    expected = brute_force(patterns, data)
    chunks = split_at(data, cuts)
    for name in backends():
        matcher = build_matcher(patterns, name, use_cache=False)
        assert matcher.backend == name
        assert matcher.scan(data) == expected, name
        assert stream_all(matcher, chunks) == expected, name
        pids, starts, ends = matcher.scan_arrays(data)
        assert list(zip(pids.tolist(), starts.tolist(), ends.tolist(), strict=True)) == expected, name


@given(st.lists(st.sampled_from(["法轮", "轮功", "法轮功", "a", "aa", "😀😀"]), min_size=1, max_size=6),
       st.text(alphabet="法轮功a😀", max_size=60), st.lists(st.integers(0, 200), max_size=10))
@settings(max_examples=100, deadline=None)
def test_overlapping_and_duplicate_patterns_streamed_byte_by_byte(
    pattern_texts: list[str], text: str, cuts: list[int]
) -> None:
    patterns = [p.encode() for p in pattern_texts]
    data = text.encode()
    expected = brute_force(patterns, data)
    for name in backends():
        matcher = build_matcher(patterns, name, use_cache=False)
        assert stream_all(matcher, [data[i:i + 1] for i in range(len(data))]) == expected
        assert stream_all(matcher, split_at(data, cuts)) == expected


@pytest.mark.parametrize("name", backends())
def test_concrete_overlaps_and_offsets(name: str) -> None:
    patterns = ["法轮功".encode(), "轮功".encode(), b"aa", "轮功".encode()]
    matcher = build_matcher(patterns, name)
    data = "x法轮功aaa".encode()
    assert matcher.scan(data) == [(0, 1, 10), (1, 4, 10), (3, 4, 10), (2, 10, 12), (2, 11, 13)]
    assert matcher.pattern_count == 4
    # The stream reports a match in the feed where it ENDS, with absolute offsets.
    stream = matcher.stream()
    assert stream.feed("x法轮".encode()) == []
    assert stream.feed("功a".encode()) == [(0, 1, 10), (1, 4, 10), (3, 4, 10)]
    assert stream.feed(b"aa") == [(2, 10, 12), (2, 11, 13)]
    assert stream.close() == []


@pytest.mark.parametrize("name", backends())
def test_empty_pattern_list_and_empty_input(name: str) -> None:
    empty = build_matcher([], name)
    assert empty.pattern_count == 0
    assert empty.scan(b"anything") == []
    assert stream_all(empty, [b"a", b"b"]) == []
    only_empty = build_matcher([b""], name)
    assert only_empty.scan(b"abc") == []
    matcher = build_matcher([b"a"], name)
    assert matcher.scan(b"") == []
    assert stream_all(matcher, [b"", b"", b"a", b""]) == [(0, 0, 1)]


@pytest.mark.parametrize("name", backends())
def test_feed_after_close_is_an_error(name: str) -> None:
    stream = build_matcher([b"a"], name).stream()
    stream.close()
    with pytest.raises(RuntimeError):
        stream.feed(b"a")


def test_auto_picks_hyperscan_when_it_runs() -> None:
    matcher = build_matcher([b"abc"], "auto")
    assert matcher.backend == ("hyperscan" if HAS_HYPERSCAN else "ahocorasick")


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown matcher backend 'pcre'"):
        build_matcher([b"a"], "pcre")


@needs_hyperscan
def test_scan_is_thread_safe() -> None:
    patterns = [f"词{i}".encode() for i in range(200)]
    matcher = build_matcher(patterns, "hyperscan")
    data = "".join(f"词{i}。" for i in range(200)).encode() * 20
    expected = matcher.scan(data)
    results: list[bool] = []

    def worker() -> None:
        results.extend(matcher.scan(data) == expected for _ in range(20))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 80 and all(results)


@needs_hyperscan
def test_large_databases_are_cached_on_disk_and_reused(tmp_path: Path) -> None:
    patterns = [f"术语{i:05d}".encode() for i in range(matcher_backends.CACHE_MIN_PATTERNS)]
    data = "前文术语00042后文术语01999".encode()
    first = build_matcher(patterns, "hyperscan", cache_dir=tmp_path)
    files = list(tmp_path.glob("*.hsdb"))
    assert len(files) == 1
    inode = files[0].stat().st_ino
    second = build_matcher(patterns, "hyperscan", cache_dir=tmp_path)
    assert files[0].stat().st_ino == inode  # loaded, not rewritten (a rewrite renames a new file in)
    assert first.scan(data) == second.scan(data) == [(42, 6, 17), (1999, 23, 34)]
    # A corrupt cache file is ignored and replaced, never an error.
    files[0].write_bytes(b"garbage")
    third = build_matcher(patterns, "hyperscan", cache_dir=tmp_path)
    assert third.scan(data) == [(42, 6, 17), (1999, 23, 34)]
    # Streaming compiles (and caches) its own database.
    assert stream_all(third, [data[:7], data[7:]]) == [(42, 6, 17), (1999, 23, 34)]
    assert len(list(tmp_path.glob("*.hsdb"))) == 2


def test_small_pattern_sets_are_not_cached(tmp_path: Path) -> None:
    build_matcher([b"a", b"b"], "auto", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_auto_falls_back_to_ahocorasick_and_logs_it(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(matcher_backends, "hyperscan_available", lambda: False)
    with caplog.at_level("INFO", logger="hegui.moderation.matcher_backends"):
        matcher = build_matcher([b"ab", b"b"], "auto")
    assert matcher.backend == "ahocorasick" and matcher.scan(b"ab") == [(0, 0, 2), (1, 1, 2)]
    assert "matcher backend: ahocorasick" in caplog.text
    with pytest.raises(ConfigError, match="Hyperscan does not work here"):
        build_matcher([b"a"], "hyperscan")


@pytest.mark.parametrize("name", backends())
def test_abandoned_streams_are_freed_without_close(name: str) -> None:
    import gc

    matcher = build_matcher([b"abc", b"bcd"], name)
    for _ in range(300):
        stream = matcher.stream()
        assert stream.feed(b"xab") == []
        assert stream.feed(b"cd") == [(0, 1, 4), (1, 2, 5)]
        del stream
    gc.collect()
    assert matcher.scan(b"abcd") == [(0, 0, 3), (1, 1, 4)]


@needs_hyperscan
def test_cache_keeps_the_most_recently_used_databases(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(matcher_backends, "CACHE_MIN_PATTERNS", 1)
    monkeypatch.setattr(matcher_backends, "CACHE_KEEP_FILES", 2)

    def files() -> set[str]:
        return {p.name for p in tmp_path.glob("*.hsdb")}

    build_matcher([b"one"], "hyperscan", cache_dir=tmp_path)
    first = files()
    build_matcher([b"two"], "hyperscan", cache_dir=tmp_path)
    second = files() - first
    # Make the order unambiguous: "one" older than "two".
    os.utime(tmp_path / next(iter(first)), (1e9 - 300, 1e9 - 300))
    os.utime(tmp_path / next(iter(second)), (1e9 - 200, 1e9 - 200))
    build_matcher([b"one"], "hyperscan", cache_dir=tmp_path)  # a hit: "one" becomes the newest
    build_matcher([b"three"], "hyperscan", cache_dir=tmp_path)  # written: "two" is evicted
    assert first <= files() and not (second & files()) and len(files()) == 2
