"""Craft signals: the marks of a broken export or edit, whatever the sprite depicts.

In a real art set every new sprite is new content, so "unlike the approved sprites" is
normal. What a broken export or edit leaves behind looks alike on any subject: an opaque
background, lone pixels in the transparent area, a hole punched in the alpha, a dark or
light fringe from a premultiplied/straight alpha mix-up, soft resampled edges, a JPEG's
quantisation, a palette pass that dropped the colours, a sprite outlined unlike its set.
Each signal here measures one such mark directly on the pixels (numpy only: ``check`` runs this),
and calibration learns from the approved art how much of it is normal.

Every function takes a uint8 ``(H, W, 4)`` straight-alpha sprite and returns
``(value, region)``: higher = more of the mark; ``region`` is where it is, in sprite
pixels (the whole sprite for whole-sprite measures).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SOLID = 255  # alpha of a solid pixel
SEEN = 64  # alpha from which a lone pixel is plainly visible
STRAY_ENCLOSED = 4  # px: a lone pixel with the drawing this near on three sides is drawn
RIM = 3  # solid pixels in a row around a punched hole
SEMI_LO, SEMI_HI = 8, 247  # semi-transparent: neither almost clear nor almost solid
FRINGE_RIDGE = 10.0  # in log(alpha) squared: the evidence a fringe slope needs
HALO_SHADE = 230  # a channel its solid neighbours keep below this is not white there
HALO_PRIOR = 20  # edge pixels: the evidence a halo share needs
NEAR_BLACK = 0.12  # Rec. 709 luma below which a pixel is near black (an outline's ink)
NOISE_LO, NOISE_HI = 3 / 255, 48 / 255  # luminance steps of JPEG ringing and dither
# A large sprite (a 4096x4096 sheet) is measured in row bands of about this many pixels,
# so that temporaries take a few MB, not GB; a sprite of up to this size is one band.
BAND_PIXELS = 512 * 512


@dataclass(frozen=True)
class Box:
    """A box in sprite pixel coordinates (same fields as ``scoring.Region``)."""

    x: int
    y: int
    w: int
    h: int


def _whole(rgba: np.ndarray) -> Box:
    return Box(0, 0, rgba.shape[1], rgba.shape[0])


def _span(v: np.ndarray) -> tuple[int, int]:
    """First and last index of a true value in a 1-D bool array with one."""
    return int(np.argmax(v)), int(v.size - 1 - np.argmax(v[::-1]))


def _bbox(mask: np.ndarray, rgba: np.ndarray) -> Box:
    rows, cols = mask.any(axis=1), mask.any(axis=0)
    if not rows.any():
        return _whole(rgba)
    (y0, y1), (x0, x1) = _span(rows), _span(cols)
    return Box(x0, y0, x1 - x0 + 1, y1 - y0 + 1)


def row_bands(h: int, w: int, halo: int = 0) -> list[tuple[int, int, int, int]]:
    """Rows ``0..h`` of a ``w`` pixels wide sprite in bands of about BAND_PIXELS pixels:
    ``(lo, hi, top, bottom)``, the band's own rows ``lo:hi`` and the rows ``top:bottom``
    to read for them (``halo`` more on each side, within the sprite)."""
    rows = max(1, BAND_PIXELS // max(w, 1))
    return [
        (lo, min(h, lo + rows), max(0, lo - halo), min(h, lo + rows + halo))
        for lo in range(0, h, rows)
    ]


def banded(fn: Callable[[np.ndarray], np.ndarray], rgba: np.ndarray, halo: int) -> np.ndarray:
    """``fn(rgba)``, an ``(H, W)`` map whose every pixel depends only on rows within
    ``halo`` of its own, computed band by band (``row_bands``): the same map, with
    temporaries the size of a band. A sprite of one band is ``fn(rgba)`` itself."""
    h, w = rgba.shape[:2]
    bands = row_bands(h, w, halo)
    if len(bands) == 1:
        return fn(rgba)
    out: np.ndarray | None = None
    for lo, hi, top, bottom in bands:
        part = fn(rgba[top:bottom])[lo - top : hi - top]
        if out is None:
            out = np.empty((h, w), dtype=part.dtype)
        out[lo:hi] = part
    assert out is not None
    return out


def box3(m: np.ndarray) -> np.ndarray:
    """3x3 box sums of ``(H, W)`` ``m`` (zero outside), same shape (int32 for masks)."""
    h, w = m.shape
    p = np.zeros((h + 2, w + 2), dtype=np.float32 if m.dtype.kind == "f" else np.int32)
    p[1:-1, 1:-1] = m
    rows = p[:-2] + p[1:-1] + p[2:]
    return rows[:, :-2] + rows[:, 1:-1] + rows[:, 2:]


def luminance(rgba: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of the straight colour, in [0, 1], ``(H, W)`` float32."""
    rgb = rgba[..., :3].astype(np.float32) / 255.0
    return rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def background(rgba: np.ndarray) -> tuple[float, Box]:
    """Share of the outermost frame of pixels that is opaque (alpha >= 128), in [0, 1].

    Transparent-background art scores about 0; an export that flattened the sprite onto
    a colour or a checkerboard scores 1.
    """
    a = rgba[..., 3]
    frame = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    return float(np.mean(frame >= 128)), _whole(rgba)


