"""Thresholds from approved sprites alone: split/cross-conformal, or per-signal tails.

With ``n`` calibration scores from approved art that the model did not train on, the
threshold ``t`` is the ``ceil((n + 1)(1 - alpha))``-th smallest score, and a new sprite
exchangeable with the approved ones exceeds ``t`` with probability at most ``alpha``.
The conformal p-value ``(1 + #{s_i >= s}) / (n + 1)`` cannot go below ``1 / (n + 1)``,
so when ``alpha < 1 / (n + 1)`` no order statistic is a valid threshold.

Then the threshold comes from each signal's own tail (``method`` "tail"). The score is
the largest of ``J`` signals, each standardized by ``sprite_lint.standardize`` so that,
if its upper tail on approved art is exponential, ``P(z_j > t) = q exp(-t)`` with ``q``
the share of approved sprites above the tail's start (1 - TAIL_QUANTILE). The union
bound (Bonferroni) gives ``P(max_j z_j > t) <= J q exp(-t)``, and the threshold is
``t = log(J q / alpha)``. Fitting each signal's tail separately is what lets the
threshold spend its budget: one approved sprite far out on one signal widens that
signal's scale, not the limit every other signal is held to (a single tail fitted to the
maximum would sit above it, and above almost every defect). The guarantee rests on the
fitted tails, not on ranks alone; ``calibrate`` warns when more calibration scores than
``alpha`` allows exceed it, and every report says ``tail-extrapolated``.
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
    tail_start: float  # u: the tail model P(score > s) = m / (n + 1) exp(-(s - u) / beta)...
    tail_scale: float  # beta
    tail_count: float  # m (the signals' union bound: n_signals x tail share x (n + 1))

    @property
    def n(self) -> int:
        return len(self.scores)

    @property
    def min_conformal_alpha(self) -> float:
        """The smallest alpha an order statistic of these scores supports: ``1 / (n + 1)``."""
        return 1.0 / (self.n + 1)

    def p_value(self, score: float) -> float:
        """Conformal p-value, or the signals' tail bound where that is smaller."""
        s = np.asarray(self.scores)
        n = self.n
        conformal = (1 + int(np.count_nonzero(s >= score))) / (n + 1)
        if self.method == "conformal" and score <= s[-1]:
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
        """The section ``to_dict`` wrote. Raises :class:`BaselineError` for a missing
        field, a value that is not a finite number (``true`` is not one), or a section
        that is not what ``fit_calibration`` gives for its own scores and alpha."""

        def number(value: Any, field: str) -> float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BaselineError(f"baseline calibration section: {field} is not a number")
            try:
                finite = math.isfinite(value)
            except OverflowError:  # an integer past float's range (10**400)
                finite = False
            if not finite:
                raise BaselineError(f"baseline calibration section: {field} is not finite")
            return float(value)

        try:
            tail, raw_scores = d["tail"], d["scores"]
            if not isinstance(tail, dict) or not isinstance(raw_scores, list) or not raw_scores:
                raise BaselineError("baseline calibration section: tail or scores is malformed")
            cal = cls(
                alpha=number(d["alpha"], "alpha"),
                scores=tuple(sorted(number(x, "a score") for x in raw_scores)),
                threshold=number(d["threshold"], "threshold"),
                method=str(d["method"]),
                tail_start=number(tail["start"], "tail start"),
                tail_scale=number(tail["scale"], "tail scale"),
                tail_count=number(tail["count"], "tail count"),
            )
        except KeyError as exc:
            raise BaselineError(f"baseline calibration section: {exc.args[0]} is missing") from None
        except TypeError:
            raise BaselineError("baseline calibration section is malformed") from None
        return cal

    def check_fits(self, n_signals: int, tail_share: float) -> None:
        """Raise :class:`BaselineError` unless this is what ``fit_calibration`` gives for
        its own scores and alpha: a hand-edited threshold or alpha is refused, not used."""
        if not 0.0 < self.alpha < 1.0:
            raise BaselineError(f"baseline calibration alpha {self.alpha} is not between 0 and 1")
        try:
            fit = fit_calibration(self.scores, self.alpha, n_signals, tail_share)
        except CalibrationError as exc:
            raise BaselineError(f"baseline calibration section: {exc}") from None
        mine = (self.threshold, self.tail_start, self.tail_scale, self.tail_count)
        theirs = (fit.threshold, fit.tail_start, fit.tail_scale, fit.tail_count)
        if self.method != fit.method or not np.allclose(mine, theirs, rtol=1e-9, atol=1e-12):
            raise BaselineError(
                "baseline calibration section does not follow from its own scores and alpha "
                "(edited by hand?). To judge at another false-alarm rate use check --alpha; "
                "otherwise re-run sprite-lint calibrate."
            )


def fit_calibration(
    scores: Sequence[float], alpha: float, n_signals: int = 1, tail_share: float = 0.2
) -> Calibration:
    """Fit the threshold for false-alarm rate ``alpha`` from approved-sprite scores.

    ``scores``: combined scores (the largest of ``n_signals`` standardized signals, each
    with ``P(z > t) = tail_share * exp(-t)`` in its fitted tail) of approved sprites the
    model did not train on. Raises :class:`CalibrationError` for a bad ``alpha`` or fewer
    than MIN_CALIBRATION_SCORES scores.
    """
    if not 0.0 < alpha < 1.0:
        raise CalibrationError(f"alpha must be between 0 and 1, got {alpha}")
    s = np.sort(np.asarray(scores, dtype=np.float64))
    n = s.size
    if n < MIN_CALIBRATION_SCORES:
        raise CalibrationError(
            f"{n} calibration scores are too few; at least {MIN_CALIBRATION_SCORES} are needed"
        )
    # the union bound of the signals' tails: P(score > t) <= weight * exp(-t)
    weight = n_signals * tail_share
    k = math.ceil((n + 1) * (1 - alpha))
    if k <= n:
        method, threshold = "conformal", float(s[k - 1])
    else:
        method, threshold = "tail", math.log(weight / alpha)
    return Calibration(
        alpha=alpha,
        scores=tuple(float(x) for x in s),
        threshold=threshold,
        method=method,
        tail_start=0.0,
        tail_scale=1.0,
        tail_count=weight * (n + 1),
    )
