"""Colour rarity: how many approved sprites use each (quantized) RGBA colour.

A third signal beside the autoencoder: cheap, and decisive for defects that bring in new
colours (JPEG ringing, resampling blur, swapped channels, foreign blobs, noise).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

BITS = 4  # per channel: 16 levels, so a colour is one of 16**4 bins
N_BINS = 1 << (4 * BITS)


def colour_bins(rgba: np.ndarray) -> np.ndarray:
    """uint8 ``(H, W, 4)`` -> ``(H, W)`` bin index; every fully transparent pixel is bin 0."""
    q = (rgba >> (8 - BITS)).astype(np.int64)
    bins = (q[..., 0] << (3 * BITS)) | (q[..., 1] << (2 * BITS)) | (q[..., 2] << BITS) | q[..., 3]
    bins[rgba[..., 3] == 0] = 0
    return bins


def fit_document_frequency(images: Iterable[np.ndarray]) -> tuple[np.ndarray, int]:
    """Count, for every bin, how many images use it at least once."""
    df = np.zeros(N_BINS, dtype=np.int64)
    n = 0
    for im in images:
        df[np.unique(colour_bins(im))] += 1
        n += 1
    return df, n


def rarity_map(rgba: np.ndarray, df: np.ndarray, n_images: int) -> np.ndarray:
    """``(H, W)`` per-pixel rarity: ``-log`` of the smoothed share of approved sprites using it."""
    table = -np.log((df.astype(np.float64) + 0.5) / (n_images + 1.0))
    table -= table.min()  # the commonest colour scores 0
    return table[colour_bins(rgba)].astype(np.float32)
