"""Gaussian kernel density over patch-level latent vectors, evaluated with numpy alone.

``check`` scores with :class:`GaussianKDE` (no scikit-learn); ``calibrate`` chooses the
bandwidth with scikit-learn's cross-validated likelihood (:func:`select_bandwidth`).
``GaussianKDE.score_samples`` equals ``sklearn.neighbors.KernelDensity(kernel="gaussian")``'s.
"""

from __future__ import annotations

import numpy as np

from sprite_lint.errors import UsageError

_CHUNK = 256  # query rows per block: memory is _CHUNK * n_reference * 8 bytes (16 MiB)
_CHUNK32 = 128  # rows per float32 block for the nearest-kernel bound (4 MiB, cache-friendly)


def _with_ones(q: np.ndarray) -> np.ndarray:
    return np.hstack([q, np.ones((q.shape[0], 1), dtype=q.dtype)])


class GaussianKDE:
    """Isotropic Gaussian KDE, sklearn-style: ``fit(X) -> self``, learned attributes end in ``_``.

    ``score_samples`` returns the log density (higher = more typical);
    ``decision_function`` returns its negation (higher = more anomalous).
    """

    def __init__(self, bandwidth: float = 1.0) -> None:
        self.bandwidth = bandwidth

    def fit(self, X: np.ndarray) -> GaussianKDE:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0:
            raise UsageError(f"KDE needs a non-empty 2-D array, got shape {X.shape}")
        h = float(self.bandwidth)
        if not (np.isfinite(h) and h > 0 and 0 < h * h < np.inf):  # 1e-300 squares to 0
            raise UsageError(f"KDE bandwidth must be positive, got {self.bandwidth}")
        self.reference_ = X
        self.sq_norms_ = np.einsum("ij,ij->i", X, X)
        inv_h2 = 1.0 / (self.bandwidth * self.bandwidth)
        self.scaled_reference_ = X * inv_h2
        self.half_sq_norms_ = self.sq_norms_ * (0.5 * inv_h2)
        # [r / h^2, -|r|^2 / (2 h^2)]: one matrix product with [q, 1] gives the shifted log
        # kernels; in float32 for the nearest-kernel bound (see nearest_log_kernel)
        aug = np.hstack([self.scaled_reference_, -self.half_sq_norms_[:, None]])
        self.augmented_ = np.ascontiguousarray(aug.T)  # (d + 1, n)
        self.augmented32_ = self.augmented_.astype(np.float32)
        n, d = X.shape
        self.log_norm_ = -np.log(n) - d * np.log(self.bandwidth) - 0.5 * d * np.log(2 * np.pi)
        return self

    def _shifted_log_kernels(self, q: np.ndarray) -> np.ndarray:
        """``-|q - r|^2 / (2 h^2)`` for every reference, plus ``|q|^2 / (2 h^2)`` per row.

        The per-row term is added back by the callers; leaving it out saves a pass over
        the ``(len(q), n_reference)`` array, which is where check spends its KDE time.
        """
        return _with_ones(q) @ self.augmented_  # q.r / h^2 - |r|^2 / (2 h^2)

    def _row_term(self, q: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", q, q) * (0.5 / (self.bandwidth * self.bandwidth))

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log density of each row of ``X``."""
        X = np.asarray(X, dtype=np.float64)
        out = np.empty(X.shape[0])
        for start in range(0, X.shape[0], _CHUNK):
            q = X[start : start + _CHUNK]
            g = self._shifted_log_kernels(q)
            m = g.max(axis=1)
            g -= m[:, None]
            np.exp(g, out=g)
            out[start : start + _CHUNK] = m - self._row_term(q) + np.log(g.sum(axis=1))
        return out + self.log_norm_

    def nearest_log_kernel(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The largest single kernel term of each row, ``max -|x - r|^2 / (2 h^2)``, and a
        bound on its error: computed in float32, which is what makes it cheap.

        ``log_norm_ + nearest <= score_samples <= log_norm_ + nearest + log(n_reference)``
        (each side widened by the error), which lets the scorer skip cells that cannot be
        a sprite's least dense.
        """
        X = np.asarray(X, dtype=np.float64)
        out = np.empty(X.shape[0])
        for start in range(0, X.shape[0], _CHUNK32):
            q = _with_ones(X[start : start + _CHUNK32]).astype(np.float32)
            out[start : start + _CHUNK32] = (q @ self.augmented32_).max(axis=1)
        row = self._row_term(X)
        # every term is at most |row| + max|r|^2/(2h^2) in size; float32 keeps 1e-7 of it
        err = 1e-5 * (row + self.half_sq_norms_.max() + 1.0)
        return np.minimum(out - row, 0.0), err

    def loo_score_samples(self) -> np.ndarray:
        """Leave-one-out log density of every reference row (each scored without itself)."""
        R = self.reference_
        n = R.shape[0]
        if n < 2:
            return np.full(n, -np.inf)
        out = np.empty(n)
        inv = -0.5 / (self.bandwidth * self.bandwidth)
        for start in range(0, n, _CHUNK):
            q = R[start : start + _CHUNK]
            d2 = (
                self.sq_norms_[start : start + _CHUNK, None]
                - 2.0 * q @ R.T
                + self.sq_norms_[None, :]
            )
            np.maximum(d2, 0.0, out=d2)
            a = d2 * inv
            a[np.arange(q.shape[0]), np.arange(start, start + q.shape[0])] = -np.inf  # not itself
            m = a.max(axis=1, keepdims=True)
            out[start : start + _CHUNK] = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
        # n - 1 kernels remain in each sum
        return out + self.log_norm_ + np.log(n) - np.log(n - 1)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Negative log density: higher = more anomalous."""
        return -self.score_samples(X)


GRID = np.logspace(-1.5, 0.7, 23)  # candidate bandwidths, in units of the standardized latent
# the bandwidths a baseline may hold: select_bandwidth gives one of GRID or 1.0, and this
# range leaves room around them. Within it the scaled reference (r / h^2, |r|^2 / 2h^2)
# stays far inside float32, which nearest_log_kernel computes in; 1e-300 would not.
BANDWIDTH_RANGE = (1e-3, 1e3)


def select_bandwidth(X: np.ndarray, seed: int = 0, max_points: int = 2000) -> float:
    """Bandwidth maximising 5-fold cross-validated log-likelihood (calibrate only).

    The same search as scikit-learn's ``GridSearchCV(KernelDensity(), {"bandwidth": GRID},
    cv=KFold(5, shuffle=True, random_state=seed))`` (its folds, tested equal), with the
    likelihoods from one distance matrix per fold instead of a tree per bandwidth: 20x
    faster, and exact.

    Near-duplicate vectors (an empty background repeats in every sprite) are removed first:
    a duplicate in both a training and a validation fold drives the likelihood to favour
    a zero bandwidth.
    """
    from sklearn.model_selection import KFold

    X = np.unique(np.round(np.asarray(X, dtype=np.float64), 3), axis=0)
    rng = np.random.default_rng(seed)
    if X.shape[0] > max_points:
        X = X[rng.choice(X.shape[0], max_points, replace=False)]
    if X.shape[0] < 10:
        return 1.0
    n, d = X.shape
    sq = np.einsum("ij,ij->i", X, X)
    total = np.zeros(len(GRID))
    for train, valid in KFold(5, shuffle=True, random_state=seed).split(X):
        d2 = sq[valid, None] - 2.0 * X[valid] @ X[train].T + sq[None, train]
        np.maximum(d2, 0.0, out=d2)
        for k, h in enumerate(GRID):
            a = d2 * (-0.5 / (h * h))
            m = a.max(axis=1, keepdims=True)
            log_sum = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
            norm = -np.log(len(train)) - d * np.log(h) - 0.5 * d * np.log(2 * np.pi)
            total[k] += float((log_sum + norm).sum())
    return float(GRID[int(np.argmax(total))])
