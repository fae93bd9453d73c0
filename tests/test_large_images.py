"""Bounded cost on large images (issue #10): the craft signals, colour maps and style
profile work in row bands and the network in tiles, so a 4096x4096 sheet is checked in
bounded memory; and none of it changes a score.

``scores_before.json`` holds every raw signal of ``representative()`` sprites as scored by
the code before banding (commit d49c415) against the ``tiny_baseline`` recipe; rewrite it
only on purpose: ``python tests/test_large_images.py --record``.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
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
