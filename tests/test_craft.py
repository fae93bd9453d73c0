"""Each craft signal on sprites built here: clean art scores low, the mark it measures high."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sprite_lint import craft


def disc(size: int = 32, r: float = 11.0, aa: bool = True, colour=(200, 60, 40)) -> np.ndarray:
    """An anti-aliased (or hard-edged) disc on transparency, straight alpha."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    d = np.hypot(yy - size / 2, xx - size / 2)
    a = np.clip(r + 0.5 - d, 0, 1) if aa else (d <= r).astype(float)
    im = np.zeros((size, size, 4), np.uint8)
    im[..., :3] = colour
    im[..., 3] = np.round(a * 255).astype(np.uint8)
    im[im[..., 3] == 0, :3] = 0
    return im


def test_background_counts_the_opaque_frame() -> None:
    im = disc()
    assert craft.background(im)[0] == 0.0
    flat = im.copy()
    flat[..., 3] = 255
    assert craft.background(flat)[0] == 1.0


def test_stray_pixels_counts_lone_and_paired_pixels_only() -> None:
    im = disc()
    assert craft.stray_pixels(im)[0] == 0
    bad = im.copy()
    bad[1, 1] = (200, 60, 40, 255)  # alone
    bad[1, 20] = bad[1, 21] = (200, 60, 40, 255)  # a pair
    bad[29, 3] = (200, 60, 40, 20)  # too faint to see: not counted
    value, box = craft.stray_pixels(bad)
    assert value == 3
    assert (box.x, box.y) == (1, 1) and box.w == 21


def test_stray_points_are_the_stray_pixels_row_by_row() -> None:
    bad = disc()
    bad[1, 20] = bad[1, 21] = bad[30, 2] = (200, 60, 40, 255)
    assert craft.stray_points(bad) == ((20, 1), (21, 1), (2, 30))
    assert craft.stray_points(bad, limit=1) == ((20, 1),)
    assert craft.stray_points(disc()) == ()


def test_stray_pixels_inside_the_drawing_are_detail_outside_it_are_stray() -> None:
    """A lone pixel framed by the drawing on three sides (a rivet in a box, a dotted line)
    is drawn detail; the same pixel beside the box, in the open, is a stray pixel."""
    im = np.zeros((32, 32, 4), np.uint8)
    ink = (30, 30, 30, 255)
    im[8, 9:18] = im[16, 9:18] = ink  # a box outline, 9 x 9 px
    im[8:17, 9] = im[8:17, 17] = ink
    inside = im.copy()
    inside[12, 13] = ink  # in the middle of the box: 4 px from each side
    assert craft.stray_pixels(inside)[0] == 0
    open_side = im.copy()
    open_side[12, 21] = ink  # 4 px right of the box: the drawing on one side only
    value, box = craft.stray_pixels(open_side)
    assert value == 1 and (box.x, box.y) == (21, 12)
    far = im.copy()
    far[12, 13] = ink
    far[8:17, 9] = 0  # the box opened on the left: the pixel still sees three sides
    assert craft.stray_pixels(far)[0] == 0
    far[8, 9:18] = 0  # and on top: two sides left, so it floats
    assert craft.stray_pixels(far)[0] == 1


def test_stray_pixels_is_the_same_computed_in_row_bands() -> None:
    """A sheet scored band by band counts exactly the pixels the whole image shows."""
    rng = np.random.default_rng(4)
    im = np.zeros((700, 64, 4), np.uint8)
    im[rng.random((700, 64)) < 0.01] = (200, 60, 40, 255)
    im[100:600:50, 10:50] = (200, 60, 40, 255)  # bars that enclose some of the specks
    whole = craft._stray(im).sum()
    assert craft.stray_pixels(im)[0] == whole


def test_halo_sees_colour_divided_by_alpha_twice_not_clean_or_dark_edges() -> None:
    """A light fringe (straight colour divided by alpha again) clips the edge to white;
    clean anti-aliased edges, a dark fringe and a white sprite's own edge do not count."""
    im = disc(r=12, colour=(200, 120, 40))
    assert craft.halo(im)[0] == 0.0
    a = im[..., 3:4].astype(np.float64) / 255
    light = im.copy()
    light[..., :3] = np.where(a > 0, np.minimum(im[..., :3] / np.maximum(a, 1e-6), 255), 0)
    value, box = craft.halo(light)
    assert value > 0.3
    assert box.w > 20 and box.h > 20  # all around the disc
    dark = im.copy()
    dark[..., :3] = np.round(im[..., :3] * a).astype(np.uint8)
    assert craft.halo(dark)[0] == 0.0
    white = disc(r=12, colour=(255, 255, 255))
    assert craft.halo(white)[0] == 0.0  # white next to white is the art, not a halo


