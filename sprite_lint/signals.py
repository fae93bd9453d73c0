"""The signals by name: what each is called in reports, its unit's floor, its message.

Learned-content signals come from the model and the approved art's tables
(``scoring``); craft signals measure the marks of a broken export or edit directly on
the pixels (``craft``); set signals compare a sprite with the approved set as a whole.
Messages use the artist's words ("6 stray pixels", "JPEG block artifacts"), not the
detector's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

MODEL_SIGNALS = ("recon", "kde", "colour", "recon_px", "pair")
CRAFT_SIGNALS = (
    "background",
    "stray",
    "hole",
    "fringe",
    "halo",
    "soft",
    "jpeg",
    "few_colours",
    "outline",
    "cut",
)
SET_SIGNALS = ("palette", "palette_shift", "style")
SIGNALS = MODEL_SIGNALS + CRAFT_SIGNALS + SET_SIGNALS
# The marks of a broken export or edit: the art may be on-style, its export is not. Reports
# title them so and drop "does not look like the approved art". ``outline`` is measured on
# the pixels like a craft mark but points to another art set; ``palette_shift`` is measured
# against the set but names an export mistake (swapped channels, a wrong colour profile).
EXPORT_SIGNALS = (frozenset(CRAFT_SIGNALS) - {"outline"}) | {"palette_shift"}
# darker or lighter edges, an outline where the set has none or none where it has one
TWO_SIDED = frozenset({"fringe", "outline"})
# shares whose tail is fitted on the log-odds scale (sprite_lint.standardize)
LOGIT_SCALE = frozenset({"palette"})

# Which signal explains a failure when several are over the limit: the most specific
# (a craft mark says what to fix), then where the model sees it, then the set-wide ones
# ("colours not in the palette", "outline unlike the set's", "style unlike the set")
# that many defects also raise. ``outline`` is measured on the pixels like a craft mark,
# but says "another art set?", not what to fix.
TIERS = {
    **dict.fromkeys(CRAFT_SIGNALS, 0),
    **dict.fromkeys(MODEL_SIGNALS, 1),
    "palette_shift": 0,  # names the mistake: swapped channels or a wrong gamma
    "palette": 2,
    "outline": 2,
    "style": 3,
}


def explaining_signal(z: Sequence[float], limit: float) -> str:
    """The signal to name for a sprite whose standardized signals ``z`` (SIGNALS order)
    are over ``limit`` somewhere: the most specific tier with a signal over the limit,
    and in it the highest; the highest overall when none is over."""
    over = [(TIERS[s], -float(v), i) for i, (s, v) in enumerate(zip(SIGNALS, z)) if v > limit]
    if not over:
        return SIGNALS[max(range(len(SIGNALS)), key=lambda i: z[i])]
    return SIGNALS[min(over)[2]]


# The smallest spread a signal is standardized by, in its own unit: the least change an
# artist would call a defect (one tenth of the frame turned opaque, one stray pixel...).
# It rules where the approved art never shows the mark (a set with no stray pixel at
# all); a set that has some sets its own, larger spread. Model signals have no natural
# unit: a tiny floor.
SCALE_FLOOR = {
    "recon": 1e-6,
    "kde": 1e-6,
    "colour": 1e-6,
    "recon_px": 1e-6,
    "pair": 1.0,  # neighbouring pairs
    "background": 0.05,  # share of the outermost frame that is opaque
    # pixels: one stray pixel alone fails (1 / 0.12 = 8.3 over a limit of 5.9 at alpha
    # 0.01, 8.2 at 0.001): the commonest slip. It was 0.4 (three pixels to fail), and no
    # real-art set has a lone pixel in a good sprite but pixel icons (one of 120)
    "stray": 0.12,
    "hole": 2.0,  # hard sides of enclosed clear pixels
    "fringe": 0.05,  # slope of edge brightness on alpha (log-log)
    "halo": 0.02,  # share of the edge pixels lit to white
    "soft": 0.1,  # pixels of alpha edge width
    "jpeg": 1.0,  # standard errors of lattice fit
    "few_colours": 0.15,  # log of the number of colours
    "outline": 0.1,  # share of the silhouette's outline that is near black
    "cut": 0.5,  # pixels of gap opposite the edge content runs into
    "palette": 0.25,  # log-odds of the share of solid pixels in colours no approved sprite uses
    "palette_shift": 0.03,  # share of solid pixels an undone export mistake brings back
    "style": 1e-6,
}

SIGNAL_LABELS = {
    "recon": "detail the model cannot redraw from the approved art",
    "kde": "a region unlike any in the approved art",
    "colour": "colours the approved art does not use",
    "recon_px": "a pixel the model cannot redraw from the approved art",
    "pair": "colours side by side that the approved art never puts together (a seam or paste)",
    "background": "opaque background where the approved art is transparent",
    "stray": "stray pixels in the transparent area",
    "hole": "hole in the alpha",
    "fringe": "semi-transparent fringe on the alpha edge (premultiplied vs straight alpha?)",
    "halo": "light halo on the alpha edge (colour divided by alpha twice?)",
    "soft": "blurred edges (resampled?) or semi-transparent where the approved art is solid",
    "jpeg": "JPEG artifacts (saved as JPEG on the way?)",
    "few_colours": "colours reduced to a small palette (a lossy palette pass?), or none",
    "outline": "outline unlike the approved set's (another art set?)",
    "cut": "content cut off at one edge with a gap at the other (a bad crop on export?)",
    "palette": "colours not in the approved palette",
    "palette_shift": "the approved palette with red and blue swapped, or with a wrong gamma",
    "style": "style unlike the approved set",
}


# Each signal's finding in a few words, for the "also:" list after a failing row's main
# finding (the other marks of a broken export over the limit, so one fix-and-check
# round finds them all)
SIGNAL_SHORT = {
    "recon": "detail the model cannot redraw",
    "kde": "a region unlike the approved art",
    "colour": "unusual colours",
    "recon_px": "a pixel the model cannot redraw",
    "pair": "unusual colour pairs",
    "background": "opaque background",
    "stray": "stray pixels",
    "hole": "hole in the alpha",
    "fringe": "alpha fringe",
    "halo": "light halo on the edge",
    "soft": "blurred or semi-transparent edges",
    "jpeg": "JPEG artifacts",
    "few_colours": "few colours",
    "outline": "outline unlike the set's",
    "cut": "content cut off at an edge",
    "palette": "colours not in the approved palette",
    "palette_shift": "palette shifted (swapped channels or gamma)",
    "style": "style unlike the approved set",
}


def also_over(z: Sequence[float], limit: float, driver: str) -> list[str]:
    """The other marks of a broken export (tier 0 of :data:`TIERS`) over ``limit`` in the
    standardized signals ``z`` (SIGNALS order), highest first, ``driver`` left out. Model
    and set-wide signals are not listed: most defects raise them as a side effect."""
    over = [(-float(v), s) for s, v in zip(SIGNALS, z) if v > limit and TIERS[s] == 0]
    return [s for _, s in sorted(over) if s != driver]


# What each signal looks for, in neutral words (explain lists every signal, passing or not)
SIGNAL_CHECKS = {
    "recon": "detail the model can redraw",
    "kde": "regions like those in the approved art",
    "colour": "colours the approved art uses (4x4 areas)",
    "recon_px": "single pixels the model can redraw",
    "pair": "colours side by side as the approved art puts them",
    "background": "transparent background",
    "stray": "stray pixels",
    "hole": "holes in the alpha",
    "fringe": "dark or light fringe on the alpha edge",
    "halo": "light halo on the alpha edge (edge pixels lit to white)",
    "soft": "edge sharpness and full opacity (blur, resampling, alpha left below 255)",
    "jpeg": "JPEG compression (the 8x8 quantisation a JPEG leaves)",
    "few_colours": "number of colours (lossy palette)",
    "outline": "dark outline as the approved set draws it (or not)",
    "cut": "content cut at one edge with a gap at the opposite one (crop)",
    "palette": "colours in the approved palette",
    "palette_shift": "colour channels and gamma (red and blue swapped, wrong colour profile)",
    "style": "style of the approved set",
}


_TODO = (
    " If the sprite is right, approve it (`sprite-lint approve FILE --reason ...`); if the"
    " approved art has changed style, recalibrate on it."
)

# What each signal means and what to do, for SARIF rule help and reviewers
SIGNAL_HELP = {
    "recon": "The model, trained on the approved sprites, cannot redraw a 4x4 area of this "
    "sprite: a shape or detail unlike the approved art. Look at the region named in the "
    "result (`sprite-lint explain FILE` shows the residual heatmap)." + _TODO,
    "kde": "An 8x8 area of this sprite is unlike any area of the approved sprites (the "
    "latent density of its least typical cell is far below theirs): a part from another "
    "set, a pasted patch, a new kind of detail." + _TODO,
    "colour": "A 4x4 area uses colours the approved sprites (almost) never use: JPEG "
    "ringing, noise, swapped channels or a foreign colour." + _TODO,
    "recon_px": "One pixel the model cannot redraw from the approved art: often a stray "
    "pixel of a foreign colour." + _TODO,
    "pair": "Neighbouring pixels pair colours that the approved sprites never put side by "
    "side: a seam, a pasted or shifted part." + _TODO,
    "background": "The outermost frame of pixels is opaque where the approved art is "
    "transparent: the sprite was exported flattened onto a colour or a checkerboard. "
    "Export it again with transparency.",
    "stray": "Single visible pixels (or pairs) float in the transparent area, away from the "
    "sprite: leftovers of an edit. Erase them.",
    "hole": "A fully transparent hole with a hard rim sits inside a solid area of the "
    "sprite: an eraser slip or a bad mask. Fill it, or approve it if it is drawn on purpose.",
    "fringe": "Semi-transparent edge pixels darken (or lighten) with their transparency: "
    "colour premultiplied by alpha was saved as straight alpha, or the reverse. Re-export "
    "with the engine's expected alpha mode (straight for PNG).",
    "halo": "Semi-transparent edge pixels are lit to full brightness where the sprite next "
    "to them is darker: colour was divided by alpha once too often (straight alpha "
    "un-premultiplied again), which clips to white at the edge. Re-export with the "
    "engine's expected alpha mode (straight for PNG).",
    "soft": "The alpha edge is wider than the approved art's, or the sprite is "
    "semi-transparent where the approved art is solid: a blurred resample (scaled with "
    "bilinear filtering), a layer left at partial opacity, or a lossy palette pass that "
    "left solid areas at alpha 248 to 254. Re-export at native size with "
    "nearest-neighbour scaling, at full opacity, without colour reduction.",
    "jpeg": "The pixels carry the quantisation of a JPEG: the sprite was saved as JPEG on "
    "the way (a copy, a preview, a web export) and back to PNG, with the ringing and block "
    "artifacts that brings. Re-export from the source file as lossless PNG.",
    "few_colours": "The sprite uses far fewer colours than the approved art: a lossy palette "
    "pass (pngquant, 'save as 8-bit'). Re-export without colour reduction. A sprite with "
    "no visible pixel at all (fully transparent: an empty export, the wrong layer) is "
    "reported under this rule too.",
    "outline": "The share of the sprite's outline drawn in near-black ink is unlike the "
    "approved art's: a dark outline where the set has none, or none where it has one. "
    "Every sprite of an art set is outlined (or not) the same way, whatever it shows: the "
    "sprite may come from another set." + _TODO,
    "cut": "Content runs into one edge of the image while the opposite edge keeps a gap: the "
    "crop box was misplaced on export, so the sprite is shifted in its frame and cut off on "
    "one side. Re-export with the full canvas, placed as the approved art is.",
    "palette": "A share of the solid pixels uses exact colours that no approved sprite uses: "
    "a wrong colour profile, a colour shift or recolouring, or compression." + _TODO,
    "palette_shift": "The sprite's colours are the approved palette's, moved as a whole: "
    "red and blue swapped (the pixels were written in BGR order, as OpenCV and some "
    "Windows bitmaps keep them), or darkened by a gamma mismatch (art made for gamma 2.2 "
    "saved with a gamma 1.8 colour profile). Re-export as sRGB, RGBA order.",
    "style": "The way the sprite is drawn (edge softness, colour count, outlines, "
    "saturation, flat fills) is unlike every approved sprite: it may come from another art "
    "set." + _TODO,
}


class _Box(Protocol):
    x: int
    y: int
    w: int
    h: int


def describe(
    name: str,
    value: float,
    region: _Box,
    centre: float = 0.0,
    points: Sequence[tuple[int, int]] = (),
    shift: str = "",
    unseen: float | None = None,
    nearly_solid: int = 0,
    top_alpha: int = 0,
) -> str:
    """What is wrong, where and how much, for a failing row: ``name`` the driving signal,
    ``value`` its raw value, ``region`` where it is worst (sprite pixels); ``points``:
    ``(x, y)`` of the first few stray pixels, named one by one; ``shift``: which move
    ``palette_shift`` undid (``sprite_lint.palette.SHIFTS``), "" if not known, and
    ``unseen`` the share of solid pixels in new colours as they are (the ``palette``
    signal), if known; ``nearly_solid``: for ``soft``, how many pixels are at alpha 248
    to 254 when they are most of what it counts (``craft.nearly_solid``), else 0;
    ``top_alpha``: for ``soft``, the sprite's highest alpha (0 to 255) when no pixel is
    solid, else 0."""
    where = f"x={region.x} y={region.y} {region.w}x{region.h}"
    if name == "stray":
        n = round(value)
        head = f"{n} stray pixel{'s' if n != 1 else ''} in the transparent area at "
        if not points:
            return head + where
        named = [f"x={x} y={y}" for x, y in points[:n]]
        rest = n - len(named)
        if rest > 0:
            return head + ", ".join(named) + f" and {rest} more (all within {where})"
        return head + (", ".join(named[:-1]) + " and " if len(named) > 1 else "") + named[-1]
    if name == "background":
        return (
            f"opaque background where the approved art is transparent ({value:.0%} of the edge "
            "is opaque: flattened onto a colour or a checkerboard?)"
        )
    if name == "hole":
        return f"hole in the alpha at {where}"
    if name == "fringe":
        tone = "dark" if value > centre else "light"
        return (
            f"{tone} semi-transparent fringe on the alpha edge (premultiplied vs straight "
            f"alpha?) around {where}"
        )
    if name == "halo":
        return (
            f"light halo on the alpha edge: {value:.0%} of the edge pixels lit to white "
            f"(colour divided by alpha twice?) around {where}"
        )
    if name == "soft" and nearly_solid:
        return (
            f"solid areas left slightly transparent: {nearly_solid:,} pixel"
            f"{'s' if nearly_solid != 1 else ''} at alpha 248 to 254 where the approved art is "
            f"opaque (a lossy palette pass, or a layer just below full opacity?) around {where}"
        )
    if name == "soft" and 0 < top_alpha < 250:
        return (
            f"the whole sprite is semi-transparent: its most opaque pixels are at alpha "
            f"{top_alpha} ({top_alpha / 255:.0%}) where the approved art is solid (a layer "
            "left at partial opacity?)"
        )
    if name == "soft":
        return (
            f"blurred edges (resampled?): alpha edges {value:.1f} px wide, or semi-transparent "
            f"where the approved art is solid, around {where}"
        )
    if name == "jpeg":
        return (
            "JPEG artifacts: the colours carry a JPEG's 8x8 quantisation (saved as JPEG on the "
            f"way?) around {where}"
        )
    if name == "few_colours":
        n = max(0, round(math.exp(-value) - 1))
        if n == 0:
            return "nothing visible: the sprite is fully transparent (an empty export?)"
        return f"only {n} colour{'s' if n != 1 else ''}: reduced to a small palette (a lossy palette pass?)"
    if name == "outline":
        if value > centre:
            return (
                f"dark outline where the approved art has none ({value:.0%} of the outline is "
                f"near black: another art set?) around {where}"
            )
        return (
            f"no dark outline where the approved art has one ({value:.0%} of the outline is "
            f"near black: another art set?) around {where}"
        )
    if name == "cut":
        gap = round(value)
        if region.w == region.h == 1:  # an edge of a one-pixel-wide image: no side to name
            side, other = "one", "opposite"
        elif region.h == 1:
            side, other = ("top", "bottom") if region.y == 0 else ("bottom", "top")
        else:
            side, other = ("left", "right") if region.x == 0 else ("right", "left")
        return (  # "the edge", not "of the image": a sheet's frame says it too
            f"content cut off at the {side} edge, with a {gap} px gap at the {other} edge "
            "(a bad crop on export?)"
        )
    if name == "palette":
        return f"colours not in the approved palette ({value:.0%} of the solid pixels)"
    if name == "palette_shift":
        what, undo = {
            "bgr": ("red and blue swapped (BGR channel order on export?)", "swapped back"),
            "gamma": (
                "colours darker than the approved palette's (a wrong colour profile: gamma "
                "1.8 instead of 2.2?)",
                "corrected",
            ),
        }.get(shift, ("colours shifted from the approved palette", "shifted back"))
        if unseen is None:
            return f"{what}: {value:.0%} more of the solid pixels are approved colours once {undo}"
        before = 1.0 - unseen
        return (
            f"{what}: {before:.0%} of the solid pixels are approved colours as they are, "
            f"{min(1.0, before + value):.0%} once {undo}"
        )
    if name == "style":
        return "style unlike the approved set (no approved sprite is drawn like it)"
    return f"{SIGNAL_LABELS[name]} at {where}"
