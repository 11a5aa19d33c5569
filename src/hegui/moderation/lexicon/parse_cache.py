"""Parsed library files cached on disk (start-up time is part of the moderation budget).

Parsing a 100k-term library (``terms/*.tsv``, ~5 µs a line) and the seed's 480 KB ``lexicon.toml``
(tomllib is pure Python) takes ~0.8 s of a ~2 s start-up; loading the parse from a pickle takes a
tenth of that. Entries live in ``$XDG_CACHE_HOME/hegui/lexicon`` (default ``~/.cache/hegui/lexicon``),
keyed by a hash of the file's BYTES and everything else the parse depends on, so an edited file is
simply a new key; the newest ``MAX_FILES`` are kept. Only successful parses are stored (errors are
always reported from the file itself); an unreadable or foreign cache file is ignored, a cache that
cannot be written costs only the next start-up a parse.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import secrets
from pathlib import Path
from typing import Any

# Bump when what is stored changes shape.
FORMAT = "1"
MAX_FILES = 128


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hegui" / "lexicon"


def cache_key(kind: str, data: bytes, *context: str) -> str:
    digest = hashlib.blake2b(data, digest_size=20)
    digest.update("\0".join((FORMAT, kind, *context)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def load(key: str) -> Any:
    """The stored value, or None when there is none (or it cannot be read)."""
    path = cache_dir() / f"{key}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)  # our own cache directory, written by store()
    except Exception:  # missing, truncated or from another version: parse the file instead
        return None


def store(key: str, value: Any) -> None:
    directory = cache_dir()
    tmp = directory / f".{key}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tmp.open("xb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, directory / f"{key}.pickle")
        _evict(directory)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _evict(directory: Path) -> None:
    entries = []
    for path in directory.glob("*.pickle"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime, path))
    entries.sort(reverse=True)
    for _mtime, path in entries[MAX_FILES:]:
        with contextlib.suppress(OSError):
            path.unlink()
