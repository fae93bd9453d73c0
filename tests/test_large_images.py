"""Bounded cost on large images (issue #10): the craft signals, colour maps and style
profile work in row bands and the network in tiles, so a 4096x4096 sheet is checked in
bounded memory; and none of it changes a score.

``scores_before.json`` holds every raw signal of ``representative()`` sprites as scored
against the ``tiny_baseline`` recipe: first by the code before banding (commit d49c415),
to prove banding changed nothing; re-recorded when the JPEG signal's tables changed on
purpose, when the style profile stopped weighing features approved art never varies, and
when the halo signal joined and `outline` took `off_centre`'s place, and when `cut`
became the gap opposite the edge content runs into, and when `palette_shift` took
`colour_px`'s place, when `soft` counted alpha up to 254, and when `cut` stopped
counting lone pixels as content (every other signal unchanged, checked by name).
Rewrite it only on purpose: ``python tests/test_large_images.py --record``.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sprite_lint.synth import FAMILIES, applicable_defects, inject, make_family

RECORD = Path(__file__).parent / "assets" / "scores_before.json"


def _big(rng: np.random.Generator, side: int) -> np.ndarray:
    """A ``side`` x ``side`` sheet of upscaled family sprites, with marks in it: a punched
    hole, stray pixels, noise on one sprite and a soft, semi-transparent one."""
    out = np.zeros((side, side, 4), np.uint8)
    k = 0
    for y in range(0, side - 40, 44):
        for x in range(0, side - 40, 44):
            fam = FAMILIES[k % len(FAMILIES)]
            im = make_family(fam, 1, seed=100 + k)[0]
            im = np.array(Image.fromarray(im, "RGBA").resize((40, 40), Image.NEAREST))
            if k % 5 == 3:
                im = inject(im, "blur", rng)
            if k % 7 == 2:
                im = inject(im, "noise", rng)
            out[y : y + 40, x : x + 40] = im
            k += 1
    out[20:26, 20:26] = 0
    out[side - 3, 5] = (250, 10, 10, 255)
    return out


def representative() -> list[tuple[str, np.ndarray]]:
    """Sprites of the sizes a sprite-lint user checks (every family, every defect, odd
    sizes, 256 and 512 px sheets that go through the tiled network), deterministic."""
    rng = np.random.default_rng(2024)
    out: list[tuple[str, np.ndarray]] = []
    for fam in FAMILIES:
        normals = make_family(fam, 2, seed=77)
        out += [(f"{fam}-{i}", im) for i, im in enumerate(normals)]
        for d in applicable_defects(fam):
            out.append((f"{fam}-{d}", inject(normals[0], d, rng, fam)))
    gem = make_family("gems", 1, seed=5)[0]
    big = np.array(Image.fromarray(gem, "RGBA").resize((64, 64), Image.BICUBIC))
    buf = io.BytesIO()
    Image.fromarray(big[..., :3], "RGB").save(buf, format="JPEG", quality=60)
    jpeg = big.copy()
    jpeg[..., :3] = np.array(Image.open(buf).convert("RGB"))
    out += [("gem-64", big), ("gem-64-jpeg", jpeg)]
    for h, w in ((1, 1), (2, 9), (3, 300), (37, 100), (100, 37)):
        out.append((f"odd-{h}x{w}", rng.integers(0, 256, (h, w, 4), dtype=np.uint8)))
    out += [("sheet-256", _big(rng, 256)), ("sheet-512", _big(rng, 512))]
    return out


def raw_signals(baseline: Path) -> dict[str, object]:
    """Every raw signal, region and the embedding of each representative sprite, exactly
    (floats as hex), with the model's sha256 they were scored by."""
    from sprite_lint.baseline import load_baseline

    b = load_baseline(baseline)
    scorer = b.scorer()
    sprites = representative()
    raws = scorer.score_many([im for _, im in sprites])
    return {
        "model_sha256": b.manifest["files"]["model.onnx"],
        "sprites": {
            name: {
                "signals": [float(v).hex() for v in raw.as_vector()],
                "regions": {k: list(r.to_dict().values()) for k, r in sorted(raw.regions.items())},
                "embedding": [float(v).hex() for v in raw.embedding],
            }
            for (name, _), raw in zip(sprites, raws)
        },
    }


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import calibrated_family

    with tempfile.TemporaryDirectory() as tmp:
        baseline = calibrated_family(Path(tmp), 24, seed=3, epochs=2)  # as tiny_baseline
        RECORD.write_text(json.dumps(raw_signals(baseline), indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORD}")


MODEL_SIGNALS = ("recon", "kde", "recon_px")  # what a model trained elsewhere changes


def test_representative_scores_are_unchanged(tiny_baseline: Path) -> None:
    """Bit-identical to the recorded scores where the model is the recorded one (the
    same machine kind); elsewhere the model's own signals are left out."""
    from sprite_lint.signals import SIGNALS

    before = json.loads(RECORD.read_text())
    now = raw_signals(tiny_baseline)
    same_model = now["model_sha256"] == before["model_sha256"]
    assert now["sprites"].keys() == before["sprites"].keys()
    for name, was in before["sprites"].items():
        got = now["sprites"][name]
        for signal, a, b in zip(SIGNALS, was["signals"], got["signals"]):
            if same_model or signal not in MODEL_SIGNALS:
                assert a == b, (name, signal, float.fromhex(a), float.fromhex(b))
        if same_model:
            assert got == was, name


def test_row_bands_give_the_same_scores_as_one_band(
    tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every signal, measured in bands of a few rows (each band's halo of context at
    work), equals the whole-sprite measure exactly: a sheet is judged as a sprite is."""
    from sprite_lint import craft
    from sprite_lint.baseline import load_baseline

    scorer = load_baseline(tiny_baseline).scorer()
    sprites = [im for name, im in representative() if not name.startswith("odd-1x")]
    whole = scorer.score_many(sprites)
    monkeypatch.setattr(craft, "BAND_PIXELS", 200)  # 1 to 100 rows a band
    banded = scorer.score_many(sprites)
    for a, b in zip(whole, banded):
        assert np.array_equal(a.as_vector(), b.as_vector())
        assert a.regions == b.regions


def test_a_sheet_through_the_network_tile_by_tile_matches_one_input(tiny_baseline: Path) -> None:
    """``network_maps`` premultiplies each tile from the sprite and keeps its residual
    only: the same residual and latent grid as the whole premultiplied input through
    ``run_network``; a repeated tile is run once."""
    from sprite_lint.baseline import load_baseline
    from sprite_lint.imageio import premultiply
    from sprite_lint.scoring import _residual, pad_to_cells

    scorer = load_baseline(tiny_baseline).scorer()
    rgba = np.tile(_big(np.random.default_rng(1), 256), (5, 5, 1))[:1100, :1030]
    rgba[:900] = 0  # 2 x 4 empty tiles of two shapes: each shape run once
    x = pad_to_cells(premultiply(rgba))
    recon, z = scorer.run_network(x)
    residual, shown = _residual(rgba, x, recon, True)
    calls = []
    run = scorer.session.run
    scorer.session = type("S", (), {"run": lambda _, *a: calls.append(1) or run(*a)})()
    got_residual, got_z, got_shown = scorer.network_maps(rgba, keep_recon=True)
    assert np.array_equal(got_residual, residual) and np.array_equal(got_z, z)
    assert np.array_equal(got_shown, shown)
    assert len(calls) <= 5 * 5 + 1 - 6  # 5 x 5 tiles and the arena release, less repeats


def test_flood_fill_and_labels_on_a_winding_maze() -> None:
    """A spiral corridor: the run graph's union finds what a breadth-first fill finds."""
    from sprite_lint import craft

    n = 61
    wall = np.zeros((n, n), bool)
    for k in range(0, n // 2, 2):  # concentric square walls, each with one gap
        wall[k, k : n - k] = wall[n - 1 - k, k : n - k] = True
        wall[k : n - k, k] = wall[k : n - k, n - 1 - k] = True
        wall[k + 1, k] = False if k else wall[k + 1, k]
        wall[n - 2 - k, n - 1 - k] = False
    clear = ~wall
    seen = np.zeros_like(clear)
    todo = [(y, x) for y in range(n) for x in range(n) if y in (0, n - 1) or x in (0, n - 1)]
    while todo:
        y, x = todo.pop()
        if 0 <= y < n and 0 <= x < n and clear[y, x] and not seen[y, x]:
            seen[y, x] = True
            todo += [(y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)]
    assert np.array_equal(craft.outside(clear), seen)
    labels = craft.components(clear)
    inner = clear & ~seen
    if inner.any():
        assert len(np.unique(labels[inner])) >= 1 and (labels[seen] != labels[inner][0]).all()