def test_halo_is_the_same_computed_in_row_bands() -> None:
    rng = np.random.default_rng(5)
    im = np.zeros((900, 700, 4), np.uint8)
    im[..., :3] = rng.integers(0, 256, (900, 700, 3))
    im[..., 3] = np.where(rng.random((900, 700)) < 0.5, 255, rng.integers(0, 256, (900, 700)))
    m = craft._halo_map(im)
    n_edge = np.count_nonzero(m)
    assert craft.halo(im)[0] == np.count_nonzero(m == 2) / (n_edge + craft.HALO_PRIOR)


def test_alpha_holes_sees_a_punched_hole_not_a_drawn_ring() -> None:
    im = disc(r=13)
    assert craft.alpha_holes(im)[0] == 0
    punched = im.copy()
    punched[14:19, 14:19] = 0
    value, box = craft.alpha_holes(punched)
    assert value == 20  # four sides of five pixels each
    assert (box.x, box.y, box.w, box.h) == (14, 14, 5, 5)
    # an anti-aliased ring drawn by the artist has no hard rim
    ring = disc(r=13)
    ring[..., 3] = np.minimum(ring[..., 3], 255 - disc(r=5)[..., 3])
    assert craft.alpha_holes(ring)[0] == 0


def _bfs_outside(clear: np.ndarray) -> np.ndarray:
    h, w = clear.shape
    seen = np.zeros_like(clear)
    todo = [(y, x) for y in range(h) for x in range(w) if (y in (0, h - 1) or x in (0, w - 1))]
    while todo:
        y, x = todo.pop()
        if 0 <= y < h and 0 <= x < w and clear[y, x] and not seen[y, x]:
            seen[y, x] = True
            todo += [(y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)]
    return seen


@pytest.mark.parametrize("seed", range(20))
def test_outside_matches_a_breadth_first_flood_fill(seed: int) -> None:
    rng = np.random.default_rng(seed)
    clear = rng.random((int(rng.integers(1, 30)), int(rng.integers(1, 30)))) < rng.uniform(0.3, 0.7)
    assert np.array_equal(craft.outside(clear), _bfs_outside(clear))


def test_a_long_thin_gap_is_hard_on_two_sides_only_not_a_hole() -> None:
    im = np.zeros((40, 40, 4), np.uint8)
    im[4:36, 4:36] = (90, 160, 60, 255)
    im[8:32, 19:21] = 0  # a 2 px gap between two drawn parts, hard-rimmed left and right
    value, _ = craft.alpha_holes(im)
    assert value == 8  # its weakest sides (top and bottom) are 2 pixels
    im[14:20, 8:14] = 0  # a punched 6x6 hole: 6 hard pixels on every side
    assert craft.alpha_holes(im)[0] == 24


def test_a_drawn_net_of_small_holes_counts_its_worst_hole_only() -> None:
    im = np.zeros((40, 60, 4), np.uint8)
    im[4:36, 4:56] = (200, 60, 40, 255)
    for y in range(8, 32, 6):
        for x in range(8, 32, 6):
            im[y : y + 2, x : x + 2] = 0  # 16 holes of 2x2: 8 hard sides each
    assert craft.alpha_holes(im)[0] == 8
    im[20:26, 42:48] = 0  # one punched 6x6 hole besides
    value, box = craft.alpha_holes(im)
    assert value == 24 and (box.x, box.y, box.w, box.h) == (42, 20, 6, 6)


