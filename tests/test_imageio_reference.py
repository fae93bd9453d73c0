"""decode_png against an independent decoder (pypng): every colour type, depth, tRNS, interlace.

pypng shares no code with Pillow or libpng, so an agreement here is evidence, not an echo.
Its ``asRGBA`` keeps the source bit depth; the comparison scales to 8 bits. Visible RGBA
must agree: alpha everywhere, colour where alpha > 0; 16-bit sources within one level.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from sprite_lint.imageio import decode_png, decode_png_with_warnings

png = pytest.importorskip("png", reason="pypng is the reference decoder: pip install -e '.[dev]'")

# (colour type name, planes, legal bit depths, tRNS possible)
KINDS = {
    "grey": (1, (1, 2, 4, 8, 16), True),
    "grey+alpha": (2, (8, 16), False),
    "rgb": (3, (8, 16), True),
    "rgba": (4, (8, 16), False),
    "palette": (1, (1, 2, 4, 8), True),
}
SIZES = [(1, 1), (1, 7), (7, 1), (13, 5)]  # 1x1, 1xN, Nx1, a width not a multiple of 8
MATRIX = [
    pytest.param(kind, depth, trns, interlace, id=f"{kind}-{depth}bit-{tag}-{il}")
    for kind, (_, depths, can_trns) in KINDS.items()
    for depth in depths
    for trns, tag in ((False, "plain"), (True, "tRNS"))
    if can_trns or not trns
    for interlace, il in ((False, "flat"), (True, "adam7"))
]


def _write(kind: str, depth: int, trns: bool, interlace: bool, w: int, h: int, seed: int) -> bytes:
    """A pypng-written PNG of random pixels; with tRNS, the key colour is used and near-missed."""
    planes = KINDS[kind][0]
    top = (1 << depth) - 1
    rng = np.random.default_rng(seed)
    options: dict[str, object] = {"bitdepth": depth, "interlace": interlace}
    if kind == "palette":
        entries = int(rng.integers(1, top + 2))
        colours = rng.integers(0, 256, (entries, 3)).tolist()
        # pypng writes tRNS for the leading entries that carry an alpha
        translucent = int(rng.integers(1, entries + 1)) if trns else 0
        alphas = rng.integers(0, 256, translucent).tolist()
        if translucent:
            alphas[0] = 0  # one fully transparent entry, whose colour must not matter
        options["palette"] = [
            tuple(c) + ((alphas[i],) if i < translucent else ()) for i, c in enumerate(colours)
        ]
        pixels = rng.integers(0, entries, (h, w))
    else:
        options["greyscale"] = kind in ("grey", "grey+alpha")
        options["alpha"] = kind in ("grey+alpha", "rgba")
        pixels = rng.integers(0, top + 1, (h, w * planes))
        if trns:
            key = pixels[0, :planes].copy()
            options["transparent"] = int(key[0]) if planes == 1 else tuple(int(v) for v in key)
            if w * h > 1:  # the key again, and a colour one level off it (the low byte at 16)
                row, col = divmod(1, w)
                pixels[row, col * planes : (col + 1) * planes] = key
                near = key.copy()
                near[0] = near[0] + 1 if near[0] < top else near[0] - 1
                row, col = divmod(w * h - 1, w)
                pixels[row, col * planes : (col + 1) * planes] = near
    buf = io.BytesIO()
    png.Writer(w, h, **options).write(buf, pixels.tolist())
    return buf.getvalue()


def _reference(data: bytes) -> tuple[np.ndarray, int]:
    """pypng's own decoding as ``(H, W, 4)`` int RGBA at the source bit depth, and that depth."""
    w, h, rows, info = png.Reader(bytes=data).asRGBA()
    return np.array([list(r) for r in rows], dtype=np.int64).reshape(h, w, 4), info["bitdepth"]


def _assert_same_visible(ours: np.ndarray, ref: np.ndarray, depth: int) -> None:
    assert ours.dtype == np.uint8 and ours.shape == ref.shape
    got = ours.astype(np.int64)
    if depth == 16:
        want = (ref * 255 + 32767) // 65535  # exact rounding; libpng's may differ by one
        tolerance = 1
        np.testing.assert_array_equal(got[..., 3] == 0, ref[..., 3] == 0)
    else:
        want = ref * 255 // ((1 << depth) - 1)  # 1, 2, 4 bits: exact multiples of 255
        tolerance = 0
    assert np.abs(got[..., 3] - want[..., 3]).max() <= tolerance, "alpha differs"
    seen = want[..., 3] > 0
    assert np.abs(got[..., :3] - want[..., :3])[seen].max(initial=0) <= tolerance, "colour differs"


