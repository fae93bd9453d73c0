"""The article's figures, done properly: per-score distributions and ROC curves (matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sprite_lint.errors import MissingExtraError
from sprite_lint.evalreport import LABELS
from sprite_lint.evaluate import SCORE_NAMES, Evaluation


def roc_curve(normal: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False-positive and true-positive rates over all thresholds (higher = anomalous)."""
    scores = np.concatenate([normal, anomalous])
    labels = np.concatenate([np.zeros(normal.size), np.ones(anomalous.size)])
    order = np.argsort(-scores, kind="mergesort")
    tp = np.cumsum(labels[order])
    fp = np.cumsum(1 - labels[order])
    return np.concatenate([[0], fp / max(1, normal.size)]), np.concatenate(
        [[0], tp / max(1, anomalous.size)]
    )


ROC_SIGNALS = 5  # signals drawn beside the combined score in roc.png


def _strongest(ev: Evaluation, bad: dict[str, np.ndarray]) -> list[str]:
    """The ROC_SIGNALS signals with the highest AUROC over every anomalous group."""
    from sprite_lint.evaluate import auroc

    scores = {n: auroc(ev.normal_scores[n], bad[n]) for n in SCORE_NAMES if n != "combined"}
    return sorted(scores, key=lambda n: -scores[n])[:ROC_SIGNALS]


def _slog(x: float) -> float:
    return float(np.sign(x) * np.log1p(abs(x)))


def write_plots(ev: Evaluation, folder: Path) -> list[Path]:
    """Write ``distributions.png`` and ``roc.png``; returns their paths."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingExtraError("evaluate --plots") from None
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    cols = 3
    rows = -(-len(SCORE_NAMES) // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows))
    axes = list(np.ravel(grid))
    for ax in axes[len(SCORE_NAMES) :]:
        ax.axis("off")
    for ax, name in zip(axes, SCORE_NAMES):
        normal = ev.normal_scores[name]
        bad = np.concatenate([v[name] for v in ev.anomalous_scores.values()])
        lo, hi = np.quantile(np.concatenate([normal, bad]), [0.0, 0.995])
        hi = hi if hi > lo else lo + 1
        # anomalies far beyond the normals: bins and axis on a symmetric log scale, so the
        # normals, the threshold and the anomalies all stay visible
        wide = name == "combined" and hi > 20 * max(abs(lo), 1.0)
        if wide:
            edges = np.linspace(_slog(lo), _slog(hi), 40)
            bins = np.sign(edges) * np.expm1(np.abs(edges))
        else:
            bins = np.linspace(lo, hi, 40)
        # share of each group per bin: comparable across group sizes and bin widths
        for values, label in ((normal, "held-out normal"), (bad, "anomalous")):
            weights = np.full(values.size, 1.0 / max(values.size, 1))
            ax.hist(values, bins=bins, weights=weights, alpha=0.6, label=label)
        if name == "combined":
            ax.axvline(ev.threshold, color="k", linestyle="--", label="threshold")
        if wide:
            ax.set_xscale("symlog", linthresh=1.0)
        ax.set_ylabel("share of sprites")
        ax.set_title(LABELS[name])
        ax.set_xlabel("score (higher = more anomalous)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    written.append(folder / "distributions.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    bad_all = {n: np.concatenate([v[n] for v in ev.anomalous_scores.values()]) for n in SCORE_NAMES}
    for name in SCORE_NAMES:
        if name != "combined" and name not in _strongest(ev, bad_all):
            continue  # the combined score and the strongest signals: a readable plot
        bad = bad_all[name]
        fpr, tpr = roc_curve(ev.normal_scores[name], bad)
        auc = (
            float(np.trapezoid(tpr, fpr)) if hasattr(np, "trapezoid") else float(np.trapz(tpr, fpr))
        )
        ax.plot(fpr, tpr, label=f"{LABELS[name]} (AUROC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set_xlabel("false-alarm rate")
    ax.set_ylabel("detection rate")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    written.append(folder / "roc.png")
    fig.savefig(written[-1], dpi=100)
    plt.close(fig)
    return written
