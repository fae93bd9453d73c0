"""Property-based hardening of the loader: any bytes give an image or an ImageError."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from sprite_lint.errors import ImageError
from sprite_lint.imageio import PNG_SIGNATURE, decode_png

LIMIT = 64 * 64
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decode_or_error(data: bytes) -> None:
    try:
        out = decode_png(data, "fuzz.png", max_pixels=LIMIT)
    except ImageError as exc:
        assert str(exc).startswith("fuzz.png: ")
        return
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 4
    assert out.shape[0] * out.shape[1] <= LIMIT


@FAST
@given(st.binary(max_size=512))
def test_random_bytes(data: bytes) -> None:
    _decode_or_error(data)


@FAST
@given(st.binary(max_size=512))
def test_random_bytes_after_a_png_signature(data: bytes) -> None:
    _decode_or_error(PNG_SIGNATURE + data)


MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]


@st.composite
def valid_pngs(draw: st.DrawFn) -> bytes:
    mode = draw(st.sampled_from(MODES))
    w, h = draw(st.integers(1, 64)), draw(st.integers(1, 64))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if mode == "I;16":
        img = Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16))
    elif mode == "P":
        img = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8), "L").convert("P")
    else:
        bands = {"1": 1, "L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
        arr = rng.integers(0, 256, (h, w, bands), dtype=np.uint8)
        img = Image.fromarray(arr[..., 0] if bands == 1 else arr, "L" if bands == 1 else mode)
        if mode == "1":
            img = img.convert("1")
    buf = io.BytesIO()
    img.save(buf, format="PNG", interlace=draw(st.booleans()) and mode != "I;16")
    return buf.getvalue()


@FAST
@given(valid_pngs())
def test_valid_pngs_of_every_mode_decode(data: bytes) -> None:
    out = decode_png(data, "ok.png", max_pixels=LIMIT)
    img = Image.open(io.BytesIO(data))
    assert out.shape == (img.height, img.width, 4)


@FAST
@given(valid_pngs(), st.integers(0, 10_000), st.integers(0, 255))
def test_one_flipped_byte_never_crashes(data: bytes, pos: int, value: int) -> None:
    b = bytearray(data)
    b[pos % len(b)] = value
    _decode_or_error(bytes(b))


@FAST
@given(valid_pngs(), st.floats(0, 1))
def test_truncation_anywhere_never_crashes(data: bytes, frac: float) -> None:
    _decode_or_error(data[: int(len(data) * frac)])


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_unknown_ancillary_chunks_are_ignored() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (3, 3), (1, 2, 3, 255)).save(buf, format="PNG")
    raw = buf.getvalue()
    # insert a private ancillary chunk right after IHDR (8 + 25 bytes)
    data = raw[:33] + _chunk(b"prVt", b"hello") + raw[33:]
    assert decode_png(data)[0, 0].tolist() == [1, 2, 3, 255]


def test_animated_png_uses_the_first_frame() -> None:
    frames = [Image.new("RGBA", (4, 4), c) for c in [(255, 0, 0, 255), (0, 0, 255, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, format="PNG", save_all=True, append_images=frames[1:])
    out = decode_png(buf.getvalue())
    assert out[0, 0].tolist() == [255, 0, 0, 255]


def test_huge_dimensions_in_the_header_are_refused_without_allocating() -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    data = (
        PNG_SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b""))
        + _chunk(b"IEND", b"")
    )
    try:
        decode_png(data, "bomb.png")
    except ImageError as exc:
        assert "limit of" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a 10-gigapixel header was accepted")