@pytest.mark.parametrize(("kind", "depth", "trns", "interlace"), MATRIX)
@pytest.mark.parametrize(("w", "h"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_decode_matches_pypng(
    kind: str, depth: int, trns: bool, interlace: bool, w: int, h: int
) -> None:
    data = _write(kind, depth, trns, interlace, w, h, seed=w * 100 + h + depth)
    ref, ref_depth = _reference(data)
    ours, warnings = decode_png_with_warnings(data, "ref.png")
    assert warnings == ()
    _assert_same_visible(ours, ref, ref_depth)
    if trns and kind != "palette":
        assert ours[0, 0, 3] == 0  # the key colour is transparent...
        if w * h > 1:
            assert ours[-1, -1, 3] == 255  # ...and a colour one level off it is not


def test_the_matrix_covers_every_legal_combination() -> None:
    # 5 grey depths x 2 + 4 alpha kinds x 1 + 2 RGB depths x 2 + 4 palette depths x 2, x 2
    assert len(MATRIX) == (5 * 2 + 2 + 2 + 2 * 2 + 4 * 2) * 2 == 52


def _sprite(seed: int = 5) -> np.ndarray:
    """A 19x11 RGBA sprite of 6 colours, some translucent, with a transparent border."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 256, (6, 4), dtype=np.uint8)
    colours[0] = (0, 0, 0, 0)
    colours[1, 3] = 255
    idx = rng.integers(1, 6, (11, 19))
    idx[0], idx[-1], idx[:, 0], idx[:, -1] = 0, 0, 0, 0
    return colours[idx]


def _reencode(rgba: np.ndarray, how: str) -> bytes:
    """``rgba`` written losslessly another way, as optimisers and exporters do."""
    h, w = rgba.shape[:2]
    buf = io.BytesIO()
    if how in ("rgba8", "rgba8-adam7"):
        png.Writer(w, h, greyscale=False, alpha=True, interlace=how.endswith("adam7")).write(
            buf, rgba.reshape(h, -1).tolist()
        )
    elif how == "rgba16":  # v * 257 is the exact 16-bit form of an 8-bit level
        png.Writer(w, h, greyscale=False, alpha=True, bitdepth=16).write(
            buf, (rgba.astype(np.int64) * 257).reshape(h, -1).tolist()
        )
    elif how in ("palette", "palette-adam7"):
        colours, idx = np.unique(rgba.reshape(-1, 4), axis=0, return_inverse=True)
        order = np.argsort(colours[:, 3] == 255, kind="stable")  # translucent entries first
        colours, idx = colours[order], np.argsort(order)[idx.ravel()]
        palette = [tuple(c[:3]) + ((c[3],) if c[3] < 255 else ()) for c in colours.tolist()]
        png.Writer(w, h, palette=palette, bitdepth=4, interlace=how.endswith("adam7")).write(
            buf, idx.reshape(h, w).tolist()
        )
    elif how == "rgba8-metadata":  # ancillary chunks an exporter adds
        plain = _reencode(rgba, "rgba8")
        reader = png.Reader(bytes=plain)
        chunks = list(reader.chunks())
        extra = [
            (b"gAMA", (45455).to_bytes(4, "big")),
            (b"pHYs", bytes(9)),
            (b"tEXt", b"Software\x00sprite exporter"),
        ]
        png.write_chunks(buf, chunks[:1] + extra + chunks[1:])
    return buf.getvalue()


@pytest.mark.parametrize(
    "how", ["rgba16", "rgba8-adam7", "palette", "palette-adam7", "rgba8-metadata"]
)
def test_lossless_reencodings_decode_to_the_same_pixels(how: str) -> None:
    sprite = _sprite()
    base = decode_png(_reencode(sprite, "rgba8"))
    np.testing.assert_array_equal(base, sprite)
    np.testing.assert_array_equal(decode_png(_reencode(sprite, how)), base)
