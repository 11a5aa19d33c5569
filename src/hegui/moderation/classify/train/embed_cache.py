"""Embeddings of training texts, cached on disk by text digest (a retrain then costs seconds, not
minutes). Entries depend on the embedder version, which names the cache file."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hegui.moderation.classify.semantic import EMBED_DIM, embed, embedder_version
from hegui.moderation.classify.train.fit import one_blas_thread

_BATCH = 64


def _cache_file(depth: int) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hegui" / "embeddings" / f"{embedder_version(depth)}.npz"


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def embed_cached(texts: Sequence[str], depth: int) -> npt.NDArray[np.float32]:
    path = _cache_file(depth)
    known: dict[bytes, npt.NDArray[np.float32]] = {}
    if path.exists():
        try:
            with np.load(path) as stored:
                keys, vecs = stored["keys"], stored["vectors"]
            known = {bytes(k): v for k, v in zip(keys, vecs, strict=True)}
        except (OSError, ValueError, KeyError):
            known = {}  # a damaged cache is rebuilt
    digests = [_digest(t) for t in texts]
    missing = sorted({d: t for d, t in zip(digests, texts, strict=True) if d not in known}.items())
    with one_blas_thread():  # BLAS sums in an order that depends on its thread count: same bytes
        for start in range(0, len(missing), _BATCH):
            chunk = missing[start:start + _BATCH]
            for (d, _), vec in zip(chunk, embed([t for _, t in chunk], depth), strict=True):
                known[d] = vec
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known), dtype="S16"), vectors=np.stack(list(known.values())))
        os.replace(tmp, path)
    if not texts:
        return np.zeros((0, EMBED_DIM), np.float32)
    return np.stack([known[d] for d in digests]).astype(np.float32)
