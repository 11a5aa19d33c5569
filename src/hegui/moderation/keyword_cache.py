"""The keyword detector's compiled pattern tables cached on disk (start-up time).

Compiling 100k terms (normalizing them in both lanes, spelling them in pinyin, grouping the patterns)
takes ~1 s of Python; unpickling the result ~0.2 s. The key hashes everything compiling reads: each
term's text, mode and transformations in order, the normalized allow phrases, and the code and
normalizer tables that produce the lanes — so a changed library, a new hegui or new tables is simply
a new key. Stored with ``lexicon.parse_cache`` (same directory and eviction). Small detectors are
compiled directly (faster than hashing and unpickling, and tests stay out of the cache).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hegui.moderation.lexicon import parse_cache
from hegui.moderation.lexicon.model import Term, Transform

MIN_TERMS = 2000


@functools.lru_cache(maxsize=1)
def _code_version() -> str:
    from hegui.moderation.normalize import tables

    h = hashlib.blake2b(tables._cache_key().encode(), digest_size=16)
    here = Path(__file__).resolve().parent
    for name in ("keyword.py", "keyword_pinyin.py", "normalize/batch.py", "normalize/fast.py",
                 "normalize/split_forms.py", "normalize/verify.py"):
        h.update((here / name).read_bytes())
    return h.hexdigest()


def compiled_key(terms: Sequence[Term], allow: Sequence[str]) -> str | None:
    if len(terms) < MIN_TERMS:
        return None
    names: dict[frozenset[Transform], str] = {}
    for t in terms:
        if t.transforms not in names:
            names[t.transforms] = ",".join(sorted(t.transforms))
    body = "\n".join([f"{t.text}\t{t.mode.value}\t{names[t.transforms]}" for t in terms])
    h = hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=20)
    h.update("\0".join(allow).encode("utf-8", "surrogatepass"))
    return parse_cache.cache_key("compiled-keywords", h.digest(), _code_version())


def load(key: str | None, n_terms: int, parts: int) -> tuple[Any, ...] | None:
    state = parse_cache.load(key) if key else None
    if isinstance(state, tuple) and len(state) == parts and len(state[0]) == n_terms:
        return state
    return None


def store(key: str | None, state: tuple[Any, ...]) -> None:
    if key:
        parse_cache.store(key, state)