@pytest.mark.parametrize("seed", range(10))
def test_components_match_a_breadth_first_labelling(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mask = rng.random((int(rng.integers(1, 25)), int(rng.integers(1, 25)))) < 0.55
    labels = craft.components(mask)
    assert (labels[~mask] == -1).all()
    for y, x in zip(*np.nonzero(mask)):
        seen = _bfs_outside(np.ones_like(mask)) & False
        todo = [(y, x)]
        while todo:
            cy, cx = todo.pop()
            if (
                0 <= cy < mask.shape[0]
                and 0 <= cx < mask.shape[1]
                and mask[cy, cx]
                and not seen[cy, cx]
            ):
                seen[cy, cx] = True
                todo += [(cy + 1, cx), (cy - 1, cx), (cy, cx + 1), (cy, cx - 1)]
        assert (labels[seen] == labels[y, x]).all() and (labels[mask & ~seen] != labels[y, x]).all()
        assert labels[y, x] == np.flatnonzero(seen.ravel()).min()


@pytest.mark.parametrize("dark", [True, False])
def test_fringe_sign_follows_the_alpha_mix_up(dark: bool) -> None:
    im = disc(colour=(50, 70, 90))
    assert abs(craft.fringe(im)[0]) < 0.1
    a = im[..., 3:4] / 255.0
    rgb = im[..., :3] * a if dark else np.minimum(im[..., :3] / np.maximum(a, 1e-6), 255)
    bad = np.dstack([np.round(rgb), im[..., 3]]).astype(np.uint8)
    value = craft.fringe(bad)[0]
    assert value > 0.3 if dark else value < -0.2


def test_soft_edges_grow_with_blur() -> None:
    crisp = disc(aa=False)
    assert craft.soft_edges(crisp)[0] == 0
    aa = craft.soft_edges(disc())[0]
    p = Image.fromarray(disc(), "RGBA")
    blurred = np.asarray(p.resize((16, 16), Image.BILINEAR).resize((32, 32), Image.BILINEAR))
    assert 0.5 < aa < 1.5 < craft.soft_edges(blurred)[0]


def test_solid_areas_left_nearly_solid_are_soft() -> None:
    """A palette pass through an octree quantiser (Pillow's for RGBA) averages alpha with
    colour and leaves solid areas at alpha 251 to 254: every such pixel counts, and the
    message's count says they are most of what soft counts; an anti-aliased edge's are not."""
    im = disc(colour=(200, 160, 40))
    assert craft.nearly_solid(im)[1] < 0.5
    passed = np.asarray(
        Image.fromarray(im, "RGBA")
        .quantize(16, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.FLOYDSTEINBERG)
        .convert("RGBA")
    )
    n, share = craft.nearly_solid(passed)
    assert share > 0.5 and n == int(((passed[..., 3] > 247) & (passed[..., 3] < 255)).sum())
    assert craft.soft_edges(passed)[0] > 2 * craft.soft_edges(im)[0]
    layer = im.copy()
    layer[..., 3] = np.round(im[..., 3] * 0.99).astype(np.uint8)  # a layer at 99% opacity
    assert craft.nearly_solid(layer)[1] > 0.5
    assert craft.soft_edges(layer)[0] > 2 * craft.soft_edges(im)[0]


def _jpeg(im: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(im[..., :3])).save(buf, "JPEG", quality=quality)
    return np.dstack([np.asarray(Image.open(buf).convert("RGB")), im[..., 3]])


def _painted(seed: int = 0) -> np.ndarray:
    """A disc of painted texture: speckle and ramps, the kind JPEG ringing hides in."""
    rng = np.random.default_rng(seed)
    im = disc(48, 22)
    yy, xx = np.mgrid[0:48, 0:48]
    for c in range(3):
        ramp = 60 + 2 * (xx if c == 0 else yy) + rng.integers(0, 40, (48, 48))
        im[..., c] = np.clip(ramp, 0, 255).astype(np.uint8)
    return im


@pytest.mark.parametrize("quality", [40, 60, 75, 85, 92])
def test_jpeg_quantisation_sees_a_jpeg_at_any_quality_not_painted_texture(quality: int) -> None:
    painted = _painted()
    clean = craft.jpeg_quantisation(painted)[0]
    assert clean < 3  # no lattice: the speckle is drawn, not quantised
    value, box = craft.jpeg_quantisation(_jpeg(painted, quality))
    assert value > 8
    assert box.w >= 8 and box.h >= 8


def test_jpeg_quantisation_is_zero_without_detail_or_visible_pixels() -> None:
    assert craft.jpeg_quantisation(np.zeros((32, 32, 4), np.uint8))[0] == 0
    flat = np.full((32, 32, 4), 200, np.uint8)
    assert craft.jpeg_quantisation(flat)[0] == 0  # flat blocks fit every lattice: no evidence
    assert craft.jpeg_quantisation(np.full((5, 40, 4), 255, np.uint8))[0] == 0  # under a block


def test_jpeg_quantisation_examines_a_bounded_number_of_blocks() -> None:
    big = np.tile(_jpeg(_painted(), 70), (6, 6, 1))  # 288x288: 1296 blocks
    value, _ = craft.jpeg_quantisation(big)
    assert value > 8


def test_colour_poverty_rises_after_a_palette_pass() -> None:
    im = disc(48, 20)
    im[..., 1] = np.arange(48, dtype=np.uint8)[:, None] * 5
    im[im[..., 3] == 0, :3] = 0
    quantised = np.asarray(Image.fromarray(im, "RGBA").quantize(4).convert("RGBA"))
    assert craft.colour_poverty(quantised)[0] > craft.colour_poverty(im)[0] + 1.0


def test_dark_outline_is_the_share_of_the_silhouette_drawn_in_near_black() -> None:
    """A coloured disc has no dark outline; the same disc inked with a black ring (as
    OpenMoji draws) has one all round; a dark object is its own outline."""
    im = disc(r=12, aa=False)
    assert craft.dark_outline(im)[0] == 0.0
    inked = im.copy()
    ring = (im[..., 3] == 255) & (disc(r=10, aa=False)[..., 3] == 0)
    inked[ring] = (10, 10, 10, 255)
    value, box = craft.dark_outline(inked)
    assert value == 1.0
    assert box.w == box.h == 24  # the silhouette's outline, all round (r = 12)
    half = im.copy()
    half[ring & (np.arange(32)[None, :] < 16)] = (10, 10, 10, 255)  # the left half inked
    assert 0.4 < craft.dark_outline(half)[0] < 0.6
    assert craft.dark_outline(np.zeros((16, 16, 4), np.uint8))[0] == 0.0


def test_dark_outline_is_the_same_computed_in_row_bands() -> None:
    rng = np.random.default_rng(9)
    im = rng.integers(0, 256, (900, 700, 4), dtype=np.uint8)
    m = craft._outline_map(im)
    assert craft.dark_outline(im)[0] == np.count_nonzero(m == 2) / np.count_nonzero(m)


def test_cut_edge_is_the_gap_opposite_the_edge_content_runs_into() -> None:
    im = disc()
    assert craft.cut_edge(im)[0] == 0  # a margin all round
    shifted = np.zeros_like(im)
    shifted[:, 10:] = im[:, :-10]  # pushed right, off the right edge
    left_margin = int(np.argmax((shifted[..., 3] >= 128).any(axis=0)))
    value, box = craft.cut_edge(shifted)
    assert value == left_margin > 0 and (box.x, box.y, box.w, box.h) == (31, 0, 1, 32)
    up = np.zeros_like(im)
    up[:-10] = im[10:]  # pushed up, off the top edge
    bottom_margin = int(np.argmax((up[::-1, :, 3] >= 128).any(axis=1)))
    value, box = craft.cut_edge(up)
    assert value == bottom_margin > 0 and (box.x, box.y, box.w, box.h) == (0, 0, 32, 1)


def test_cut_edge_is_zero_for_art_that_fills_its_frame() -> None:
    tile = np.full((16, 16, 4), 200, np.uint8)
    tile[..., 3] = 255
    assert craft.cut_edge(tile)[0] == 0  # touches all four edges: nothing is cut
    bar = np.zeros((16, 16, 4), np.uint8)
    bar[6:10, :, 3] = 255  # runs into both the left and the right edge
    assert craft.cut_edge(bar)[0] == 0
    assert craft.cut_edge(np.zeros((16, 16, 4), np.uint8))[0] == 0


def test_colour_keys_are_exact() -> None:
    px = np.array([[1, 2, 3], [1, 2, 4], [1, 2, 3]], np.uint8)
    k = craft.colour_keys(px)
    assert k[0] == k[2] != k[1]


@pytest.mark.parametrize("name", list(craft.CRAFT_FUNCTIONS))
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (3, 2), (17, 9)])
def test_every_signal_handles_tiny_and_empty_sprites(name: str, shape: tuple[int, int]) -> None:
    for fill in (0, 255):
        im = np.full((*shape, 4), fill, np.uint8)
        value, box = craft.CRAFT_FUNCTIONS[name](im)
        assert np.isfinite(value)
        assert 0 <= box.x < shape[1] and 0 <= box.y < shape[0]


