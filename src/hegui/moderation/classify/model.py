"""A trained linear model on disk: weights (``.npz``) + a model card (``.card.json``) that names the
data it was trained on, its metrics, its version and the SHA-256 of the weights file.

Loading checks the card against the file (missing file, corrupt archive, checksum, label set, feature
version, shapes): a mismatch is a ``ModelError`` at start-up, never a wrong answer later. The ``.npz``
is written with fixed zip timestamps so the same training run gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hegui.core.errors import ModelError

F32 = npt.NDArray[np.float32]
CARD_SUFFIX = ".card.json"
_ARRAYS = ("weights", "bias", "calib_a", "calib_b", "thresholds")


def card_path(weights_path: Path) -> Path:
    return weights_path.with_name(weights_path.name.removesuffix(".npz") + CARD_SUFFIX)


@dataclass(frozen=True)
class LinearModel:
    """``p = sigmoid(calib_a * (x @ weights + bias) + calib_b)`` per label, x a feature vector."""

    labels: tuple[str, ...]
    weights: F32          # (features, labels)
    bias: F32             # (labels,)
    calib_a: F32          # Platt scaling, fitted on held-out data
    calib_b: F32
    thresholds: F32       # per label: the default decision threshold on the calibrated probability
    card: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.card["version"])

    def logits_csr(self, indptr: npt.NDArray[np.int64], indices: npt.NDArray[np.int64], values: F32) -> F32:
        """Logits of every row of a CSR matrix (rows = windows of one text) in a few numpy calls."""
        rows = len(indptr) - 1
        out: F32 = np.zeros((rows, self.weights.shape[1]), np.float32)
        starts = indptr[:-1]
        filled = np.flatnonzero(indptr[1:] > starts)
        if len(filled):  # reduceat over non-empty rows only: each sums up to the next one's start
            rows_of_weights = np.take(self.weights, indices, axis=0)  # (take: ~3x faster than fancy indexing)
            out[filled] = np.add.reduceat(rows_of_weights * values[:, None], starts[filled], axis=0)
        out += self.bias
        return out

    def logits_dense(self, x: F32) -> F32:
        out: F32 = x @ self.weights + self.bias
        return out

    def calibrate(self, logits: F32) -> F32:
        # In-place ufuncs, not np.clip and temporaries: this runs once per message on the hot path.
        z: F32 = (self.calib_a * logits).astype(np.float32, copy=False)
        z += self.calib_b
        np.maximum(z, -40.0, out=z)
        np.minimum(z, 40.0, out=z)
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)
        return z


def save_model(path: Path, model: LinearModel) -> dict[str, Any]:
    """Write ``path`` (.npz, float16 weights) and its card; returns the card as written."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in _ARRAYS:
            array = getattr(model, name)
            if name == "weights":
                array = array.astype(np.float16)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            data = io.BytesIO()
            np.lib.format.write_array(data, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(info, data.getvalue())
    blob = buf.getvalue()
    digest = hashlib.sha256(blob).hexdigest()
    card = dict(model.card)
    card["sha256"] = digest
    card["labels"] = list(model.labels)
    card.setdefault("version", f"{card.get('name', 'model')}-{digest[:12]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, blob)
    write_card(path, card)
    return card


def write_card(weights_path: Path, card: dict[str, Any]) -> None:
    text = json.dumps(card, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    _write_atomically(card_path(weights_path), text.encode("utf-8"))


def _write_atomically(path: Path, data: bytes) -> None:
    """Temp file + rename: a reader (a running server) never sees half a model."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_model(path: Path, *, expect_labels: tuple[str, ...] | None = None,
               expect_features: str | None = None) -> LinearModel:
    card_file = card_path(path)
    try:
        blob = path.read_bytes()
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ModelError(f"model file missing: {err.filename} (reinstall hegui or retrain with "
                         "`hegui model train`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"cannot read model {path} or its card: {err}") from None
    if not isinstance(card, dict) or "sha256" not in card or "labels" not in card:
        raise ModelError(f"{card_file}: not a hegui model card (needs sha256 and labels)")
    digest = hashlib.sha256(blob).hexdigest()
    if digest != card["sha256"]:
        raise ModelError(f"{path} does not match its model card {card_file.name} "
                         f"(sha256 {digest[:12]}… ≠ {str(card['sha256'])[:12]}…): the weights were "
                         "changed or the card belongs to another model")
    labels = tuple(card["labels"])
    if expect_labels is not None and labels != expect_labels:
        raise ModelError(f"{card_file}: labels {list(labels)} differ from this hegui's "
                         f"{list(expect_labels)} (model and code versions do not match)")
    if expect_features is not None and card.get("features") != expect_features:
        raise ModelError(f"{card_file}: features {card.get('features')!r} but this hegui computes "
                         f"{expect_features!r} (model and code versions do not match)")
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            arrays = {name: np.asarray(archive[f"{name}"], dtype=np.float32) for name in _ARRAYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise ModelError(f"{path}: corrupt model file ({err})") from None
    n = len(labels)
    w = arrays["weights"]
    if w.ndim != 2 or w.shape[1] != n or any(arrays[k].shape != (n,) for k in _ARRAYS[1:]):
        raise ModelError(f"{path}: array shapes do not fit {n} labels")
    return LinearModel(labels, np.ascontiguousarray(w), arrays["bias"], arrays["calib_a"],
                       arrays["calib_b"], arrays["thresholds"], card)