def cut_edge(rgba: np.ndarray) -> tuple[float, Box]:
    """A bad crop: content runs into one edge of the image while the opposite edge keeps
    a gap. The value is that gap in pixels (the largest over the four edges), 0 when the
    content touches no edge or touches both edges of an axis; the box is the edge the
    content runs into. Content counts where alpha >= 128.

    A misplaced crop box on export shifts the sprite in its frame: it is cut off on one
    side and leaves clear pixels on the other. Approved art that fills its frame touches
    both edges of an axis (or neither); a set drawn standing on the bottom edge shows its
    own gaps, and calibration scales the signal by them. Lone pixels (``_lone``: the
    candidates for stray pixels) are not content: a stray pixel at an edge is not a crop.
    """
    a = (rgba[..., 3] >= 128) & ~banded(_lone, rgba, halo=2)  # _lone reads two rows around
    h, w = a.shape
    rows, cols = a.any(axis=1), a.any(axis=0)
    if not rows.any():
        return 0.0, _whole(rgba)
    top, bottom = int(np.argmax(rows)), int(np.argmax(rows[::-1]))
    left, right = int(np.argmax(cols)), int(np.argmax(cols[::-1]))
    # (content on this edge, the gap at the opposite edge, this edge's box)
    edges = [
        (rows[0], bottom, Box(0, 0, w, 1)),
        (rows[-1], top, Box(0, h - 1, w, 1)),
        (cols[0], right, Box(0, 0, 1, h)),
        (cols[-1], left, Box(w - 1, 0, 1, h)),
    ]
    gap, box = max(((g if touched else 0), i) for i, (touched, g, _) in enumerate(edges))
    return float(gap), edges[box][2] if gap > 0 else _whole(rgba)


def _lone(rgba: np.ndarray) -> np.ndarray:
    vis = rgba[..., 3] > 0
    n3 = box3(vis) * vis  # visible pixels in each visible pixel's 3x3 block, itself included
    around = box3(n3)  # ... summed over the block: 4 for an isolated pair
    return vis & (rgba[..., 3] >= SEEN) & ((n3 == 1) | ((n3 == 2) & (around == 4)))


def _sides_within(mask: np.ndarray, reach: int) -> np.ndarray:
    """For each pixel, in how many of the four directions (left, right, up, down) ``mask``
    has a pixel within ``reach`` steps, the pixel itself not counted: ``(H, W)`` int."""
    sides = np.zeros(mask.shape, dtype=np.int8)
    m = mask.astype(np.int32)
    for axis in (0, 1):
        n = m.shape[axis]
        # before[i] = mask pixels at positions < i along ``axis``
        before = np.concatenate(
            [np.zeros_like(np.take(m, [0], axis=axis)), np.cumsum(m, axis=axis)], axis=axis
        )
        idx = np.arange(n)
        lo, hi = np.maximum(idx - reach, 0), np.minimum(idx + reach + 1, n)

        at = functools.partial(np.take, before, axis=axis)  # before[i] along ``axis``
        sides += (at(idx) - at(lo) > 0).astype(np.int8)  # left / up
        sides += (at(hi) - at(idx + 1) > 0).astype(np.int8)  # right / down
    return sides


def _stray(rgba: np.ndarray) -> np.ndarray:
    lone = _lone(rgba)
    if not lone.any():  # most sprites: nothing to weigh
        return lone
    drawing = (rgba[..., 3] > 0) & ~lone
    return lone & (_sides_within(drawing, STRAY_ENCLOSED) < 3)


