"""PNG panels for failing sprites: sprite, reconstruction, residual heatmap, boxed overlay.

Everything is drawn at an integer nearest-neighbour zoom so pixel art stays pixel art.
Sprites too large to show whole are cropped around their worst region (the caption says
where).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from sprite_lint.explain import Detail
from sprite_lint.scoring import Region

TARGET = 160  # a pane is zoomed until about this many pixels on its longer side...
MAX_ZOOM = 16
MAX_SHOWN = 256  # ...and sprites larger than this are cropped around the worst region
GAP = 8
CAPTION = 14
CHECK = 8  # checkerboard square, in panel pixels
BOX = (255, 0, 64)
# a perceptual dark-to-bright ramp (black, purple, red, orange, pale yellow)
_RAMP = np.array(
    [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float64
)


def zoom_for(h: int, w: int) -> int:
    return int(max(1, min(MAX_ZOOM, TARGET // max(h, w, 1))))


def heat_colours(values: np.ndarray) -> np.ndarray:
    """``(H, W)`` in [0, 1] -> ``(H, W, 3)`` uint8 on the dark-to-bright ramp."""
    t = np.clip(values, 0.0, 1.0) * (len(_RAMP) - 1)
    i = np.minimum(t.astype(int), len(_RAMP) - 2)
    f = (t - i)[..., None]
    return (_RAMP[i] * (1 - f) + _RAMP[i + 1] * f + 0.5).astype(np.uint8)


def heat_values(detail: Detail) -> np.ndarray:
    """Residual as a fraction of the failing level, with a square-root lift so faint
    residuals stay visible: 1.0 (brightest) means this pixel alone would fail the check."""
    return np.sqrt(np.clip(detail.residual / detail.residual_limit, 0.0, 1.0))


def on_checkerboard(rgba: np.ndarray, zoom: int) -> np.ndarray:
    """Straight-alpha ``(H, W, 4)`` -> zoomed ``(H*z, W*z, 3)`` over a grey checkerboard."""
    big = rgba.repeat(zoom, axis=0).repeat(zoom, axis=1).astype(np.float64)
    yy, xx = np.indices(big.shape[:2])
    board = np.where(((yy // CHECK) + (xx // CHECK)) % 2 == 0, 204.0, 255.0)[..., None]
    a = big[..., 3:4] / 255.0
    return (big[..., :3] * a + board * (1 - a) + 0.5).astype(np.uint8)


def _crop_box(h: int, w: int, region: Region | None) -> tuple[int, int, int, int]:
    """(y0, x0, y1, x1) of the shown part: whole sprite, or MAX_SHOWN around the region."""
    if max(h, w) <= MAX_SHOWN:
        return 0, 0, h, w
    cy = (region.y + region.h // 2) if region else h // 2
    cx = (region.x + region.w // 2) if region else w // 2
    sh, sw = min(h, MAX_SHOWN), min(w, MAX_SHOWN)
    y0 = int(np.clip(cy - sh // 2, 0, h - sh))
    x0 = int(np.clip(cx - sw // 2, 0, w - sw))
    return y0, x0, y0 + sh, x0 + sw


def render_panel(detail: Detail) -> Image.Image:
    """The four panes side by side, captioned, as one RGB image."""
    region = detail.result.region
    y0, x0, y1, x1 = _crop_box(*detail.rgba.shape[:2], region)
    h, w = y1 - y0, x1 - x0
    z = zoom_for(h, w)
    sprite = on_checkerboard(detail.rgba[y0:y1, x0:x1], z)
    recon = on_checkerboard(detail.reconstruction[y0:y1, x0:x1], z)
    heat = heat_colours(heat_values(detail)[y0:y1, x0:x1]).repeat(z, 0).repeat(z, 1)
    overlay = sprite.copy()
    panes = [sprite, recon, heat, overlay]
    captions = ["sprite", "reconstruction", "residual", "worst region"]
    if (y0, x0, y1, x1) != (0, 0, *detail.rgba.shape[:2]):
        captions[0] = f"crop x{x0}-{x1} y{y0}-{y1}"
    pw, ph = w * z, h * z
    canvas = Image.new("RGB", (4 * pw + 5 * GAP, ph + CAPTION + 2 * GAP), (32, 32, 40))
    draw = ImageDraw.Draw(canvas)
    for k, (pane, caption) in enumerate(zip(panes, captions)):
        left = GAP + k * (pw + GAP)
        canvas.paste(Image.fromarray(pane, "RGB"), (left, GAP + CAPTION))
        draw.text((left, GAP - 2), caption[: max(4, pw // 6)], fill=(230, 230, 230))
    if region is not None and detail.result.status != "pass":
        left = GAP + 3 * (pw + GAP)
        bx0 = left + (region.x - x0) * z
        by0 = GAP + CAPTION + (region.y - y0) * z
        bx1, by1 = bx0 + region.w * z - 1, by0 + region.h * z - 1
        pad = 1 if z >= 2 else 0
        draw.rectangle(
            [bx0 - pad, by0 - pad, bx1 + pad, by1 + pad], outline=BOX, width=max(1, min(3, z // 2))
        )
    return _with_neighbours(canvas, detail, z)


def _with_neighbours(canvas: Image.Image, detail: Detail, z: int) -> Image.Image:
    """A frame of a sheet gets a fifth pane: the sheet around it, the frame boxed, so its
    neighbours (and anything bleeding between them) are in view."""
    if detail.context is None or detail.context_box is None:
        return canvas
    ctx = detail.context
    z = max(1, min(z, TARGET * 2 // max(ctx.shape[:2])))
    pane = on_checkerboard(ctx, z)
    out = Image.new(
        "RGB",
        (canvas.width + pane.shape[1] + GAP, max(canvas.height, pane.shape[0] + CAPTION + 2 * GAP)),
        (32, 32, 40),
    )
    out.paste(canvas, (0, 0))
    left = canvas.width
    out.paste(Image.fromarray(pane, "RGB"), (left, GAP + CAPTION))
    draw = ImageDraw.Draw(out)
    draw.text((left, GAP - 2), "in the sheet", fill=(230, 230, 230))
    x, y, w, h = detail.context_box
    top = GAP + CAPTION
    draw.rectangle(
        [left + x * z - 1, top + y * z - 1, left + (x + w) * z, top + (y + h) * z], outline=BOX
    )
    return out


def panel_filename(name: str) -> str:
    """A flat, safe file name for a sprite's panel: ``art/hero 1.png`` -> ``art__hero_1.png``."""
    stem = name[:-4] if name.lower().endswith(".png") else name
    flat = re.sub(r"[^A-Za-z0-9._-]+", "_", stem.replace("/", "__")).lstrip(".-") or "sprite"
    return flat[:150] + ".png"


@dataclass(frozen=True)
class WrittenPanel:
    name: str
    path: Path


def write_panels(details: Sequence[Detail], directory: Path) -> list[WrittenPanel]:
    """One PNG panel per detail in ``directory`` (created, and marked as sprite-lint's
    output so that no later check scans it); returns what was written."""
    from sprite_lint.discovery import mark_output_folder

    mark_output_folder(directory)
    out: list[WrittenPanel] = []
    used: set[str] = set()
    for d in details:
        frame = d.result.frame
        fname = panel_filename(
            d.result.path
            if frame is None
            else f"{d.result.path.removesuffix('.png')}#{frame.index}"
        )
        base, n = fname[:-4], 2
        while fname in used:  # two names that flatten alike
            fname, n = f"{base}-{n}.png", n + 1
        used.add(fname)
        target = directory / fname
        tmp = directory / f".{fname}.tmp"
        render_panel(d).save(tmp, format="PNG")
        tmp.replace(target)
        out.append(WrittenPanel(d.result.label, target))
    return out


def panel_png_bytes(detail: Detail) -> bytes:
    import io

    buf = io.BytesIO()
    render_panel(detail).save(buf, format="PNG")
    return buf.getvalue()
