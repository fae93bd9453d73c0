from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.evaluate import auroc, evaluate_results
from sprite_lint.plots import roc_curve
from sprite_lint.signals import SIGNALS
from sprite_lint.synth import inject, make_family
from tests.conftest import write_rgba


def test_evaluate_command_table_json_and_plots(tiny_baseline: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    normals = make_family("creatures", 30, seed=3)[24:]
    for i, im in enumerate(normals):
        write_rgba(tmp_path / "normal" / f"{i}.png", im)
        write_rgba(tmp_path / "checkerboard" / f"{i}.png", inject(im, "checkerboard", rng))
        write_rgba(tmp_path / "blob" / f"{i}.png", inject(im, "foreign_blob", rng))
    args = [
        "evaluate",
        "-b",
        str(tiny_baseline),
        "--normal",
        str(tmp_path / "normal"),
        "--anomalous",
        str(tmp_path / "checkerboard"),
        "--anomalous",
        str(tmp_path / "blob"),
    ]
    runner = CliRunner()
    table = runner.invoke(app, [*args, "--plots", str(tmp_path / "plots")], env={"COLUMNS": "120"})
    assert table.exit_code == 0, table.output
    assert "checkerboard" in table.output and "False alarms" in table.output
    assert not [line for line in table.output.splitlines() if line.endswith(" ")]
    assert (tmp_path / "plots" / "roc.png").stat().st_size > 1000
    assert (tmp_path / "plots" / "distributions.png").stat().st_size > 1000
    doc = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    groups = {g["name"]: g for g in doc["groups"]}
    assert set(groups) == {"checkerboard", "blob"}
    assert groups["checkerboard"]["auroc"]["combined"] == 1.0
    assert doc["n_normal"] == 6 and 0 <= doc["false_alarm_rate"] <= 1


def test_evaluate_refuses_an_empty_folder(tiny_baseline: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(
        app,
        [
            "evaluate",
            "-b",
            str(tiny_baseline),
            "--normal",
            str(tmp_path / "empty"),
            "--anomalous",
            str(tmp_path / "empty"),
        ],
    )
    assert r.exit_code == 2 and "no PNG files" in r.output


def test_roc_curve_matches_auroc() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=200), rng.normal(1.0, size=150)
    fpr, tpr = roc_curve(a, b)
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert abs(np.trapezoid(tpr, fpr) - auroc(a, b)) < 1e-9


def test_evaluate_results_rates() -> None:
    from sprite_lint.check import FileResult

    def row(score: float) -> FileResult:
        return FileResult(
            path="x",
            status="pass",
            score=score,
            signals={name: (score if name == "recon" else 0.0) for name in SIGNALS},
        )

    ev = evaluate_results([row(0.1), row(0.2), row(2.0)], {"bad": [row(1.5), row(3.0)]}, 1.0, 0.01)
    assert ev.false_alarm_rate == 1 / 3
    assert ev.groups[0].detection_rate == 1.0
    assert ev.groups[0].auroc["combined"] == auroc([0.1, 0.2, 2.0], [1.5, 3.0])
