from __future__ import annotations

import numpy as np

from sprite_lint.colour import UNSEEN, RarityTable, colour_bins, fit_document_frequency


def test_transparent_pixels_share_one_bin_whatever_their_hidden_rgb() -> None:
    a = np.array([[[255, 0, 0, 0], [0, 255, 0, 0]]], dtype=np.uint8)
    assert colour_bins(a).tolist() == [[0, 0]]


def test_document_frequency_counts_sprites_not_pixels() -> None:
    red = np.zeros((4, 4, 4), np.uint8)
    red[...] = (255, 0, 0, 255)
    blue = red.copy()
    blue[0, 0] = (0, 0, 255, 255)
    bins, counts, n = fit_document_frequency([red, blue])
    assert n == 2
    lookup = dict(zip(bins.tolist(), counts.tolist()))
    assert lookup[int(colour_bins(red)[0, 0])] == 2
    assert lookup[int(colour_bins(blue)[0, 0])] == 1


def test_rarity_orders_common_rare_unseen_and_unseen_is_constant() -> None:
    red = np.full((2, 2, 4), (255, 0, 0, 255), np.uint8)
    green = np.full((2, 2, 4), (0, 255, 0, 255), np.uint8)
    probe = np.array([[[255, 0, 0, 255], [0, 255, 0, 255], [9, 9, 200, 255]]], np.uint8)
    small = RarityTable(*fit_document_frequency([red] * 9 + [green]))
    large = RarityTable(*fit_document_frequency([red] * 90 + [green] * 10))
    for table in (small, large):
        r = table.lookup(colour_bins(probe))[0]
        assert r[0] < r[1] < r[2] == UNSEEN


def test_pair_table_finds_a_seam_of_known_colours() -> None:
    """Two colours the approved sprites use, but never side by side: those pairs are rare."""
    from sprite_lint.colour import PairTable, colour_bins, colour_pairs, fit_pair_frequency

    red, blue = np.array([200, 0, 0, 255], np.uint8), np.array([0, 0, 200, 255], np.uint8)
    approved = []
    for i in range(10):
        im = np.zeros((8, 8, 4), np.uint8)
        im[:, :4] = red if i % 2 else blue  # red or blue next to transparency, never each other
        approved.append(im)
    table = PairTable(*fit_pair_frequency(approved))
    seam = np.zeros((8, 8, 4), np.uint8)
    seam[:, :3], seam[:, 3:6] = red, blue
    assert table.rare(colour_pairs(colour_bins(seam))[0]).sum() == 8  # one per row, at the seam
    assert table.rare(colour_pairs(colour_bins(approved[0]))[0]).sum() == 0
    # only neighbours of different colours: red|blue and blue|clear in each of 8 rows
    keys, horizontal, vertical = colour_pairs(colour_bins(seam))
    assert keys.shape == (16,) and horizontal.shape == (8, 7) and vertical.shape == (7, 8)
    assert horizontal[:, 2].all() and horizontal[:, 5].all() and not vertical.any()


def test_rarity_lookup_is_the_same_before_and_after_the_dense_table() -> None:
    """A one-file check binary-searches the approved bins; a scan switches to the dense
    4 MB table after DENSE_AFTER pixels: the same rarities either way."""
    from sprite_lint.colour import DENSE_AFTER, N_BINS, UNSEEN, RarityTable

    rng = np.random.default_rng(3)
    bins = np.unique(rng.integers(0, N_BINS, 3000))
    table = RarityTable(bins, rng.integers(1, 40, bins.size), 50)
    q = rng.integers(0, N_BINS, (64, 64))
    q.flat[:500] = bins[:500]
    sparse = table.lookup(q)
    assert table._all is None
    table.lookup(np.zeros(DENSE_AFTER, np.int64))
    assert table._all is not None
    assert np.array_equal(table.lookup(q), sparse)
    empty = RarityTable(np.zeros(0, np.int64), np.zeros(0, np.int64), 5)
    assert (empty.lookup(q) == UNSEEN).all()
