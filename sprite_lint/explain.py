"""Where a sprite is wrong: its residual maps, worst region and nearest approved sprites.

The detail behind one verdict, for ``explain``, ``check --report-dir`` and the HTML
report. Only failing files (or the one file asked about) pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sprite_lint.baseline import Baseline
from sprite_lint.check import Detector, FileResult
from sprite_lint.imageio import load_png
from sprite_lint.scoring import SIGNALS

SIMILAR = 3  # approved sprites named as the closest


@dataclass
class Detail:
    """One sprite's verdict with the maps that explain it."""

    result: FileResult
    rgba: np.ndarray  # (H, W, 4) uint8, straight alpha
    reconstruction: np.ndarray  # (H, W, 4) uint8
    residual: np.ndarray  # (H, W) squared error per pixel, premultiplied RGBA
    residual_limit: float  # a pixel's residual at which its own signal alone would fail
    similar: list[tuple[str, float]]  # (approved sprite, distance), closest first
    standardized: dict[str, float]  # every signal on the threshold's scale


def residual_limit(detector: Detector) -> float:
    """The single-pixel residual that alone reaches the threshold (``recon_px`` signal)."""
    i = SIGNALS.index("recon_px")
    st = detector.standardizer
    return max(st.loc[i] + detector.calibration.threshold * st.scale[i], 1e-9)


def similar_sprites(
    baseline: Baseline, embedding: np.ndarray | None, k: int = SIMILAR
) -> list[tuple[str, float]]:
    """The ``k`` approved sprites whose latent summary is closest to ``embedding``."""
    names = baseline.arrays["sprite_names"]
    refs = baseline.arrays["sprite_embeddings"].astype(np.float64)
    if embedding is None or refs.shape[0] == 0:
        return []
    dist = np.sqrt(((refs - embedding.astype(np.float64)) ** 2).sum(axis=1))
    order = np.argsort(dist, kind="stable")[:k]
    return [(str(names[i]), float(dist[i])) for i in order]


def explain_files(
    paths: Sequence[tuple[Path, str]], baseline: Baseline, max_pixels: int | None = None
) -> list[Detail]:
    """Score each ``(path, name)`` again, keeping the maps. Unreadable files raise ImageError."""
    detector = Detector(baseline)
    limit = max_pixels or baseline.max_pixels
    level = residual_limit(detector)
    out = []
    for path, name in paths:
        image = load_png(path, limit)
        result = detector.judge(name, image.rgba, keep_maps=True)
        result.sha256 = image.sha256
        raw = result.raw
        assert raw is not None and raw.residual is not None and raw.reconstruction is not None
        out.append(
            Detail(
                result,
                image.rgba,
                raw.reconstruction,
                raw.residual,
                level,
                similar_sprites(baseline, raw.embedding),
                dict(zip(SIGNALS, detector.standardizer.transform(raw.as_vector()).tolist())),
            )
        )
    return out
