"""The approved palette's two signals: new colours (``palette``) and the approved palette
moved as a whole (``palette_shift``: red and blue swapped, or a gamma mismatch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sprite_lint.craft import colour_keys, row_bands
from sprite_lint.palette import approved_palette, palette_signals
from sprite_lint.scoring import Region
from sprite_lint.signals import describe
from sprite_lint.synth import make_family


def _sprite(rng: np.random.Generator, colours: np.ndarray, size: int = 32) -> np.ndarray:
    """A square of random blocks of ``colours`` (N, 3) on a transparent frame."""
    im = np.zeros((size, size, 4), np.uint8)
    idx = rng.integers(0, len(colours), (size // 4, size // 4)).repeat(4, 0).repeat(4, 1)
    im[..., :3] = colours[idx]
    im[..., 3] = 255
    im[:2], im[-2:], im[:, :2], im[:, -2:] = 0, 0, 0, 0
    return im


def _bgr(im: np.ndarray) -> np.ndarray:
    return im[..., [2, 1, 0, 3]].copy()


def _gamma_18(im: np.ndarray) -> np.ndarray:
    """Art made for gamma 2.2 written as gamma 1.8, computed in float as an editor does."""
    rgb = 255 * (im[..., :3] / 255.0) ** (2.2 / 1.8)
    return np.dstack([np.round(rgb), im[..., 3]]).astype(np.uint8)


@pytest.fixture
def approved() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    colours = rng.integers(40, 250, (24, 3)).astype(np.uint8)  # a set's fixed palette
    return [_sprite(np.random.default_rng(i), colours) for i in range(8)]


def test_the_palette_is_the_solid_pixels_exact_colours() -> None:
    im = np.zeros((2, 2, 4), np.uint8)
    im[0, 0] = (10, 20, 30, 255)
    im[0, 1] = (40, 50, 60, 254)  # semi-transparent: not a palette colour
    im[1, 0] = (10, 20, 30, 255)
    palette = approved_palette([im])
    assert palette.tolist() == colour_keys(np.array([[10, 20, 30]], np.uint8)).tolist()


def test_an_approved_sprite_has_no_new_colour_and_no_shift(approved: list[np.ndarray]) -> None:
    palette = approved_palette(approved)
    assert palette_signals(palette, approved[3]) == (0.0, 0.0, "")


def test_new_colours_count_but_are_no_shift(approved: list[np.ndarray]) -> None:
    palette = approved_palette(approved)
    rng = np.random.default_rng(9)
    new = _sprite(rng, rng.integers(0, 256, (24, 3)).astype(np.uint8))
    unseen, shift, name = palette_signals(palette, new)
    assert unseen > 0.95
    assert shift < 0.05


@pytest.mark.parametrize(("defect", "name"), [(_bgr, "bgr"), (_gamma_18, "gamma")])
def test_a_moved_palette_is_named_by_the_move(
    approved: list[np.ndarray], defect: object, name: str
) -> None:
    palette = approved_palette(approved)
    unseen, shift, found = palette_signals(palette, defect(approved[0]))  # type: ignore[operator]
    assert found == name
    assert unseen > 0.9
    # the gamma round trip is exact for 93% of 8-bit levels (dark ones collide)
    assert shift > 0.85


def test_grey_art_is_unmoved_by_a_channel_swap() -> None:
    grey = np.array([[g, g, g] for g in range(0, 250, 10)], np.uint8)
    sprites = [_sprite(np.random.default_rng(i), grey) for i in range(4)]
    palette = approved_palette(sprites)
    assert palette_signals(palette, _bgr(sprites[1])) == (0.0, 0.0, "")


def test_empty_palette_or_no_solid_pixels_is_zero(approved: list[np.ndarray]) -> None:
    assert palette_signals(np.zeros(0, np.uint32), approved[0]) == (0.0, 0.0, "")
    clear = np.zeros((8, 8, 4), np.uint8)
    assert palette_signals(approved_palette(approved), clear) == (0.0, 0.0, "")


def test_a_sheet_in_row_bands_gives_the_whole_image_s_shares(approved: list[np.ndarray]) -> None:
    """A sheet tall enough to be read in several row bands: the same shares as counting
    every pixel at once."""
    palette = approved_palette(approved)
    a = approved[0]
    sheet = np.concatenate([np.concatenate([_bgr(a)] * 6 + [a] * 2, axis=1)] * 40)  # 1280x256
    assert len(row_bands(*sheet.shape[:2])) > 1
    unseen, shift, name = palette_signals(palette, sheet)
    keys = colour_keys(sheet[sheet[..., 3] == 255][:, :3])
    known = np.isin(keys, palette)
    swapped = ((keys & 0xFF) << 16) | (keys & 0xFF00) | ((keys >> 16) & 0xFF)
    assert unseen == pytest.approx(1 - known.mean(), abs=1e-12)
    assert name == "bgr"
    assert shift == pytest.approx(np.isin(swapped, palette).mean() - known.mean(), abs=1e-12)


def test_a_grey_is_never_a_wrong_gamma() -> None:
    """Greys whose gamma-corrected values happen to be approved greys (a set with many
    greys matched greyscale copies as "gamma"): a grey stays a grey under either move,
    so greys are left out of them."""
    levels = np.arange(40, 240, 8)
    undone = np.round(255 * (levels / 255) ** (1.8 / 2.2)).astype(np.uint8)
    keep = ~np.isin(levels, undone)  # greys whose corrected value is another grey
    levels, undone = levels[keep], undone[keep]
    assert levels.size > 10
    approved_greys = np.repeat(undone[:, None], 3, axis=1)
    sprites = [_sprite(np.random.default_rng(i), approved_greys) for i in range(4)]
    palette = approved_palette(sprites)
    greys = _sprite(
        np.random.default_rng(7), np.repeat(levels[:, None], 3, axis=1).astype(np.uint8)
    )
    assert palette_signals(palette, greys) == (1.0, 0.0, "")
    # ...while colours moved by the same gamma still are one
    rng = np.random.default_rng(2)
    colours = rng.integers(40, 250, (24, 3)).astype(np.uint8)
    coloured = [_sprite(np.random.default_rng(i), colours) for i in range(4)]
    assert palette_signals(approved_palette(coloured), _gamma_18(coloured[0]))[2] == "gamma"


def test_a_palette_of_gamma_shades_is_not_a_move() -> None:
    """A dense palette holds colours and their gamma shades (JoyPixels' keycaps failed as
    "gamma" against 200 approved emoji): a sprite half in approved mid shades, half in
    darker ones, gains half its pixels once "corrected", but its mid shades were approved
    both ways, which a sprite moved as a whole could not be."""
    fwd = np.round(255 * (np.arange(256) / 255) ** (2.2 / 1.8)).astype(np.int64)
    undo = np.round(255 * (np.arange(256) / 255) ** (1.8 / 2.2)).astype(np.int64)
    exact = [x for x in range(60, 250) if undo[fwd[x]] == x and undo[fwd[fwd[x]]] == fwd[x]]
    rng = np.random.default_rng(4)
    light = np.array([rng.choice(exact, 3) for _ in range(12)])
    mid, dark = fwd[light], fwd[fwd[light]]
    approved = [
        _sprite(np.random.default_rng(i), np.concatenate([light, mid]).astype(np.uint8))
        for i in range(6)
    ]
    palette = approved_palette(approved)
    sprite = _sprite(np.random.default_rng(9), mid.astype(np.uint8))  # top half: mid shades
    sprite[16:] = _sprite(np.random.default_rng(8), dark.astype(np.uint8))[16:]  # bottom: dark
    unseen, shift, _ = palette_signals(palette, sprite)
    assert unseen == 0.5  # the mid shades are approved as they are
    assert shift == 0.0  # half gained, half approved both ways


def test_messages_name_the_move_in_the_artist_s_words() -> None:
    """The message gives the share of approved colours before and after the move is
    undone, not the gain alone (which reads as "the rest is still wrong")."""
    where = Region(0, 0, 32, 32)
    bgr = describe("palette_shift", 0.3, where, shift="bgr", unseen=0.3)
    assert "red and blue swapped" in bgr
    assert "70% of the solid pixels are approved colours as they are, 100% once swapped back" in bgr
    gamma = describe("palette_shift", 0.6, where, shift="gamma", unseen=0.9)
    assert (
        "colour profile" in gamma and "10% of the solid" in gamma and "70% once corrected" in gamma
    )
    assert "60% more of the solid pixels" in describe("palette_shift", 0.6, where, shift="bgr")


def test_check_names_swapped_channels(tiny_baseline: Path) -> None:
    """End to end on a real baseline: an approved sprite with red and blue swapped fails,
    and the message says so."""
    from sprite_lint.baseline import load_baseline
    from sprite_lint.check import Detector

    detector = Detector(load_baseline(tiny_baseline))
    sprite = make_family("creatures", 24, seed=3)[5]  # one of the approved
    assert detector.judge("ok.png", sprite).status == "pass"
    result = detector.judge("bgr.png", _bgr(sprite))
    assert result.status == "fail"
    assert result.driver == "palette_shift"
    assert "red and blue swapped" in result.message
