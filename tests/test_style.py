from __future__ import annotations

import numpy as np

from sprite_lint.style import PROFILE, StyleProfile, profile_of
from sprite_lint.synth import make_family


def test_profile_has_one_value_per_named_measure() -> None:
    p = profile_of(make_family("gems", 1, seed=0)[0])
    assert p.shape == (len(PROFILE),) and np.isfinite(p).all()
    empty = profile_of(np.zeros((8, 8, 4), np.uint8))
    assert np.isfinite(empty).all()


def test_another_art_style_lies_farther_than_the_same_style() -> None:
    fit = StyleProfile.fit(np.stack([profile_of(im) for im in make_family("gems", 40, seed=1)]))
    same = [fit.distance(profile_of(im)) for im in make_family("gems", 10, seed=2)]
    other = [fit.distance(profile_of(im)) for im in make_family("creatures", 10, seed=3)]
    assert np.median(other) > 3 * np.median(same)
    assert fit.distance(fit.centre) == 0.0


def test_a_feature_the_approved_art_never_varies_takes_no_part() -> None:
    rng = np.random.default_rng(0)
    profiles = rng.normal(0.5, 0.1, (30, len(PROFILE)))
    light = PROFILE.index("light_share")
    profiles[:, light] = 0.0  # no approved sprite has a near-white pixel
    fit = StyleProfile.fit(profiles)
    highlight = fit.centre.copy()
    highlight[light] = 0.02  # a good new sprite with a white eye highlight
    assert fit.distance(highlight) == 0.0  # not thousands of units away
    shifted = fit.centre.copy()
    shifted[PROFILE.index("saturation")] += 1.0  # ten robust units on a feature that varies
    assert fit.distance(shifted) > 3


def test_median_is_numpys() -> None:
    from sprite_lint.style import _median

    rng = np.random.default_rng(1)
    for n in [1, 2, 3, 4, 7, 10, 255, 256, 4096]:
        for _ in range(10):
            v = (rng.random(n) * 255).astype(np.float32)
            v[: n // 3] = v[0]  # ties, as flat colour has
            assert _median(v.copy()) == float(np.median(v))
