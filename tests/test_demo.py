from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.dsprites import (
    ANOMALY_RADIUS,
    BACKGROUNDS,
    Latents,
    add_anomaly,
    make_dataset,
    render,
)
from sprite_lint.evaluate import auroc


def test_render_is_a_white_shape_on_a_dark_background() -> None:
    img = render(Latents(shape=0, scale=5, rotation=0, x=16, y=16, background=2))
    assert img.shape == (64, 64, 4) and (img[..., 3] == 255).all()
    colours = {tuple(c) for c in img[..., :3].reshape(-1, 3)}
    assert colours == {(255, 255, 255), BACKGROUNDS[2]}


def test_anomaly_is_a_light_circle_of_radius_5_in_the_top_left_quadrant() -> None:
    img = render(Latents(0, 0, 0, 31, 31, 0))  # shape in the far corner
    bad = add_anomaly(img, np.random.default_rng(0))
    changed = np.argwhere((bad != img).any(axis=-1))
    assert changed.size and changed.max() < 32 + ANOMALY_RADIUS
    assert abs(len(changed) - np.pi * ANOMALY_RADIUS**2) < 20
    assert bad[tuple(changed[0])][:3].min() >= 150


def test_dataset_sets_are_disjoint_and_paired() -> None:
    approved, held, bad = make_dataset(50, 40, seed=1)
    assert len(approved) == 50 and len(held) == len(bad) == 40
    keys = {im.tobytes() for im in approved}
    assert not any(im.tobytes() in keys for im in held)


def test_auroc() -> None:
    assert auroc([0, 1, 2], [3, 4]) == 1.0
    assert auroc([3, 4], [0, 1]) == 0.0
    assert auroc([1, 1], [1, 1]) == 0.5


def test_demo_command_prints_auroc_and_rates(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        ["demo", "--out", str(tmp_path / "d"), "--n", "60", "--epochs", "1"],
        env={"COLUMNS": "100", "NO_COLOR": "1"},
    )
    assert r.exit_code == 0, r.output
    assert "Combined AUROC" in r.output and "article (training images)" in r.output
    assert "670/1001" in r.output
    assert not [line for line in r.output.splitlines() if line.endswith(" ")]  # logs show them
    assert (tmp_path / "d" / "baseline" / "model.onnx").is_file()
