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
    tail = fit_calibration(np.linspace(0, 1, 60), 0.01, 16, 0.2)
    for s in np.linspace(-0.5, 12.0, 101):
        assert (s > tail.threshold) == (tail.p_value(s) <= tail.alpha)


def test_small_sets_use_the_signals_tails_and_bound_false_alarms() -> None:
    # three signals, each exponential above its 80th percentile: the standardized max
    rng = np.random.default_rng(1)

    def scores(n: int) -> np.ndarray:
        z = rng.exponential(size=(n, 3)) - np.log(1 / 0.2)  # P(z > t) = 0.2 exp(-t)
        return z.max(axis=1)

    rates = []
    for _ in range(50):
        cal = fit_calibration(scores(50), 0.01, n_signals=3, tail_share=0.2)
        assert cal.method == "tail"
        rates.append(np.mean(scores(4000) > cal.threshold))
    assert np.mean(rates) <= 0.01 + 0.002  # the union bound holds (and is close here)
    assert cal.threshold == pytest.approx(np.log(3 * 0.2 / 0.01))
    assert cal.p_value(cal.threshold) == pytest.approx(0.01)
    assert cal.p_value(cal.threshold * 2) < 1 / 51  # p-values go beyond 1 / (n + 1)


def test_one_far_calibration_score_does_not_lift_the_tail_threshold() -> None:
    s = np.random.default_rng(3).exponential(size=60) - np.log(5)
    far = np.append(s[:-1], 50.0)
    assert (
        fit_calibration(far, 0.01, 16, 0.2).threshold == fit_calibration(s, 0.01, 16, 0.2).threshold
    )


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
