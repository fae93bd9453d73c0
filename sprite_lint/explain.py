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
from sprite_lint.check import Detector, FileResult, may_be_sheet
from sprite_lint.errors import UsageError
from sprite_lint.imageio import load_png
from sprite_lint.scoring import SIGNALS
from sprite_lint.sheets import (
    Fault,
    Frame,
    SheetSettings,
    find_layout,
    frame_images,
    key_colour,
    sheet_faults,
)

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
    # a frame of a sheet: the sheet around it (its neighbours) and the frame's box in that
    context: np.ndarray | None = None  # (h, w, 4) uint8
    context_box: tuple[int, int, int, int] | None = None  # (x, y, w, h) in ``context``


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
    paths: Sequence[tuple[Path, str] | tuple[Path, str, int | None]],
    baseline: Baseline,
    max_pixels: int | None = None,
    sheets: SheetSettings | None = None,
) -> list[Detail]:
    """Score each ``(path, name)`` again, keeping the maps. Unreadable files raise ImageError.

    ``(path, name, index)`` explains frame ``index`` of a sheet (``sheets`` says which
    files are sheets); a sheet named without a frame is explained by its worst frame.
    """
    detector = Detector(baseline)
    limit = max_pixels or baseline.max_pixels
    level = residual_limit(detector)
    out = []
    for item in paths:
        path, name = item[0], item[1]
        index = item[2] if len(item) > 2 else None  # type: ignore[misc]
        image = load_png(path, limit)
        rgba, frame, context, box = image.rgba, None, None, None
        layout = None
        if sheets is not None and may_be_sheet(path, sheets):
            layout = find_layout(path, rgba.shape[1], rgba.shape[0], sheets)
        if index is not None and layout is None:
            raise UsageError(
                f"{name} is not a sprite sheet (no grid or data file applies to it), so it "
                f"has no frame #{index}"
            )
        faults: list[Fault] = []
        if layout is not None:
            frames = frame_images(layout, rgba)
            sheet_wide = sheet_faults(layout, rgba)  # as check finds them
            if index is not None:
                chosen = [fi for fi in frames if fi[0].index == index]
                if not chosen:
                    known = [f.index for f in layout.frames]
                    raise UsageError(
                        f"{name} has no frame #{index} with visible pixels (its "
                        f"{len(known)} frames are #{known[0]} to #{known[-1]}; empty frames "
                        "are not judged)"
                    )
            else:
                if not frames:
                    raise UsageError(f"{name}: every frame is empty; nothing to explain")
                scored = detector.judge_many([name] * len(frames), [im for _, im in frames])
                worst = max(range(len(frames)), key=lambda k: scored[k].score or 0.0)
                faulty = [k for k, (f, _) in enumerate(frames) if _faults_of(sheet_wide, f)]
                if scored[worst].status == "pass" and faulty:  # the sheet fails on a fault
                    worst = faulty[0]
                chosen = [frames[worst]]
            frame, rgba = chosen[0]
            faults = _faults_of(sheet_wide, frame)
            context, box = neighbourhood(key_colour(image.rgba, layout.transparent), frame)
        result = detector.judge(name, rgba, keep_maps=True)
        if result.driver == "cut":  # check's rows: the frame's cut says more than `edge`
            faults = [f for f in faults if f.kind != "edge"]
        if faults:  # a sheet fault fails the frame in check: in explain too
            said = "; ".join(f.message for f in faults)
            if result.status == "pass":
                result.status, result.driver, result.message = "fail", faults[0].kind, said
            else:
                result.message += f"; also: {said}"
        result.sha256 = image.sha256
        if image.warnings:  # harmless damage libpng reads past: said, as check says it
            result.message += "; " + "; ".join(f"warning: {w}" for w in image.warnings)
        result.frame = frame
        raw = result.raw
        assert raw is not None and raw.residual is not None and raw.reconstruction is not None
        out.append(
            Detail(
                result,
                rgba,
                raw.reconstruction,
                raw.residual,
                level,
                similar_sprites(baseline, raw.embedding),
                dict(zip(SIGNALS, detector.standardizer.transform(raw.as_vector()).tolist())),
                context,
                box,
            )
        )
    return out


def _faults_of(faults: Sequence[Fault], frame: Frame) -> list[Fault]:
    """The sheet faults ``check`` reports on ``frame``."""
    return [f for f in faults if f.frame.index == frame.index]


def neighbourhood(sheet: np.ndarray, f: Frame) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The sheet around a frame (half a frame on each side, within the sheet) and the
    frame's box in that crop: a panel shows the frame with its neighbours."""
    h, w = sheet.shape[:2]
    x0, y0 = max(0, f.x - max(1, f.w // 2)), max(0, f.y - max(1, f.h // 2))
    x1, y1 = min(w, f.x + f.w + max(1, f.w // 2)), min(h, f.y + f.h + max(1, f.h // 2))
    return sheet[y0:y1, x0:x1].copy(), (f.x - x0, f.y - y0, f.w, f.h)
