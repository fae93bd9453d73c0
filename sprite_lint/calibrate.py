"""``calibrate``: train on approved sprites, fit the KDE, set thresholds, write the baseline.

Needs the ``[train]`` extra; torch and scikit-learn are imported inside the functions.

Thresholds are set on approved sprites the model did not train on:

* ``split`` (``n >= SPLIT_MIN``): a fifth of the sprites (at least 100) is held out,
  the model trains on the rest, the held-out scores calibrate the threshold;
* ``cross`` (fewer sprites): 5 folds, each scored by a model trained on the other four
  (cross-conformal); the first of those models is the one written to the baseline, so
  the deployed model and the calibration scores come from the same training recipe.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sprite_lint.baseline import write_baseline
from sprite_lint.calibration import MIN_CALIBRATION_SCORES, Calibration, fit_calibration
from sprite_lint.colour import BITS, fit_document_frequency, fit_pair_frequency
from sprite_lint.craft import NEAR_BLACK, _outline_map, dark_outline, luminance
from sprite_lint.discovery import display_path, expand_paths, printable
from sprite_lint.errors import CalibrationError, ImageError, MissingExtraError, SpriteLintError
from sprite_lint.gitfiles import project_root
from sprite_lint.imageio import load_png, premultiply
from sprite_lint.kde import GaussianKDE
from sprite_lint.onnxfile import validate_model
from sprite_lint.palette import approved_palette
from sprite_lint.scoring import (
    CELL,
    MARGIN,
    MIN_LATENT_STD,
    POOL,
    SIGNALS,
    TILE,
    Scorer,
    pad_to_cells,
    sprite_embedding,
)
from sprite_lint.sheets import (
    SheetSettings,
    find_layout,
    frame_images,
    pixels_outside_frames,
)
from sprite_lint.standardize import TAIL_QUANTILE, Standardizer, combine
from sprite_lint.style import StyleProfile, profile_of

SPLIT_MIN = 200
CROSS_MIN_STEPS = 400  # per fold model under cross-conformal calibration (split: 600)
FOLDS = 5
MAX_REFERENCE = 8192
MIN_SPRITES = MIN_CALIBRATION_SCORES
MIN_STYLE_GROUP = 10  # sprites: a smaller group is oddities, not a style
BLAS_THREADS = 1  # numpy's BLAS while calibrating (KDE, bandwidth): the same sums anywhere

PhaseCallback = Callable[[str], None]  # a phase starts: a training round, or FINAL_PHASE
StepCallback = Callable[[int, int, float], None]  # (step, the round's steps, loss)
# every phase in order, before the first: (label, optimizer steps); FINAL_PHASE has none
PlanCallback = Callable[[Sequence[tuple[str, int]]], None]
# after the last training round: its scorer (ONNX export, latent density), the held-out
# sprites' scores, the threshold, the baseline written
FINAL_PHASE = "finishing"


@dataclass(frozen=True)
class CalibrateOptions:
    alpha: float = 0.01
    epochs: int | None = None
    seed: int = 0
    device: str = "auto"
    max_pixels: int = 4096 * 4096
    exclude: tuple[str, ...] = ()
    exclude_root: str | None = None  # exclude globs are relative to it (default: cwd)
    width: int = 16
    latent_dim: int = 16
    sheets: SheetSettings | None = None  # which PNGs are sheets: each frame is a sample


@dataclass
class CalibrateResult:
    baseline: Path
    n_sprites: int
    split: str
    calibration: Calibration
    warnings: list[str]
    calibration_raw: np.ndarray  # (n_cal, len(SIGNALS)) raw scores of held-out approved sprites
    rank: int = 0  # this process's rank under torchrun
    world: int = 1  # processes training together
    frames: int = 0  # of the n_sprites, frames cut from sheets


def require_train_extra() -> None:
    """Raise :class:`MissingExtraError` unless torch, scikit-learn and onnx import."""
    try:
        import onnx  # noqa: F401
        import sklearn  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        raise MissingExtraError("sprite-lint calibrate") from None


@dataclass
class Approved:
    """The approved samples: whole sprites, and every non-empty frame of each sheet."""

    files: list[Path]  # per sample, the PNG it comes from
    suffixes: list[str]  # per sample, "" or its frame ("#3")
    images: list[np.ndarray]
    groups: np.ndarray  # (n,) per sample, the index of its PNG: frames of a sheet share it
    digest: str  # of the approved PNGs' bytes
    # (name, visible pixels outside every frame) per approved sheet a frame size leaves uncut
    uncut: list[tuple[str, int]] = field(default_factory=list)
    copies: int = 0  # samples whose pixels another, earlier file holds already

    def names(self, root: Path) -> list[str]:
        return [display_path(f, root) + s for f, s in zip(self.files, self.suffixes)]


def load_approved(paths: Sequence[str | Path], options: CalibrateOptions) -> Approved:
    """Load every approved PNG, ordered by content hash, cutting sheets into their frames
    (fully transparent ones skipped); refuse (listing them) if any cannot be read or cut."""
    files, seen = [], set()
    root = Path(options.exclude_root) if options.exclude_root else None
    for f in expand_paths(paths, options.exclude, root):
        # a file named directly and found in a named folder counts once (realpath: a
        # symlink loop is a file that cannot be read, refused below, not a RuntimeError)
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            files.append(f)
    loaded: list[tuple[str, str, Path, np.ndarray, object]] = []
    bad: list[str] = []
    for f in files:
        try:
            im = load_png(f, options.max_pixels)
            layout = None
            if options.sheets is not None:
                from sprite_lint.check import may_be_sheet

                if may_be_sheet(f, options.sheets):
                    h, w = im.rgba.shape[:2]
                    layout = find_layout(f, w, h, options.sheets)
        except ImageError as exc:  # its name as a table shows it: one line, no escapes
            bad.append(f"{printable(exc.name)}: {exc.reason}")
            continue
        loaded.append((im.sha256, f.as_posix(), f, im.rgba, layout))
    # In the order of their content's sha256, not their names or the folder's listing:
    # the same sprites under other names or in another order train the same model.
    loaded.sort(key=lambda t: (t[0], t[1]))
    out = Approved([], [], [], np.zeros(0, np.int64), "")
    groups: list[int] = []
    for g, (_, _, f, rgba, layout) in enumerate(loaded):
        samples = (
            [("", rgba)]
            if layout is None
            else [(f"#{fr.index}", crop) for fr, crop in frame_images(layout, rgba)]  # type: ignore[arg-type]
        )
        if layout is not None and (uncut := pixels_outside_frames(layout, rgba)):  # type: ignore[arg-type]
            out.uncut.append((printable(f.as_posix()), uncut))
        for suffix, image in samples:
            out.files.append(f)
            out.suffixes.append(suffix)
            out.images.append(image)
            groups.append(g)
    digest = hashlib.sha256("".join(t[0] for t in loaded).encode())
    if bad:
        listed = "\n  ".join(bad[:10]) + (
            f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else ""
        )
        raise CalibrationError(
            f"{len(bad)} approved file(s) cannot be read; fix or remove them, then calibrate "
            f"again (nothing was written):\n  {listed}"
        )
    # copies: samples whose pixels an earlier *file* holds (frames a packer merged, or a
    # sheet's allowed repeats, are its own business: check judges those as a sheet fault)
    first_file: dict[tuple[tuple[int, ...], bytes], int] = {}
    copies = 0
    for im, g in zip(out.images, groups):
        key = (im.shape, hashlib.sha256(im.tobytes()).digest())
        copies += first_file.setdefault(key, g) != g
    if len(out.images) < MIN_SPRITES:
        raise CalibrationError(
            f"found {len(out.images)} approved sprite(s) and frame(s) under "
            f"{', '.join(map(str, paths))}; calibration needs at least {MIN_SPRITES} (and "
            f"{round(1 / options.alpha) - 1} or more for alpha {options.alpha} without tail "
            "extrapolation); nothing was written"
        )
    out.groups = np.array(groups, np.int64)
    out.digest = digest.hexdigest()
    out.copies = copies
    return out


def same_pixels_together(images: Sequence[np.ndarray], groups: np.ndarray) -> np.ndarray:
    """``groups`` (per sample, its sheet) merged so that samples with identical pixels
    share a group: a sprite approved twice (or a frame repeated across sheets) held out
    for calibration while its copy trains the model would look more familiar than a new
    sprite ever does, and the threshold would sit too low (conformal calibration needs
    held-out samples exchangeable with new ones). ``(n,)`` int64, each group named by
    its smallest member's group."""
    parent = list(range(len(images)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    first_of_group: dict[int, int] = {}
    first_of_pixels: dict[tuple[tuple[int, ...], bytes], int] = {}
    for i, (im, g) in enumerate(zip(images, groups.tolist())):
        union(i, first_of_group.setdefault(g, i))
        key = (im.shape, hashlib.sha256(np.ascontiguousarray(im).tobytes()).digest())
        union(i, first_of_pixels.setdefault(key, i))
    roots = [find(i) for i in range(len(images))]
    return np.array([groups[r] for r in roots], dtype=np.int64)


def _groups_in(order: np.ndarray, groups: np.ndarray) -> list[np.ndarray]:
    """The samples of each group, groups in the order their first sample has in ``order``."""
    first: dict[int, int] = {}
    for pos, i in enumerate(order.tolist()):
        first.setdefault(int(groups[i]), pos)
    return [np.flatnonzero(groups == g) for g in sorted(first, key=first.__getitem__)]


def copies_warning(copies: int, n: int) -> str:
    """The warning for approved files that repeat others' pixels: ``n`` samples, of which
    ``copies`` repeat one before them. Each copy is kept in its original's fold (a copy
    trained on would make its held-out twin look familiar), but a set counts only its
    distinct sprites."""
    distinct = n - copies
    few = (
        f"; {distinct} is fewer than the {MIN_SPRITES} distinct sprites calibration needs to "
        "be trusted"
        if distinct < MIN_SPRITES
        else ""
    )
    return (
        f"{copies} of the {n} approved sprites and frames are copies of others (the same "
        f"pixels), so the set holds {distinct} distinct sprites{few}. Remove copies that "
        "were not meant to be approved twice, or approve more distinct art."
    )


def uncut_warning(uncut: Sequence[tuple[str, int]]) -> str:
    """The warning for approved sheets whose frames leave visible pixels uncut (a frame
    size that does not divide the sheet, or a data file that misses a frame): that art
    is not learned from."""
    shown = "; ".join(f"{name}: {n} pixel(s)" for name, n in uncut[:5])
    more = f"; and {len(uncut) - 5} more sheet(s)" if len(uncut) > 5 else ""
    return (
        f"{len(uncut)} approved sheet(s) have visible pixels outside every frame, which "
        f"calibration does not learn from ({shown}{more}). Check the frame size (--grid, or "
        "the configuration's sheets) or the sheet's data file: check fails such a sheet as "
        "bleeding into its padding."
    )


def one_sheet_warning(n: int, files: int = 1) -> str:
    """The warning for approved samples that are all one group (``grouped_split``): the
    frames of one sheet, or ``files`` identical files (copies of one sprite)."""
    if files > 1:
        return (
            f"all {n} approved samples are copies of one sprite ({files} files with the same "
            "pixels): calibration must hold out copies of what it trains on, so the "
            "threshold may be too low (more false alarms than alpha). Approve different "
            "sprites."
        )
    return (
        f"all {n} approved samples are frames of one sheet: calibration must hold out frames "
        "of the sheet it trains on, and they are not independent, so the threshold may be "
        "too low (more false alarms than alpha). Approve frames from two or more sheets."
    )


def grouped_split(
    order: np.ndarray, groups: np.ndarray, n_cal: int
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(calibration, training, one_group): whole groups (the frames of one sheet) held out
    in ``order``'s order until at least ``n_cal`` samples, never every group. With one
    group, its last ``n_cal`` samples (a contiguous block of frames) are held out."""
    parts = _groups_in(order, groups)
    if len(parts) == 1:
        idx = parts[0]
        return idx[-n_cal:], idx[:-n_cal], True
    cal: list[np.ndarray] = []
    taken = 0
    for part in parts[:-1]:
        if taken >= n_cal:
            break
        cal.append(part)
        taken += len(part)
    held = np.concatenate(cal)
    train = np.setdiff1d(np.arange(len(groups)), held)
    return held, train, False


def grouped_folds(order: np.ndarray, groups: np.ndarray, k: int) -> tuple[list[np.ndarray], bool]:
    """(folds, one_group): at most ``k`` folds of whole groups, as even in size as the
    groups allow (largest first, each to the smallest fold); never a group split between
    folds. With one group, ``k`` contiguous blocks of its frames."""
    parts = _groups_in(order, groups)
    if len(parts) == 1:
        return np.array_split(parts[0], k), True
    k = min(k, len(parts))
    folds: list[list[np.ndarray]] = [[] for _ in range(k)]
    sizes = [0] * k
    for part in sorted(parts, key=len, reverse=True):  # stable: ties keep ``order``'s order
        j = sizes.index(min(sizes))
        folds[j].append(part)
        sizes[j] += len(part)
    return [np.sort(np.concatenate(f)) for f in folds], False


SPLIT_LISTED = 30  # names of the smaller group a mixed-style warning lists
MIXED_STYLE_RATIO = 3.0  # how much farther one group's profiles lie from the other's fit
INKED, PLAIN = 0.6, 0.2  # outline shares drawn in near black: outlined, and not outlined
DARK_FILL = 0.5  # a sprite this dark inside is a dark shape, not one outlined in ink
MIN_OUTLINE_GROUP = 0.2  # share of the sprites each kind must hold to be a style


def _split_sentence(kinds: Sequence[tuple[str, Sequence[str]]], neither: str = "") -> str:
    """The mixed-style warning for groups of sprite names, each with what sets it apart;
    ``neither``: what became of the sprites in no group (``"; 7 more ..."``), if any."""

    smallest = min(len(g) for _, g in kinds)

    def group(kind: str, g: Sequence[str]) -> str:
        # the smaller group, the one to move out, in full (up to SPLIT_LISTED names)
        shown = SPLIT_LISTED if len(g) == smallest else 3
        like = ", ".join(printable(n) for n in g[:shown]) + (", ..." if len(g) > shown else "")
        return f"{len(g)} {kind}: {like}" if kind else f"{len(g)} like {like}"

    parts = " and ".join(group(kind, g) for kind, g in kinds)
    return (
        f"the approved sprites look like two art styles: {parts}{neither}. One baseline "
        "for both lets each style's defects pass as the other style (this one was written "
        "all the same). Move one group into a folder of its own, calibrate each folder as "
        "its own baseline (sprite-lint calibrate FOLDER --baseline baselines/NAME, for each "
        "FOLDER and a NAME of your choice) and map them to their folders in "
        "[tool.sprite-lint.baselines]."
    )


def _dark_fill(im: np.ndarray) -> float:
    """Share of a sprite's inside (visible, alpha >= 128, off its outline) that is near
    black (``craft.NEAR_BLACK``), in [0, 1]; 0 for a sprite drawn in lines alone."""
    inside = (im[..., 3] >= 128) & (_outline_map(im) == 0)  # visible, not on the outline
    n = int(np.count_nonzero(inside))
    return int(np.count_nonzero(inside & (luminance(im) < NEAR_BLACK))) / n if n else 0.0


def outline_split(images: Sequence[np.ndarray], names: Sequence[str]) -> str | None:
    """A warning when the approved sprites split into outlined and not outlined, else None.

    An art set outlines every sprite in near-black ink, or none (``craft.dark_outline``):
    on the real-art benchmark's sets, 90 to 100% of OpenMoji's and the pixel icons'
    sprites have at least INKED of their outline in near black, and 97 to 98% of
    JoyPixels' and EmojiOne's at most PLAIN. When each kind holds at least
    MIN_OUTLINE_GROUP of the sprites, two sets are mixed (OpenMoji with JoyPixels, say).
    A sprite at least DARK_FILL near black inside is a dark shape, outlined or not: it
    counts as neither (dark and light shapes of one set are not two styles).
    """
    shares = [dark_outline(im)[0] for im in images]
    # a dark shape is dark to its edge without being outlined: neither kind
    inked = [
        n for n, v, im in zip(names, shares, images) if v >= INKED and _dark_fill(im) < DARK_FILL
    ]
    plain = [n for n, v in zip(names, shares) if v <= PLAIN]
    if min(len(inked), len(plain)) < max(MIN_STYLE_GROUP, MIN_OUTLINE_GROUP * len(images)):
        return None
    dark = sum(v >= INKED for v in shares) - len(inked)  # dark shapes: inked, but dark inside
    partly = sum(PLAIN < v < INKED for v in shares)
    return _split_sentence(
        [("outlined in dark ink", inked), ("without a dark outline", plain)],
        _neither_clause(dark, partly),
    )


def _neither_clause(dark: int, partly: int) -> str:
    """Why sprites were counted in neither group of ``outline_split``: the warning's counts
    then add up to every approved sprite."""
    why = []
    if dark:
        why.append(f"{dark} dark shape(s), near black inside as well as on the outline")
    if partly:
        why.append(
            f"{partly} with an outline only partly near black ({PLAIN:.0%} to {INKED:.0%} of it)"
        )
    if not why:
        return ""
    return f"; {dark + partly} more counted as neither: " + " and ".join(why)


def mixed_styles(
    images: Sequence[np.ndarray],
    names: Sequence[str],
    seed: int,
    profiles: np.ndarray | None = None,
) -> str | None:
    """A warning when the approved sprites look like two art styles, else None.

    First the outlines (``outline_split``: sets outlined in dark ink mixed with sets that
    are not, such as OpenMoji with JoyPixels). Then the sprites' style profiles (``style.style_profile``) are split in two by k-means
    (scikit-learn); if each group's sprites lie, in median, at least MIXED_STYLE_RATIO
    times farther from the other group's fitted profile than from their own, the set
    mixes styles that are better calibrated as separate baselines. Measured on the
    real-art benchmark's families: one art set scores 1.7 to 2.0; emoji mixed with pixel
    icons 3.8 to 5.6; two emoji vendors only 1.5 to 2.8, which this ratio does not flag
    (the outline split does where one vendor outlines and the other does not).
    ``profiles``: the images' style profiles (``style.profile_of``), if already computed.
    """
    from sklearn.cluster import KMeans

    if len(images) < 2 * MIN_STYLE_GROUP:
        return None
    outlined = outline_split(images, names)
    if outlined:
        return outlined
    if profiles is None:
        profiles = np.stack([profile_of(im) for im in images])
    z = (profiles - profiles.mean(axis=0)) / np.maximum(profiles.std(axis=0), 1e-9)
    if len(np.unique(z, axis=0)) < 2:  # every sprite drawn alike: one style (and KMeans
        return None  # would warn that it found one cluster where two were asked)
    labels = KMeans(2, n_init=10, random_state=seed).fit(z).labels_
    groups = [np.flatnonzero(labels == k) for k in (0, 1)]
    if min(len(g) for g in groups) < max(MIN_STYLE_GROUP, 0.15 * len(images)):
        return None
    fits = [StyleProfile.fit(profiles[g]) for g in groups]
    ratios = []
    for own, other in ((0, 1), (1, 0)):
        inside = np.median([fits[own].distance(profiles[i]) for i in groups[own]])
        outside = np.median([fits[own].distance(profiles[i]) for i in groups[other]])
        ratios.append(outside / max(inside, 1e-9))
    if min(ratios) < MIXED_STYLE_RATIO:
        return None

    return _split_sentence([("", [names[i] for i in g]) for g in groups])


def build_scorer(
    model: Any,
    train_images: Sequence[np.ndarray],
    seed: int,
    profiles: np.ndarray | None = None,
) -> tuple[Scorer, bytes, dict[str, Any]]:
    """Export ``model`` to ONNX, fit the latent KDE and colour table on ``train_images``
    (``profiles``: their style profiles, ``style.profile_of``, if already computed)."""
    from sprite_lint.export import onnx_bytes
    from sprite_lint.kde import select_bandwidth

    model_bytes = onnx_bytes(model)
    validate_model(model_bytes)  # never write a model check would refuse (an exporter change)
    colour_bins, colour_counts, n_images = fit_document_frequency(train_images)
    pair_keys, pair_counts = fit_pair_frequency(train_images)
    d = model.config.latent_dim
    scorer = Scorer(
        model_bytes,
        GaussianKDE(1.0),
        np.zeros(0),
        np.zeros(d),
        np.ones(d),
        colour_bins,
        colour_counts,
        n_images,
        pair_keys,
        pair_counts,
    )
    per_image = [
        scorer.latent_vectors(scorer.run_network(pad_to_cells(premultiply(im)))[1])
        for im in train_images
    ]  # each (cells, d), unscaled (mean 0, std 1 above)
    cells = np.concatenate(per_image)
    mean, std = cells.mean(axis=0), np.maximum(cells.std(axis=0), MIN_LATENT_STD)
    cells = (cells - mean) / std
    embeddings = np.stack([sprite_embedding((v - mean) / std) for v in per_image])
    # Empty background repeats in every sprite; keep each kind of cell once so the
    # reference budget covers the rare-but-normal cells (edges, details) instead.
    cells = np.unique(np.round(cells, 2), axis=0)
    rng = np.random.default_rng(seed)
    if cells.shape[0] > MAX_REFERENCE:
        cells = cells[rng.choice(cells.shape[0], MAX_REFERENCE, replace=False)]
    bandwidth = select_bandwidth(cells, seed=seed)
    scorer.kde = GaussianKDE(bandwidth).fit(cells)
    loo = np.sort(scorer.kde.loo_score_samples())
    scorer.kde_loo = loo
    scorer.latent_mean, scorer.latent_std = mean, std
    scorer.palette = approved_palette(train_images)
    # the style profile of the training sprites (craft values need no model)
    if profiles is None:
        profiles = np.stack([profile_of(im) for im in train_images])
    scorer.profile = StyleProfile.fit(profiles)
    info = {"bandwidth": bandwidth, "n_reference": int(cells.shape[0]), "dim": d}
    arrays = {
        "kde_reference": cells.astype(np.float64),
        "kde_loo": loo.astype(np.float64),
        "latent_mean": mean.astype(np.float64),
        "latent_std": std.astype(np.float64),
        "colour_bins": colour_bins,
        "colour_counts": colour_counts,
        "pair_keys": pair_keys,
        "pair_counts": pair_counts,
        "palette": scorer.palette,
        "profile_centre": scorer.profile.centre,
        "profile_scale": scorer.profile.scale,
        "profile_precision": scorer.profile.precision,
    }
    return (
        scorer,
        model_bytes,
        {
            "kde": info,
            "arrays": arrays,
            "colour_images": n_images,
            "embeddings": embeddings,
        },
    )


def calibrate(
    paths: Sequence[str | Path],
    baseline_dir: Path,
    options: CalibrateOptions = CalibrateOptions(),
    on_phase: PhaseCallback | None = None,
    on_step: StepCallback | None = None,
    sources: Sequence[str | Path] | None = None,
    on_plan: PlanCallback | None = None,
) -> CalibrateResult:
    """Train, calibrate and write a baseline. Nothing is written unless all of it succeeds.

    ``sources`` (default: ``paths``) is what the manifest records as the approved set's
    origin, for ``approve --recalibrate``.

    Progress, for a display: ``on_plan`` hears every phase and its steps once, before the
    first (one training round, or one per fold, then FINAL_PHASE); ``on_phase`` as each
    starts; ``on_step`` after each optimizer step of a training round.
    """
    require_train_extra()
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # with sklearn

    from sprite_lint.baseline import check_baseline_target

    check_baseline_target(Path(baseline_dir))  # before training, not after it

    with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
        return _calibrate(paths, baseline_dir, options, on_phase, on_step, sources, on_plan)


def _calibrate(
    paths: Sequence[str | Path],
    baseline_dir: Path,
    options: CalibrateOptions,
    on_phase: PhaseCallback | None,
    on_step: StepCallback | None,
    sources: Sequence[str | Path] | None,
    on_plan: PlanCallback | None = None,
) -> CalibrateResult:
    from sprite_lint.model import ModelConfig
    from sprite_lint.train import (
        TrainConfig,
        crop_size,
        init_distributed,
        planned_steps,
        resolve_device,
        train_autoencoder,
    )

    device = resolve_device(options.device)
    rank, world = init_distributed(device)
    approved = load_approved(paths, options)
    images, groups, set_digest = approved.images, approved.groups, approved.digest
    root = project_root()
    names = approved.names(root)
    n = len(images)
    # frames of one sheet are not independent, nor are copies of one sprite: folds keep
    # each sheet's frames, and every copy of the same pixels, together
    groups = same_pixels_together(images, groups)
    grouped = len(np.unique(groups)) < n
    warnings: list[str] = []
    # every sprite's style profile once: the mixed-style check and each model's profile
    profiles = np.stack([profile_of(im) for im in images])
    mixed = mixed_styles(images, names, options.seed, profiles)
    if mixed:
        warnings.append(mixed)
    if approved.uncut:
        warnings.append(uncut_warning(approved.uncut))
    if approved.copies and len(np.unique(groups)) > 1:  # all copies: one_sheet_warning says so
        warnings.append(copies_warning(approved.copies, n))
    mconf = ModelConfig(width=options.width, latent_dim=options.latent_dim)
    tconf = TrainConfig(epochs=options.epochs, seed=options.seed, device=device)
    rng = np.random.default_rng(options.seed)

    if n < SPLIT_MIN:  # five fold models instead of one: each trains for fewer steps
        tconf = dataclasses.replace(tconf, min_steps=CROSS_MIN_STEPS)

    rounds: list[str] = []  # the training rounds' labels, in order (``plan``)

    def plan(trains: Sequence[tuple[str, Sized]]) -> None:
        rounds.extend(label for label, _ in trains)
        if on_plan is not None:
            steps = [(label, planned_steps(len(idx), tconf)) for label, idx in trains]
            on_plan([*steps, (FINAL_PHASE, 0)])

    def fit(idx: Sequence[int], label: str) -> tuple[Scorer, bytes, dict[str, Any]]:
        if on_phase is not None:
            on_phase(label)
        train = [images[i] for i in idx]
        model = train_autoencoder(train, mconf, tconf, on_step)
        if on_phase is not None and label == rounds[-1]:  # the last steps are done
            on_phase(FINAL_PHASE)
        return build_scorer(model, train, options.seed, profiles[np.asarray(idx, dtype=np.int64)])

    order = rng.permutation(n)
    if n >= SPLIT_MIN:
        split = "split"
        n_cal = max(100, n // 5)
        if grouped:
            cal_idx, train_idx, one_sheet = grouped_split(order, groups, n_cal)
            if one_sheet:
                warnings.append(one_sheet_warning(n, len(set(approved.files))))
        else:
            cal_idx, train_idx = order[:n_cal], order[n_cal:]
        plan([("training", train_idx)])
        scorer, model_bytes, parts = fit(train_idx, "training")
        held_raw = scorer.score_many([images[i] for i in cal_idx])
        raw = np.stack([v.as_vector() for v in held_raw])
        n_train = len(train_idx)
        seen_idx, held_idx = train_idx, cal_idx
    else:
        split = "cross"
        raw = np.zeros((n, len(SIGNALS)))
        if grouped:
            folds, one_sheet = grouped_folds(order, groups, FOLDS)
            if one_sheet:
                warnings.append(one_sheet_warning(n, len(set(approved.files))))
        else:
            folds = np.array_split(order, FOLDS)
        trains = []
        for k, held in enumerate(folds):
            held_set = set(held.tolist())
            trains.append(
                (f"fold {k + 1}/{len(folds)}", [i for i in range(n) if i not in held_set])
            )
        plan(trains)
        deployed: tuple[Scorer, bytes, dict[str, Any]] | None = None
        for (label, fold_train), held in zip(trains, folds):
            held_set = set(held.tolist())
            fitted = fit(fold_train, label)
            scored = fitted[0].score_many([images[i] for i in held])
            raw[held] = np.stack([v.as_vector() for v in scored])
            if deployed is None:
                deployed, held_raw = fitted, scored
                held_idx = held
                seen_idx = np.array([i for i in range(n) if i not in held_set])
        # The first fold's model is the one written: every calibration score then comes from
        # a model trained exactly like it (on four fifths of the sprites). A final model
        # trained on all of them would score new art on a different scale than its folds.
        assert deployed is not None
        scorer, model_bytes, parts = deployed
        n_train = n - len(folds[0])

    # the deployed model's summary of every approved sprite, for "explain"
    embeddings = np.zeros((n, parts["embeddings"].shape[1]), dtype=np.float32)
    embeddings[seen_idx] = parts["embeddings"]
    embeddings[held_idx] = np.stack([v.embedding for v in held_raw])
    parts["arrays"]["sprite_embeddings"] = embeddings
    parts["arrays"]["sprite_names"] = np.array(names)

    standardizer = Standardizer.fit(raw)
    combined = np.array([combine(z)[0] for z in standardizer.transform(raw)])
    calibration = fit_calibration(combined, options.alpha, len(SIGNALS), 1 - TAIL_QUANTILE)
    if calibration.method == "tail":
        warnings.append(
            f"{calibration.n} calibration scores support alpha >= {calibration.min_conformal_alpha:.3f} "
            f"by ranks alone; the threshold for alpha {options.alpha} comes from each signal's "
            f"fitted tail. Calibrate on about {round(1 / options.alpha)} approved sprites or "
            "more for an exact conformal threshold."
        )
        over = int(np.sum(combined > calibration.threshold))
        if over > max(1, 2 * options.alpha * calibration.n):
            warnings.append(
                f"{over} of the {calibration.n} approved sprites used for calibration score "
                f"above the threshold: the approved set has more oddities than alpha "
                f"{options.alpha} allows. Look at them with sprite-lint explain, split the set "
                "into baselines by style, or approve more sprites."
            )
    manifest: dict[str, Any] = {
        "preprocessing": {
            "colour_space": "premultiplied RGBA",
            "resample": "none (native resolution)",
            "cell": CELL,
            "pool": POOL,
            "tile": TILE,
            "tile_margin": MARGIN,
            "max_pixels": options.max_pixels,
        },
        "model": mconf.to_dict(),
        "training": {
            "epochs": options.epochs,
            "seed": options.seed,
            "crop": crop_size(images, tconf.max_crop),
            "n_train": n_train,
            "approved_set_sha256": set_digest,
            "threads": {"torch": tconf.threads, "blas": BLAS_THREADS},
        },
        "sources": [display_path(Path(p), root) for p in (paths if sources is None else sources)],
        "split": {"method": split, "n_approved": n, "n_calibration": int(raw.shape[0])},
        "kde": parts["kde"],
        "colour": {"bits": BITS, "n_images": parts["colour_images"]},
        "standardizer": standardizer.to_dict(),
        "calibration": calibration.to_dict(),
        "calibration_raw": [[float(v) for v in row] for row in raw],
    }
    if rank == 0:  # under torchrun every rank computed the same baseline; one writes it
        write_baseline(baseline_dir, manifest, model_bytes, parts["arrays"])
    frames = sum(1 for suffix in approved.suffixes if suffix)
    return CalibrateResult(baseline_dir, n, split, calibration, warnings, raw, rank, world, frames)


def recorded_sources(manifest: dict[str, Any]) -> list[Path]:
    """The approved folders and files a baseline was calibrated on; all must still exist."""
    root = project_root()
    sources = [root / s for s in manifest.get("sources", [])]
    missing = [str(s) for s in sources if not s.exists()]
    if missing or not sources:
        raise CalibrationError(
            f"the baseline was calibrated on {', '.join(missing) or 'unrecorded sources'}, "
            "which no longer exist here; run sprite-lint calibrate with the approved sprites "
            "instead (nothing was written)"
        )
    return sources


def recalibrate(
    baseline_dir: Path,
    extra: Sequence[Path],
    exclude: tuple[str, ...] = (),
    on_phase: PhaseCallback | None = None,
    on_step: StepCallback | None = None,
    exclude_root: str | None = None,
    sheets: SheetSettings | None = None,
    on_plan: PlanCallback | None = None,
) -> CalibrateResult:
    """Calibrate ``baseline_dir`` again from its recorded sources plus ``extra`` files,
    with the settings it was made with (alpha, seed, epochs, model size)."""
    from sprite_lint.baseline import load_baseline

    base = load_baseline(baseline_dir)
    m = base.manifest
    sources = recorded_sources(m)
    options = CalibrateOptions(
        alpha=base.calibration.alpha,
        epochs=m["training"].get("epochs"),
        seed=int(m["training"].get("seed", 0)),
        max_pixels=base.max_pixels,
        exclude=exclude,
        exclude_root=exclude_root,
        width=int(m["model"]["width"]),
        latent_dim=int(m["model"]["latent_dim"]),
        sheets=sheets,
    )
    unseen = _unseen_sources(sources, extra, base, options)
    result = calibrate(
        [*sources, *extra], base.path, options, on_phase, on_step, sources, on_plan=on_plan
    )
    if unseen:
        shown = ", ".join(printable(n) for n in unseen[:8])
        more = f" and {len(unseen) - 8} more" if len(unseen) > 8 else ""
        result.warnings.insert(
            0,
            f"{len(unseen)} file(s) in the baseline's sources were not in its last calibration "
            f"and are not approved, and were trained on as approved art: {shown}{more}. If any "
            "is not approved art, move it out of the sources and recalibrate.",
        )
    return result


def _unseen_sources(
    sources: Sequence[str], extra: Sequence[Path], base: Any, options: CalibrateOptions
) -> list[str]:
    """The PNGs in a baseline's recorded ``sources`` that its last calibration did not
    learn from (``sprite_names``) and that ``extra`` (the approved files) does not name:
    new art that ``approve --recalibrate`` would otherwise take in without a word."""
    root = project_root()
    # a frame's name ends "#N"; a file's own name may hold "#" too (boss#200.png)
    learned = {re.sub(r"#\d+\Z", "", str(n)) for n in base.arrays["sprite_names"]}
    approved = {os.path.realpath(p) for p in extra}
    exclude_root = Path(options.exclude_root) if options.exclude_root else None
    try:
        files = expand_paths(sources, options.exclude, exclude_root)
    except SpriteLintError:  # calibrate itself says what is wrong with the sources
        return []
    names = {display_path(f, root): f for f in files}
    if learned.isdisjoint(names):
        return []  # named from another root (calibrated elsewhere): nothing to tell apart
    return sorted(
        n for n, f in names.items() if n not in learned and os.path.realpath(f) not in approved
    )
