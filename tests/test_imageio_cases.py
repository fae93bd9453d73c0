"""The shared reproducing PNGs, and each KIND of fault they stand for, built here byte by byte.

``../shared/cases`` (beside the clone) holds small files game teams ran into; each has an
expectation below. Every kind of fault is also built programmatically, so the kind is
tested, not only the file: CRC damage per chunk, short or damaged pixel data, a missing
end marker, chunk order, a missing palette, harmless metadata damage, other formats
named .png, Apple's CgBI, animated PNG.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from sprite_lint.errors import ImageError
from sprite_lint.imageio import PNG_SIGNATURE, decode_png, decode_png_with_warnings, load_png

CASES = Path(__file__).resolve().parents[2] / "shared" / "cases"

# ---------------------------------------------------------------- the shared case files

MUST_REFUSE = {
    "idat_crc_error.png": "pixel data (IDAT chunk) fails its checksum",
    "palette_without_plte.png": "without its palette",
    "image_data_short.png": "fewer than the 4,128",
    "iccp_after_idat.png": "colour profile (iCCP chunk) comes after the pixel data",
}
MUST_SCORE = {  # file -> (shape, a fragment of its one warning, or None for a clean file)
    "iccp_crc_error.png": ((32, 32, 4), "colour profile (iCCP chunk) is damaged"),
    "large_compressed_xmp_chunk.png": ((32, 32, 4), None),
    "transparent_4096x4096.png": ((4096, 4096, 4), None),
}
DECODE_SAME = {"silhouette_grey2bit_trns.png": "silhouette_original.png"}


def _case(relative: str) -> bytes:
    path = CASES / relative
    if not CASES.is_dir():
        pytest.skip(f"shared cases not found at {CASES} (they live beside the clone)")
    return path.read_bytes()


def _same_visible(a: np.ndarray, b: np.ndarray) -> None:
    """Same alpha everywhere, same colour where alpha > 0: what an engine shows."""
    assert a.shape == b.shape
    np.testing.assert_array_equal(a[..., 3], b[..., 3])
    seen = a[..., 3] > 0
    np.testing.assert_array_equal(a[..., :3][seen], b[..., :3][seen])


def test_every_shared_case_file_has_an_expectation() -> None:
    if not CASES.is_dir():
        pytest.skip(f"shared cases not found at {CASES} (they live beside the clone)")
    on_disk = {str(p.relative_to(CASES)) for p in CASES.rglob("*.png")}
    expected = (
        {f"must_refuse/{n}" for n in MUST_REFUSE}
        | {f"must_score/{n}" for n in MUST_SCORE}
        | {f"decode_same/{n}" for n in DECODE_SAME}
        | {f"decode_same/{n}" for n in DECODE_SAME.values()}
    )
    assert on_disk == expected


@pytest.mark.parametrize(("variant", "original"), DECODE_SAME.items())
def test_decode_same_case_shows_the_original_pixels(variant: str, original: str) -> None:
    ours = decode_png(_case(f"decode_same/{variant}"), variant)
    want = decode_png(_case(f"decode_same/{original}"), original)
    assert (ours[..., 3] == 0).any() and (ours[..., 3] == 255).any()  # transparent, not opaque
    _same_visible(ours, want)


@pytest.mark.parametrize(("file", "fragment"), MUST_REFUSE.items())
def test_must_refuse_case_is_an_image_error(file: str, fragment: str) -> None:
    with pytest.raises(ImageError) as err:
        decode_png(_case(f"must_refuse/{file}"), file)
    assert fragment in err.value.reason
    assert str(err.value).startswith(f"{file}: ")


@pytest.mark.parametrize(("file", "expected"), MUST_SCORE.items())
def test_must_score_case_decodes(file: str, expected: tuple[tuple[int, ...], str | None]) -> None:
    shape, warning = expected
    rgba, warnings = decode_png_with_warnings(_case(f"must_score/{file}"), file)
    assert rgba.shape == shape and rgba.dtype == np.uint8
    if warning is None:
        assert warnings == ()
    else:
        assert len(warnings) == 1 and warning in warnings[0]
    if file.startswith("transparent"):
        assert not rgba[..., 3].any()


# ---------------------------------------------------------------- building PNGs by hand


def chunk(ctype: bytes, body: bytes = b"", *, bad_crc: bool = False) -> bytes:
    crc = zlib.crc32(ctype + body) ^ (0xFFFFFFFF if bad_crc else 0)
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


def ihdr(w: int, h: int, depth: int = 8, colour: int = 6, interlace: int = 0) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, interlace))


def idat(raw: bytes) -> bytes:
    return chunk(b"IDAT", zlib.compress(raw))


def png(*chunks: bytes) -> bytes:
    return PNG_SIGNATURE + b"".join(chunks)


IEND = chunk(b"IEND")
SPRITE = np.random.default_rng(3).integers(0, 256, (6, 8, 4), dtype=np.uint8)  # (H, W, 4)
SPRITE_ROWS = b"".join(b"\x00" + row.tobytes() for row in SPRITE)  # filter byte 0 per row
PALETTE = bytes(range(12))  # 4 entries
INDICES = np.array([[0, 1, 2, 3], [3, 2, 1, 0]], dtype=np.uint8)  # (2, 4)
INDEX_ROWS = b"".join(b"\x00" + row.tobytes() for row in INDICES)


def rgba_png(*extra_before_idat: bytes, after_idat: tuple[bytes, ...] = ()) -> bytes:
    return png(ihdr(8, 6), *extra_before_idat, idat(SPRITE_ROWS), *after_idat, IEND)


def palette_png(*middle: bytes) -> bytes:
    """A 4x2 8-bit palette image: ``middle`` chunks go between IHDR and IDAT."""
    return png(ihdr(4, 2, 8, 3), *middle, idat(INDEX_ROWS), IEND)


def refused(data: bytes) -> str:
    with pytest.raises(ImageError) as err:
        decode_png(data, "made.png")
    assert str(err.value).startswith("made.png: ")
    return err.value.reason


def test_the_hand_built_sprite_decodes_exactly() -> None:
    rgba, warnings = decode_png_with_warnings(rgba_png())
    np.testing.assert_array_equal(rgba, SPRITE)
    assert warnings == ()
    lut = np.frombuffer(PALETTE, np.uint8).reshape(4, 3)
    rgba = decode_png(palette_png(chunk(b"PLTE", PALETTE), chunk(b"tRNS", b"\x00\x80")))
    np.testing.assert_array_equal(rgba[..., :3], lut[INDICES])
    np.testing.assert_array_equal(rgba[..., 3], np.array([0, 128, 255, 255])[INDICES])


# ---------------------------------------------------------------- checksums (CRC)


@pytest.mark.parametrize("target", [b"IHDR", b"PLTE", b"IDAT", b"IEND"])
def test_crc_damage_in_a_critical_chunk_is_refused(target: bytes) -> None:
    def make(ctype: bytes, body: bytes = b"") -> bytes:
        return chunk(ctype, body, bad_crc=ctype == target)

    data = png(
        make(b"IHDR", struct.pack(">IIBBBBB", 4, 2, 8, 3, 0, 0, 0)),
        make(b"PLTE", PALETTE),
        make(b"IDAT", zlib.compress(INDEX_ROWS)),
        make(b"IEND"),
    )
    reason = refused(data)
    assert f"({target.decode()} chunk) fails its checksum (CRC)" in reason


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        (b"iCCP", b"icc\x00\x00" + zlib.compress(b"profile")),
        (b"gAMA", struct.pack(">I", 45455)),
        (b"tEXt", b"Title\x00hero"),
        (b"zTXt", b"XML:com.adobe.xmp\x00\x00" + zlib.compress(b"<x/>")),
        (b"pHYs", bytes(9)),
        (b"zzZz", b"private"),  # an application's own chunk: named once, by its type
    ],
)
def test_crc_damage_in_an_ancillary_chunk_is_a_warning(ctype: bytes, body: bytes) -> None:
    rgba, warnings = decode_png_with_warnings(rgba_png(chunk(ctype, body, bad_crc=True)))
    np.testing.assert_array_equal(rgba, SPRITE)
    assert len(warnings) == 1
    assert f"{ctype.decode()} chunk) is damaged (CRC error)" in warnings[0] or (
        f"its {ctype.decode()} chunk is damaged (CRC error)" in warnings[0]
    )
    assert warnings[0].count(ctype.decode()) == 1


def test_a_damaged_transparency_chunk_is_dropped_so_the_sprite_shows_opaque() -> None:
    rgba, warnings = decode_png_with_warnings(
        palette_png(chunk(b"PLTE", PALETTE), chunk(b"tRNS", b"\x00\x00", bad_crc=True))
    )
    assert (rgba[..., 3] == 255).all()  # libpng drops the tRNS: every pixel opaque
    assert "it makes no pixel transparent" in warnings[0]


# ---------------------------------------------------------------- pixel data


@pytest.mark.parametrize("interlace", [0, 1])
def test_image_data_shorter_than_the_header_is_refused(interlace: int) -> None:
    need = 271 if interlace else 264  # 8x8 RGBA: Adam7 adds a filter byte per pass row
    rows = bytes(need)
    whole = png(ihdr(8, 8, interlace=interlace), idat(rows), IEND)
    assert decode_png(whole).shape == (8, 8, 4)
    reason = refused(png(ihdr(8, 8, interlace=interlace), idat(rows[:-1]), IEND))
    assert f"holds {need - 1:,} bytes once decompressed, fewer than the {need:,}" in reason


def test_interlaced_data_sized_for_a_flat_image_is_refused() -> None:
    assert "fewer than the 271" in refused(png(ihdr(8, 8, interlace=1), idat(bytes(264)), IEND))


@pytest.mark.parametrize(
    ("stream", "fragment"),
    [
        (b"\x00\x01" + zlib.compress(SPRITE_ROWS)[2:], "cannot be decompressed"),  # bad header
        (zlib.compress(SPRITE_ROWS)[:-4] + b"\x00\x00\x00\x00", "checksum (Adler-32)"),
        (zlib.compress(SPRITE_ROWS)[:-4], "lacks the checksum"),
        (zlib.compress(SPRITE_ROWS)[:-12], "corrupt or truncated"),
        (zlib.compress(b"\x07" + SPRITE_ROWS[1:]), "cannot be decompressed"),  # filter 7
        (zlib.compressobj().compress(SPRITE_ROWS * 40), "corrupt or truncated"),  # no end
        (b"", "holds 0 bytes"),
    ],
    ids=["zlib-header", "adler32", "no-adler32", "cut-stream", "bad-filter", "no-end", "empty"],
)
def test_damaged_compressed_pixel_data_is_refused(stream: bytes, fragment: str) -> None:
    assert fragment in refused(png(ihdr(8, 6), chunk(b"IDAT", stream), IEND))


def test_a_flipped_bit_inside_the_compressed_data_is_refused() -> None:
    noisy = np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes()
    stream = bytearray(zlib.compress(b"\x00" + noisy))
    stream[len(stream) // 2] ^= 0x10  # CRC recomputed below: only zlib can notice
    reason = refused(png(ihdr(1000, 1), chunk(b"IDAT", bytes(stream)), IEND))
    assert "pixel data (IDAT)" in reason


def test_pixel_data_over_several_idat_chunks_decodes() -> None:
    stream = zlib.compress(SPRITE_ROWS)
    parts = [chunk(b"IDAT", stream[i : i + 7]) for i in range(0, len(stream), 7)]
    np.testing.assert_array_equal(decode_png(png(ihdr(8, 6), *parts, chunk(b"IDAT"), IEND)), SPRITE)


def test_data_beyond_the_last_row_is_a_warning() -> None:
    rgba, warnings = decode_png_with_warnings(png(ihdr(8, 6), idat(SPRITE_ROWS + bytes(50)), IEND))
    np.testing.assert_array_equal(rgba, SPRITE)
    assert "more than the image's rows" in warnings[0]


def _bad_adler(stream: bytes) -> bytes:
    return stream[:-4] + bytes([stream[-4] ^ 1]) + stream[-3:]


def _window(stream: bytes, cinfo: int) -> bytes:
    """``stream`` with its zlib header claiming a window of ``2 ** (cinfo + 8)`` bytes."""
    cmf = cinfo << 4 | 8
    flg = stream[1] & 0xE0
    flg |= (31 - (cmf << 8 | flg) % 31) % 31
    return bytes([cmf, flg]) + stream[2:]


# What libpng 1.6 does with each of these was checked with a program built on it
# (png_read_image, png_read_end; its default benign-error handling): the same verdict,
# the same pixels. libpng takes the rows first, then looks at what follows them, and
# only warns about that.
def test_a_stream_reaching_past_its_declared_window_is_refused() -> None:
    # repeated 301-byte rows: a 32 KiB window lets each row copy the one before, 301 bytes back
    row = b"\x00" + np.random.default_rng(5).integers(0, 256, 300, dtype=np.uint8).tobytes()
    stream = zlib.compress(row * 4, 9)
    assert len(stream) < 2 * len(row)  # the copies are there
    pixels = ihdr(75, 4)
    np.testing.assert_array_equal(
        decode_png(png(pixels, chunk(b"IDAT", _window(stream, 7)), IEND)).shape, (4, 75, 4)
    )
    # the same stream, its header claiming a 256-byte window: zlib (libpng) refuses it
    reason = refused(png(pixels, chunk(b"IDAT", _window(stream, 0)), IEND))
    assert "cannot be decompressed" in reason


def test_a_wrong_checksum_after_extra_data_is_a_warning() -> None:
    stream = _bad_adler(zlib.compress(SPRITE_ROWS + bytes(100)))
    rgba, warnings = decode_png_with_warnings(png(ihdr(8, 6), chunk(b"IDAT", stream), IEND))
    np.testing.assert_array_equal(rgba, SPRITE)
    assert any("fails its checksum (Adler-32) after the last row" in w for w in warnings)


def test_a_wrong_checksum_in_an_idat_of_its_own_is_a_warning() -> None:
    # the rows end with the first chunk; libpng meets the checksum only after them
    stream = _bad_adler(zlib.compress(SPRITE_ROWS))
    parts = chunk(b"IDAT", stream[:-4]), chunk(b"IDAT", stream[-4:])
    rgba, warnings = decode_png_with_warnings(png(ihdr(8, 6), *parts, IEND))
    np.testing.assert_array_equal(rgba, SPRITE)
    assert any("fails its checksum (Adler-32) after the last row" in w for w in warnings)
    # in the same chunk as the last row, libpng meets it while reading the rows: refused
    whole = chunk(b"IDAT", stream)
    assert "checksum (Adler-32)" in refused(png(ihdr(8, 6), whole, IEND))


def test_pixel_data_after_other_chunks_once_complete_is_a_warning() -> None:
    data = png(ihdr(8, 6), idat(SPRITE_ROWS), chunk(b"tEXt", b"a\x00b"), chunk(b"IDAT"), IEND)
    rgba, warnings = decode_png_with_warnings(data)
    np.testing.assert_array_equal(rgba, SPRITE)
    assert any("after other chunks" in w for w in warnings)


# ---------------------------------------------------------------- file structure


@pytest.mark.parametrize("cut", [12, 30, 40, -30, -8, -1])
def test_a_file_cut_short_anywhere_is_refused(cut: int) -> None:
    assert "corrupt or truncated" in refused(rgba_png()[:cut])


def test_a_missing_end_marker_is_refused() -> None:
    data = rgba_png()
    assert "without its end marker (IEND" in refused(data[: -len(IEND)])


def test_bytes_after_the_end_marker_are_a_warning() -> None:
    rgba, warnings = decode_png_with_warnings(rgba_png() + b"trailing junk")
    np.testing.assert_array_equal(rgba, SPRITE)
    assert "13 bytes after the end marker" in warnings[0]


def test_a_chunk_of_garbage_type_is_refused() -> None:
    data = rgba_png(struct.pack(">I", 0) + b"\x00\xff12" + b"\x00" * 4)
    assert "hold garbage" in refused(data)


def test_an_unknown_critical_chunk_is_refused() -> None:
    assert "unknown critical chunk (XYZW)" in refused(rgba_png(chunk(b"XYZW", b"1")))


def test_an_unknown_ancillary_chunk_is_ignored() -> None:
    rgba, warnings = decode_png_with_warnings(rgba_png(chunk(b"prVt", b"private data")))
    np.testing.assert_array_equal(rgba, SPRITE)
    assert warnings == ()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (png(chunk(b"tEXt", b"a\x00b"), ihdr(8, 6), idat(SPRITE_ROWS), IEND), "starts with a tEXt"),
        (png(ihdr(8, 6), idat(SPRITE_ROWS), ihdr(8, 6), IEND), "two headers"),
        (palette_png(chunk(b"PLTE", PALETTE), chunk(b"PLTE", PALETTE)), "two palettes"),
        (
            png(ihdr(4, 2, 8, 3), idat(INDEX_ROWS), chunk(b"PLTE", PALETTE), IEND),
            "without its palette",
        ),
        (
            png(
                ihdr(8, 6),
                chunk(b"IDAT", zlib.compress(SPRITE_ROWS)[:20]),
                chunk(b"tEXt", b"a\x00b"),
                chunk(b"IDAT", zlib.compress(SPRITE_ROWS)[20:]),
                IEND,
            ),
            "split by other chunks",
        ),
        (rgba_png(after_idat=(chunk(b"iCCP", b"icc\x00\x00"),)), "(iCCP chunk) comes after"),
        (rgba_png(after_idat=(chunk(b"gAMA", bytes(4)),)), "(gAMA chunk) comes after"),
        (rgba_png(after_idat=(chunk(b"sRGB", b"\x00"),)), "(sRGB chunk) comes after"),
        (
            palette_png(chunk(b"PLTE", PALETTE), chunk(b"cHRM", bytes(32))),
            "(cHRM chunk) comes after the palette",
        ),
        (
            png(
                ihdr(4, 2, 8, 3),
                chunk(b"PLTE", PALETTE),
                idat(INDEX_ROWS),
                chunk(b"tRNS", b"\0"),
                IEND,
            ),
            "(tRNS chunk) comes after the pixel data",
        ),
        (
            palette_png(chunk(b"tRNS", b"\x00"), chunk(b"PLTE", PALETTE)),
            "(tRNS chunk) comes before the palette",
        ),
        (
            png(
                ihdr(1, 1, 8, 2),
                chunk(b"tRNS", bytes(6)),
                chunk(b"PLTE", PALETTE),
                idat(bytes(4)),
                IEND,
            ),
            "(tRNS chunk) comes before the palette",
        ),
    ],
    ids=[
        "ihdr-not-first",
        "two-ihdr",
        "two-plte",
        "plte-after-idat-palette",
        "idat-split",
        "iccp-after-idat",
        "gama-after-idat",
        "srgb-after-idat",
        "chrm-after-plte",
        "trns-after-idat",
        "trns-before-plte",
        "trns-before-suggested-plte",
    ],
)
def test_chunks_out_of_their_place_are_refused(data: bytes, fragment: str) -> None:
    assert fragment in refused(data)


def test_metadata_out_of_its_place_is_a_warning() -> None:
    rgba, warnings = decode_png_with_warnings(rgba_png(after_idat=(chunk(b"pHYs", bytes(9)),)))
    np.testing.assert_array_equal(rgba, SPRITE)
    assert "(pHYs chunk) comes after the pixel data" in warnings[0]


@pytest.mark.parametrize(
    ("chunks", "fragment"),
    [
        ((idat(bytes(4)), chunk(b"PLTE", PALETTE)), "suggested palette (PLTE chunk) comes after"),
        ((chunk(b"PLTE", bytes(4)), idat(bytes(4))), "suggested palette (PLTE chunk) is 4 bytes"),
    ],
    ids=["after-idat", "malformed"],
)
def test_an_rgb_images_suggested_palette_is_only_a_warning(
    chunks: tuple[bytes, ...], fragment: str
) -> None:
    rgba, warnings = decode_png_with_warnings(png(ihdr(1, 1, 8, 2), *chunks, IEND))
    assert rgba.tolist() == [[[0, 0, 0, 255]]]
    assert len(warnings) == 1 and fragment in warnings[0]


def test_text_metadata_may_come_anywhere() -> None:
    data = rgba_png(chunk(b"tEXt", b"a\x00b"), after_idat=(chunk(b"tEXt", b"c\x00d"),))
    assert decode_png_with_warnings(data)[1] == ()


# ---------------------------------------------------------------- palette and transparency


@pytest.mark.parametrize("with_trns", [False, True])
def test_a_palette_image_without_its_palette_is_refused(with_trns: bool) -> None:
    middle = (chunk(b"tRNS", b"\x00"),) if with_trns else ()
    assert "without its palette" in refused(palette_png(*middle))


@pytest.mark.parametrize("size", [0, 4, 771])
def test_a_palette_of_impossible_size_is_refused(size: int) -> None:
    assert "not 1 to 256 RGB entries" in refused(palette_png(chunk(b"PLTE", bytes(size))))


def test_pixels_past_the_palette_are_opaque_black_with_a_warning() -> None:
    rgba, warnings = decode_png_with_warnings(palette_png(chunk(b"PLTE", PALETTE[:6])))
    np.testing.assert_array_equal(rgba[INDICES >= 2], [[0, 0, 0, 255]] * 4)
    assert "past the 2 the palette has" in warnings[0]


def test_a_palette_longer_than_the_bit_depth_allows_is_cut_as_libpng_does() -> None:
    rows = b"\x00\x50" * 2  # 1-bit, 4 pixels wide: indices 0 1 0 1 per row
    data = png(ihdr(4, 2, 1, 3), chunk(b"PLTE", bytes(range(30))), idat(rows), IEND)
    rgba, warnings = decode_png_with_warnings(data)
    assert warnings == ()
    assert rgba[0, 1, :3].tolist() == [3, 4, 5]


def _alpha_and_warnings(data: bytes) -> tuple[list[int], tuple[str, ...]]:
    rgba, warnings = decode_png_with_warnings(data)
    return rgba[..., 3].ravel().tolist(), warnings


@pytest.mark.parametrize(
    ("data", "alpha", "fragment"),
    [
        (  # 2-bit grey 0 1 2 3 with key 7: libpng keeps the low bits, 3
            png(ihdr(4, 1, 2, 0), chunk(b"tRNS", b"\x00\x07"), idat(b"\x00\x1b"), IEND),
            [255, 255, 255, 0],
            "only its low bits are used",
        ),
        (  # 8-bit RGB with key (0x100, 0, 0): masked to black
            png(
                ihdr(2, 1, 8, 2),
                chunk(b"tRNS", b"\x01\x00" + bytes(4)),
                idat(b"\x00" + bytes(3) + b"\x01" * 3),
                IEND,
            ),
            [0, 255],
            "only its low bits are used",
        ),
        (
            png(ihdr(1, 1, 8, 2), chunk(b"tRNS", bytes(4)), idat(bytes(4)), IEND),
            [255],
            "does not fit a 8-bit RGB image",
        ),
        (
            palette_png(chunk(b"PLTE", PALETTE), chunk(b"tRNS", bytes(5))),
            [255] * 8,
            "does not fit a 8-bit palette",
        ),
        (
            palette_png(chunk(b"PLTE", PALETTE), chunk(b"tRNS", b"")),
            [255] * 8,
            "makes no pixel transparent",
        ),
        (
            palette_png(chunk(b"PLTE", PALETTE), chunk(b"tRNS", b"\x00"), chunk(b"tRNS", b"\x80")),
            [0, 255, 255, 255, 255, 255, 255, 0],
            "second transparency (tRNS) chunk is ignored",
        ),
        (
            palette_png(chunk(b"PLTE", PALETTE), chunk(b"tRNS", bytes(9)), chunk(b"tRNS", b"\x00")),
            [0, 255, 255, 255, 255, 255, 255, 0],
            "does not fit",  # the second, valid one applies
        ),
        (rgba_png(chunk(b"tRNS", bytes(6))), SPRITE[..., 3].ravel().tolist(), "alpha channel"),
    ],
    ids=[
        "grey-key-masked",
        "rgb-key-masked",
        "rgb-wrong-size",
        "longer-than-palette",
        "empty",
        "two",
        "malformed-then-valid",
        "rgba",
    ],
)
def test_malformed_transparency_is_read_as_libpng_reads_it(
    data: bytes, alpha: list[int], fragment: str
) -> None:
    got, warnings = _alpha_and_warnings(data)
    assert got == alpha
    assert len(warnings) == 1 and fragment in warnings[0]


def test_a_palette_in_a_greyscale_image_is_ignored_with_a_warning() -> None:
    data = png(ihdr(2, 1, 8, 0), chunk(b"PLTE", PALETTE), idat(b"\x00\x10\x20"), IEND)
    rgba, warnings = decode_png_with_warnings(data)
    assert rgba[0, :, 0].tolist() == [16, 32] and "greyscale image is ignored" in warnings[0]


@pytest.mark.parametrize(
    ("depth", "rows", "key", "levels"),
    [
        (1, b"\x00\x40", 1, [0, 255]),  # 1-bit: 0 1
        (2, b"\x00\x1b", 2, [0, 85, 170, 255]),  # 2-bit: 0 1 2 3
        (4, b"\x00\x01\x23", 3, [0, 17, 34, 51]),  # 4-bit: 0 1 2 3
    ],
)
def test_low_bit_grey_with_a_transparent_grey_is_transparent(
    depth: int, rows: bytes, key: int, levels: list[int]
) -> None:
    w = len(levels)
    data = png(ihdr(w, 1, depth, 0), chunk(b"tRNS", struct.pack(">H", key)), idat(rows), IEND)
    rgba = decode_png(data)
    assert rgba[0, :, 0].tolist() == levels
    assert rgba[0, :, 3].tolist() == [0 if i == key else 255 for i in range(w)]


@pytest.mark.parametrize("colour", [0, 2])
def test_16_bit_colour_key_matches_all_16_bits(colour: int) -> None:
    planes = 1 if colour == 0 else 3
    key = [0x1234, 0x5678, 0x9ABC][:planes]
    near = [0x12FF, 0x5678, 0x9ABC][:planes]  # same high bytes as the key, other low byte
    rows = b"\x00" + struct.pack(f">{2 * planes}H", *key, *near)
    trns = chunk(b"tRNS", struct.pack(f">{planes}H", *key))
    data = png(ihdr(2, 1, 16, colour), trns, idat(rows), IEND)
    rgba = decode_png(data)
    assert rgba[0, :, 3].tolist() == [0, 255]
    assert rgba[0, 0, 0] == (0x1234 * 255 + 32895) >> 16  # libpng's png_set_scale_16


# ---------------------------------------------------------------- large metadata, limits


@pytest.mark.parametrize("ctype", [b"zTXt", b"iTXt", b"tEXt"])
def test_huge_text_chunks_are_metadata_and_decode(ctype: bytes) -> None:
    xmp = b"<x:xmpmeta>" + b"<rdf:li>layer</rdf:li>" * 100_000 + b"</x:xmpmeta>"  # 2.2 MB
    body = {
        b"zTXt": b"XML:com.adobe.xmp\x00\x00" + zlib.compress(xmp),
        b"iTXt": b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp,
        b"tEXt": b"Comment\x00" + xmp,
    }[ctype]
    rgba, warnings = decode_png_with_warnings(rgba_png(chunk(ctype, body)))
    np.testing.assert_array_equal(rgba, SPRITE)
    assert warnings == ()


def test_an_image_at_the_pixel_limit_decodes_and_one_row_more_is_refused() -> None:
    rows = b"\x00" + bytes(64 * 4)
    at_limit = png(ihdr(64, 64), idat(rows * 64), IEND)
    assert decode_png(at_limit, max_pixels=64 * 64).shape == (64, 64, 4)
    with pytest.raises(ImageError, match="over the limit of 4,096"):
        decode_png(png(ihdr(64, 65), idat(rows * 65), IEND), max_pixels=64 * 64)


def test_a_zlib_bomb_in_the_pixel_data_is_bounded() -> None:
    bomb = zlib.compress(b"\x00" * 200_000_000, 9)  # 200 MB of zeros in ~200 KB
    rgba, warnings = decode_png_with_warnings(png(ihdr(16, 16), chunk(b"IDAT", bomb), IEND))
    assert rgba.shape == (16, 16, 4) and "more than the image's rows" in warnings[0]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ((0, 6, 8, 6, 0, 0, 0), "no pixels"),
        ((4, 4, 3, 2, 0, 0, 0), "colour type 2 at 3 bits"),
        ((4, 4, 16, 3, 0, 0, 0), "colour type 3 at 16 bits"),
        ((4, 4, 8, 5, 0, 0, 0), "colour type 5"),
        ((4, 4, 8, 6, 1, 0, 0), "unknown compression"),
        ((4, 4, 8, 6, 0, 64, 0), "unknown compression, filter"),
        ((4, 4, 8, 6, 0, 0, 2), "interlace"),
    ],
)
def test_an_impossible_header_is_refused(header: tuple[int, ...], fragment: str) -> None:
    data = png(chunk(b"IHDR", struct.pack(">IIBBBBB", *header)), idat(bytes(80)), IEND)
    assert fragment in refused(data)


def test_a_header_of_the_wrong_length_is_refused() -> None:
    assert "not 13" in refused(png(chunk(b"IHDR", bytes(12)), IEND))


# ---------------------------------------------------------------- what the file really is


def _encoded(fmt: str) -> bytes:
    """A 4x4 image written as ``fmt`` by Pillow (QOI: a header is enough to be named)."""
    if fmt == "QOI":
        return b"qoif" + struct.pack(">IIBB", 4, 4, 4, 0) + bytes(8)
    if fmt == "WEBP" and not features.check("webp"):
        pytest.skip("this Pillow cannot write WebP")
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 40, 40)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "named"),
    [
        ("JPEG", "a JPEG image"),
        ("WEBP", "a WebP image"),
        ("GIF", "a GIF image"),
        ("BMP", "a BMP image"),
        ("TIFF", "a TIFF image"),
        ("QOI", "a QOI image"),
    ],
)
def test_another_format_named_png_is_named(fmt: str, named: str) -> None:
    reason = refused(_encoded(fmt))
    assert reason.startswith("not a PNG file") and named in reason
    assert "Renaming does not convert it" in reason


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (b"\x00\x00\x00\x1cftypavif", "an AVIF image"),
        (b"8BPS\x00\x01", "a Photoshop (PSD) document"),
        (b"<!DOCTYPE html><html>404", "a text file (HTML"),
        (b"\xabKTX 20\xbb\r\n\x1a\n", "a KTX2 texture"),
    ],
)
def test_other_magic_bytes_are_named(head: bytes, named: str) -> None:
    assert named in refused(head + bytes(32))


def test_unknown_bytes_are_not_a_png() -> None:
    assert refused(b"hello world") == "not a PNG file (the PNG signature is missing)"


@pytest.mark.parametrize(
    "mangled", [b"\x89PNG\r\r\n\x1a\n", b"\x89PNG\n\x1a\n", b"\x89PNG\r\n\x1a\r\n"]
)
def test_a_signature_mangled_by_a_text_mode_transfer_says_so(mangled: bytes) -> None:
    data = mangled + rgba_png()[len(PNG_SIGNATURE) :]
    assert "text-mode transfer" in refused(data)


def test_an_apple_cgbi_png_is_named() -> None:
    cgbi = chunk(b"CgBI", bytes([0x50, 0x00, 0x20, 0x06]))
    raw_deflate = zlib.compress(SPRITE_ROWS)[2:-4]  # CgBI: no zlib wrapper
    data = PNG_SIGNATURE + cgbi + ihdr(8, 6) + chunk(b"IDAT", raw_deflate) + IEND
    reason = refused(data)
    assert "CgBI" in reason and "Xcode" in reason and "revert-iphone-optimizations" in reason


def _apng(default_in_animation: bool) -> bytes:
    """Two frames: the default image (IDAT), then one more in fdAT."""
    other = np.zeros_like(SPRITE)
    other_rows = b"".join(b"\x00" + row.tobytes() for row in other)

    def fctl(seq: int) -> bytes:
        return chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, 8, 6, 0, 0, 1, 10, 0, 0))

    first = (fctl(0),) if default_in_animation else ()
    return png(
        ihdr(8, 6),
        chunk(b"acTL", struct.pack(">II", 2 if default_in_animation else 1, 0)),
        *first,
        idat(SPRITE_ROWS),
        fctl(1),
        chunk(b"fdAT", struct.pack(">I", 2) + zlib.compress(other_rows)),
        IEND,
    )


@pytest.mark.parametrize("default_in_animation", [True, False])
def test_an_animated_png_is_checked_on_its_default_image(default_in_animation: bool) -> None:
    rgba, warnings = decode_png_with_warnings(_apng(default_in_animation))
    np.testing.assert_array_equal(rgba, SPRITE)
    frames = 2 if default_in_animation else 1
    assert len(warnings) == 1
    assert f"animated PNG (APNG, {frames} frames)" in warnings[0]
    assert "only its default image is checked" in warnings[0]


def test_a_pillow_written_apng_decodes_to_its_first_frame() -> None:
    first = Image.fromarray(SPRITE, "RGBA")
    second = Image.fromarray(255 - SPRITE, "RGBA")
    buf = io.BytesIO()
    first.save(buf, format="PNG", save_all=True, append_images=[second], duration=100)
    rgba, warnings = decode_png_with_warnings(buf.getvalue())
    np.testing.assert_array_equal(rgba, SPRITE)
    assert "animated PNG" in warnings[0]


# ---------------------------------------------------------------- through load_png


def test_load_png_carries_the_warnings_and_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "meta.png"
    data = rgba_png(chunk(b"iCCP", b"icc\x00\x00", bad_crc=True))
    path.write_bytes(data)
    loaded = load_png(path)
    np.testing.assert_array_equal(loaded.rgba, SPRITE)
    assert len(loaded.warnings) == 1 and "iCCP" in loaded.warnings[0]
    assert path.read_bytes() == data