def stray_pixels(rgba: np.ndarray) -> tuple[float, Box]:
    """Number of visible pixels (alpha >= SEEN) that float alone in the transparent area:
    pixels of an 8-connected group of one or two, with nothing else visible around them,
    and not enclosed by the drawing. A lone pixel with the sprite's other pixels within
    STRAY_ENCLOSED px on three of its four sides is drawn detail (a dotted line, a rivet
    inside a frame): in pixel-art icon sets that is where lone pixels are drawn, while
    the stray pixels of a bad edit float outside the outline."""
    # _lone reads two rows around each pixel; the enclosure, STRAY_ENCLOSED rows of those
    stray = banded(_stray, rgba, halo=2 + STRAY_ENCLOSED)
    return float(stray.sum()), _bbox(stray, rgba)


def stray_points(rgba: np.ndarray, limit: int = 4) -> tuple[tuple[int, int], ...]:
    """``(x, y)`` of the first ``limit`` stray pixels (``stray_pixels``), row by row."""
    ys, xs = np.nonzero(banded(_stray, rgba, halo=2 + STRAY_ENCLOSED))
    return tuple((int(x), int(y)) for y, x in zip(ys[:limit], xs[:limit]))


def _index_dtype(n: int) -> type[np.signedinteger]:
    return np.int32 if n < 2**31 - 1 else np.int64


def _run_graph(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 4-connected components of ``mask`` as a graph of its row runs.

    Returns ``(first, root)``: each row run's first pixel (flat index, ascending: runs are
    numbered in row-major order), and for each run the smallest run number of its
    component. Two runs in neighbouring rows touch where both rows are in ``mask``, and
    each stretch where they do starts at one pixel: those pixels are the graph's edges,
    about one per run, so the union (hooking roots onto smaller roots, then pointer
    jumping) costs in runs, not in pixels, and takes a few rounds however winding the
    components are.
    """
    h, w = mask.shape
    first = np.flatnonzero(_run_starts(mask))
    both = mask[:-1] & mask[1:]
    ys, xs = np.nonzero(_run_starts(both))
    flat = ys * w + xs
    upper = np.searchsorted(first, flat, side="right") - 1  # the run holding each pixel
    lower = np.searchsorted(first, flat + w, side="right") - 1  # the next row's
    root = np.arange(first.size)
    while upper.size:
        ru, rl = root[upper], root[lower]
        differ = ru != rl
        if not differ.any():
            break
        ru, rl = ru[differ], rl[differ]
        np.minimum.at(root, np.maximum(ru, rl), np.minimum(ru, rl))
        while True:  # pointer jumping: every run straight to its root
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        upper, lower = upper[differ], lower[differ]
    return first, root


def _run_starts(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` whose left neighbour is not in it: where its row runs start."""
    start = mask.copy()
    start[:, 1:] &= ~mask[:, :-1]
    return start


