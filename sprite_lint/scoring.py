"""Scoring sprites with the exported ONNX model: reconstruction, latent density, colour.

Light by design: numpy, onnxruntime and this package only, because ``check`` runs here.
Every raw signal is "higher = more anomalous" and localized, so a small defect on a
large sprite is not averaged away:

* ``recon``: the worst ``POOL x POOL`` window of the per-pixel squared residual
  (premultiplied RGBA, so hidden colour under full transparency never counts);
* ``kde``: how far the least typical latent cell's log density (one latent vector per
  8x8 cell, scored by a Gaussian KDE over approved sprites' cells) lies below that of
  approved cells (leave-one-out), in robust units (median and IQR), so it means the same
  for every trained model, reference-set size and bandwidth; on a signed log scale;
* ``colour``: the worst window of per-pixel colour rarity;
* ``recon_px``: the residual at its single worst pixel, because a stray pixel is diluted
  sixteen-fold by any 4x4 window (the colour map's worst pixel, once a signal too, caught
  nothing on real art that ``colour``, ``stray`` and ``palette`` did not);
* ``pair``: how many neighbouring pixels pair two colours that at most one approved sprite
  puts side by side: seams, pasted patches and shifted parts that bring no new colour
  still bring new neighbours. A count, so its unit (one pair) floors its scale.

The craft signals (``sprite_lint.craft``) and three set signals are computed here too:
``palette`` and ``palette_shift`` (``sprite_lint.palette``), and
``style``, how far the sprite's style profile lies from the approved sprites'
(``sprite_lint.style``).
``sprite_lint.standardize`` puts them all on one scale and combines them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sprite_lint.colour import PairTable, RarityTable, colour_bins, colour_pairs
from sprite_lint.craft import measure, row_bands
from sprite_lint.imageio import premultiply
from sprite_lint.kde import GaussianKDE
from sprite_lint.palette import palette_signals
from sprite_lint.signals import SIGNAL_LABELS, SIGNALS
from sprite_lint.standardize import Standardizer, combine
from sprite_lint.style import StyleProfile, style_profile

__all__ = [
    "SIGNALS",
    "SIGNAL_LABELS",
    "Standardizer",
    "StyleProfile",
    "combine",
    "Scorer",
    "RawScores",
    "Region",
]

POOL = 4  # side of the window residuals are averaged over
CELL = 8  # must match sprite_lint.model.CELL (kept separate so scoring never imports torch)
TILE = 256  # large sprites are run through the network in tiles of this side...
MARGIN = 48  # ...each with this much context, beyond the network's receptive field
BATCH = 64  # same-sized sprites per network call...
BATCH_PIXELS = 128 * 128  # ...when they are at most this large (bigger ones go one by one)
PAIR_WINDOW = 8  # the pair signal's region: the window with the most rare pairs
SEEN_TILES = 8  # network outputs of distinct tiles kept for tiles that repeat them
MIN_LATENT_STD = 1e-6  # latent cells are divided by their spread, floored here by calibrate


@dataclass(frozen=True)
class Region:
    """A box in sprite pixel coordinates: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    def __str__(self) -> str:
        return f"x={self.x} y={self.y} {self.w}x{self.h}"

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}


@dataclass
class RawScores:
    """The three raw signals of one sprite, with where each is worst."""

    recon: float  # worst POOL x POOL window
    kde: float  # rarity of the least typical cell, in IQRs of approved cells' log density
    kde_log_density: float  # log density of that cell
    colour: float  # worst POOL x POOL window
    recon_px: float  # worst single pixel: a stray pixel is averaged away by any window
    pair: float  # neighbouring pixel pairs in colour pairs (almost) no approved sprite has
    regions: dict[str, Region]
    extra: dict[str, float] = field(default_factory=dict)  # craft and set signals by name
    embedding: np.ndarray | None = field(default=None, repr=False)  # (2d,) sprite summary
    residual: np.ndarray | None = field(default=None, repr=False)  # (H, W) when kept
    reconstruction: np.ndarray | None = field(default=None, repr=False)  # (H, W, 4) uint8

    def as_vector(self) -> np.ndarray:
        """Every raw signal in ``SIGNALS`` order, ``(len(SIGNALS),)``."""
        model = (self.recon, self.kde, self.colour, self.recon_px, self.pair)
        return np.array([*model, *(self.extra[s] for s in SIGNALS[len(model) :])], np.float64)


