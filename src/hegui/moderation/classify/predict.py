"""Scoring texts with the shipped models: ``FastClassifier`` (char n-grams, ~0.6 ms per 1 KB) and
``SemanticHead`` (embedding + linear head: ~0.4 ms a token on one core at depth 4). Both return calibrated
probabilities per label, in ``LABEL_NAMES`` order."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hegui.moderation.classify import features, semantic
from hegui.moderation.classify.labels import GATE_LABEL, LABEL_NAMES
from hegui.moderation.classify.model import LinearModel, load_model

F32 = npt.NDArray[np.float32]
FAST_MODEL_FILE = "hegui-fast.npz"
_GATE = LABEL_NAMES.index(GATE_LABEL)
SEMANTIC_MODEL_FILE = "hegui-semantic.npz"            # layers 1-4: Chinese and mixed text
SEMANTIC_DEEP_MODEL_FILE = "hegui-semantic-deep.npz"  # all 12 layers: text mostly in Latin script


def shipped_model_path(file_name: str) -> Path:
    return Path(str(resources.files("hegui.moderation") / "data" / "models" / file_name))


_SENTENCE_END = re.compile(r"[。！？!?；;…\n]+|[.](?=\s)")


def windows(text: str, size: int, max_windows: int | None = None) -> list[tuple[int, int]]:
    """Spans of ``text`` to score: whole sentences packed into windows of at most ``size`` characters,
    each window starting at the previous one's last sentence (so every sentence is seen with a
    neighbour); a sentence longer than ``size`` gets half-overlapping windows of its own. With
    ``max_windows``, only the first and last windows of a longer text (bounds the cost)."""
    if len(text) <= size:
        return [(0, len(text))]
    cuts = [m.end() for m in _SENTENCE_END.finditer(text)]
    bounds = [0, *(c for c in cuts if 0 < c < len(text)), len(text)]
    sentences = list(itertools.pairwise(bounds))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        start, end = sentences[i]
        if end - start > size:  # one long sentence: fixed windows
            stride = size // 2
            spans += [(s, min(s + size, end)) for s in range(start, end - stride, stride)]
            i += 1
            continue
        j = i
        while j + 1 < len(sentences) and sentences[j + 1][1] - start <= size:
            j += 1
        spans.append((start, sentences[j][1]))
        if j + 1 >= len(sentences):
            break
        i = j if j > i else j + 1  # overlap by one sentence, but always move on
    if max_windows is not None and len(spans) > max_windows:
        half = max(1, max_windows // 2)
        spans = spans[:half] + spans[-half:]
    return spans


class _WindowedModel:
    """Scores a text window by window (a short harmful passage is not diluted by a long benign
    text); a text's probabilities are those of its window with the highest gate probability."""

    window_chars: int
    max_windows: int | None = None
    model: LinearModel

    @property
    def version(self) -> str:
        return self.model.version

    def _score(self, texts: Sequence[str]) -> F32:
        raise NotImplementedError

    def score_windows(self, text: str) -> tuple[list[tuple[int, int]], F32]:
        spans = windows(text, self.window_chars, self.max_windows)
        return spans, self._score([text[s:e] for s, e in spans])

    def predict(self, text: str) -> F32:
        out: F32 = self.predict_many([text])[0]
        return out

    def predict_many(self, texts: Sequence[str]) -> F32:
        if not texts:
            return np.zeros((0, len(LABEL_NAMES)), np.float32)
        pieces: list[str] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            for s, e in windows(text, self.window_chars, self.max_windows):
                pieces.append(text[s:e])
                owner.append(i)
        probs = self._score(pieces)
        gate = probs[:, _GATE]
        best = np.full(len(texts), -1, np.int64)
        for row, i in enumerate(owner):  # per text, the window with the highest gate probability
            if best[i] < 0 or gate[row] > gate[best[i]]:
                best[i] = row
        out: F32 = probs[best]
        return out


