"""Pinned detection behaviour on a tiny family (short training, so CI stays fast)."""

from __future__ import annotations

import numpy as np
import pytest

from sprite_lint.baseline import load_baseline
from sprite_lint.check import Detector
from sprite_lint.synth import inject, make_family
from tests.conftest import calibrated_family


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> Detector:
    baseline = calibrated_family(tmp_path_factory.mktemp("quality"), 30, seed=11, epochs=3)
    return Detector(load_baseline(baseline))


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
        assert result.region is not None
        if defect in ("opaque_background", "checkerboard"):  # the frame: said in words
            assert result.message.startswith("opaque background where the approved art")
        else:
            assert " at x=" in result.message


def test_blob_is_located(detector: Detector, heldout: list[np.ndarray]) -> None:
    im = heldout[0].copy()
    im[2:5, 2:5] = (255, 0, 220, 255)  # a magenta blob in the top-left corner
    result = detector.judge("blob", im)
    assert result.status == "fail"
    assert result.region is not None and result.region.x <= 5 and result.region.y <= 5
