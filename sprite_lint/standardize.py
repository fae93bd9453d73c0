"""One scale for every signal: the approved art's own tail.

Signals come in different units (pixels, shares, log densities) and with different
tails on approved art: a count of stray pixels is 0 on almost every approved sprite, the
latent density of a new subject's least typical cell varies widely. Each is put on the
scale of its upper tail on approved sprites the model did not train on (peaks over
threshold): with ``u`` the 80th percentile and ``beta`` the mean excess over ``u`` of the
top fifth of the values (its maximum-likelihood estimate under an exponential tail),

    z = (s - u) / beta

so that, if the tail is roughly exponential, ``P(z > t) ~ 0.2 exp(-t)`` for every signal
alike. A signal whose excesses are heavy (new content is normal) is compressed; one that
approved art never shows (an opaque background) is expanded, down to ``SCALE_FLOOR``: the
smallest change in the signal's own unit that an artist would call a defect (for signals
with no natural unit, RELATIVE_FLOOR of their tail start). Two-sided
signals (``fringe``: darker *or* lighter edges; ``outline``) are measured as the distance from the
approved median first. A share whose tail on approved art is heavy (``palette``: a new
sprite of a flat-palette set may bring a new colour for most of its area) is taken on
its log-odds scale ``log((p + e) / (1 + e - p))``, ``e = LOGIT_EPS``, before its tail is
fitted: an exponential tail there is a heavy one on the share itself. The decision score
is the largest ``z``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sprite_lint.errors import BaselineError
from sprite_lint.signals import LOGIT_SCALE, SCALE_FLOOR, SIGNALS, TWO_SIDED

TAIL_QUANTILE = 0.8
RELATIVE_FLOOR = 0.05  # of the tail start |u|, for signals measured in no natural unit
RELATIVE_SIGNALS = frozenset(s for s in SIGNALS if SCALE_FLOOR[s] <= 1e-6)
LOGIT_EPS = 0.01  # keeps a share of 0 or 1 finite on the log-odds scale
_LOGIT = np.array([s in LOGIT_SCALE for s in SIGNALS])


@dataclass(frozen=True)
class Standardizer:
    """``z = (side(s) - loc) / scale`` per signal; ``side`` folds two-sided signals about
    ``centre`` (0 for one-sided ones)."""

    centre: tuple[float, ...]
    loc: tuple[float, ...]
    scale: tuple[float, ...]

    @classmethod
    def fit(cls, raw: np.ndarray) -> Standardizer:
        """``raw``: ``(n, len(SIGNALS))`` raw scores of approved sprites not trained on."""
        raw = cls._scaled(np.asarray(raw, dtype=np.float64))
        centre = np.array(
            [float(np.median(raw[:, j])) if s in TWO_SIDED else 0.0 for j, s in enumerate(SIGNALS)]
        )
        folded = cls._fold(raw, centre)
        loc = np.quantile(folded, TAIL_QUANTILE, axis=0)
        # the mean excess of the top share (ties at u included), the exponential scale's
        # maximum-likelihood estimate: a signal that approved art shows on few sprites
        # (holes, stray pixels) keeps a scale its bulk supports
        m = max(1, round((1 - TAIL_QUANTILE) * folded.shape[0]))
        top = np.sort(folded, axis=0)[-m:]
        excess = (top - loc).mean(axis=0)
        # a signal without a natural unit (a model's residual, a density, a distance) is
        # floored at a share of its own level: a spread of almost nothing on approved art
        # must not turn any change into a score of millions
        floor = np.array([scale_floor(s, u) for s, u in zip(SIGNALS, loc)])
        scale = np.maximum(np.asarray(excess), floor)
        return cls(*(tuple(float(v) for v in a) for a in (centre, loc, scale)))

    @staticmethod
    def _fold(raw: np.ndarray, centre: np.ndarray) -> np.ndarray:
        two = np.array([s in TWO_SIDED for s in SIGNALS])
        return np.where(two, np.abs(raw - centre), raw)

    @staticmethod
    def _scaled(raw: np.ndarray) -> np.ndarray:
        """Shares in LOGIT_SCALE on their log-odds scale; the other signals as they are."""
        p = np.clip(raw, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.log((p + LOGIT_EPS) / (1.0 + LOGIT_EPS - p))
        return np.where(_LOGIT, odds, raw)

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Raw ``(..., len(SIGNALS))`` -> standardized, same shape; higher = more anomalous."""
        raw = self._scaled(np.asarray(raw, dtype=np.float64))
        folded = self._fold(raw, np.asarray(self.centre))
        return (folded - np.asarray(self.loc)) / np.asarray(self.scale)

    def to_dict(self) -> dict[str, Any]:
        return {
            name: {"centre": c, "loc": lo, "scale": sc}
            for name, c, lo, sc in zip(SIGNALS, self.centre, self.loc, self.scale)
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Standardizer:
        """The section ``to_dict`` wrote. Raises :class:`BaselineError` naming the signal
        and field for one that is missing, not a finite number, or a scale below the
        floor ``fit`` gives it (a scale of almost nothing turns any change into a score
        of millions, and 0 divides by zero)."""
        if not isinstance(d, dict):
            raise BaselineError("baseline standardizer section is malformed")
        parts: list[list[float]] = [[], [], []]
        for s in SIGNALS:
            entry = d.get(s)
            if not isinstance(entry, dict):
                raise BaselineError(f"baseline standardizer section: signal {s!r} is missing")
            for k, key in enumerate(("centre", "loc", "scale")):
                value = entry.get(key)
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise BaselineError(f"baseline standardizer section: {s}.{key} is not a number")
                if not _finite(value):
                    raise BaselineError(f"baseline standardizer section: {s}.{key} is not finite")
                parts[k].append(float(value))
            loc, scale = parts[1][-1], parts[2][-1]
            if not scale >= scale_floor(s, loc):
                raise BaselineError(
                    f"baseline standardizer section: {s}.scale {scale!r} is below "
                    f"{scale_floor(s, loc):.3g}, the floor calibrate gives it"
                )
        return cls(*(tuple(p) for p in parts))


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer past float's range
        return False


def scale_floor(signal: str, loc: float) -> float:
    """The smallest scale ``fit`` gives ``signal`` whose tail starts at ``loc``:
    SCALE_FLOOR in the signal's unit, or RELATIVE_FLOOR of its tail start."""
    if signal in RELATIVE_SIGNALS:
        return RELATIVE_FLOOR * abs(loc) + 1e-6
    return SCALE_FLOOR[signal]


def combine(z: np.ndarray) -> tuple[float, str]:
    """Combined decision score of standardized signals, and which signal drives it."""
    i = int(np.argmax(z))
    return float(z[i]), SIGNALS[i]