class FastClassifier(_WindowedModel):
    # A sentence or two: the length of most training texts, and short enough that one harmful
    # sentence in a long benign answer is not diluted (measured: at 128+ characters it is).
    window_chars = 96

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        spec = str(model.card.get("features", ""))
        if not spec.startswith(features.FEATURE_VERSION + "-"):
            from hegui.core.errors import ModelError

            raise ModelError(f"model {model.version}: features {spec!r} are not {features.FEATURE_VERSION}")
        self.bits = int(spec.rsplit("-", 1)[1])

    @classmethod
    def load(cls, path: Path | None = None) -> FastClassifier:
        return _load_fast(str(path or shipped_model_path(FAST_MODEL_FILE)))

    def _score_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> F32:
        indptr, idx, vals = features.span_features(text, spans, self.bits)
        return self.model.calibrate(self.model.logits_csr(indptr, idx, vals))

    def score_windows(self, text: str) -> tuple[list[tuple[int, int]], F32]:
        spans = windows(text, self.window_chars, self.max_windows)
        return spans, self._score_spans(text, spans)

    def predict_many(self, texts: Sequence[str]) -> F32:
        out = np.zeros((len(texts), len(LABEL_NAMES)), np.float32)
        for i, text in enumerate(texts):  # features of all windows of a text in one pass
            probs = self.score_windows(text)[1]
            out[i] = probs[int(probs[:, _GATE].argmax())]
        return out


class SemanticHead(_WindowedModel):
    window_chars = 512  # what the embedder reads
    max_windows = 8     # a huge prompt: its first and last 4 windows

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        self.depth, self.weights_sha256 = semantic.check_record(model.card.get("embedder"),
                                                                f"model {model.version}")

    @classmethod
    def load(cls, path: Path | None = None) -> SemanticHead:
        return _load_semantic(str(path or shipped_model_path(SEMANTIC_MODEL_FILE)))

    def warm_up(self) -> None:
        """Load the embedder now (~0.5 s) rather than on the first text."""
        self._score(["warm-up"])

    def _score(self, texts: Sequence[str]) -> F32:
        embedded = semantic.embed(texts, self.depth, self.weights_sha256)
        return self.model.calibrate(self.model.logits_dense(embedded))


class RoutedSemantic:
    """The semantic detector's scorer: the 4-layer head for Chinese and mixed text, the 12-layer head
    for text mostly in Latin script (``semantic.latin_share`` >= ``deep_share``). Measured: the first
    four layers separate harmful from benign Chinese prompts about as well as all twelve, but not
    English ones (XSTest F1 0.23 vs 0.56; docs/classifier.md), and English prompts are a minority
    that can afford ~45 ms. Without a deep head every text goes to the shallow one."""

    def __init__(self, shallow: SemanticHead, deep: SemanticHead | None = None,
                 deep_share: float = 0.5) -> None:
        self.shallow, self.deep, self.deep_share = shallow, deep, deep_share
        self.version = shallow.version if deep is None else f"{shallow.version}+{deep.version}"

    @classmethod
    def load(cls, path: Path | None = None, deep_path: Path | None = None, *, use_deep: bool = True,
             deep_share: float = 0.5) -> RoutedSemantic:
        deep = None
        if use_deep:
            deep = SemanticHead.load(deep_path or shipped_model_path(SEMANTIC_DEEP_MODEL_FILE))
        return cls(SemanticHead.load(path), deep, deep_share)

    def head_for(self, text: str) -> SemanticHead:
        if self.deep is not None and semantic.latin_share(text) >= self.deep_share:
            return self.deep
        return self.shallow

    def score_windows(self, text: str) -> tuple[list[tuple[int, int]], F32]:
        return self.head_for(text).score_windows(text)

    def predict_many(self, texts: Sequence[str]) -> F32:
        out = np.zeros((len(texts), len(LABEL_NAMES)), np.float32)
        routes = [self.head_for(t) for t in texts]
        for head in (self.shallow, self.deep):
            rows = [i for i, h in enumerate(routes) if h is head]
            if rows and head is not None:
                out[rows] = head.predict_many([texts[i] for i in rows])
        return out

    def gate_thresholds(self, texts: Sequence[str]) -> F32:
        """Each text's card threshold on the gate label (that of the head that scores it)."""
        return np.array([float(self.head_for(t).model.thresholds[_GATE]) for t in texts], np.float32)

    def warm_up(self) -> None:
        for head in (self.shallow, self.deep):
            if head is not None:
                head.warm_up()


@functools.lru_cache(maxsize=4)
def _load_fast(path: str) -> FastClassifier:
    return FastClassifier(load_model(Path(path), expect_labels=LABEL_NAMES))


@functools.lru_cache(maxsize=4)
def _load_semantic(path: str) -> SemanticHead:
    model = load_model(Path(path), expect_labels=LABEL_NAMES)
    if model.weights.shape[0] != semantic.EMBED_DIM:
        from hegui.core.errors import ModelError

        raise ModelError(f"{path}: semantic head expects {semantic.EMBED_DIM}-dimensional embeddings")
    return SemanticHead(model)
