"""The two implementations of ``hegui.moderation.matcher.Matcher``.

- ``HyperscanMatcher``: Intel Hyperscan (Vectorscan) literal databases, block mode for whole texts and
  stream mode for chunked text. Compiling ~100k literals takes seconds, so large databases are cached
  on disk (serialized, keyed by a hash of the patterns, the Hyperscan version and the mode).
- ``AhoCorasickMatcher``: the portable fallback (ahocorasick-rs, overlapping matches); streaming keeps a
  tail of (longest pattern - 1) bytes between chunks, so a match crossing a boundary is seen exactly once.

Both report every occurrence of every pattern (overlapping and duplicate patterns included) as
``(pattern index, start byte, end byte)``, sorted by (end, pattern index). An empty pattern never
matches (neither engine can express "matches everywhere" usefully).
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import functools
import hashlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from hegui.core.errors import ConfigError
from hegui.moderation.matcher import Match, MatchArrays, Matcher, MatchStream, no_matches

log = logging.getLogger(__name__)

BACKENDS = ("auto", "hyperscan", "ahocorasick")
# Below this many patterns Hyperscan compiles in milliseconds: not worth a file on disk.
CACHE_MIN_PATTERNS = 2_000
# The cache keeps the most recently USED databases (a hit refreshes the file's time) up to these
# limits; the rest are removed when a new one is written. A 100k-term detector holds several databases
# (lanes × block/stream) of 2–20 MB each, and several libraries/processes share the directory.
CACHE_KEEP_FILES = 64
CACHE_KEEP_BYTES = 512 * 1024 * 1024

_sort_key = itemgetter(2, 0)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/hegui/hyperscan`` (``~/.cache/hegui/hyperscan`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hegui" / "hyperscan"


def build(
    patterns: Sequence[bytes],
    backend: str = "auto",
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> Matcher:
    """Compile ``patterns`` with the chosen backend (see ``hegui.moderation.matcher.build_matcher``)."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown matcher backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    pats = [bytes(p) for p in patterns]
    if backend == "ahocorasick":
        return AhoCorasickMatcher(pats)
    if backend == "hyperscan":
        if not hyperscan_available():
            raise ConfigError("matcher backend 'hyperscan' requested but Hyperscan does not work here "
                              "(install the 'hyperscan' package on x86-64, or use backend 'auto')")
        return HyperscanMatcher(pats, cache_dir=cache_dir, use_cache=use_cache)
    if hyperscan_available():
        try:
            matcher: Matcher = HyperscanMatcher(pats, cache_dir=cache_dir, use_cache=use_cache)
        except Exception as err:  # a Hyperscan limit we did not foresee must not stop moderation
            log.warning("Hyperscan could not compile %d patterns (%s); using ahocorasick", len(pats), err)
        else:
            log.info("matcher backend: hyperscan (%d patterns)", len(pats))
            return matcher
    log.info("matcher backend: ahocorasick (%d patterns; Hyperscan unavailable)", len(pats))
    return AhoCorasickMatcher(pats)


@functools.cache
def hyperscan_available() -> bool:
    """True when the hyperscan module imports AND compiles and scans a database on this machine
    (the wheel exists only for some CPUs/platforms; an old CPU fails at compile time)."""
    try:
        import hyperscan

        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=[b"ok"], ids=[0], elements=1, flags=0, literal=True)
        seen: list[int] = []
        db.scan(b"ok", match_event_handler=lambda i, s, e, f, c: seen.append(e),
                scratch=hyperscan.Scratch(db))
        return seen == [2]
    except Exception as err:
        log.info("Hyperscan unavailable: %s", err)
        return False


class _EmptyStream(MatchStream):
    def feed(self, chunk: bytes) -> list[Match]:
        return []

    def close(self) -> list[Match]:
        return []


# --------------------------------------------------------------------------------------------- Hyperscan


