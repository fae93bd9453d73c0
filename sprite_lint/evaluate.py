"""Detection quality on labelled held-out data: AUROC per signal, rates at the threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sprite_lint.check import FileResult
from sprite_lint.scoring import SIGNALS

SCORE_NAMES = (*SIGNALS, "combined")


def auroc(normal: Sequence[float], anomalous: Sequence[float]) -> float:
    """Area under the ROC curve (Mann-Whitney U; ties count one half). Higher score = anomalous."""
    a = np.asarray(normal, dtype=np.float64)
    b = np.asarray(anomalous, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        return float("nan")
    allv = np.concatenate([a, b])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(allv.size)
    sorted_v = allv[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_v, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    u = ranks[a.size :].sum() - b.size * (b.size + 1) / 2.0
    return float(u / (a.size * b.size))


def signal_values(results: Sequence[FileResult]) -> dict[str, np.ndarray]:
    """Per-signal scores (higher = more anomalous) of scored rows."""
    rows = [r for r in results if r.status != "error"]
    out = {s: np.array([(r.signals or {})[s] for r in rows], dtype=np.float64) for s in SIGNALS}
    out["combined"] = np.array([r.score for r in rows], dtype=np.float64)
    return out


@dataclass
class GroupMetrics:
    name: str
    n: int
    auroc: dict[str, float]
    detection_rate: float  # share of this group's sprites failed at the calibrated threshold


@dataclass
class Evaluation:
    n_normal: int
    false_alarm_rate: float
    threshold: float
    alpha: float
    groups: list[GroupMetrics]
    normal_scores: dict[str, np.ndarray]
    anomalous_scores: dict[str, dict[str, np.ndarray]]

    def to_dict(self) -> dict[str, object]:
        return {
            "n_normal": self.n_normal,
            "alpha": self.alpha,
            "threshold": self.threshold,
            "false_alarm_rate": self.false_alarm_rate,
            "groups": [
                {"name": g.name, "n": g.n, "auroc": g.auroc, "detection_rate": g.detection_rate}
                for g in self.groups
            ],
        }


def evaluate_results(
    normal: Sequence[FileResult],
    anomalous: dict[str, Sequence[FileResult]],
    threshold: float,
    alpha: float,
) -> Evaluation:
    """Metrics from already-judged rows: ``normal`` held-out approved-like art, named bad groups."""
    nvals = signal_values(normal)
    groups = []
    avals: dict[str, dict[str, np.ndarray]] = {}
    for name, rows in anomalous.items():
        vals = signal_values(rows)
        avals[name] = vals
        groups.append(
            GroupMetrics(
                name=name,
                n=len(vals["combined"]),
                auroc={k: auroc(nvals[k], vals[k]) for k in SCORE_NAMES},
                detection_rate=float(np.mean(vals["combined"] > threshold)) if len(rows) else 0.0,
            )
        )
    far = float(np.mean(nvals["combined"] > threshold)) if len(nvals["combined"]) else 0.0
    return Evaluation(len(nvals["combined"]), far, threshold, alpha, groups, nvals, avals)
