"""Colour rarity: how many approved sprites use each (quantized) RGBA colour.

A third signal beside the autoencoder: cheap, and decisive for defects that bring in new
colours (JPEG ringing, resampling blur, swapped channels, foreign blobs, noise). The table
is sparse: the sorted bins the approved sprites use, and in how many sprites each occurs.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

BITS = 5  # per channel: 32 levels, fine enough that a tinted white is not white


def colour_bins(rgba: np.ndarray) -> np.ndarray:
    """uint8 ``(H, W, 4)`` -> ``(H, W)`` bin index; every fully transparent pixel is bin 0."""
    q = (rgba >> (8 - BITS)).astype(np.int64)
    bins = (q[..., 0] << (3 * BITS)) | (q[..., 1] << (2 * BITS)) | (q[..., 2] << BITS) | q[..., 3]
    bins[rgba[..., 3] == 0] = 0
    return bins


def fit_document_frequency(images: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """Sorted used bins, how many images use each at least once, and the number of images."""
    per_image = [np.unique(colour_bins(im)) for im in images]
    if not per_image:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    bins, counts = np.unique(np.concatenate(per_image), return_counts=True)
    return bins.astype(np.int64), counts.astype(np.int64), len(per_image)


class RarityTable:
    """Per-pixel rarity: ``-log`` of the smoothed share of approved sprites using the colour."""

    def __init__(self, bins: np.ndarray, counts: np.ndarray, n_images: int) -> None:
        self.bins = np.asarray(bins, dtype=np.int64)
        share = (np.asarray(counts, dtype=np.float64) + 0.5) / (n_images + 1.0)
        floor = -np.log(1.0 / (n_images + 1.0)) if n_images else 0.0
        common = -np.log(share).min() if self.bins.size else floor
        self.rarity = (-np.log(share) - common).astype(np.float32)  # commonest colour: 0
        self.unseen = np.float32(-np.log(0.5 / (n_images + 1.0)) - common)

    def map(self, rgba: np.ndarray) -> np.ndarray:
        """``(H, W)`` rarity of every pixel."""
        q = colour_bins(rgba)
        if self.bins.size == 0:
            return np.full(q.shape, self.unseen, dtype=np.float32)
        idx = np.minimum(np.searchsorted(self.bins, q), self.bins.size - 1)
        return np.where(self.bins[idx] == q, self.rarity[idx], self.unseen)
