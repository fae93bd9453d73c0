from __future__ import annotations

import numpy as np
import pytest

from sprite_lint.calibration import Calibration, fit_calibration
from sprite_lint.errors import CalibrationError


def test_conformal_threshold_is_the_right_order_statistic() -> None:
    scores = np.arange(1, 200)  # 199 scores, alpha 0.01: k = ceil(200 * 0.99) = 198
    cal = fit_calibration(scores, 0.01)
    assert cal.method == "conformal"
    assert cal.threshold == 198


def test_false_alarm_rate_is_bounded_by_alpha() -> None:
    rng = np.random.default_rng(0)
    alpha, rates = 0.05, []
    for _ in range(300):
        cal = fit_calibration(rng.normal(size=99), alpha)
        rates.append(np.mean(rng.normal(size=400) > cal.threshold))
    assert np.mean(rates) <= alpha + 0.005


def test_p_values_are_conformal_and_flag_consistently() -> None:
    cal = fit_calibration(np.linspace(0, 1, 99), 0.05)
    assert cal.p_value(-1.0) == 1.0
    assert cal.p_value(0.5) == pytest.approx(50 / 100)
    for s in np.linspace(-0.5, 3.0, 71):
        assert (s > cal.threshold) == (cal.p_value(s) <= cal.alpha)


def test_small_sets_use_an_extrapolated_tail_that_still_bounds_false_alarms() -> None:
    rng = np.random.default_rng(1)
    rates = []
    for _ in range(200):
        cal = fit_calibration(rng.exponential(size=50), 0.01)
        assert cal.method == "tail"
        rates.append(np.mean(rng.exponential(size=2000) > cal.threshold))
    assert np.mean(rates) < 0.02  # the exponential tail fits exponential data
    assert cal.p_value(cal.threshold * 2) < 1 / 51  # p-values go beyond 1 / (n + 1)


def test_p_value_is_monotone() -> None:
    cal = fit_calibration(np.random.default_rng(2).gamma(2, size=40), 0.01)
    ps = [cal.p_value(s) for s in np.linspace(0, 20, 200)]
    assert all(a >= b for a, b in zip(ps, ps[1:]))


def test_too_few_scores_are_refused_with_the_number_needed() -> None:
    with pytest.raises(CalibrationError, match="at least 20"):
        fit_calibration([1.0] * 5, 0.01)


def test_roundtrip_through_dict() -> None:
    cal = fit_calibration(np.arange(30.0), 0.1)
    assert Calibration.from_dict(cal.to_dict()) == cal


def test_tail_scale_is_an_upper_confidence_bound() -> None:
    from sprite_lint.calibration import _scale_inflation

    # exact chi-square values: chi2_0.1(20) = 12.443, chi2_0.1(10) = 4.865
    assert _scale_inflation(10) == pytest.approx(20 / 12.443, rel=2e-3)
    assert _scale_inflation(5) == pytest.approx(10 / 4.865, rel=1e-2)
    assert _scale_inflation(1000) == pytest.approx(1.0, abs=0.06)  # many points: no doubt
    scores = np.random.default_rng(0).exponential(1.0, 50)
    cal = fit_calibration(scores, 0.01)
    m = cal.tail_count
    top = np.sort(scores)[-m:]
    assert cal.method == "tail"
    assert cal.tail_scale == pytest.approx((top - cal.tail_start).mean() * _scale_inflation(m))
    assert cal.p_value(cal.threshold) == pytest.approx(0.01, rel=1e-6)