def pooled_max(values: np.ndarray, k: int = POOL) -> tuple[float, int, int, int]:
    """Max over ``k x k`` windows of the mean of ``values`` ``(H, W)``; returns (max, x, y, k').

    A large map goes in row bands of windows (``craft.row_bands``), each reading its
    windows' rows only: the same sums (exactly, for k = 4), the first of equal maxima.
    """
    h, w = values.shape
    kh = min(k, h)
    bands = row_bands(h - kh + 1, w)  # by the windows' top rows
    if len(bands) == 1:
        return _pooled_max(values, k)
    best = (-np.inf, 0, 0, k)
    for lo, hi, _, _ in bands:
        v, x, y, kk = _pooled_max(values[lo : hi + kh - 1], k)
        if v > best[0]:
            best = (v, x, lo + y, kk)
    return best


def _pooled_max(values: np.ndarray, k: int) -> tuple[float, int, int, int]:
    h, w = values.shape
    kh, kw = min(k, h), min(k, w)
    if kh == kw == k == 4:  # the common case, as two separable box sums (no cumsum)
        v = values.astype(np.float64)
        rows = v[:, :-3] + v[:, 1:-2] + v[:, 2:-1] + v[:, 3:]
        sums = rows[:-3] + rows[1:-2] + rows[2:-1] + rows[3:]
        iy, ix = np.unravel_index(int(np.argmax(sums)), sums.shape)
        return float(sums[iy, ix] / 16), int(ix), int(iy), 4
    c = np.zeros((h + 1, w + 1), dtype=np.float64)
    c[1:, 1:] = values.astype(np.float64).cumsum(0).cumsum(1)
    sums = c[kh:, kw:] - c[:-kh, kw:] - c[kh:, :-kw] + c[:-kh, :-kw]
    iy, ix = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return float(sums[iy, ix] / (kh * kw)), int(ix), int(iy), max(kh, kw)


