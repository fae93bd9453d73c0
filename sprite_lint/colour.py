"""Colour rarity: how many approved sprites use each (quantized) RGBA colour, and each
pair of colours side by side.

A third signal beside the autoencoder: cheap, and decisive for defects that bring in new
colours (JPEG ringing, resampling blur, swapped channels, foreign blobs, noise). The table
is sparse: the sorted bins the approved sprites use, and in how many sprites each occurs.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

BITS = 5  # per channel: 32 levels, fine enough that a tinted white is not white
N_BINS = 1 << (4 * BITS)
N_PAIR_KEYS = 1 << (2 * 4 * BITS + 1)  # colour_pairs' keys: two bins and a vertical flag


def colour_bins(rgba: np.ndarray) -> np.ndarray:
    """uint8 ``(H, W, 4)`` -> ``(H, W)`` bin index; every fully transparent pixel is bin 0."""
    q = (rgba >> (8 - BITS)).astype(np.int64)
    bins = (q[..., 0] << (3 * BITS)) | (q[..., 1] << (2 * BITS)) | (q[..., 2] << BITS) | q[..., 3]
    bins[rgba[..., 3] == 0] = 0
    return bins


def colour_pairs(bins: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys of the horizontally and vertically adjacent pixel pairs of *different* colours.

    Returns ``(keys, horizontal, vertical)``: the keys, and the masks ``(H, W - 1)`` and
    ``(H - 1, W)`` of which neighbours they came from, in that order. A pair of equal
    colours is new only if its colour is, which the colour signals already see; skipping
    them keeps the table small and the lookup fast on flat pixel art.
    """
    shift = 4 * BITS
    left, right, top, bottom = bins[:, :-1], bins[:, 1:], bins[:-1, :], bins[1:, :]
    horizontal, vertical = left != right, top != bottom
    keys = np.concatenate(
        [
            (left[horizontal] << shift) | right[horizontal],
            (top[vertical] << shift) | bottom[vertical] | (1 << (2 * shift)),
        ]
    )
    return keys, horizontal, vertical


def fit_pair_frequency(images: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted adjacent colour pairs the images use, and how many images use each."""
    per_image = [np.unique(colour_pairs(colour_bins(im))[0]) for im in images]
    if not per_image:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys, counts = np.unique(np.concatenate(per_image), return_counts=True)
    return keys.astype(np.int64), counts.astype(np.int64)


def fit_document_frequency(images: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """Sorted used bins, how many images use each at least once, and the number of images."""
    per_image = [np.unique(colour_bins(im)) for im in images]
    if not per_image:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    bins, counts = np.unique(np.concatenate(per_image), return_counts=True)
    return bins.astype(np.int64), counts.astype(np.int64), len(per_image)


UNSEEN = 12.0  # rarity of a colour no approved sprite uses: rarer than 1 in 160,000 sprites
DENSE_AFTER = 1 << 20  # pixels looked up before a rarity table builds its dense array


class RarityTable:
    """Per-pixel rarity: ``-log`` of the smoothed share of approved sprites using the colour.

    A colour no approved sprite uses scores the constant :data:`UNSEEN`, not a value that
    depends on how many sprites were approved: the models of calibration's folds and the
    deployed model then agree on what "never seen" means.
    """

    def __init__(self, bins: np.ndarray, counts: np.ndarray, n_images: int) -> None:
        self.bins = np.asarray(bins, dtype=np.int64)
        share = (np.asarray(counts, dtype=np.float64) + 0.5) / (n_images + 1.0)
        self.rarity = np.clip(-np.log(share), 0.0, UNSEEN).astype(np.float32)
        # once a scan or a sheet has looked up DENSE_AFTER pixels, every bin's rarity in one
        # array (4 MB): a lookup is then a gather, not a binary search. A one-file hook
        # never pays the 10 ms of filling it.
        self._all: np.ndarray | None = None
        self._looked = 0
        self._dense = self.bins.size == 0 or (self.bins.min() >= 0 and self.bins.max() < N_BINS)

    def lookup(self, q: np.ndarray) -> np.ndarray:
        """Rarity of each colour bin in ``q`` (see :func:`colour_bins`), same shape."""
        if self._all is None and self._dense:
            self._looked += q.size
            if self._looked >= DENSE_AFTER:
                table = np.full(N_BINS, UNSEEN, dtype=np.float32)
                table[self.bins[::-1]] = self.rarity[::-1]  # a repeated bin: its first entry
                self._all = table
        if self._all is not None:
            return self._all[q]
        if self.bins.size == 0:
            return np.full(q.shape, UNSEEN, dtype=np.float32)
        idx = np.minimum(np.searchsorted(self.bins, q), self.bins.size - 1)
        return np.where(self.bins[idx] == q, self.rarity[idx], np.float32(UNSEEN))


RARE_PAIR = 1  # a neighbouring pair that at most this many approved sprites have is "rare"


class PairTable:
    """Which neighbouring colour pairs the approved sprites have, and how many of them."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self.keys = np.asarray(keys, dtype=np.int64)
        self.counts = np.asarray(counts, dtype=np.int64)

    def rare(self, pairs: np.ndarray) -> np.ndarray:
        """True for each pair key that at most RARE_PAIR approved sprites have."""
        if self.keys.size == 0:
            return np.ones(pairs.shape, dtype=bool)
        idx = np.minimum(np.searchsorted(self.keys, pairs), self.keys.size - 1)
        return np.where(self.keys[idx] == pairs, self.counts[idx], 0) <= RARE_PAIR
