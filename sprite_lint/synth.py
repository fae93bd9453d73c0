"""Procedural sprite families and injected defects, for benchmarks and tests (no downloads).

Four families in distinct styles, each drawn from its own fixed palette and rules:

* ``creatures``: palette pixel art with a 1-pixel dark outline, 16x16 and 24x24, transparent;
* ``gems``: anti-aliased RGBA art with gradients and soft edges, 32x32;
* ``tiles``: opaque 16x16 and 32x32 terrain tiles, textured from a small palette;
* ``icons``: 24x24 flat UI buttons with a white glyph and transparent rounded corners.

Defects are what artists actually break. ``COLOUR_DEFECTS`` bring in colours the family
does not use; ``STRUCTURAL_DEFECTS`` rearrange the sprite's own colours and transparency.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image

Rgba = np.ndarray  # (H, W, 4) uint8

FAMILIES = ("creatures", "gems", "tiles", "icons")
COLOUR_DEFECTS = (
    "stray_pixels",
    "foreign_blob",
    "opaque_background",
    "blur",
    "jpeg",
    "swapped_channels",
    "checkerboard",
    "noise",
    "other_family",
)
STRUCTURAL_DEFECTS = ("duplicated_part", "alpha_hole", "shifted_half")
DEFECTS = COLOUR_DEFECTS + STRUCTURAL_DEFECTS


# --------------------------------------------------------------------------- families


def _creature(rng: np.random.Generator) -> Rgba:
    size = int(rng.choice([16, 24]))
    palettes = [
        [(58, 148, 74), (96, 196, 96), (180, 230, 120)],
        [(150, 60, 160), (200, 110, 210), (240, 180, 240)],
        [(60, 100, 180), (100, 150, 230), (170, 210, 250)],
    ]
    pal = palettes[int(rng.integers(len(palettes)))]
    half = size // 2
    body = np.zeros((size, half), dtype=bool)
    # random symmetric blob: grow from the centre column
    top, bottom = int(rng.integers(2, 5)), size - int(rng.integers(2, 4))
    for y in range(top, bottom):
        width = int(rng.integers(max(2, half // 3), half - 1))
        body[y, half - width :] = True
    mask = np.concatenate([body, body[:, ::-1]], axis=1)
    img = np.zeros((size, size, 4), dtype=np.uint8)
    shade = np.where(np.arange(size)[:, None] < (top + bottom) // 2, 1, 0) * np.ones((1, size), int)
    for level in (0, 1):
        sel = mask & (shade == level)
        img[sel, :3] = pal[level]
        img[sel, 3] = 255
    # belly highlight and eyes
    ys = np.arange(size)[:, None]
    belly = (
        mask
        & (ys > (top + bottom) // 2 + 1)
        & (np.abs(np.arange(size) - size / 2 + 0.5) < size / 6)
    )
    img[belly, :3] = pal[2]
    ey = top + 2
    for ex in (half - 3, half + 2):
        if mask[ey, ex]:
            img[ey, ex] = (255, 255, 255, 255)
            img[ey + 1, ex] = (20, 20, 28, 255)
    # 1-pixel dark outline around the body
    padded = np.pad(mask, 1)
    grown = padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]
    outline = grown & ~mask
    img[outline] = (20, 20, 28, 255)
    return img


def _gem(rng: np.random.Generator) -> Rgba:
    size, ss = 32, 4
    n = size * ss
    yy, xx = (np.mgrid[0:n, 0:n] + 0.5) / ss
    hue = [(220, 40, 60), (40, 120, 230), (40, 190, 110)][int(rng.integers(3))]
    cx, cy = 16 + rng.uniform(-2, 2), 16 + rng.uniform(-2, 2)
    r = rng.uniform(9, 13)
    sides = int(rng.choice([4, 6, 8]))
    ang = np.arctan2(yy - cy, xx - cx) + rng.uniform(0, np.pi)
    rad = np.hypot(xx - cx, yy - cy)
    poly = r * np.cos(np.pi / sides) / np.cos((ang % (2 * np.pi / sides)) - np.pi / sides)
    inside = (rad <= poly).astype(np.float64)
    light = np.clip(1.15 - (yy - cy + r) / (2 * r) * 0.7 + 0.25 * np.cos(ang * 2), 0.3, 1.3)
    rgb = np.clip(np.array(hue)[None, None, :] * light[..., None], 0, 255)
    hi = np.exp(-((xx - cx + r / 3) ** 2 + (yy - cy + r / 3) ** 2) / (2 * (r / 5) ** 2))
    rgb = rgb * (1 - hi[..., None]) + 255 * hi[..., None]
    rgba = np.concatenate([rgb * inside[..., None], inside[..., None] * 255], axis=-1)
    # box-filter down: anti-aliased edges and soft alpha
    small = rgba.reshape(size, ss, size, ss, 4).mean(axis=(1, 3))
    alpha = small[..., 3:4]
    rgb_out = np.where(alpha > 0, small[..., :3] / np.maximum(alpha, 1e-6) * 255, 0)
    out = np.concatenate([rgb_out, alpha], axis=-1)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _tile(rng: np.random.Generator) -> Rgba:
    size = int(rng.choice([16, 32]))
    kind = int(rng.integers(2))
    pal = (
        [(62, 122, 48), (78, 146, 58), (98, 170, 70), (120, 190, 84)]
        if kind == 0
        else [(96, 92, 88), (120, 116, 110), (146, 140, 132), (70, 68, 66)]
    )
    # smooth value noise quantized to the palette
    coarse = rng.random((size // 4 + 2, size // 4 + 2))
    up = np.kron(coarse, np.ones((4, 4)))[:size, :size]
    k = np.ones(3) / 3
    up = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 0, up)
    up = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 1, up)
    levels = np.clip((up * 3.99).astype(int), 0, 3)
    img = np.zeros((size, size, 4), dtype=np.uint8)
    img[..., :3] = np.array(pal)[levels]
    img[..., 3] = 255
    if kind == 1:  # stone: mortar in a running bond, the same layout on every tile
        step = size // 2
        img[::step, :, :3] = pal[3]
        img[:step, step // 2 :: step, :3] = pal[3]
        img[step:, ::step, :3] = pal[3]
    return img


def _icon(rng: np.random.Generator) -> Rgba:
    size, ss = 24, 4
    n = size * ss
    yy, xx = (np.mgrid[0:n, 0:n] + 0.5) / ss
    colour = [(220, 70, 60), (60, 160, 90), (60, 110, 210), (230, 170, 40)][int(rng.integers(4))]
    # rounded square, corner radius 5
    r = 5.0
    dx = np.maximum(np.abs(xx - 12) - (12 - 1 - r), 0)
    dy = np.maximum(np.abs(yy - 12) - (12 - 1 - r), 0)
    bg = (np.hypot(dx, dy) <= r).astype(np.float64)
    glyph_kind = int(rng.integers(4))
    u, v = xx - 12, yy - 12
    if glyph_kind == 0:  # plus
        glyph = ((np.abs(u) < 1.5) & (np.abs(v) < 6)) | ((np.abs(v) < 1.5) & (np.abs(u) < 6))
    elif glyph_kind == 1:  # cross
        a, b = (u + v) / np.sqrt(2), (u - v) / np.sqrt(2)
        glyph = ((np.abs(a) < 1.5) & (np.abs(b) < 6.5)) | ((np.abs(b) < 1.5) & (np.abs(a) < 6.5))
    elif glyph_kind == 2:  # ring
        glyph = np.abs(np.hypot(u, v) - 5) < 1.5
    else:  # right arrow
        glyph = ((np.abs(v) < 1.5) & (u > -6) & (u < 2)) | (
            (u >= 0) & (u < 6) & (np.abs(v) < 6 - u)
        )
    rgb = np.where(glyph[..., None], 255.0, np.array(colour, dtype=np.float64)[None, None, :])
    rgba = np.concatenate([rgb * bg[..., None], bg[..., None] * 255], axis=-1)
    small = rgba.reshape(size, ss, size, ss, 4).mean(axis=(1, 3))
    alpha = small[..., 3:4]
    rgb_out = np.where(alpha > 0, small[..., :3] / np.maximum(alpha, 1e-6) * 255, 0)
    return np.clip(np.concatenate([rgb_out, alpha], axis=-1) + 0.5, 0, 255).astype(np.uint8)


GENERATORS: dict[str, Callable[[np.random.Generator], Rgba]] = {
    "creatures": _creature,
    "gems": _gem,
    "tiles": _tile,
    "icons": _icon,
}


def make_family(name: str, n: int, seed: int) -> list[Rgba]:
    """``n`` sprites of family ``name``."""
    rng = np.random.default_rng([seed, FAMILIES.index(name)])
    return [GENERATORS[name](rng) for _ in range(n)]


def applicable_defects(name: str) -> tuple[str, ...]:
    """Defects that make sense for a family (an opaque tile has no background to fill)."""
    if name == "tiles":
        return tuple(d for d in DEFECTS if d != "opaque_background")
    return DEFECTS


# --------------------------------------------------------------------------- defects


def _visible(img: Rgba) -> np.ndarray:
    return img[..., 3] > 0


def inject(img: Rgba, defect: str, rng: np.random.Generator, family: str = "") -> Rgba:
    """A copy of ``img`` with ``defect`` applied."""
    h, w, _ = img.shape
    out = img.copy()
    yy, xx = np.mgrid[0:h, 0:w]
    if defect == "stray_pixels":
        for _ in range(int(rng.integers(2, 5))):
            y, x = int(rng.integers(h)), int(rng.integers(w))
            out[y, x] = (*rng.integers(0, 256, 3), 255)
    elif defect == "foreign_blob":
        cy, cx = rng.uniform(h * 0.2, h * 0.8), rng.uniform(w * 0.2, w * 0.8)
        r = max(1.5, min(h, w) / 8)
        m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        out[m] = (255, 0, 220, 255)
    elif defect == "opaque_background":
        bg = np.array([(0, 0, 0), (255, 255, 255), (255, 0, 255)][int(rng.integers(3))])
        a = out[..., 3:4].astype(np.float64) / 255
        out[..., :3] = (out[..., :3] * a + bg * (1 - a)).astype(np.uint8)
        out[..., 3] = 255
    elif defect == "blur":
        pil = Image.fromarray(img, "RGBA")
        small = pil.resize((max(1, w // 2), max(1, h // 2)), Image.BILINEAR)
        out = np.array(small.resize((w, h), Image.BILINEAR))
    elif defect == "jpeg":
        buf = io.BytesIO()
        Image.fromarray(img[..., :3], "RGB").save(buf, format="JPEG", quality=50)
        rgb = np.array(Image.open(buf).convert("RGB"))
        out[..., :3] = np.where(_visible(img)[..., None], rgb, img[..., :3])
    elif defect == "swapped_channels":
        out[..., :3] = img[..., 2::-1]
    elif defect == "checkerboard":
        check = ((yy // 4 + xx // 4) % 2).astype(bool)
        out[..., :3] = np.where(check[..., None], (255, 0, 255), (0, 0, 0))
        out[..., 3] = 255
    elif defect == "noise":
        noisy = img[..., :3].astype(np.float64) + rng.normal(0, 24, (h, w, 3))
        out[..., :3] = np.where(_visible(img)[..., None], np.clip(noisy, 0, 255), img[..., :3])
    elif defect == "other_family":
        others = [f for f in FAMILIES if f != family] or list(FAMILIES)
        other = GENERATORS[others[int(rng.integers(len(others)))]](rng)
        out = np.array(Image.fromarray(other, "RGBA").resize((w, h), Image.NEAREST))
    elif defect == "duplicated_part":
        p = max(3, min(h, w) // 3)
        vis = np.argwhere(_visible(img))
        sy, sx = vis[int(rng.integers(len(vis)))] if len(vis) else (0, 0)
        sy, sx = min(int(sy), h - p), min(int(sx), w - p)
        dy, dx = int(rng.integers(0, h - p + 1)), int(rng.integers(0, w - p + 1))
        for _ in range(20):  # move it somewhere it is clearly misplaced
            if abs(dy - sy) + abs(dx - sx) >= p:
                break
            dy, dx = int(rng.integers(0, h - p + 1)), int(rng.integers(0, w - p + 1))
        out[dy : dy + p, dx : dx + p] = img[sy : sy + p, sx : sx + p]
    elif defect == "alpha_hole":
        vis = np.argwhere(img[..., 3] == 255)
        cy, cx = vis[int(rng.integers(len(vis)))] if len(vis) else (h // 2, w // 2)
        r = max(1.5, min(h, w) / 10)
        out[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 0
    elif defect == "shifted_half":
        s = max(2, w // 8)
        out[: h // 2] = np.roll(img[: h // 2], s, axis=1)
    else:
        raise ValueError(f"unknown defect {defect!r}")
    return out