def unique_rows(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(v, axis=0, return_inverse=True)``, exact, without a 16-key row sort.

    Rows are grouped by a fixed projection (one float per row); the grouping is then
    checked row by row, and any collision of different rows falls back to the row sort.
    (``np.unique`` itself would also cost the one-file hook a lazy import of numpy.ma.)
    """
    if v.shape[0] == 0:
        return v, np.zeros(0, dtype=np.int64)
    weights = np.cos(np.arange(1, v.shape[1] + 1) * 2.399963229728653)  # golden angle
    proj = v @ weights
    order = np.argsort(proj, kind="stable")
    ranked = proj[order]
    starts = np.empty(ranked.size, dtype=bool)
    starts[0] = True
    np.not_equal(ranked[1:], ranked[:-1], out=starts[1:])
    group = np.cumsum(starts) - 1  # group number of each sorted row
    inverse = np.empty(v.shape[0], dtype=np.int64)
    inverse[order] = group
    unique = v[order[starts]]
    if not np.array_equal(unique[inverse], v):
        unique, inverse = np.unique(v, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
    return unique, inverse


def _sorted_quantile(v: np.ndarray, q: float) -> float:
    """``np.quantile(v, q)`` (linear) of an already sorted ``v``, without its set-up cost
    on the one-file hook path."""
    pos = q * (v.size - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, v.size - 1)
    return float(v[lo] + (v[hi] - v[lo]) * (pos - lo))


_UNIT = (np.arange(256, dtype=np.float32) / np.float32(255.0)).astype(np.float32)


def premultiply_batch(images: Sequence[np.ndarray], hp: int, wp: int) -> np.ndarray:
    """Same-sized-after-padding uint8 sprites -> ``(N, 4, hp, wp)`` float32, as
    :func:`premultiply` then :func:`pad_to_cells` on each, in a few whole-batch passes."""
    stack = np.zeros((len(images), hp, wp, 4), dtype=np.uint8)
    for k, im in enumerate(images):
        stack[k, : im.shape[0], : im.shape[1]] = im
    x = _UNIT[stack]  # uint8 -> [0, 1] in one pass, the same values as x / 255
    x[..., :3] *= x[..., 3:4]
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def pad_to_cells(x: np.ndarray) -> np.ndarray:
    """``(4, H, W)`` -> ``(4, H', W')`` with H', W' multiples of CELL, padded with transparency."""
    _, h, w = x.shape
    ph, pw = (-h) % CELL, (-w) % CELL
    return np.pad(x, ((0, 0), (0, ph), (0, pw))) if ph or pw else x


class Scorer:
    """Raw scores of sprites from an ONNX model, a latent KDE and a colour table."""

    def __init__(
        self,
        model_bytes: bytes,
        kde: GaussianKDE,
        kde_loo: np.ndarray,
        latent_mean: np.ndarray,
        latent_std: np.ndarray,
        colour_bins: np.ndarray,
        colour_counts: np.ndarray,
        colour_images: int,
        pair_keys: np.ndarray,
        pair_counts: np.ndarray,
        palette: np.ndarray | None = None,
        profile: StyleProfile | None = None,
        threads: int = 0,
    ) -> None:
        import onnxruntime as ort

        from sprite_lint.onnxfile import open_session

        self._ort = ort
        self.session = open_session(model_bytes, threads)  # ModelFileError if refused
        self.kde = kde
        self.kde_loo = kde_loo
        self.latent_mean = latent_mean.astype(np.float64)
        self.latent_std = latent_std.astype(np.float64)
        self.colour = RarityTable(colour_bins, colour_counts, colour_images)
        self.pairs = PairTable(pair_keys, pair_counts)
        # exact colours (uint32 keys, sorted) of the approved sprites' solid pixels
        self.palette = np.zeros(0, np.uint32) if palette is None else np.asarray(palette, np.uint32)
        self.profile = profile  # how the approved sprites are drawn (the style signal)

    def run_network(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(4, H, W)`` premultiplied -> reconstruction ``(4, H, W)``, latent ``(d, H/8, W/8)``.

        H and W must be multiples of CELL. Sprites larger than a tile run tile by tile with
        MARGIN pixels of context, which gives the same result as one pass (tested).
        """
        _, hp, wp = x.shape
        if hp <= TILE + 2 * MARGIN and wp <= TILE + 2 * MARGIN:
            recon, z = self.session.run(None, {"image": x[None]})
            return recon[0], z[0]
        recon_out = np.empty_like(x)
        z_out: np.ndarray | None = None
        for ty in range(0, hp, TILE):
            for tx in range(0, wp, TILE):
                y0, x0 = max(0, ty - MARGIN), max(0, tx - MARGIN)
                y1, x1 = min(hp, ty + TILE + MARGIN), min(wp, tx + TILE + MARGIN)
                recon, z = self.session.run(None, {"image": x[None, :, y0:y1, x0:x1]})
                th, tw = min(TILE, hp - ty), min(TILE, wp - tx)
                oy, ox = ty - y0, tx - x0
                recon_out[:, ty : ty + th, tx : tx + tw] = recon[0, :, oy : oy + th, ox : ox + tw]
                if z_out is None:
                    z_out = np.empty((z.shape[1], hp // CELL, wp // CELL), dtype=np.float32)
                z_out[:, ty // CELL : (ty + th) // CELL, tx // CELL : (tx + tw) // CELL] = z[
                    0, :, oy // CELL : (oy + th) // CELL, ox // CELL : (ox + tw) // CELL
                ]
        assert z_out is not None
        return recon_out, z_out

    def _least_dense(self, cells: Sequence[np.ndarray]) -> list[tuple[int, float]]:
        """For each sprite's ``(cells, d)`` vectors: (index, log density) of its least dense cell.

        Exact, but cheap: a cell's log density lies between its nearest reference's kernel
        term (``lower``) and that plus ``log(n_reference)``. The cell with the lowest
        ``lower`` is summed first; only cells whose ``lower`` is below the least density
        found so far can still be the minimum, and only those are summed next. Repeated
        vectors (empty background) are scored once.
        """
        if not cells:
            return []
        unique, inverse = unique_rows(np.concatenate(cells))
        nearest, err = self.kde.nearest_log_kernel(unique)
        log_m = np.log(self.kde.reference_.shape[0])
        lower, upper = (nearest - err)[inverse], (nearest + err + log_m)[inverse]
        offsets = np.cumsum([0] + [c.shape[0] for c in cells])
        spans = list(zip(offsets[:-1], offsets[1:]))
        exact: dict[int, float] = {}

        def score(rows: np.ndarray) -> None:
            todo = sorted(set(inverse[rows].tolist()) - exact.keys())
            if todo:
                exact.update(zip(todo, self.kde.score_samples(unique[todo]).tolist()))

        # round 1: each sprite's most promising cell gives a bar no other cell may exceed
        first = np.array([a + int(np.argmin(lower[a:b])) for a, b in spans])
        score(first)
        candidates = []
        for (a, b), f in zip(spans, first):
            # bounds leave out the KDE's normalizing constant; exact densities include it
            bar = min(exact[int(inverse[f])] - self.kde.log_norm_, float(upper[a:b].min()))
            candidates.append(np.flatnonzero(lower[a:b] <= bar) + a)
        # round 2: the cells that could still be lower
        score(np.concatenate(candidates))
        result = []
        for (a, _), cand in zip(spans, candidates):
            dens = np.array([exact[int(inverse[c])] for c in cand])
            k = int(np.argmin(dens))
            result.append((int(cand[k] - a), float(dens[k])))
        return result

    def cell_rarity(self, log_density: float) -> float:
        """How far below the approved cells' typical density a cell lies, in robust units.

        ``x = (median - log_density) / IQR`` of the approved cells' leave-one-out log
        densities, as ``sign(x) * log(1 + |x|)``:
        a statistic of the reference set's distribution, not of its size or bandwidth, so
        models trained on different sprites speak the same scale.
        """
        if self._kde_median is None:
            return 0.0
        x = (self._kde_median - log_density) / self._kde_iqr
        # A Gaussian KDE's log density falls with the *square* of the distance to the
        # approved cells, so one far-off texture cell would dwarf every other signal; a
        # signed log keeps the order and gives the tail the others' proportions.
        return float(np.sign(x) * np.log1p(abs(x)))

    @property
    def kde_loo(self) -> np.ndarray:
        """Sorted leave-one-out log densities of the reference cells."""
        return self._kde_loo

    @kde_loo.setter
    def kde_loo(self, values: np.ndarray) -> None:
        # quartiles once here, not once per sprite on the check path
        self._kde_loo = np.sort(np.asarray(values, dtype=np.float64))
        self._kde_median: float | None = None
        self._kde_iqr = 1.0
        if self._kde_loo.size:
            q25, q50, q75 = (_sorted_quantile(self._kde_loo, q) for q in (0.25, 0.5, 0.75))
            self._kde_median, self._kde_iqr = float(q50), max(float(q75 - q25), 1e-9)

    def latent_vectors(self, z: np.ndarray) -> np.ndarray:
        """Latent grid ``(d, h, w)`` -> standardized cell vectors ``(h * w, d)``."""
        v = z.reshape(z.shape[0], -1).T.astype(np.float64)
        return (v - self.latent_mean) / self.latent_std

    def score(self, rgba: np.ndarray, keep_maps: bool = False) -> RawScores:
        """Raw scores of one uint8 ``(H, W, 4)`` sprite."""
        return self.score_many([rgba], keep_maps)[0]

    def score_many(self, images: Sequence[np.ndarray], keep_maps: bool = False) -> list[RawScores]:
        """Raw scores of many sprites; same-sized ones share one network call per BATCH.

        Float inputs are made one batch at a time, so memory follows the batch, not the
        number of sprites.
        """
        groups: dict[tuple[int, int], list[int]] = {}
        for i, im in enumerate(images):
            padded = (-(-im.shape[0] // CELL) * CELL, -(-im.shape[1] // CELL) * CELL)
            groups.setdefault(padded, []).append(i)
        out: list[RawScores | None] = [None] * len(images)
        for (hp, wp), idxs in groups.items():
            step = BATCH if hp * wp <= BATCH_PIXELS else 1
            for start in range(0, len(idxs), step):
                part = idxs[start : start + step]
                if step == 1:
                    residual, z, shown = self.network_maps(images[part[0]], keep_maps)
                    maps, zs = [(residual, shown)], z[None]
                else:
                    batch = premultiply_batch([images[i] for i in part], hp, wp)
                    recons, zs = self.session.run(None, {"image": batch})
                    maps = [
                        _residual(images[i], batch[j], recons[j], keep_maps)
                        for j, i in enumerate(part)
                    ]
                # the least dense cell of each sprite, exactly, for the whole batch at once
                cells = [self.latent_vectors(zs[j]) for j in range(len(part))]
                worst = self._least_dense(cells)
                embeddings = [sprite_embedding(c) for c in cells]
                del cells
                for j, i in enumerate(part):
                    # popped: _finish holds a sheet's residual map alone, and drops it
                    raw = self._finish(images[i], *maps.pop(0), zs[j], *worst[j], keep_maps)
                    raw.embedding = embeddings[j]
                    out[i] = raw
        return out  # type: ignore[return-value]

    def network_maps(
        self, rgba: np.ndarray, keep_recon: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One uint8 ``(H, W, 4)`` sprite through the network: the squared residual
        ``(H, W)``, the latent grid ``(d, H'/8, W'/8)`` and, with ``keep_recon``, the
        reconstruction ``(H, W, 4)`` uint8.

        A sprite larger than a tile goes tile by tile as :meth:`run_network`, each tile
        premultiplied from ``rgba`` and reduced to its residual as it comes: the same
        values, with float arrays the size of a tile, not of a 4096x4096 sheet.
        """
        h, w = rgba.shape[:2]
        hp, wp = -(-h // CELL) * CELL, -(-w // CELL) * CELL
        if hp <= TILE + 2 * MARGIN and wp <= TILE + 2 * MARGIN:
            x = pad_to_cells(premultiply(rgba))
            recon, z = self.session.run(None, {"image": x[None]})
            residual, shown = _residual(rgba, x, recon[0], keep_recon)
            return residual, z[0], shown
        residual = np.empty((h, w), dtype=np.float32)
        shown = np.empty((h, w, 4), dtype=np.uint8) if keep_recon else None
        z_out: np.ndarray | None = None
        seen: dict[tuple[tuple[int, ...], bytes], tuple[np.ndarray, np.ndarray]] = {}
        for ty in range(0, hp, TILE):
            for tx in range(0, wp, TILE):
                y0, x0 = max(0, ty - MARGIN), max(0, tx - MARGIN)
                y1, x1 = min(hp, ty + TILE + MARGIN), min(wp, tx + TILE + MARGIN)
                x = np.zeros((4, y1 - y0, x1 - x0), dtype=np.float32)  # padded: transparent
                part = rgba[y0:y1, x0:x1]
                x[:, : part.shape[0], : part.shape[1]] = premultiply(part)
                # a tile like one before (empty space, a repeated pattern): the same output.
                # The input is a function of the uint8 pixels and the padded shape: hash
                # those (a quarter of the float tile's bytes)
                digest = hashlib.blake2b(np.ascontiguousarray(part).data, digest_size=20)
                key = (x.shape, part.shape, digest.digest())
                if key in seen:
                    recon, z = seen[key]
                else:
                    recon, z = self.session.run(None, {"image": x[None]})
                    if len(seen) < SEEN_TILES:
                        seen[key] = (recon, z)
                th, tw = min(TILE, hp - ty), min(TILE, wp - tx)
                oy, ox = ty - y0, tx - x0
                ih, iw = min(th, h - ty), min(tw, w - tx)  # the tile's pixels in the sprite
                core = recon[0, :, oy : oy + ih, ox : ox + iw]
                r, s = _residual(rgba[ty : ty + ih, tx : tx + iw], x[:, oy:, ox:], core, keep_recon)
                residual[ty : ty + ih, tx : tx + iw] = r
                if shown is not None:
                    shown[ty : ty + ih, tx : tx + iw] = s
                if z_out is None:
                    z_out = np.empty((z.shape[1], hp // CELL, wp // CELL), dtype=np.float32)
                z_out[:, ty // CELL : (ty + th) // CELL, tx // CELL : (tx + tw) // CELL] = z[
                    0, :, oy // CELL : (oy + th) // CELL, ox // CELL : (ox + tw) // CELL
                ]
        assert z_out is not None
        # onnxruntime keeps the memory of its largest run for the next; a sheet's tiles
        # should not hold it through the rest of the checks: one tiny run that frees it
        shrink = self._ort.RunOptions()
        shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.session.run(None, {"image": np.zeros((1, 4, CELL, CELL), np.float32)}, shrink)
        return residual, z_out, shown

    def _finish(
        self,
        rgba: np.ndarray,
        residual: np.ndarray,
        reconstruction: np.ndarray | None,
        z: np.ndarray,
        worst: int,
        worst_log_density: float,
        keep_maps: bool,
    ) -> RawScores:
        h, w, _ = rgba.shape
        r_val, rx, ry, rk = pooled_max(residual)
        rp_y, rp_x = np.unravel_index(int(np.argmax(residual)), residual.shape)
        recon_px = float(residual[rp_y, rp_x])
        if not keep_maps:
            del residual  # a sheet's maps go one at a time

        cy, cx = divmod(worst, z.shape[2])  # the least dense 8x8 cell
        kde_region = Region(
            cx * CELL, cy * CELL, min(CELL, w - cx * CELL), min(CELL, h - cy * CELL)
        )

        rarity, (p_val, p_region) = self._colour_maps(rgba)
        c_val, colx, coly, ck = pooled_max(rarity)
        del rarity
        raw = RawScores(
            recon=r_val,
            kde=self.cell_rarity(worst_log_density),
            kde_log_density=worst_log_density,
            colour=c_val,
            recon_px=recon_px,
            pair=p_val,
            regions={
                "recon": Region(rx, ry, min(rk, w), min(rk, h)),
                "kde": kde_region,
                "colour": Region(colx, coly, min(ck, w), min(ck, h)),
                "recon_px": Region(int(rp_x), int(rp_y), 1, 1),
                "pair": p_region,
            },
        )
        for name, (value, box) in measure(rgba).items():
            raw.extra[name] = value
            raw.regions[name] = Region(box.x, box.y, box.w, box.h)
        raw.extra["palette"], raw.extra["palette_shift"], _ = palette_signals(self.palette, rgba)
        raw.regions["palette"] = raw.regions["palette_shift"] = Region(0, 0, w, h)
        profile = style_profile(rgba, raw.extra)
        raw.extra["style"] = self.profile.distance(profile) if self.profile else 0.0
        raw.regions["style"] = Region(0, 0, w, h)
        if keep_maps:
            raw.residual = residual
            raw.reconstruction = reconstruction
        return raw

    def _colour_maps(self, rgba: np.ndarray) -> tuple[np.ndarray, tuple[float, Region]]:
        """Per-pixel colour rarity ``(H, W)``, and the pair signal: how many neighbouring
        pairs are rare, and the window with the most of them. Row band by row band (each
        reads one row below its own for the vertical pairs), so a sheet's colour bins
        and pair keys never exist whole."""
        h, w = rgba.shape[:2]
        rarity = np.empty((h, w), dtype=np.float32)
        marks = np.zeros((h, w), dtype=np.uint8)  # rare pairs touching each pixel (<= 4)
        count = 0
        for lo, hi, _, bottom in row_bands(h, w, halo=1):
            bins = colour_bins(rgba[lo:bottom])  # own rows, and the next one
            rarity[lo:hi] = self.colour.lookup(bins[: hi - lo])
            keys, horizontal, vertical = colour_pairs(bins)
            n_h = int(np.count_nonzero(horizontal))
            if bottom > hi:  # the next band's row: its vertical pairs with ours only
                horizontal = horizontal[: hi - lo]
                n_own = int(np.count_nonzero(horizontal))
                keys = np.concatenate([keys[:n_own], keys[n_h:]])
                n_h = n_own
            rare = self.pairs.rare(keys)
            count += int(rare.sum())
            rare_h = np.zeros(horizontal.shape, dtype=bool)
            rare_h[horizontal] = rare[:n_h]
            rare_v = np.zeros(vertical.shape, dtype=bool)
            rare_v[vertical] = rare[n_h:]
            marks[lo:hi, :-1] += rare_h
            marks[lo:hi, 1:] += rare_h
            n_v = len(rare_v)  # rows of vertical pairs: own rows, less the image's last
            marks[lo : lo + n_v] += rare_v
            marks[lo + 1 : lo + 1 + n_v] += rare_v
        if count == 0:
            return rarity, (0.0, Region(0, 0, min(PAIR_WINDOW, w), min(PAIR_WINDOW, h)))
        _, x, y, k = pooled_max(marks, PAIR_WINDOW)
        return rarity, (float(count), Region(x, y, min(k, w), min(k, h)))


def _residual(
    rgba: np.ndarray, x: np.ndarray, recon: np.ndarray, keep_recon: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-pixel squared residual ``(H, W)`` of a sprite's network input ``x`` and output
    ``recon`` (``(4, >= H, >= W)``, premultiplied; cropped to ``rgba``'s size here), and
    the reconstruction as uint8 ``(H, W, 4)`` with ``keep_recon``."""
    h, w = rgba.shape[:2]
    recon = np.clip(recon[:, :h, :w], 0.0, 1.0)  # the network's output layer is linear
    residual = ((recon - x[:, :h, :w]) ** 2).sum(axis=0)  # (H, W)
    return residual, _unpremultiply(recon) if keep_recon else None


def sprite_embedding(cells: np.ndarray) -> np.ndarray:
    """Standardized latent cells ``(n, d)`` -> ``(2d,)``: their mean and spread.

    A size-independent summary of a sprite, used to name the approved sprites a checked
    one most resembles (``explain``); not part of any score.
    """
    return np.concatenate([cells.mean(axis=0), cells.std(axis=0)]).astype(np.float32)


def _unpremultiply(x: np.ndarray) -> np.ndarray:
    """``(4, H, W)`` premultiplied float -> ``(H, W, 4)`` straight uint8, for display."""
    a = x[3:4]
    rgb = np.where(a > 1e-6, x[:3] / np.maximum(a, 1e-6), 0.0)
    out = np.concatenate([np.clip(rgb, 0, 1), a], axis=0).transpose(1, 2, 0)
    return (out * 255 + 0.5).astype(np.uint8)