def test_craft_functions_follow_the_signal_order() -> None:
    from sprite_lint.signals import CRAFT_SIGNALS

    assert tuple(craft.CRAFT_FUNCTIONS) == CRAFT_SIGNALS


def test_solid_pixels_and_distinct_match_numpy_indexing_and_unique() -> None:
    """The fast gathers give exactly what a boolean index and ``np.unique`` give."""
    rng = np.random.default_rng(7)
    for shape in [(1, 1), (3, 17), (64, 64), (0, 5)]:
        im = rng.integers(0, 256, (*shape, 4), dtype=np.uint8)
        im[..., 3] = np.where(rng.random(shape) < 0.5, 255, im[..., 3])
        rgb, keys = craft.solid_pixels(im)
        want = im[im[..., 3] == 255][:, :3]
        assert np.array_equal(rgb, want)
        assert np.array_equal(keys, craft.colour_keys(want))
        all_keys = craft.colour_keys(im.reshape(-1, 4))
        assert np.array_equal(craft._distinct(all_keys), np.unique(all_keys))


def test_between_blocks_is_the_cumulative_or_both_ways() -> None:
    """The bounds form gives exactly the cumulative OR along each axis, both directions."""
    rng = np.random.default_rng(11)
    for _ in range(300):
        h, w = rng.integers(1, 30, 2)
        block = rng.random((h, w)) < rng.random() * 0.4
        want = np.ones((h, w), dtype=bool)
        for axis in (0, 1):
            want &= np.logical_or.accumulate(block, axis=axis)
            want &= np.flip(np.logical_or.accumulate(np.flip(block, axis), axis=axis), axis)
        assert np.array_equal(craft._between_blocks(block), want)
