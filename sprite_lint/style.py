"""The style signal: how a sprite is drawn, whatever it depicts, against the approved set.

Another art set differs from the approved one in several ways at once: softer or crisper
edges, more or fewer colours, black outlines, saturation, flat fills or gradients.
``style_profile`` measures those on one sprite (numpy only: ``check`` runs it);
``StyleProfile`` is their fitted distribution over the approved sprites, and its
``distance`` is the ``style`` signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sprite_lint.craft import SOLID, measure, ringing, row_bands, solid_pixels

_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)  # Rec. 709

PROFILE = (
    "soft_edges",
    "colour_poverty",
    "fringe",
    "ringing",
    "dark_share",
    "light_share",
    "saturation",
    "median_luminance",
    "flat_share",
    "coverage",
    "semi_share",
)


def _median(v: np.ndarray) -> float:
    """``np.median`` of a 1-D array (partitioned in place), the same value, without the
    lazy import of ``numpy.ma`` that ``np.median`` costs the one-file hook (5 ms)."""
    n = v.size
    k = n // 2
    if n % 2:
        v.partition(k)
        return float(v[k])
    v.partition([k - 1, k])
    return float(v[k - 1 : k + 1].mean())


def style_profile(rgba: np.ndarray, craft_values: dict[str, float]) -> np.ndarray:
    """How a sprite is drawn, whatever it depicts: ``(len(PROFILE),)`` float64.

    The first three are craft signals (``craft_values``, by their names in
    ``CRAFT_FUNCTIONS``), the fourth ``craft.ringing`` (faint speckle in flat colour:
    painted or flat); then, over the solid pixels: the share that is near black (an
    outlined style), near white, the mean saturation, the median luminance, the share
    equal to their right-hand neighbour (flat fills vs gradients); and the share of the
    frame that is visible and of visible pixels that are semi-transparent. Another art
    set differs in several of these at once (``StyleProfile.distance`` measures how far).
    """
    a = rgba[..., 3]
    vis, solid = a > 0, a == SOLID
    out = [craft_values["soft"], craft_values["few_colours"], craft_values["fringe"]]
    out.append(ringing(rgba)[0])  # texture speckle: part of how a set is drawn
    n_solid = int(np.count_nonzero(solid))
    if n_solid:
        # solid pixels' luminance and saturation, row band by row band into whole arrays
        # (a 4096x4096 sheet in bounded memory), then reduced as one: the same values
        lum = np.empty(n_solid, np.float32)
        sat = np.empty(n_solid, np.float32)
        same = n_pairs = at = 0
        h, w = a.shape
        for lo, hi, _, _ in row_bands(h, w):
            band, sol = rgba[lo:hi], solid[lo:hi]
            rgb, _ = solid_pixels(band)
            n = rgb.shape[0]
            lum[at : at + n] = (rgb.astype(np.float32) / 255.0) @ _LUMA
            # channel max and min as two elementwise passes (a reduction over an axis of 3
            # is slow in numpy), on uint8, then scaled exactly as the float channels would be
            hi_u8 = np.maximum(np.maximum(rgb[:, 0], rgb[:, 1]), rgb[:, 2])
            lo_u8 = np.minimum(np.minimum(rgb[:, 0], rgb[:, 1]), rgb[:, 2])
            top = hi_u8.astype(np.float32) / np.float32(255.0)
            low = lo_u8.astype(np.float32) / np.float32(255.0)
            sat[at : at + n] = (top - low) / np.maximum(top, 1e-3)
            at += n
            keys = np.ascontiguousarray(band).view(np.uint32)[..., 0]  # one key per pixel
            pairs = sol[:, 1:]
            n_pairs += int(np.count_nonzero(pairs))
            same += int(np.count_nonzero((keys[:, 1:] == keys[:, :-1]) & pairs))
        out += [
            np.count_nonzero(lum < 0.12) / n_solid,
            np.count_nonzero(lum > 0.9) / n_solid,
            float(sat.mean()),
            _median(lum),
            same / n_pairs if n_pairs else 0.0,
        ]
    else:
        out += [0.0, 0.0, 0.0, 0.0, 0.0]
    n_vis = int(np.count_nonzero(vis))
    out += [n_vis / a.size, np.count_nonzero(vis & ~solid) / n_vis if n_vis else 0.0]
    return np.array(out, dtype=np.float64)


def profile_of(rgba: np.ndarray) -> np.ndarray:
    """``style_profile`` of a sprite measured from scratch (calibration's path)."""
    return style_profile(rgba, {k: v for k, (v, _) in measure(rgba).items()})


PROFILE_SHRINK = 0.5  # share of the profile covariance's off-diagonal kept
PROFILE_RIDGE = 0.1  # added to the diagonal of the robust-unit covariance


@dataclass(frozen=True)
class StyleProfile:
    """How the approved sprites are drawn: the centre, robust scale and precision matrix
    of their ``style.style_profile`` vectors. ``distance`` is a Mahalanobis distance in
    robust units (median and 1.4826 x MAD), with the covariance shrunk towards its
    diagonal and ridged, as few sprites estimate a full covariance poorly. A feature
    that does not vary over most of the approved sprites (a MAD of zero: no approved
    sprite has near-white pixels, say) has no robust unit and takes no part: measured in
    a unit of almost nothing, one highlight would put a good sprite thousands of units
    away."""

    centre: np.ndarray  # (P,)
    scale: np.ndarray  # (P,)
    precision: np.ndarray  # (P, P)

    @classmethod
    def fit(cls, profiles: np.ndarray) -> StyleProfile:
        """``profiles``: ``(n, P)`` of approved sprites."""
        centre = np.median(profiles, axis=0)
        mad = 1.4826 * np.median(np.abs(profiles - centre), axis=0)
        scale = np.maximum(mad, profile_scale_floor(centre))
        z = (profiles - centre) / scale
        cov = np.cov(z.T) if z.shape[0] > 1 else np.eye(z.shape[1])
        cov = PROFILE_SHRINK * cov + (1 - PROFILE_SHRINK) * np.diag(np.diag(cov))
        precision = np.linalg.pinv(cov + PROFILE_RIDGE * np.eye(cov.shape[0]))
        varies = mad > profile_scale_floor(centre)  # (P,) features with a robust unit
        precision = precision * varies[:, None] * varies[None, :]
        return cls(centre, scale, precision)

    def distance(self, profile: np.ndarray) -> float:
        z = np.clip((profile - self.centre) / self.scale, -1e3, 1e3)
        return float(np.sqrt(max(float(z @ self.precision @ z), 0.0)))


def profile_scale_floor(centre: np.ndarray) -> np.ndarray:
    """The smallest robust unit ``StyleProfile.fit`` gives each feature of ``centre``."""
    return 1e-3 * (np.abs(centre) + 1e-3)


# The precision's largest entry: the inverse of a covariance ridged by PROFILE_RIDGE has
# eigenvalues of at most 1 / PROFILE_RIDGE, and no entry of such a matrix is larger.
MAX_PRECISION = 1.0 / PROFILE_RIDGE


def profile_problem(
    centre: np.ndarray, scale: np.ndarray, precision: np.ndarray
) -> tuple[str, str] | None:
    """What makes same-shaped arrays unlike any ``StyleProfile.fit`` gives: (the array,
    why), or None. A scale below the floor divides by (almost) nothing; an entry past
    MAX_PRECISION overflows ``distance``."""
    if not (scale >= profile_scale_floor(centre)).all():
        return "profile_scale", "is below the floor calibrate gives a feature (1e-3 of its centre)"
    if not (np.abs(precision) <= MAX_PRECISION * (1 + 1e-6)).all():
        return "profile_precision", (
            f"holds an entry above {MAX_PRECISION:g}, which the inverse of a ridged covariance "
            "never has"
        )
    return None
