"""Build the shipped models from a data folder + our written corpus + a seed, and their model cards.

``train_fast`` trains the char-n-gram model on every may-ship training source; ``train_semantic``
trains the embedding head on the prompt-like subset. Both calibrate on a held-out split and pick
per-label thresholds there. Whole sources (MultiJail, XSTest, CBBQ) and the test splits are never
seen; ``evaluation_sets`` rebuilds them for benchmarks/moderation_quality.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hegui.moderation.classify import features
from hegui.moderation.classify.labels import GATE_LABEL, LABEL_NAMES
from hegui.moderation.classify.model import LinearModel, card_path, load_model, save_model, write_card
from hegui.moderation.classify.train import sources
from hegui.moderation.classify.train.evaluate import evaluation_report
from hegui.moderation.classify.train.fit import best_f1_threshold, fit_multilabel, fit_platt
from hegui.moderation.classify.train.sources import Example

F64 = npt.NDArray[np.float64]

# Share of each source kept out for testing (rest: training, of which CALIB_FRACTION calibrates).
TEST_FRACTION = {"jade": 0.2, "jailbench": 0.2, "safetyqa": 0.3}
CALIB_FRACTION = 0.15
# Relative weight of one example per source: balances 25k COLD comments against a few thousand
# prompts and our written lines, which carry the risks COLD lacks.
SOURCE_WEIGHT = {"cold": 1.0, "swsr": 1.0, "jade": 2.0, "jailbench": 1.5, "safetyqa": 2.0, "corpus": 3.0}
# Training sources to hold out wholly (an ablation: `hegui model train --holdout swsr` measures how
# the model transfers to a source it never saw). The shipped models hold out none of them.
HELD_OUT: tuple[str, ...] = ()
WRAPPED_WEIGHT = 0.25  # 20 jailbreak templates × seeds: many near-copies
# Share of training texts that also appear disguised (homophones, pinyin, symbols, traditional
# script, emoji), harmful and benign alike, so a disguise alone is no evidence of harm.
AUGMENT_SHARE = 0.3


@dataclass
class Splits:
    train: list[Example] = field(default_factory=list)
    calib: list[Example] = field(default_factory=list)
    test: dict[str, list[Example]] = field(default_factory=dict)


def make_splits(data: Path, corpus_dir: Path, seed: int, holdout: tuple[str, ...] = HELD_OUT) -> Splits:
    """Train / calibration / test splits; sources in ``holdout`` go wholly to the test sets."""
    salt = f"hegui-split-{seed}"
    splits = Splits()
    streams: list[tuple[str, Iterable[Example]]] = [
        ("cold", sources.cold(data, "train")), ("swsr", sources.swsr(data)),
        ("jade", sources.jade(data)), ("jailbench", sources.jailbench(data)),
        ("safetyqa", sources.safetyqa(data)), ("corpus", sources.corpus(corpus_dir))]
    seen: set[str] = set()
    for name, rows in streams:
        test_share = TEST_FRACTION.get(name, 0.0)
        for ex in rows:
            if ex.text in seen:  # one copy of a text, first source wins
                continue
            seen.add(ex.text)
            b = sources.bucket(ex.group, salt)
            if name in holdout:
                splits.test.setdefault(name, []).append(ex)
            elif b < test_share:
                splits.test.setdefault(f"{name}-test", []).append(ex)
            elif b < test_share + CALIB_FRACTION * (1 - test_share):
                splits.calib.append(ex)
            else:
                splits.train.append(ex)
    return splits


def augmented(examples: list[Example], seed: int) -> list[Example]:
    """Disguised copies of a stable share of ``examples`` (deterministic for a seed)."""
    import random

    from hegui.moderation.classify.train.perturb import DISGUISES

    names = sorted(DISGUISES)
    out = []
    for ex in examples:
        if ex.meta.get("kind") == "wrapped" or sources.bucket(ex.group, f"augment-{seed}") >= AUGMENT_SHARE:
            continue
        rng = random.Random(f"{seed}\0{ex.group}")
        disguise = DISGUISES[names[rng.randrange(len(names))]]
        out.append(Example(disguise(ex.text, rng), ex.labels, ex.source, ex.group, ex.meta))
    return out


def evaluation_sets(data: Path, corpus_dir: Path, seed: int, holdout: tuple[str, ...] = HELD_OUT
                    ) -> dict[str, list[Example]]:
    """Every test set: the test splits of trained sources, COLD dev, and the held-out sources."""
    sets = dict(make_splits(data, corpus_dir, seed, holdout).test)
    # Test-only sources are optional: a data folder without them still trains (and is evaluated on
    # what it has).
    if (data / "cold" / "dev.csv").is_file():
        sets["cold-dev"] = list(sources.cold(data, "dev"))
    if (data / "multijail" / "MultiJail.csv").is_file():
        sets["multijail-zh"] = list(sources.multijail(data, "zh"))
        sets["multijail-en"] = list(sources.multijail(data, "en"))
    if (data / "xstest" / "xstest_prompts.csv").is_file():
        sets["xstest"] = list(sources.xstest(data))
    if (data / "cbbq" / "data").is_dir():
        sets["cbbq"] = sources.cbbq_questions(data)
    return sets


def label_matrix(examples: list[Example]) -> F64:
    y = np.zeros((len(examples), len(LABEL_NAMES)))
    gate = LABEL_NAMES.index(GATE_LABEL)
    for i, ex in enumerate(examples):
        for j, name in enumerate(LABEL_NAMES):
            y[i, j] = name in ex.labels
        y[i, gate] = bool(ex.labels)
    return y


def _weights(examples: list[Example]) -> F64:
    return np.array([SOURCE_WEIGHT[ex.source] * (WRAPPED_WEIGHT if ex.meta.get("kind") == "wrapped" else 1.0)
                     for ex in examples])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fit_and_calibrate(train_x: Any, calib_x: Any, splits: Splits, *, l2: float, max_iter: int,
                       progress: Callable[[str], None]) -> tuple[F64, F64, F64, F64, F64, dict[str, Any]]:
    y_train, y_calib = label_matrix(splits.train), label_matrix(splits.calib)
    pos = y_train.sum(axis=0)
    pos_weight = np.minimum(np.sqrt((len(y_train) - pos) / np.maximum(pos, 1.0)), 8.0)
    progress(f"fitting {train_x.shape[0]} examples × {train_x.shape[1]} features × {len(LABEL_NAMES)} labels")
    w, b = fit_multilabel(train_x, y_train, _weights(splits.train), l2=l2, max_iter=max_iter,
                          pos_weight=pos_weight)
    z = np.asarray(calib_x @ w) + b
    n_labels = len(LABEL_NAMES)
    a_c, b_c, thresholds = np.ones(n_labels), np.zeros(n_labels), np.full(n_labels, 0.5)
    metrics: dict[str, Any] = {}
    for j, name in enumerate(LABEL_NAMES):
        a_c[j], b_c[j] = fit_platt(z[:, j], y_calib[:, j])
        p = 1.0 / (1.0 + np.exp(-(a_c[j] * z[:, j] + b_c[j])))
        thresholds[j] = best_f1_threshold(p, y_calib[:, j])
        pred, gold = p >= thresholds[j], y_calib[:, j] > 0
        tp = int((pred & gold).sum())
        metrics[name] = {"calib_positives": int(gold.sum()), "train_positives": int(pos[j]),
                         "precision": round(tp / max(int(pred.sum()), 1), 4),
                         "recall": round(tp / max(int(gold.sum()), 1), 4),
                         "threshold": float(thresholds[j])}
    return w, b, a_c, b_c, thresholds, metrics


def _card(name: str, kind: str, feature_spec: str, data: Path, corpus_dir: Path, seed: int,
          splits: Splits, metrics: dict[str, Any], hyper: dict[str, Any]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for ex in splits.train + splits.calib:
        counts[ex.source] = counts.get(ex.source, 0) + 1
    return {
        "name": name, "kind": kind, "features": feature_spec, "seed": seed, "hyperparameters": hyper,
        "training_sources": [{"name": s, "examples": counts.get(s, 0), "licence": sources.SOURCES[s].licence,
                              "may_ship": sources.SOURCES[s].may_ship, "role": sources.SOURCES[s].role}
                             for s in sorted(counts)],
        "never_trained_on": [*hyper.get("holdout", ()), "multijail", "xstest", "cbbq", "cold dev.csv",
                             *(f"{k} ({int(v * 100)} % test split)" for k, v in TEST_FRACTION.items())],
        "data_files": {(p.relative_to(data).as_posix() if p.is_relative_to(data) else f"corpus/{p.name}"):
                       _sha256(p) for p in sources.source_files(data, corpus_dir)},
        "calibration": f"Platt scaling per label on {len(splits.calib)} held-out examples "
                       f"({int(CALIB_FRACTION * 100)} % of each training source)",
        "calibration_metrics": metrics,
        "intended_use": "first-pass moderation of Chinese (and some English) text; findings are "
                        "evidence for the policy, not verdicts",
    }


def train_fast(data: Path, corpus_dir: Path, out: Path, *, seed: int = 0, bits: int = features.DEFAULT_BITS,
               l2: float = 2e-5, max_iter: int = 300, holdout: tuple[str, ...] = HELD_OUT,
               progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    scipy = __import__("hegui.moderation.classify.train.fit", fromlist=["_scipy"])._scipy()
    splits = make_splits(data, corpus_dir, seed, holdout)
    splits.train += augmented(splits.train, seed)
    progress(f"features for {len(splits.train)} training and {len(splits.calib)} calibration texts")

    def matrix(examples: list[Example]) -> Any:
        indptr, indices, values = features.batch_features([ex.text for ex in examples], bits)
        return scipy.sparse.csr_matrix((values.astype(np.float64), indices, indptr),
                                       shape=(len(examples), 2 ** bits))

    train_x, calib_x = matrix(splits.train), matrix(splits.calib)
    w, b, a_c, b_c, thr, metrics = _fit_and_calibrate(train_x, calib_x, splits, l2=l2, max_iter=max_iter,
                                                      progress=progress)
    card = _card("hegui-fast", "char-ngram-logistic", f"{features.FEATURE_VERSION}-{bits}", data, corpus_dir,
                 seed, splits, metrics,
                 {"l2": l2, "max_iter": max_iter, "bits": bits, "holdout": list(holdout)})
    from hegui.moderation.classify.predict import FastClassifier

    progress("evaluating on the test sets")
    return _save_and_evaluate(out, (w, b, a_c, b_c, thr), card, FastClassifier,
                              evaluation_sets(data, corpus_dir, seed, holdout))


def _save_and_evaluate(out: Path, arrays: tuple[F64, F64, F64, F64, F64], card: dict[str, Any],
                       scorer: Callable[[LinearModel], Any], sets: dict[str, list[Example]]
                       ) -> dict[str, Any]:
    """Save the model, load it back as shipped (``scorer`` wraps it: FastClassifier / SemanticHead),
    score the test sets with it and record the figures in the card."""
    w, b, a_c, b_c, thr = (a.astype(np.float32) for a in arrays)
    save_model(out, LinearModel(LABEL_NAMES, w, b, a_c, b_c, thr, card))
    shipped = scorer(load_model(out, expect_labels=LABEL_NAMES))
    return _add_evaluation(out, evaluation_report(lambda t: shipped.predict_many(list(t)),
                                                  shipped.model.thresholds, sets))


def _add_evaluation(out: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Record test figures in the card (the card is not covered by the weights' checksum)."""
    import json

    card = json.loads(card_path(out).read_text(encoding="utf-8"))
    card["evaluation"] = {"flagged_when": "gate label 'harmful' >= its threshold", "sets": report}
    write_card(out, card)
    return dict(card)


