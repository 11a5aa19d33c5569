"""Multi-pattern literal matching over UTF-8 bytes: Hyperscan (block + streaming) with an automatic
portable fallback (ahocorasick-rs) where Hyperscan is unavailable. Both report the same matches.

Interface only here; backends live in ``matcher_backends`` (see build_matcher).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

# A match: (pattern index, start byte, end byte) — end exclusive, offsets into the scanned bytes
# (for streams: into the concatenation of everything fed so far).
Match = tuple[int, int, int]
# The same matches as three int64 arrays: pattern indexes, start bytes, end bytes.
MatchArrays = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


class MatchStream(ABC):
    @abstractmethod
    def feed(self, chunk: bytes) -> list[Match]:
        """Scan the next chunk; return the matches that END inside it (absolute offsets)."""

    @abstractmethod
    def close(self) -> list[Match]:
        """Finish the stream; return any remaining matches."""


class Matcher(ABC):
    """Finds every occurrence (overlapping included) of every pattern. Thread-safe for ``scan``."""

    backend: ClassVar[str]

    @abstractmethod
    def scan(self, data: bytes) -> list[Match]:
        """All matches in ``data``, sorted by (end, pattern index)."""

    def scan_arrays(self, data: bytes) -> MatchArrays:
        """``scan`` as arrays (same matches, same order): for callers that go on with numpy, a long
        text's thousands of matches need not become tuples first."""
        found = self.scan(data)
        if not found:
            return no_matches()
        columns = np.asarray(found, dtype=np.int64)
        return columns[:, 0].copy(), columns[:, 1].copy(), columns[:, 2].copy()

    @abstractmethod
    def stream(self) -> MatchStream:
        """A new stream: chunked scanning that finds matches crossing chunk boundaries."""

    @property
    @abstractmethod
    def pattern_count(self) -> int: ...


def no_matches() -> MatchArrays:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty, empty


def build_matcher(
    patterns: Sequence[bytes],
    backend: str = "auto",
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> Matcher:
    """Compile literal ``patterns`` (pattern index = position in the sequence).

    ``backend``: ``auto`` (Hyperscan if it imports and runs here, else ahocorasick), ``hyperscan`` or
    ``ahocorasick``. Large Hyperscan databases are cached on disk in ``cache_dir`` (default
    ``$XDG_CACHE_HOME/hegui/hyperscan``) unless ``use_cache`` is False.
    """
    from hegui.moderation import matcher_backends

    return matcher_backends.build(patterns, backend, cache_dir=cache_dir, use_cache=use_cache)
