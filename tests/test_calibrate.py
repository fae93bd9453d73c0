from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sprite_lint.baseline import load_baseline
from sprite_lint.calibrate import CalibrateOptions, calibrate
from sprite_lint.synth import make_family
from tests.conftest import write_rgba


@pytest.fixture
def approved(tmp_path: Path) -> Path:
    for i, im in enumerate(make_family("icons", 22, seed=8)):
        write_rgba(tmp_path / "a" / f"{i}.png", im)
    return tmp_path / "a"


def test_same_seed_same_baseline_other_seed_other(approved: Path, tmp_path: Path) -> None:
    opts = CalibrateOptions(epochs=2, seed=3, width=8)
    calibrate([approved], tmp_path / "one", opts)
    calibrate([approved], tmp_path / "two", opts)
    calibrate([approved], tmp_path / "three", CalibrateOptions(epochs=2, seed=4, width=8))
    one = (tmp_path / "one" / "manifest.json").read_bytes()
    assert one == (tmp_path / "two" / "manifest.json").read_bytes()  # scores, hashes, all of it
    assert one != (tmp_path / "three" / "manifest.json").read_bytes()


def test_cross_conformal_below_split_size(approved: Path, tmp_path: Path) -> None:
    result = calibrate([approved], tmp_path / "b", CalibrateOptions(epochs=1, width=8))
    assert result.split == "cross" and result.calibration.n == 22
    assert result.calibration.method == "tail" and result.warnings
    manifest = load_baseline(tmp_path / "b").manifest
    assert manifest["split"] == {"method": "cross", "n_approved": 22, "n_calibration": 22}


def test_killed_calibrate_leaves_a_loadable_baseline(approved: Path, tmp_path: Path) -> None:
    target = tmp_path / "b"
    cmd = [
        sys.executable,
        "-m",
        "sprite_lint",
        "calibrate",
        str(approved),
        "-b",
        str(target),
        "--epochs",
        "1",
        "--device",
        "cpu",
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    before = load_baseline(target).sha256
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--seed", "1"], check=True, capture_output=True, timeout=300)
    duration = time.perf_counter() - t0
    rng = random.Random(0)
    for attempt in range(3):
        proc = subprocess.Popen(
            [*cmd, "--seed", str(10 + attempt)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 1.0) * duration)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        loaded = load_baseline(target)  # old or new, it loads: whole, hashes verified
        assert loaded.calibration.threshold > 0
    # the next successful calibrate clears what killed ones left behind
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    assert load_baseline(target).sha256 == before  # seed 0 again: the same baseline
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".b.tmp-", ".b.old"))]


def test_mixed_styles_are_named_and_one_style_is_not() -> None:
    from sprite_lint.calibrate import mixed_styles
    from sprite_lint.synth import make_family

    gems = make_family("gems", 30, seed=1)
    pixel = make_family("creatures", 30, seed=2)
    names = [f"gems/{i}.png" for i in range(30)] + [f"creatures/{i}.png" for i in range(30)]
    warning = mixed_styles(gems + pixel, names, seed=0)
    assert warning is not None and "two art styles" in warning
    assert "gems/0.png" in warning and "creatures/0.png" in warning
    assert mixed_styles(make_family("gems", 60, seed=3), names, seed=0) is None
