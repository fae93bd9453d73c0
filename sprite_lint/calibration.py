"""Thresholds from approved sprites alone: split/cross-conformal with an honest fitted tail.

With ``n`` calibration scores from approved art that the model did not train on, the
threshold ``t`` is the ``ceil((n + 1)(1 - alpha))``-th smallest score, and a new sprite
exchangeable with the approved ones exceeds ``t`` with probability at most ``alpha``.
The conformal p-value ``(1 + #{s_i >= s}) / (n + 1)`` cannot go below ``1 / (n + 1)``,
so when ``alpha < 1 / (n + 1)`` no order statistic is a valid threshold. Then an
exponential tail (peaks over threshold) is fitted to the largest scores and the threshold
is extrapolated from it, with the tail's scale taken at its 90% upper confidence bound,
and never below the largest calibration score (which alone bounds the false-alarm rate by
``1 / (n + 1)``); ``method`` says so and the output states it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sprite_lint.errors import BaselineError, CalibrationError

MIN_CALIBRATION_SCORES = 20


@dataclass(frozen=True)
class Calibration:
    """A fitted threshold: ``score > threshold`` fails; ``p_value`` is monotone in the score."""

    alpha: float
    scores: tuple[float, ...]  # sorted calibration scores
    threshold: float
    method: str  # "conformal" or "tail"
    tail_start: float  # u: tail model applies above this score
    tail_scale: float  # beta: mean excess over u
    tail_count: int  # m: calibration scores above u

    @property
    def n(self) -> int:
        return len(self.scores)

    @property
    def min_conformal_alpha(self) -> float:
        """The smallest alpha an order statistic of these scores supports: ``1 / (n + 1)``."""
        return 1.0 / (self.n + 1)

    def p_value(self, score: float) -> float:
        """Conformal p-value; beyond the largest calibration score, the fitted tail's."""
        s = np.asarray(self.scores)
        n = self.n
        conformal = (1 + int(np.count_nonzero(s >= score))) / (n + 1)
        if score <= s[-1]:
            return conformal
        tail = self.tail_count / (n + 1) * math.exp(-(score - self.tail_start) / self.tail_scale)
        return min(conformal, tail)

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "method": self.method,
            "threshold": self.threshold,
            "tail": {"start": self.tail_start, "scale": self.tail_scale, "count": self.tail_count},
            "scores": list(self.scores),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        try:
            cal = cls(
                alpha=float(d["alpha"]),
                scores=tuple(sorted(float(x) for x in d["scores"])),
                threshold=float(d["threshold"]),
                method=str(d["method"]),
                tail_start=float(d["tail"]["start"]),
                tail_scale=float(d["tail"]["scale"]),
                tail_count=int(d["tail"]["count"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineError(f"baseline calibration section is malformed ({exc!r})") from None
        if cal.method not in ("conformal", "tail") or not cal.scores or cal.tail_scale <= 0:
            raise BaselineError("baseline calibration section is malformed")
        return cal


TAIL_CONFIDENCE = 0.9  # of the upper bound on the fitted tail's scale


def _scale_inflation(m: int) -> float:
    """``2m / chi2_(1 - TAIL_CONFIDENCE)(2m)``: the upper confidence bound on an exponential
    scale estimated from ``m`` excesses, as a multiple of the estimate (Wilson-Hilferty)."""
    k = 2 * m
    z = -1.2815515655446004  # standard normal quantile at 1 - TAIL_CONFIDENCE
    quantile = k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3
    return k / quantile


def fit_calibration(scores: Sequence[float], alpha: float) -> Calibration:
    """Fit the threshold for false-alarm rate ``alpha`` from approved-sprite scores."""
    if not 0.0 < alpha < 1.0:
        raise CalibrationError(f"alpha must be between 0 and 1, got {alpha}")
    s = np.sort(np.asarray(scores, dtype=np.float64))
    n = s.size
    if n < MIN_CALIBRATION_SCORES:
        raise CalibrationError(
            f"{n} calibration scores are too few; at least {MIN_CALIBRATION_SCORES} are needed"
        )
    # Peaks over threshold: the top fifth of the scores (at least 5) above u.
    m = min(n - 1, max(5, round(0.2 * n)))
    u = float(s[n - m - 1])
    excess = s[n - m :] - u
    # The tail's scale from m points is uncertain: use its one-sided upper confidence bound
    # (2 m beta_hat / beta ~ chi2(2 m)), so an extrapolated threshold errs towards fewer
    # false alarms, as users of a linter want.
    beta = max(float(excess.mean()), 1e-9 * (abs(u) + 1.0)) * _scale_inflation(m)
    k = math.ceil((n + 1) * (1 - alpha))
    if k <= n:
        method, threshold = "conformal", float(s[k - 1])
    else:
        # Never below the largest calibration score: that alone bounds false alarms by
        # 1 / (n + 1) (conformal); the fitted tail extrapolates beyond it towards alpha.
        method = "tail"
        threshold = max(u + beta * math.log(m / ((n + 1) * alpha)), float(s[-1]))
    return Calibration(
        alpha=alpha,
        scores=tuple(float(x) for x in s),
        threshold=threshold,
        method=method,
        tail_start=u,
        tail_scale=beta,
        tail_count=m,
    )
