"""The approved palette, and the two set signals measured against it.

The approved palette is the set of exact colours (``craft.colour_keys``: one uint32 per
colour, ``R | G << 8 | B << 16``) of the approved sprites' solid (alpha 255) pixels.

* ``palette``: the share of a sprite's solid pixels in colours no approved sprite uses.
  A new subject brings new colours, so on its own this ranks well but is loose at the
  threshold.
* ``palette_shift``: the share of a sprite's solid pixels that take an approved colour
  only once a known export mistake is undone, less the share that lose one, and less the
  moved pixels approved both ways (evidence that nothing was moved).
  A new subject's colours are new whatever is undone; a sprite exported with red and blue
  swapped (BGR channel order), or with colours encoded for a display gamma of 1.8 where
  the set is made for 2.2 (the old Mac default against sRGB), is the approved palette
  moved as a whole, and undoing the move brings most of it back. Only these two moves are
  tried: every further one lets more new subjects match by chance (a third, the reverse
  gamma, gave 0.033 false alarms on EmojiOne in ``bench/realart.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sprite_lint.craft import row_bands, solid_pixels

# The moves undone, by the name messages use. ``gamma`` undoes ``255 * (c / 255) ** (2.2 /
# 1.8)`` per channel: art made for gamma 2.2 written as gamma 1.8, which darkens it.
SHIFTS = ("bgr", "gamma")
# the share of a sprite's coloured (not grey) solid pixels a move must bring into the
# palette before its greys count too: 0.1 on bench/realart.py (greyscale copies of
# held-out normals: none taken for a move; a wrong gamma on OpenMoji, whose outlines and
# highlights are grey: 0.78 caught with greys never counted, 0.82 with this)
GREY_CORROBORATES = 0.1
_GAMMA_UNDO = np.round(255.0 * (np.arange(256) / 255.0) ** (1.8 / 2.2)).astype(np.uint8)


def approved_palette(images: Sequence[np.ndarray]) -> np.ndarray:
    """Sorted unique colour keys ``(K,)`` uint32 of the ``(H, W, 4)`` uint8 images' solid
    pixels."""
    keys = [solid_pixels(im)[1] for im in images]
    return np.unique(np.concatenate(keys)) if keys else np.zeros(0, np.uint32)


def _in_palette(palette: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Boolean mask: which of ``keys`` are in the sorted, non-empty ``palette``."""
    idx = np.minimum(np.searchsorted(palette, keys), palette.size - 1)
    return palette[idx] == keys


def _distinct_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values of 1-D ``keys`` and how often each occurs: a sprite's
    pixels have far fewer colours than pixels, so each lookup then runs once a colour."""
    s = np.sort(keys)
    starts = np.concatenate(([0], np.flatnonzero(s[1:] != s[:-1]) + 1))
    return s[starts], np.diff(np.append(starts, s.size))


def _is_grey(keys: np.ndarray) -> np.ndarray:
    """Boolean mask: which colour keys have red, green and blue equal."""
    r, g, b = keys & 0xFF, (keys >> 8) & 0xFF, (keys >> 16) & 0xFF
    return (r == g) & (g == b)


def _undone(keys: np.ndarray, shift: str) -> np.ndarray:
    """The colour keys a sprite's ``keys`` had before ``shift`` (one of SHIFTS)."""
    if shift == "bgr":
        return ((keys & 0xFF) << 16) | (keys & 0xFF00) | ((keys >> 16) & 0xFF)
    return _GAMMA_UNDO[keys.view(np.uint8)].view(np.uint32)  # alpha byte 0 stays 0


def palette_signals(palette: np.ndarray, rgba: np.ndarray) -> tuple[float, float, str]:
    """``(palette, palette_shift, shift)`` for an ``(H, W, 4)`` uint8 sprite.

    ``palette``: the share of solid pixels whose colour is not in ``palette``, in [0, 1].
    ``palette_shift``: the largest gain, over SHIFTS, in the share of solid pixels in
    ``palette`` once the shift is undone, less the share of moved coloured pixels in it
    both ways, in [0, 1] (0 when nothing gains); ``shift`` names it ("" when none
    gains). Grey pixels (red = green = blue) only corroborate: their gain counts when
    the coloured pixels show the move too (GREY_CORROBORATES), since a grey stays a grey
    under either move and a set with many greys matches a greyscale copy's greys by
    chance. Both are 0 for a sprite without solid pixels or an empty palette. Row band by
    row band, so a sheet's keys never exist whole.
    """
    n_solid = known = n_colour = 0
    colour_gain = dict.fromkeys(SHIFTS, 0)  # net pixels the move brings into the palette
    grey_gain = dict.fromkeys(SHIFTS, 0)
    for lo, hi, _, _ in row_bands(*rgba.shape[:2]):
        _, keys = solid_pixels(rgba[lo:hi])
        n_solid += keys.size
        if keys.size and palette.size:
            distinct, counts = _distinct_counts(keys)
            was = _in_palette(palette, distinct)
            known += int(counts[was].sum())
            grey = _is_grey(distinct)
            n_colour += int(counts[~grey].sum())
            for shift in SHIFTS:
                undone = _undone(distinct, shift)
                now = _in_palette(palette, undone)
                # +1 for a pixel the move brings in, -1 for one it takes out, and -1 for a
                # moved coloured pixel approved both ways: a sprite moved as a whole has
                # its colours off the palette, so one already on it speaks against the
                # move (dense palettes hold colours and their gamma shades: JoyPixels'
                # keycaps gained 0.49 and failed as "gamma" against 200 approved emoji)
                net = now.astype(np.int64) - was - (was & now & (undone != distinct))
                colour_gain[shift] += int((counts * net)[~grey].sum())
                grey_gain[shift] += int((counts * (now.astype(np.int64) - was))[grey].sum())
    if n_solid == 0 or palette.size == 0:
        return 0.0, 0.0, ""
    unseen = (n_solid - known) / n_solid
    gains = {
        s: colour_gain[s]
        + (grey_gain[s] if colour_gain[s] >= GREY_CORROBORATES * max(n_colour, 1) else 0)
        for s in SHIFTS
    }
    shift = max(SHIFTS, key=lambda s: gains[s])
    if gains[shift] <= 0:
        return unseen, 0.0, ""
    return unseen, gains[shift] / n_solid, shift