def _run_values(mask: np.ndarray, first: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values[run]`` at each ``mask`` pixel (``values`` of each of its row runs, see
    ``_run_graph``), ``(H, W)``; zero elsewhere. Row band by row band: no (H, W) map of
    run numbers."""
    h, w = mask.shape
    out = np.zeros((h, w), dtype=values.dtype)
    for lo, hi, _, _ in row_bands(h, w):
        m = mask[lo:hi]
        before = int(np.searchsorted(first, lo * w))  # runs that start above the band
        run = np.cumsum(_run_starts(m)[m]) - 1 + before
        out[lo:hi][m] = values[run]
    return out


def outside(clear: np.ndarray, seed: np.ndarray | None = None) -> np.ndarray:
    """The ``clear`` pixels connected (4-neighbours) to the image border through clear
    pixels, or to a ``seed`` pixel (pixels already known to be outside; optional): the
    components of ``_run_graph`` that hold a border or seed pixel."""
    if not clear.any():
        return np.zeros_like(clear)
    first, root = _run_graph(clear)
    start = np.zeros_like(clear) if seed is None else clear & seed
    start[0], start[-1], start[:, 0], start[:, -1] = (
        clear[0],
        clear[-1],
        clear[:, 0],
        clear[:, -1],
    )
    run = np.searchsorted(first, np.flatnonzero(start), side="right") - 1
    reached = np.zeros(first.size, dtype=bool)
    reached[root[run]] = True
    return _run_values(clear, first, reached[root])


def components(mask: np.ndarray) -> np.ndarray:
    """Connected components (4-neighbours) of ``mask``: ``(H, W)`` integer labels (int32
    below 2**31 pixels), each the smallest flat index in its component, -1 outside
    ``mask``. A component's smallest run (``_run_graph``) starts at that index."""
    h, w = mask.shape
    dtype = np.int32 if h * w < 2**31 - 1 else np.int64
    if not mask.any():
        return np.full((h, w), -1, dtype=dtype)
    first, root = _run_graph(mask)
    out = _run_values(mask, first, first.astype(dtype)[root])
    out[~mask] = -1
    return out


def _between_blocks(block: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: pixels with a ``block`` pixel at or before and at or after them in
    their column, and likewise in their row (the first and last ``block`` pixel of each
    row and column bound it; a cumulative OR along each axis, without its slow strided
    pass)."""
    out = np.ones(block.shape, dtype=bool)
    for axis in (0, 1):
        n = block.shape[axis]
        first = np.where(block.any(axis=axis), np.argmax(block, axis=axis), n)
        last = n - 1 - np.argmax(np.flip(block, axis), axis=axis)
        idx = np.arange(n)
        if axis == 0:
            out &= (idx[:, None] >= first[None, :]) & (idx[:, None] <= last[None, :])
        else:
            out &= (idx[None, :] >= first[:, None]) & (idx[None, :] <= last[:, None])
    return out


def alpha_holes(rgba: np.ndarray) -> tuple[float, Box]:
    """How hard-edged the worst hole is, on its weakest side: 4 x the fewest, over the four
    directions (left, right, up, down), of the fully clear pixels (alpha 0) of one hole
    the sprite encloses (not connected to the image border through almost clear pixels,
    alpha < 8) that meet RIM fully solid pixels (alpha 255) in a row that way.

    A hole punched by an eraser or a bad mask sits in a solid area with a hard rim on
    every side (16 for a 4x4 hole); an opening drawn in anti-aliased art is rimmed with
    semi-transparent pixels, and the gaps a drawing leaves between parts (a net, the
    rings of a tornado, a building and a tree) are long and thin, hard on two sides at
    most: the weakest side of the worst single hole counts.
    """
    a = rgba[..., 3]
    clear = a < SEMI_LO
    # an enclosed pixel has something not clear before and after it in its row and column:
    # most sprites have no such clear pixel, and skip the flood fill
    boxed = clear & _between_blocks(~clear)
    if not (boxed & (a == 0)).any():
        return 0.0, _whole(rgba)
    # a clear pixel not boxed in sees the border along its row or column: outside already
    holes = boxed & (a == 0) & ~outside(clear, seed=~boxed)
    if not holes.any():
        return 0.0, _whole(rgba)
    solid = np.pad(a == SOLID, RIM)
    h, w = a.shape
    labels = components(holes)
    ids, inverse = np.unique(labels[holes], return_inverse=True)
    inverse = inverse.reshape(-1)
    per_side = []
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        thick = np.ones((h, w), dtype=bool)
        for k in range(1, RIM + 1):
            thick &= solid[RIM + dy * k : RIM + dy * k + h, RIM + dx * k : RIM + dx * k + w]
        per_side.append(np.bincount(inverse, weights=thick[holes], minlength=ids.size))
    weakest = 4 * np.min(per_side, axis=0)  # (n_holes,)
    worst = int(np.argmax(weakest))
    return float(weakest[worst]), _bbox(labels == ids[worst], rgba)


def _alpha_edge(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The alpha edge of ``(H, W)`` alpha ``a``: semi-transparent pixels next to a solid
    one; with the solid mask and each pixel's solid neighbours in its 3x3 block."""
    solid = a == SOLID
    n_solid = box3(solid)
    return (a >= SEMI_LO) & (a <= SEMI_HI) & (n_solid > 0), solid, n_solid


def _edge_pixels(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Semi-transparent pixels next to a solid one, every pixel's luminance, and each
    pixel's solid neighbours' mean luminance: the colour an anti-aliased edge pixel
    should carry. All ``(H, W)``."""
    edge, solid, n_solid = _alpha_edge(rgba[..., 3])
    lum = luminance(rgba)
    inner = box3(np.where(solid, lum, np.float32(0.0))) / np.maximum(n_solid, 1)
    return edge, lum, inner


def fringe(rgba: np.ndarray) -> tuple[float, Box]:
    """How strongly edge pixels darken (> 0) or lighten (< 0) with their transparency.

    Straight-alpha art keeps an edge pixel's colour whatever its alpha; colour that was
    premultiplied twice falls with alpha (a dark fringe), colour divided by alpha once too
    often rises (a light one). The value is the least-squares slope of
    ``log((L_edge + c) / (L_inside + c))`` on ``log(alpha)`` over semi-transparent pixels
    next to solid ones (``c = 0.05``), shrunk towards 0 by a ridge penalty (FRINGE_RIDGE)
    so that a handful of edge pixels cannot make a slope: about 0 for clean art, near +1
    for a dark fringe, negative for a light one. A signed value: calibration judges its
    distance from the approved art's.
    """
    h, w = rgba.shape[:2]
    edge = np.empty((h, w), dtype=bool)
    lums, inners = [], []  # edge pixels' values, in row-major order, band by band
    for lo, hi, top, bottom in row_bands(h, w, halo=1):  # 3x3 sums: one row of context
        e, lum_all, inner = (m[lo - top : hi - top] for m in _edge_pixels(rgba[top:bottom]))
        edge[lo:hi] = e
        lums.append(lum_all[e])
        inners.append(inner[e])
    if edge.sum() < 8:
        return 0.0, _whole(rgba)
    lum = np.concatenate(lums)
    x = np.log(rgba[..., 3][edge].astype(np.float64) / 255.0)
    y = np.log((lum + 0.05) / (np.concatenate(inners) + 0.05))
    xc = x - x.mean()
    sxx = float((xc * xc).sum())
    # ridge slope (prior 0): few edge pixels, or all of one alpha, say little either way
    return float((xc * (y - y.mean())).sum() / (sxx + FRINGE_RIDGE)), _bbox(edge, rgba)


def _halo_map(rgba: np.ndarray) -> np.ndarray:
    """0 for most pixels, 1 for an edge pixel (semi-transparent, next to a solid one), 2
    for an edge pixel lit to full brightness (a channel at 255) in a channel whose mean
    over its solid neighbours is below HALO_SHADE. ``(H, W)`` uint8."""
    edge, solid, n_solid = _alpha_edge(rgba[..., 3])
    lit = np.zeros(edge.shape, dtype=bool)
    if edge.any():
        shade = np.float32(HALO_SHADE) * np.maximum(n_solid, 1)  # compare sums, not means
        for ch in range(3):
            c = rgba[..., ch]
            lit |= (c == 255) & (box3(np.where(solid, c, 0).astype(np.float32)) < shade)
    return edge.astype(np.uint8) + (edge & lit)


def halo(rgba: np.ndarray) -> tuple[float, Box]:
    """Share of the alpha edge lit to white: a light fringe.

    Colour divided by alpha once too often (straight alpha un-premultiplied again) grows
    with transparency until it clips at 255; the slope of ``fringe`` sees little of it
    once the channels clip, which on bright art is most of the edge. The value is the
    number of edge pixels (semi-transparent, next to a solid one) with a channel at 255
    where their solid neighbours average below HALO_SHADE in that channel, over the edge
    pixels plus HALO_PRIOR (a short edge of a few pixels says little), in [0, 1); 0 for
    a sprite of fewer than 8 edge pixels. Clean anti-aliased art keeps an edge pixel's
    colour near its neighbours': about 0.
    """
    m = banded(_halo_map, rgba, halo=1)  # 3x3 sums: one row of context
    n_edge = int(np.count_nonzero(m))
    if n_edge < 8:
        return 0.0, _whole(rgba)
    lit = m == 2
    return float(np.count_nonzero(lit) / (n_edge + HALO_PRIOR)), _bbox(lit, rgba)


def soft_edges(rgba: np.ndarray) -> tuple[float, Box]:
    """Width of the alpha edge in pixels: pixels neither almost clear nor solid (alpha
    SEMI_LO to 254) per unit of outline.

    The outline's length is the number of horizontal and vertical neighbours on opposite
    sides of alpha 128. Crisp pixel art scores 0, anti-aliased art about 1, art blurred by
    a resample 2 or more; a sprite left at partial layer opacity is all edge, and so is
    one whose solid areas a palette pass left at alpha 251 to 254 (an octree quantiser
    averages alpha with colour: on bench/realart.py, 16-colour passes caught 0.79 ->
    0.91 with alpha up to 254 counted instead of up to SEMI_HI).
    """
    a = rgba[..., 3]
    semi = (a >= SEMI_LO) & (a < SOLID)
    half = a >= 128
    outline = int((half[:, 1:] != half[:, :-1]).sum() + (half[1:] != half[:-1]).sum())
    return float(semi.sum() / max(outline, 4)), _bbox(semi, rgba)


def nearly_solid(rgba: np.ndarray) -> tuple[int, float]:
    """How many pixels are nearly solid (alpha above SEMI_HI, below 255), and their share
    of the pixels ``soft_edges`` counts (alpha SEMI_LO to 254): near 1 where a palette
    pass or a layer just below full opacity left the solid areas almost opaque, small on
    a blurred or anti-aliased edge (0.0 when there are none). For the message only."""
    a = rgba[..., 3]
    semi = int(np.count_nonzero((a >= SEMI_LO) & (a < SOLID)))
    n = int(np.count_nonzero((a > SEMI_HI) & (a < SOLID)))
    return n, (n / semi if semi else 0.0)


def _zigzag(lum: np.ndarray, solid: np.ndarray, axis: int) -> np.ndarray:
    """Pixels that are a small local extreme along ``axis`` among solid neighbours."""
    d = np.diff(lum, axis=axis)
    ok = solid[1:] & solid[:-1] if axis == 0 else solid[:, 1:] & solid[:, :-1]
    d = np.where(ok, d, 0.0)
    if axis == 0:
        d1, d2 = d[:-1], d[1:]
    else:
        d1, d2 = d[:, :-1], d[:, 1:]
    small = (np.abs(d1) >= NOISE_LO) & (np.abs(d2) >= NOISE_LO)
    small &= (np.abs(d1) <= NOISE_HI) & (np.abs(d2) <= NOISE_HI)
    z = small & (d1 * d2 < 0)
    out = np.zeros(lum.shape, dtype=bool)
    if axis == 0:
        out[1:-1] = z
    else:
        out[:, 1:-1] = z
    return out


def ringing(rgba: np.ndarray) -> tuple[float, Box]:
    """Share of solid pixels that are a faint local peak or dip (3-48 levels) along both
    rows and columns: the speckle JPEG ringing and dithering leave in flat colour, which
    drawn art (flat fills, smooth ramps) does not have. In [0, 1]."""
    solid = rgba[..., 3] == SOLID
    n = int(solid.sum())
    if n < 16:
        return 0.0, _whole(rgba)
    z = banded(_speckle, rgba, halo=1)  # neighbours' differences: one row of context
    return float(z.sum() / n), _bbox(z, rgba)


def _speckle(rgba: np.ndarray) -> np.ndarray:
    lum, solid = luminance(rgba), rgba[..., 3] == SOLID
    return _zigzag(lum, solid, 0) & _zigzag(lum, solid, 1)


# JPEG's luminance quantisation table (ITU-T T.81, Annex K, Table K.1) and the quality
# scaling of the Independent JPEG Group's libjpeg (jcparam.c, jpeg_quality_scaling), which
# libjpeg-turbo, Pillow, GIMP, ImageMagick and most exporters use
_JPEG_LUMA = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=np.float64,
)
# The qualities tried: neighbouring tables nearly agree below 90, where a step of 3 finds
# every quality's lattice; above 90 the steps are small and every quality is its own
JPEG_QUALITIES = (*range(25, 90, 3), *range(90, 99))


def _jpeg_table(quality: int) -> np.ndarray:
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((_JPEG_LUMA * scale + 50) / 100), 1, 255)


_JPEG_AC = np.stack([_jpeg_table(q).ravel()[1:] for q in JPEG_QUALITIES]).astype(np.float32)
_n = np.arange(8)
_DCT8 = np.sqrt(2 / 8) * np.cos((2 * _n[None, :] + 1) * _n[:, None] * np.pi / 16)
_DCT8[0] /= np.sqrt(2)  # the orthonormal DCT-II, as JPEG's forward DCT
_DCT8 = _DCT8.astype(np.float32)
JPEG_MAX_BLOCKS = 256  # blocks examined at most: evidence enough, bounded cost on a sheet
JPEG_MAX_COEFFICIENTS = 4096  # coefficients tested at most (evenly spread)
JPEG_SCREEN, JPEG_FINALISTS = 384, 3  # every table on this many; the likeliest on all
_UNIFORM_SD = 0.5 / np.sqrt(12)  # sd of a residual uniform on [0, 0.5]


def _lattice_fit(values: np.ndarray, positions: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """Per table (rows of ``tables``, AC steps by position), the evidence in standard
    errors that ``values`` (AC coefficients at ``positions``) sit on its multiples."""
    steps = tables[:, positions]  # (n_tables, K)
    r = values / steps
    fit = (np.abs(r) >= 0.5) & (steps >= 4)  # quantised to a non-zero level of a real step
    m = np.count_nonzero(fit, axis=1)
    off = r - np.rint(r)
    np.abs(off, out=off)
    off *= fit
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (0.25 * m - off.sum(axis=1)) / (_UNIFORM_SD * np.sqrt(m))
    return np.where(m >= 8, z, 0.0)


def jpeg_quantisation(rgba: np.ndarray) -> tuple[float, Box]:
    """Evidence, in standard errors, that the colour went through a JPEG: its 8x8 blocks'
    DCT coefficients sit on the multiples of a JPEG quantisation table.

    A JPEG stores each 8x8 block's DCT coefficients (of luma ``Y``, ITU-R BT.601) rounded
    to multiples of its table's steps; decoded and saved as PNG, the pixels keep that
    lattice. For each libjpeg table (qualities JPEG_QUALITIES) the AC coefficients of the
    blocks with visible pixels that quantise to a non-zero level (steps of 4 or more) are
    divided by their steps: the mean distance to the nearest integer is about 0.25 on
    art that never saw a JPEG (uniform on [0, 0.5]) and near 0 at the table it was saved
    with. The value is the largest ``(0.25 - mean) / (sd / sqrt(m))`` over the tables
    (0 when no table shows it), ``m`` coefficients, ``sd = 0.5 / sqrt(12)``. It sees
    JPEG at any quality from the lattice rather than from the ringing, which painted art
    has too (after the idea of JPEG "ghosts": Farid, *Exposing digital forgeries from JPEG
    ghosts*, IEEE TIFS 2009). Blocks align with the image's top-left corner, as a JPEG's.
    """
    h, w = rgba.shape[:2]
    bh, bw = h // 8, w // 8
    if bh == 0 or bw == 0:
        return 0.0, _whole(rgba)
    a = rgba[: bh * 8, : bw * 8, 3].reshape(bh, 8, bw, 8)
    used = (a > 0).any(axis=(1, 3))  # (bh, bw) blocks with a visible pixel
    if not used.any():
        return 0.0, _whole(rgba)
    by, bx = np.nonzero(used)
    if by.size > JPEG_MAX_BLOCKS:
        pick = np.linspace(0, by.size - 1, JPEG_MAX_BLOCKS).astype(np.int64)
        by, bx = by[pick], bx[pick]
    rgb = rgba[: bh * 8, : bw * 8, :3].reshape(bh, 8, bw, 8, 3)[by, :, bx]  # (nb, 8, 8, 3)
    y = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    coef = (_DCT8 @ y @ _DCT8.T).reshape(-1, 64)[:, 1:]  # (nb, 63) AC coefficients
    detailed = np.abs(coef).max(axis=1) >= 2  # a flat block fits every lattice
    rows, cols = np.nonzero(np.abs(coef) >= 2)  # under 2 rounds to 0 at every step >= 4
    if rows.size < 8:
        return 0.0, _whole(rgba)
    if rows.size > JPEG_MAX_COEFFICIENTS:
        pick = np.linspace(0, rows.size - 1, JPEG_MAX_COEFFICIENTS).astype(np.int64)
        rows, cols = rows[pick], cols[pick]
    values = coef[rows, cols]
    # every table on an even sample of the coefficients, then the likeliest on all of them:
    # a JPEG's own table stands out on a few hundred coefficients already
    sample = np.linspace(0, values.size - 1, min(values.size, JPEG_SCREEN)).astype(np.int64)
    z = _lattice_fit(values[sample], cols[sample], _JPEG_AC)
    if values.size > JPEG_SCREEN:
        likely = _JPEG_AC[np.argsort(z)[-JPEG_FINALISTS:]]
        z = _lattice_fit(values, cols, likely)
    best = max(0.0, float(z.max()))
    if not detailed.any():
        return float(best), _whole(rgba)
    ys, xs = by[detailed], bx[detailed]  # the blocks with detail, as 8x8 pixel boxes
    y0, x0 = int(ys.min()) * 8, int(xs.min()) * 8
    return float(best), Box(x0, y0, int(xs.max()) * 8 + 8 - x0, int(ys.max()) * 8 + 8 - y0)


_SOLID_ALPHA_KEY = np.array([0, 0, 0, SOLID], np.uint8).view(np.uint32)[0]


def solid_pixels(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The solid (alpha 255) pixels of ``(H, W, 4)`` uint8 ``rgba``, in row-major order:
    their ``(N, 3)`` uint8 colours and their ``colour_keys``. Gathered as one uint32 per
    pixel, several times faster than a boolean index over the colour axis."""
    keys = np.ascontiguousarray(rgba).view(np.uint32)[..., 0][rgba[..., 3] == SOLID]
    keys ^= _SOLID_ALPHA_KEY  # alpha is 255 in every one: clear it, as colour_keys does
    return keys.view(np.uint8).reshape(-1, 4)[:, :3], keys


def colour_keys(pixels: np.ndarray) -> np.ndarray:
    """``(N, 4)`` or ``(N, 3)`` uint8 pixels -> one uint32 key per pixel (exact colour)."""
    if pixels.shape[-1] == 3:
        pixels = np.concatenate([pixels, np.zeros((*pixels.shape[:-1], 1), np.uint8)], axis=-1)
    return np.ascontiguousarray(pixels).view(np.uint32).reshape(-1)


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D array: ``np.unique`` by a sort, which for a
    sprite's few thousand keys is several times faster than its hash table."""
    s = np.sort(keys)
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def colour_poverty(rgba: np.ndarray) -> tuple[float, Box]:
    """How few distinct colours (exact RGBA) the visible pixels use: ``-log(colours + 1)``.

    Anti-aliased art has a colour for every shade of every edge; a lossy palette pass
    (pngquant, "save as 8-bit", 16 colours) caps the count however large the sprite is.
    """
    if not (rgba[..., 3] > 0).any():
        return 0.0, _whole(rgba)
    h, w = rgba.shape[:2]
    seen = []  # each band's distinct colours
    for lo, hi, _, _ in row_bands(h, w):
        band = rgba[lo:hi]
        keys = np.ascontiguousarray(band).view(np.uint32)[..., 0]  # one key per pixel
        seen.append(_distinct(keys[band[..., 3] > 0]))
    distinct = int((seen[0] if len(seen) == 1 else _distinct(np.concatenate(seen))).size)
    return float(-np.log(distinct + 1)), _whole(rgba)


def _outline_map(rgba: np.ndarray) -> np.ndarray:
    """0 for most pixels, 1 for a pixel of the silhouette's outline (alpha >= 128 with a
    4-neighbour below 128, or on the image's border), 2 for an outline pixel that is near
    black (Rec. 709 luma below NEAR_BLACK). ``(H, W)`` uint8."""
    shown = rgba[..., 3] >= 128
    p = np.pad(shown, 1)
    inside = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    rim = shown & ~inside
    return rim.astype(np.uint8) + (rim & (luminance(rgba) < NEAR_BLACK))


def dark_outline(rgba: np.ndarray) -> tuple[float, Box]:
    """Share of the silhouette's outline that is near black, in [0, 1].

    Whether an art set draws a dark outline around its sprites is part of its style, and
    the same in every sprite of it, whatever the subject: OpenMoji's are black, JoyPixels'
    and EmojiOne's are coloured. A sprite from another set shows it first. The outline is
    the visible pixels (alpha >= 128) with a 4-neighbour that is not (the image's border
    counts as clear); 0 for a sprite of fewer than 8 visible pixels. A signed signal:
    calibration judges its distance from the approved art's median (an outline where the
    set has none, or none where it has one).
    """
    if int(np.count_nonzero(rgba[..., 3] >= 128)) < 8:
        return 0.0, _whole(rgba)
    m = banded(_outline_map, rgba, halo=1)  # 4-neighbours: one row of context
    n_rim = int(np.count_nonzero(m))
    dark = m == 2
    return float(np.count_nonzero(dark) / max(n_rim, 1)), _bbox(m > 0, rgba)


CRAFT_FUNCTIONS = {  # signal name -> function, in signals.CRAFT_SIGNALS order
    "background": background,
    "stray": stray_pixels,
    "hole": alpha_holes,
    "fringe": fringe,
    "halo": halo,
    "soft": soft_edges,
    "jpeg": jpeg_quantisation,
    "few_colours": colour_poverty,
    "outline": dark_outline,
    "cut": cut_edge,
}


def measure(rgba: np.ndarray) -> dict[str, tuple[float, Box]]:
    """Every craft signal of one sprite: name -> (value, where)."""
    return {name: fn(rgba) for name, fn in CRAFT_FUNCTIONS.items()}
