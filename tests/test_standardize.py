from __future__ import annotations

import numpy as np
import pytest

from sprite_lint.errors import BaselineError
from sprite_lint.signals import SCALE_FLOOR, SIGNALS
from sprite_lint.standardize import TAIL_QUANTILE, Standardizer, combine

J = len(SIGNALS)


def _raw(rng: np.random.Generator, n: int = 60) -> np.ndarray:
    raw = rng.exponential(1.0, (n, J))
    raw[:, SIGNALS.index("stray")] = 0.0  # approved art never has stray pixels
    raw[:, SIGNALS.index("fringe")] = rng.normal(0.3, 0.05, n)  # two-sided, off zero
    return raw


def test_scale_is_the_mean_excess_over_the_tail_quantile() -> None:
    raw = _raw(np.random.default_rng(0))
    st = Standardizer.fit(raw)
    j = SIGNALS.index("kde")
    u = np.quantile(raw[:, j], TAIL_QUANTILE)
    assert st.loc[j] == pytest.approx(u)
    top = np.sort(raw[:, j])[-12:]  # the top fifth of 60
    assert st.scale[j] == pytest.approx(np.mean(top - u))


def test_a_signal_approved_art_never_shows_is_scaled_by_its_floor() -> None:
    st = Standardizer.fit(_raw(np.random.default_rng(1)))
    x = np.zeros(J)
    x[SIGNALS.index("stray")] = 3.0  # three stray pixels
    z = st.transform(x)
    assert z[SIGNALS.index("stray")] == pytest.approx(3.0 / SCALE_FLOOR["stray"])
    score, driver = combine(z)
    assert driver == "stray" and score == pytest.approx(z.max())


def test_two_sided_signals_fail_both_ways() -> None:
    st = Standardizer.fit(_raw(np.random.default_rng(2)))
    j = SIGNALS.index("fringe")
    assert st.centre[j] == pytest.approx(0.3, abs=0.03)
    lo, hi, mid = np.zeros(J), np.zeros(J), np.zeros(J)
    c = st.centre[j]
    lo[j], hi[j], mid[j] = c - 0.8, c + 0.8, c
    z_lo, z_hi, z_mid = (st.transform(v)[j] for v in (lo, hi, mid))
    assert z_lo == pytest.approx(z_hi) and z_lo > 5
    assert z_mid < 0


def test_round_trip_and_tampering() -> None:
    st = Standardizer.fit(_raw(np.random.default_rng(3)))
    assert Standardizer.from_dict(st.to_dict()) == st
    bad = st.to_dict()
    bad["kde"]["scale"] = 0.0
    with pytest.raises(BaselineError):
        Standardizer.from_dict(bad)
    del bad["kde"]
    with pytest.raises(BaselineError):
        Standardizer.from_dict(bad)


def test_the_most_specific_signal_over_the_limit_explains_a_failure() -> None:
    from sprite_lint.signals import explaining_signal

    z = np.zeros(J)
    z[SIGNALS.index("style")] = 40.0  # the largest, but generic
    z[SIGNALS.index("kde")] = 9.0
    z[SIGNALS.index("background")] = 7.0  # a craft mark, over the limit of 6
    assert explaining_signal(z, 6.0) == "background"
    z[SIGNALS.index("background")] = 5.0
    assert explaining_signal(z, 6.0) == "kde"  # next tier: where the model sees it
    z[SIGNALS.index("kde")] = 5.0
    z[SIGNALS.index("outline")] = 30.0  # set-wide: "another art set?"
    z[SIGNALS.index("jpeg")] = 8.0  # says what to fix
    assert explaining_signal(z, 6.0) == "jpeg"
    z[SIGNALS.index("jpeg")] = 5.0
    assert explaining_signal(z, 6.0) == "outline"  # before the style profile
    assert explaining_signal(np.full(J, 1.0) + np.eye(J)[3], 6.0) == SIGNALS[3]  # none over


def test_palette_tail_is_fitted_on_the_log_odds_scale() -> None:
    from sprite_lint.standardize import LOGIT_EPS

    rng = np.random.default_rng(0)
    raw = np.zeros((60, len(SIGNALS)))
    j = SIGNALS.index("palette")
    raw[:, j] = np.minimum(rng.pareto(1.5, 60) * 0.02, 1.0)  # a heavy tail of new colours
    st = Standardizer.fit(raw)
    logit = lambda p: np.log((p + LOGIT_EPS) / (1 + LOGIT_EPS - p))  # noqa: E731
    probe = np.zeros(len(SIGNALS))
    probe[j] = 0.7
    z = st.transform(probe)[j]
    assert z == pytest.approx((logit(0.7) - st.loc[j]) / st.scale[j])
    assert st.loc[j] == pytest.approx(np.quantile(logit(raw[:, j]), 0.8))
    # monotone in the share, finite at 0 and 1
    shares = np.linspace(0, 1, 11)
    zs = [st.transform(np.where(np.arange(len(SIGNALS)) == j, p, 0.0))[j] for p in shares]
    assert np.all(np.isfinite(zs)) and np.all(np.diff(zs) > 0)