class HyperscanMatcher(Matcher):
    backend = "hyperscan"

    def __init__(self, patterns: Sequence[bytes], *, cache_dir: Path | None = None,
                 use_cache: bool = True) -> None:
        import hyperscan

        self._hs: Any = hyperscan
        self._count = len(patterns)
        self._lengths = [len(p) for p in patterns]
        self._length_array = np.asarray(self._lengths, dtype=np.int64)
        # scan_arrays packs a match as end << _id_bits | pattern index: one int, sorted as (end, id).
        self._id_bits = max(1, len(patterns).bit_length())
        # Hyperscan ids are the caller's pattern indexes; empty patterns are left out.
        self._ids = [i for i, p in enumerate(patterns) if p]
        self._patterns = [patterns[i] for i in self._ids]
        self._cache_dir = (cache_dir or default_cache_dir()) if use_cache else None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._block_db: Any = self._database(hyperscan.HS_MODE_BLOCK) if self._ids else None
        self._stream_db: Any = None  # compiled on first use: most callers never stream

    @property
    def pattern_count(self) -> int:
        return self._count

    def scan(self, data: bytes) -> list[Match]:
        if self._block_db is None or not data:
            return []
        out: list[Match] = []
        lengths = self._lengths
        append = out.append

        def on_match(pid: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            # Literal patterns: the start is exact without asking Hyperscan to track it (cheaper).
            append((pid, end - lengths[pid], end))

        self._block_db.scan(data, match_event_handler=on_match, scratch=self._scratch("block"))
        out.sort(key=_sort_key)
        return out

    def scan_arrays(self, data: bytes) -> MatchArrays:
        if self._block_db is None or not data:
            return no_matches()
        packed: list[int] = []
        append = packed.append
        bits = self._id_bits

        def on_match(pid: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            append(end << bits | pid)  # (one int: no tuple, no lookup per match)

        self._block_db.scan(data, match_event_handler=on_match, scratch=self._scratch("block"))
        if not packed:
            return no_matches()
        matches = np.asarray(packed, dtype=np.int64)
        matches.sort()
        pids = matches & ((1 << bits) - 1)
        ends = matches >> bits
        return pids, ends - self._length_array[pids], ends

    def stream(self) -> MatchStream:
        if not self._ids:
            return _EmptyStream()
        with self._lock:
            if self._stream_db is None:
                db = self._database(self._hs.HS_MODE_STREAM)
                if db.scratch is None:  # loadb() leaves it unset; Stream.close() needs it
                    db.scratch = self._hs.Scratch(db)
                self._stream_db = db
        return _HyperscanStream(self)

    # -- internals

    def _scratch(self, mode: str) -> Any:
        """A scratch space per thread and mode: Hyperscan forbids sharing one between concurrent scans."""
        scratch = getattr(self._local, mode, None)
        if scratch is None:
            db = self._block_db if mode == "block" else self._stream_db
            scratch = self._hs.Scratch(db)
            setattr(self._local, mode, scratch)
        return scratch

    def _close_stream(self, stream: Any) -> None:
        # Stream.close(scratch=...) corrupts memory in hyperscan 0.7–0.9 (its argument parsing swaps
        # the type and the object), so close with the database's own scratch, one at a time. Literal
        # patterns report nothing at end of data, so no callback runs here.
        with self._lock:
            stream.close()

    def _database(self, mode: int) -> Any:
        hs = self._hs
        # The Python binding passes literals through strlen(), so a NUL byte would cut a pattern short:
        # such pattern sets are compiled as fully escaped regular expressions instead.
        literal = not any(b"\0" in p for p in self._patterns)
        key = self._cache_key(mode, literal)
        path = self._cache_dir / f"{key}.hsdb" if (key and self._cache_dir) else None
        if path is not None and path.is_file():
            try:
                db = hs.loadb(path.read_bytes(), mode)
            except Exception as err:  # stale or foreign file: recompile and overwrite
                log.info("ignoring unusable Hyperscan cache %s: %s", path, err)
            else:
                with contextlib.suppress(OSError):
                    os.utime(path)  # mark as recently used
                return db
        exprs = self._patterns if literal else [_escape(p) for p in self._patterns]
        db = hs.Database(mode=mode)
        db.compile(expressions=exprs, ids=self._ids, elements=len(exprs), flags=0, literal=literal)
        if path is not None:
            _write_cache(path, hs.dumpb(db))
        return db

    def _cache_key(self, mode: int, literal: bool) -> str | None:
        if self._cache_dir is None or len(self._patterns) < CACHE_MIN_PATTERNS:
            return None
        digest = hashlib.sha256()
        digest.update(f"hyperscan {self._hs.__version__} mode {mode} literal {literal}\n".encode())
        # Ids and lengths as packed arrays + the patterns concatenated: hashing 100k patterns one
        # update() at a time costs a noticeable share of start-up.
        digest.update(array.array("q", self._ids).tobytes())
        digest.update(array.array("q", (len(p) for p in self._patterns)).tobytes())
        digest.update(b"".join(self._patterns))
        return digest.hexdigest()[:40]


def _escape(pattern: bytes) -> bytes:
    return b"".join(b"\\x%02x" % b for b in pattern)


def _write_cache(path: Path, blob: bytes) -> None:
    """Atomic write (temp file + rename) so a concurrent reader never sees half a database; failures
    (read-only home, full disk) only cost the next start-up a recompile."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
        _prune_cache(path.parent)
    except OSError as err:
        log.info("could not write Hyperscan cache %s: %s", path, err)


def _open_stream(stream: Any) -> None:
    """``Stream.__enter__`` (hs_open_stream) of hyperscan 0.7–0.9 returns ``self`` without a new
    reference, so discarding its result frees the live stream. Detect it and restore the count."""
    alias = stream
    before = sys.getrefcount(alias)
    stream.__enter__()
    if sys.getrefcount(alias) < before:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(alias))


def _prune_cache(directory: Path) -> None:
    """Remove the least recently used databases beyond CACHE_KEEP_FILES / CACHE_KEEP_BYTES."""
    entries = []
    for file in directory.glob("*.hsdb"):
        with contextlib.suppress(OSError):  # another process may prune at the same time
            st = file.stat()
            entries.append((st.st_mtime, st.st_size, file))
    entries.sort(key=lambda e: e[0], reverse=True)
    total = 0
    for rank, (_mtime, size, file) in enumerate(entries):
        total += size
        if rank >= CACHE_KEEP_FILES or (rank > 0 and total > CACHE_KEEP_BYTES):
            file.unlink(missing_ok=True)


class _HyperscanStream(MatchStream):
    def __init__(self, matcher: HyperscanMatcher) -> None:
        self._matcher = matcher
        self._out: list[Match] = []
        lengths = matcher._lengths
        append = self._out.append

        def on_match(pid: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            append((pid, end - lengths[pid], end))

        # The binding does not take references to the database or the callback: hold them here, or the
        # interpreter frees them under a live stream (segfault).
        self._db = matcher._stream_db
        self._on_match = on_match
        # Positional with an explicit context: Stream() leaves the context pointer uninitialised otherwise.
        self._stream: Any = matcher._hs.Stream(self._db, 0, on_match, None)
        _open_stream(self._stream)
        self._open = True

    def feed(self, chunk: bytes) -> list[Match]:
        if not self._open:
            raise RuntimeError("feed() after close()")
        if chunk:
            self._stream.scan(chunk, scratch=self._matcher._scratch("stream"),
                              match_event_handler=self._on_match)
        return self._take()

    def close(self) -> list[Match]:
        if self._open:
            self._open = False
            self._matcher._close_stream(self._stream)
        return self._take()

    def _take(self) -> list[Match]:
        found = sorted(self._out, key=_sort_key)
        self._out.clear()
        return found

    def __del__(self) -> None:
        # The binding does not free an open stream on garbage collection.
        if getattr(self, "_open", False):
            with contextlib.suppress(Exception):
                self._matcher._close_stream(self._stream)


# ---------------------------------------------------------------------------------------- Aho-Corasick


class AhoCorasickMatcher(Matcher):
    backend = "ahocorasick"

    def __init__(self, patterns: Sequence[bytes]) -> None:
        import ahocorasick_rs

        self._count = len(patterns)
        self._ids = [i for i, p in enumerate(patterns) if p]
        self._max_len = max((len(p) for p in patterns), default=0)
        self._ac: Any = (ahocorasick_rs.BytesAhoCorasick([patterns[i] for i in self._ids])
                         if self._ids else None)

    @property
    def pattern_count(self) -> int:
        return self._count

    def scan(self, data: bytes) -> list[Match]:
        if self._ac is None or not data:
            return []
        ids = self._ids
        found = [(ids[i], s, e) for i, s, e in self._ac.find_matches_as_indexes(data, overlapping=True)]
        found.sort(key=_sort_key)
        return found

    def stream(self) -> MatchStream:
        if self._ac is None:
            return _EmptyStream()
        return _AhoCorasickStream(self._ac.find_matches_as_indexes, self._ids, self._max_len)


class _AhoCorasickStream(MatchStream):
    def __init__(self, find: Callable[..., list[tuple[int, int, int]]], ids: list[int], max_len: int) -> None:
        self._find = find
        self._ids = ids
        self._keep = max_len - 1  # a match ending in a new chunk starts at most this far before it
        self._tail = b""
        self._tail_offset = 0  # absolute offset of the first byte of the tail
        self._open = True

    def feed(self, chunk: bytes) -> list[Match]:
        if not self._open:
            raise RuntimeError("feed() after close()")
        if not chunk:
            return []
        buf = self._tail + chunk
        cut = len(self._tail)
        base = self._tail_offset
        ids = self._ids
        # Matches ending inside the tail were reported by the previous feed: keep only the new ones.
        found = [(ids[i], base + s, base + e)
                 for i, s, e in self._find(buf, overlapping=True) if e > cut]
        found.sort(key=_sort_key)
        keep = min(self._keep, len(buf))
        self._tail = buf[len(buf) - keep:] if keep > 0 else b""
        self._tail_offset = base + len(buf) - keep
        return found

    def close(self) -> list[Match]:
        self._open = False
        self._tail = b""
        return []