# ---------------------------------------------------------------- semantic head

SEMANTIC_SOURCES = ("jade", "jailbench", "safetyqa", "corpus")
# Comments (not prompts) in the semantic head's training: a stable sample, so it also knows what
# ordinary offensive and ordinary benign comments look like.
SEMANTIC_COMMENT_SHARE = 0.08
SEMANTIC_TEST_SETS = ("jade-test", "jailbench-test", "safetyqa-test", "multijail-zh", "multijail-en",
                      "xstest", "cbbq")


def _semantic_subset(examples: list[Example], seed: int) -> list[Example]:
    def wanted(ex: Example) -> bool:
        if ex.source in SEMANTIC_SOURCES:
            return ex.meta.get("kind") != "wrapped"
        return sources.bucket(ex.group, f"semantic-{seed}") < SEMANTIC_COMMENT_SHARE

    return [ex for ex in examples if wanted(ex)]


def train_semantic(data: Path, corpus_dir: Path, out: Path, *, seed: int = 0, l2: float = 1e-4,
                   max_iter: int = 500, holdout: tuple[str, ...] = HELD_OUT, depth: int | None = None,
                   name: str = "hegui-semantic",
                   progress: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """A semantic head on the mean-pooled states after ``depth`` layers (shipped: ``hegui-semantic``
    at DEFAULT_DEPTH and ``hegui-semantic-deep`` at DEEP_DEPTH, see predict.RoutedSemantic)."""
    from hegui.moderation.classify.semantic import DEFAULT_DEPTH

    depth = DEFAULT_DEPTH if depth is None else depth
    from hegui.moderation.classify.semantic import embedder_record, embedder_version
    from hegui.moderation.classify.train.embed_cache import embed_cached

    full = make_splits(data, corpus_dir, seed, holdout)
    splits = Splits(_semantic_subset(full.train, seed), _semantic_subset(full.calib, seed), full.test)
    progress(f"embedding {len(splits.train)} training and {len(splits.calib)} calibration texts")
    train_x = embed_cached([ex.text for ex in splits.train], depth).astype(np.float64)
    calib_x = embed_cached([ex.text for ex in splits.calib], depth).astype(np.float64)
    w, b, a_c, b_c, thr, metrics = _fit_and_calibrate(train_x, calib_x, splits, l2=l2, max_iter=max_iter,
                                                      progress=progress)
    card = _card(name, "embedding-logistic", embedder_version(depth), data, corpus_dir, seed,
                 splits, metrics, {"l2": l2, "max_iter": max_iter, "holdout": list(holdout)})
    card["embedder"] = embedder_record(depth)
    from hegui.moderation.classify.predict import SemanticHead

    progress("evaluating on the prompt test sets")
    # wrapped jailbreaks are the fast model's job (long templates)
    sets = {name: [e for e in examples if e.meta.get("kind") != "wrapped"]
            for name, examples in evaluation_sets(data, corpus_dir, seed, holdout).items()
            if name in SEMANTIC_TEST_SETS}
    return _save_and_evaluate(out, (w, b, a_c, b_c, thr), card, SemanticHead, sets)
