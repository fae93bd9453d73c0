"""decode_png against libpng itself: the verdict (decoded or refused) and the pixels.

``tests/reference/libpng_decode.c`` is built against the system's libpng 1.6 (``cc`` and
the libpng headers: ``apt install gcc libpng-dev``; the test skips and says why where
they are missing). Generated PNGs vary what libpng's IDAT reading is sensitive to: the
window the zlib header declares, how the stream is split into IDAT chunks, data beyond
the rows, a wrong Adler-32, a stream cut short or with bytes after it, other chunks
between IDATs. A ``clients`` test (``-m clients``): it drives a real program.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from sprite_lint.errors import ImageError
from sprite_lint.imageio import _ADAM7, PNG_SIGNATURE, decode_png_with_warnings

pytestmark = pytest.mark.clients

SOURCE = Path(__file__).resolve().parent / "reference" / "libpng_decode.c"
CASES = Path(__file__).resolve().parents[2] / "shared" / "cases"


@pytest.fixture(scope="module")
def libpng(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler (cc) to build the libpng reference decoder")
    exe = tmp_path_factory.mktemp("libpng") / "libpng_decode"
    built = subprocess.run([cc, "-O1", "-o", str(exe), str(SOURCE), "-lpng"], capture_output=True)
    if built.returncode:
        pytest.skip(f"cannot build against libpng (apt install libpng-dev): {built.stderr[:200]!r}")
    return exe


def _libpng_decode(exe: Path, data: bytes, tmp: Path) -> tuple[np.ndarray | None, str]:
    path = tmp / "case.png"
    path.write_bytes(data)
    done = subprocess.run([str(exe), str(path)], capture_output=True, timeout=60)
    if not done.stdout.startswith(b"OK "):
        return None, done.stderr.decode(errors="replace")
    head, _, body = done.stdout.partition(b"\n")
    w, h = map(int, head.split()[1:])
    return np.frombuffer(body, np.uint8).reshape(h, w, 4), done.stderr.decode(errors="replace")


def _ours(data: bytes) -> tuple[np.ndarray | None, str]:
    try:
        rgba, warnings = decode_png_with_warnings(data, "case.png")
    except ImageError as exc:
        return None, exc.reason
    return rgba, "; ".join(warnings)


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


MODES = ("plain", "extra", "bad-adler", "extra+bad-adler", "cut", "no-adler", "trailing", "window")


def generated(seed: int) -> tuple[bytes, str]:
    """One PNG whose IDAT stream is varied by ``seed``, and a description of how."""
    r = random.Random(seed)
    rng = np.random.default_rng(seed)
    w, h = r.choice((1, 3, 8, 17, 40, 130)), r.choice((1, 2, 5, 9, 33))
    colour, depth, channels = r.choice(((6, 8, 4), (2, 8, 3), (0, 8, 1), (6, 16, 4), (0, 2, 1)))
    interlaced = r.random() < 0.3
    top = (1 << depth) - 1
    samples = rng.integers(0, 4, (h, w * channels)) * (top // 3)  # runs: zlib finds copies

    def pack(rows: np.ndarray) -> bytes:
        if depth == 16:
            return rows.astype(">u2").tobytes()
        if depth < 8:
            return np.packbits(
                np.unpackbits(rows.astype(np.uint8)[..., None], axis=-1)[..., -depth:].reshape(-1)
            ).tobytes()
        return rows.astype(np.uint8).tobytes()

    image = samples.reshape(h, w, channels)
    passes = _ADAM7 if interlaced else ((0, 0, 1, 1),)
    raw = b"".join(
        b"\x00" + pack(row.reshape(-1))
        for x0, y0, dx, dy in passes
        for row in image[y0::dy, x0::dx]
        if image[y0::dy, x0::dx].size
    )
    mode = r.choice(MODES)
    wbits = r.choice((9, 10, 12, 15, 15))
    co = zlib.compressobj(r.choice((1, 6, 9)), zlib.DEFLATED, wbits)
    extra = (
        bytes(rng.integers(0, 256, r.choice((1, 50, 3000)), dtype=np.uint8))
        if "extra" in mode
        else b""
    )
    stream = co.compress(raw + extra) + co.flush()
    if mode == "window":  # the header claims a smaller window than the one used
        cmf = r.randint(0, 6) << 4 | 8
        flg = stream[1] & 0xE0
        flg |= (31 - (cmf << 8 | flg) % 31) % 31
        stream = bytes([cmf, flg]) + stream[2:]
    if "bad-adler" in mode:
        stream = stream[:-4] + bytes([stream[-4] ^ 1]) + stream[-3:]
    if mode == "cut":
        stream = stream[: r.randint(2, len(stream) - 1)]
    if mode == "no-adler":
        stream = stream[: -r.randint(1, 4)]
    if mode == "trailing":
        stream += bytes(rng.integers(0, 256, r.randint(1, 9), dtype=np.uint8))
    cuts = sorted(r.sample(range(len(stream) + 1), min(r.randint(0, 4), len(stream) + 1)))
    parts = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    text_at = r.randint(1, len(parts)) if r.random() < 0.25 else None
    header = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, int(interlaced))
    chunks = [_chunk(b"IHDR", header)]
    for i, part in enumerate(parts):
        if i == text_at:
            chunks.append(_chunk(b"tEXt", b"k\x00v"))
        chunks.append(_chunk(b"IDAT", part))
    if text_at == len(parts):
        chunks += [_chunk(b"tEXt", b"k\x00v"), _chunk(b"IDAT", b"")]
    chunks.append(_chunk(b"IEND", b""))
    what = f"{mode}, {w}x{h} colour {colour} depth {depth}{' adam7' if interlaced else ''}, window {wbits}, {len(parts)} IDATs, tEXt at {text_at}"
    return PNG_SIGNATURE + b"".join(chunks), what


def _agree(exe: Path, data: bytes, what: str, tmp: Path) -> None:
    theirs, their_words = _libpng_decode(exe, data, tmp)
    ours, our_words = _ours(data)
    assert (theirs is None) == (ours is None), (
        f"{what}: libpng {'refuses' if theirs is None else 'decodes'} ({their_words.strip()!r}), "
        f"sprite-lint {'refuses' if ours is None else 'decodes'} ({our_words!r})"
    )
    if theirs is not None and ours is not None:
        np.testing.assert_array_equal(ours, theirs, err_msg=what)


def test_idat_streams_as_libpng_reads_them(libpng: Path, tmp_path: Path) -> None:
    for seed in range(600):
        data, what = generated(seed)
        _agree(libpng, data, f"seed {seed}: {what}", tmp_path)


# Refused on purpose where libpng decodes with a warning: a colour chunk out of its place
# is ignored by libpng and applied by other decoders, so the sprite looks different in
# different tools (sprite_lint.imageio, _COLOUR_CHUNKS; the shared cases' README).
DELIBERATE = {"must_refuse/iccp_after_idat.png"}


def test_every_shared_case_as_libpng_reads_it(libpng: Path, tmp_path: Path) -> None:
    files = sorted(CASES.glob("*/*.png"))
    if not files:
        pytest.skip(f"no shared cases at {CASES}")
    for path in files:
        name = path.relative_to(CASES).as_posix()
        if name in DELIBERATE:
            assert _ours(path.read_bytes())[0] is None, name
            continue
        _agree(libpng, path.read_bytes(), name, tmp_path)
