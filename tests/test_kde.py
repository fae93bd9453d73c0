from __future__ import annotations

import numpy as np
import pytest

from sprite_lint.errors import UsageError
from sprite_lint.kde import GaussianKDE, select_bandwidth


@pytest.mark.parametrize("bandwidth", [0.05, 0.3, 0.7, 1.7])
def test_numpy_kde_equals_sklearn_score_samples(bandwidth: float) -> None:
    from sklearn.neighbors import KernelDensity

    rng = np.random.default_rng(0)
    ref, query = rng.normal(size=(300, 8)), rng.normal(size=(50, 8))
    ours = GaussianKDE(bandwidth).fit(ref).score_samples(query)
    # leaf_size >= n: one tree leaf, so sklearn sums every kernel exactly (no pruning)
    sk = KernelDensity(kernel="gaussian", bandwidth=bandwidth, leaf_size=len(ref))
    theirs = sk.fit(ref).score_samples(query)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-7)


def test_far_from_every_reference_it_stays_exact() -> None:
    # sklearn's tree KDE prunes far-away mass and drifts there; ours is the exact sum.
    from scipy.special import logsumexp

    rng = np.random.default_rng(0)
    ref, query, h = rng.normal(size=(300, 8)), rng.normal(scale=3, size=(20, 8)), 0.2
    d2 = ((query[:, None, :] - ref[None]) ** 2).sum(-1)
    exact = (
        logsumexp(-d2 / (2 * h * h), axis=1) - np.log(300) - 8 * np.log(h) - 4 * np.log(2 * np.pi)
    )
    np.testing.assert_allclose(GaussianKDE(h).fit(ref).score_samples(query), exact, rtol=1e-9)


def test_decision_function_is_negative_log_density() -> None:
    kde = GaussianKDE(0.5).fit(np.zeros((3, 2)))
    x = np.array([[0.0, 0.0], [3.0, 3.0]])
    np.testing.assert_allclose(kde.decision_function(x), -kde.score_samples(x))
    assert kde.decision_function(x)[1] > kde.decision_function(x)[0]


def test_bandwidth_follows_the_data_scale() -> None:
    rng = np.random.default_rng(0)
    narrow = select_bandwidth(rng.normal(scale=0.2, size=(400, 2)))
    wide = select_bandwidth(rng.normal(scale=2.0, size=(400, 2)))
    assert narrow < wide


def test_fit_validates_in_fit_not_init() -> None:
    kde = GaussianKDE(-1.0)  # constructing is fine
    with pytest.raises(Exception, match="bandwidth"):
        kde.fit(np.zeros((2, 2)))


def test_leave_one_out_density_excludes_each_point_itself() -> None:
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(40, 3))
    kde = GaussianKDE(0.4).fit(ref)
    loo = kde.loo_score_samples()
    for i in (0, 17, 39):
        others = GaussianKDE(0.4).fit(np.delete(ref, i, axis=0))
        assert loo[i] == pytest.approx(others.score_samples(ref[i : i + 1])[0], rel=1e-9)


@pytest.mark.parametrize("scale", [0.1, 1.0, 30.0])
def test_nearest_kernel_bounds_the_log_density(scale: float) -> None:
    rng = np.random.default_rng(4)
    ref = rng.normal(0, scale, (3000, 16))
    kde = GaussianKDE(0.4 * scale).fit(ref)
    q = np.vstack([rng.normal(0, scale, (500, 16)), ref[:50], rng.normal(0, 8 * scale, (50, 16))])
    nearest, err = kde.nearest_log_kernel(q)
    exact = -((q[:, None, :] - ref[None]) ** 2).sum(-1).min(axis=1) / (2 * (0.4 * scale) ** 2)
    assert np.all(np.abs(nearest - exact) <= err)
    dens = kde.score_samples(q) - kde.log_norm_
    assert np.all(dens >= nearest - err) and np.all(dens <= nearest + err + np.log(len(ref)))


def test_bandwidth_search_equals_sklearn_grid_search() -> None:
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.neighbors import KernelDensity

    from sprite_lint.kde import GRID

    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(0, 1, (150, 4)), rng.normal(4, 0.3, (80, 4))])
    ours = select_bandwidth(X, seed=3)
    Xu = np.unique(np.round(X, 3), axis=0)
    search = GridSearchCV(
        KernelDensity(kernel="gaussian", leaf_size=len(Xu)),  # one leaf: exact sums
        {"bandwidth": GRID},
        cv=KFold(5, shuffle=True, random_state=3),
    ).fit(Xu)
    assert ours == pytest.approx(search.best_params_["bandwidth"])


@pytest.mark.parametrize("bandwidth", [0.0, -1.0, float("nan"), 1e-300, 1e300])
def test_a_bandwidth_whose_square_is_not_a_positive_finite_number_is_a_usage_error(
    bandwidth: float,
) -> None:
    """1e-300 is positive but squares to 0: it had been a ZeroDivisionError."""
    with pytest.raises(UsageError, match="bandwidth must be positive"):
        GaussianKDE(bandwidth).fit(np.zeros((3, 2)))
