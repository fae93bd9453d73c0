"""Presenting evaluations (``evaluate`` and ``demo``) as rich tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from sprite_lint.baseline import Baseline
from sprite_lint.check import check_files
from sprite_lint.discovery import expand_paths
from sprite_lint.errors import UsageError
from sprite_lint.evaluate import SCORE_NAMES, Evaluation, evaluate_results
from sprite_lint.reporters import print_trimmed, print_wrapped

if TYPE_CHECKING:
    from sprite_lint.demo import DemoResult

LABELS = {
    **{name: name.replace("_", " ").capitalize() for name in SCORE_NAMES},
    "kde": "Latent KDE",
    "recon_px": "Recon px",
    "pair": "Pairs",
}
BEST_SHOWN = 3  # signals named per defect set in the table (JSON has them all)


def evaluate_folders(
    baseline: Baseline, normal: Path, anomalous: Sequence[Path], max_pixels: int | None = None
) -> Evaluation:
    """Judge a folder of normals and folders of known-bad sprites; compute the metrics."""

    def judged(folder: Path) -> list:
        files = expand_paths([folder])
        if not files:
            raise UsageError(f"{folder}: no PNG files found")
        report = check_files(files, baseline, max_pixels=max_pixels)
        errors = [r for r in report.results if r.status == "error"]
        if errors:
            raise UsageError(f"{errors[0].path}: {errors[0].message}")
        return report.results

    normal_rows = judged(normal)
    groups = {folder.name: judged(folder) for folder in anomalous}
    cal = baseline.calibration
    return evaluate_results(normal_rows, groups, cal.threshold, cal.alpha)


def render_evaluation(ev: Evaluation, console: Console) -> None:
    # fits 80 columns: headers wrap onto two lines, numbers and names are never cut
    table = Table(
        box=box.SIMPLE_HEAD,
        title="AUROC by score (1.0 = perfect, 0.5 = chance)",
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("Defect set", overflow="fold", max_width=14)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("Combined", justify="right", no_wrap=True)
    table.add_column("Detected", justify="right", no_wrap=True)
    table.add_column("Best signals (AUROC)", overflow="fold")
    for g in ev.groups:
        ranked = sorted(
            (s for s in SCORE_NAMES if s != "combined" and np.isfinite(g.auroc[s])),
            key=lambda s: -g.auroc[s],
        )
        best = ", ".join(f"{s} {g.auroc[s]:.3f}" for s in ranked[:BEST_SHOWN])
        table.add_row(
            g.name, str(g.n), f"{g.auroc['combined']:.3f}", f"{g.detection_rate:.1%}", best
        )
    print_trimmed(console, table)
    print_wrapped(
        console,
        f"False alarms on {ev.n_normal} held-out normals: {ev.false_alarm_rate:.1%} "
        f"(alpha {ev.alpha}, threshold {ev.threshold:.3f})",
    )


def render_demo(result: DemoResult, console: Console) -> None:
    from sprite_lint.demo import ARTICLE

    render_evaluation(result.evaluation, console)
    ev = result.evaluation
    g = ev.groups[0]
    n_bad = g.n
    caught = round(g.detection_rate * n_bad)
    flagged = round(ev.false_alarm_rate * ev.n_normal)
    table = Table(box=box.SIMPLE_HEAD, title="At the calibrated threshold")
    table.add_column("")
    table.add_column("Detection", justify="right")
    table.add_column("False alarms", justify="right")
    table.add_row(
        "sprite-lint (held-out)",
        f"{caught}/{n_bad} = {g.detection_rate:.1%}",
        f"{flagged}/{ev.n_normal} = {ev.false_alarm_rate:.1%}",
    )
    table.add_row(
        "article (training images)",
        f"{ARTICLE['detected']}/{ARTICLE['anomalies']} = {ARTICLE['detected'] / ARTICLE['anomalies']:.1%}",
        f"{ARTICLE['false_alarms']}/{ARTICLE['normals']} = {ARTICLE['false_alarms'] / ARTICLE['normals']:.1%}",
    )
    print_trimmed(console, table)
    cal = result.calibration.calibration
    print_wrapped(
        console,
        f"Combined AUROC {g.auroc['combined']:.4f}. Calibrated in {result.seconds_calibrate:.0f} s "
        f"({cal.method} threshold {cal.threshold:.3f} from {cal.n} held-out approved sprites); "
        f"checked {ev.n_normal + n_bad} sprites in {result.seconds_check:.1f} s. "
        f"Files and baseline: {result.out}/",
    )
