"""Pinned detection behaviour on a tiny family (short training, so CI stays fast)."""

from __future__ import annotations

import numpy as np
import pytest

from sprite_lint.baseline import load_baseline
from sprite_lint.calibrate import CalibrateOptions, calibrate
from sprite_lint.check import Detector
from sprite_lint.synth import inject, make_family
from tests.conftest import write_rgba


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> Detector:
    root = tmp_path_factory.mktemp("quality")
    for i, im in enumerate(make_family("creatures", 30, seed=11)):
        write_rgba(root / "approved" / f"{i}.png", im)
    calibrate([root / "approved"], root / "b", CalibrateOptions(epochs=3, seed=0, width=8))
    return Detector(load_baseline(root / "b"))


@pytest.fixture(scope="module")
def heldout() -> list[np.ndarray]:
    return make_family("creatures", 8, seed=99)


def test_heldout_normals_pass(detector: Detector, heldout: list[np.ndarray]) -> None:
    verdicts = [detector.judge(str(i), im).status for i, im in enumerate(heldout)]
    assert verdicts.count("fail") <= 1  # alpha is a rate, not a promise for 8 sprites
    assert verdicts.count("pass") >= 7


@pytest.mark.parametrize("defect", ["foreign_blob", "checkerboard", "opaque_background"])
def test_defects_are_caught(detector: Detector, heldout: list[np.ndarray], defect: str) -> None:
    rng = np.random.default_rng(0)
    for i, im in enumerate(heldout[:4]):
        result = detector.judge(f"{defect}{i}", inject(im, defect, rng, "creatures"))
        assert result.status == "fail", (defect, result)
        assert result.p_value is not None and result.p_value <= detector.calibration.alpha
        assert result.region is not None and " at x=" in result.message


def test_blob_is_located(detector: Detector, heldout: list[np.ndarray]) -> None:
    im = heldout[0].copy()
    im[2:5, 2:5] = (255, 0, 220, 255)  # a magenta blob in the top-left corner
    result = detector.judge("blob", im)
    assert result.status == "fail"
    assert result.region is not None and result.region.x <= 5 and result.region.y <= 5
