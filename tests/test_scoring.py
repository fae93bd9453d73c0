from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sprite_lint import scoring
from sprite_lint.baseline import load_baseline
from sprite_lint.scoring import pad_to_cells, pooled_max


def test_pooled_max_finds_a_small_defect_on_a_large_sprite() -> None:
    values = np.zeros((256, 256))
    values[100:102, 40:42] = 1.0  # 4 bad pixels out of 65,536
    best, x, y, k = pooled_max(values, 4)
    assert best == pytest.approx(4 / 16)  # a mean over the whole sprite would be 6e-5
    assert 37 <= x <= 40 and 97 <= y <= 100 and k == 4


def test_pooled_max_on_sprites_smaller_than_the_window() -> None:
    assert pooled_max(np.array([[3.0]]))[0] == 3.0
    assert pooled_max(np.array([[1.0, 3.0]]))[0] == 2.0


def test_pad_to_cells_pads_with_transparency() -> None:
    x = np.ones((4, 9, 17), dtype=np.float32)
    p = pad_to_cells(x)
    assert p.shape == (4, 16, 24)
    assert p[:, 9:, :].sum() == 0 and p[:, :, 17:].sum() == 0


def test_tiled_inference_equals_one_pass(
    tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scorer = load_baseline(tiny_baseline).scorer()
    x = pad_to_cells(np.random.default_rng(0).random((4, 100, 72), dtype=np.float32))
    whole_recon, whole_z = scorer.run_network(x)
    monkeypatch.setattr(scoring, "TILE", 32)  # force 4 x 3 tiles
    tiled_recon, tiled_z = scorer.run_network(x)
    np.testing.assert_allclose(tiled_recon, whole_recon, atol=1e-5)
    np.testing.assert_allclose(tiled_z, whole_z, atol=1e-5)


def test_hidden_rgb_never_changes_scores(tiny_baseline: Path) -> None:
    scorer = load_baseline(tiny_baseline).scorer()
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (16, 16, 4), dtype=np.uint8)
    a[:8, :, 3] = 0
    b = a.copy()
    b[:8, :, :3] = rng.integers(0, 256, (8, 16, 3), dtype=np.uint8)
    sa, sb = scorer.score(a), scorer.score(b)
    np.testing.assert_allclose(sa.as_vector(), sb.as_vector(), rtol=1e-6)


def test_least_dense_cell_is_exact(tiny_baseline: Path) -> None:
    """The bound-pruned search finds the same cell and density as scoring every cell."""
    scorer = load_baseline(tiny_baseline).scorer()
    rng = np.random.default_rng(5)
    cells = [
        rng.normal(size=(n, scorer.kde.reference_.shape[1])) * s
        for n, s in [(9, 1.0), (4, 3.0), (1, 0.1)]
    ]
    cells[0][3] = cells[0][5]  # a repeated vector
    for (idx, dens), c in zip(scorer._least_dense(cells), cells):
        full = scorer.kde.score_samples(c)
        assert idx == int(np.argmin(full))
        assert dens == pytest.approx(full.min(), rel=1e-12, abs=1e-9)


def test_kde_signal_grows_as_density_falls(tiny_baseline: Path) -> None:
    scorer = load_baseline(tiny_baseline).scorer()
    values = [scorer.cell_rarity(d) for d in (10.0, 0.0, -10.0, -100.0)]
    assert values == sorted(values)


def test_unique_rows_equals_numpy_unique_even_on_projection_collisions() -> None:
    from sprite_lint.scoring import unique_rows

    rng = np.random.default_rng(0)
    v = rng.normal(size=(50, 16))[rng.integers(0, 50, 400)]
    u, inv = unique_rows(v)
    assert np.array_equal(u[inv], v) and len(u) == len(np.unique(v, axis=0))
    # two different rows with the same projection: the check catches it
    w = np.zeros((3, 2))
    w[1] = [1.0, 0.0]
    proj = np.cos(np.arange(1, 3) * 2.399963229728653)  # the projection unique_rows uses
    w[2] = [0.0, proj[0] / proj[1]]  # projects like w[1]
    u, inv = unique_rows(w)
    assert np.array_equal(u[inv], w) and len(u) == 3


@pytest.mark.parametrize("shape", [(4, 4), (9, 4), (4, 9), (64, 64), (17, 33)])
def test_pooled_max_fast_path_equals_brute_force(shape: tuple[int, int]) -> None:
    from sprite_lint import scoring

    v = np.random.default_rng(1).random(shape)
    best, x, y, k = scoring.pooled_max(v)
    h, w = shape
    means = np.array(
        [[v[i : i + 4, j : j + 4].mean() for j in range(w - 3)] for i in range(h - 3)]
    )  # brute force over every 4x4 window
    assert k == 4 and best == pytest.approx(means.max()) and means[y, x] == pytest.approx(best)
