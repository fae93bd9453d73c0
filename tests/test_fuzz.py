"""Fuzzing ``check`` (issue #10): generated PNGs, valid and damaged in every way a file
can be, never crash, hang or blow up memory, and each gets the same verdict alone as in a
batch.

Marked ``fuzz`` (not in the default run; ``.ci/run`` runs it as its own step:
``python -m pytest -q -m fuzz``). ``SPRITE_LINT_FUZZ_N`` inputs (default 10,000) in batches
of ``BATCH``; each batch is one ``sprite-lint check`` process (its exit code, stderr, wall
time and peak memory are checked) and every input of it is then judged alone in this
process. ``SPRITE_LINT_FUZZ_LOG``: a file to append each batch's counts to (JSON lines).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import png
import pytest

N = int(os.environ.get("SPRITE_LINT_FUZZ_N", "10000"))
BATCH = 500
HANG_S = 10.0  # no input may take longer than this alone
PEAK_MB = 512  # no batch process may peak above this
SIG = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.fuzz

Chunk = tuple[bytes, bytes]  # (type, body)


def chunk_bytes(kind: bytes, body: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc & 0xFFFFFFFF)


def chunks_of(data: bytes) -> list[Chunk]:
    out, pos = [], len(SIG)
    while pos + 8 <= len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]))
        pos += 12 + n
    return out


def build(chunks: list[Chunk]) -> bytes:
    return SIG + b"".join(chunk_bytes(k, b) for k, b in chunks)


def valid_png(rng: np.random.Generator) -> bytes:
    """A valid PNG of a random colour type, legal bit depth, size (1 to 24 px a side),
    interlacing, with or without a palette or tRNS, written by pypng."""
    w, h = (int(v) for v in rng.integers(1, 25, 2))
    interlace = bool(rng.integers(2))
    kind = int(rng.integers(5))
    if kind == 0:  # palette
        depth = int(rng.choice([1, 2, 4, 8]))
        n = int(rng.integers(1, 2**depth + 1))
        pal = [tuple(int(v) for v in rng.integers(0, 256, 4 if rng.integers(2) else 3))]
        pal += [tuple(int(v) for v in rng.integers(0, 256, len(pal[0]))) for _ in range(n - 1)]
        rows = rng.integers(0, n, (h, w))
        writer = png.Writer(w, h, palette=pal, bitdepth=depth, interlace=interlace)
    else:
        grey, alpha = kind in (1, 2), kind in (2, 4)
        depth = int(rng.choice([1, 2, 4, 8, 16])) if kind == 1 else int(rng.choice([8, 16]))
        planes = (1 if grey else 3) + alpha
        rows = rng.integers(0, 2**depth, (h, w * planes))
        trns = None
        if not alpha and rng.integers(2):
            trns = int(rows[0, 0]) if grey else tuple(int(v) for v in rows[0, :3])
        writer = png.Writer(
            w,
            h,
            greyscale=grey,
            alpha=alpha,
            bitdepth=depth,
            transparent=trns,
            interlace=interlace,
        )
    buf = io.BytesIO()
    writer.write(buf, rows.tolist())
    return buf.getvalue()


def _flip_bits(rng: np.random.Generator, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        i = int(rng.integers(len(b)))
        b[i] ^= 1 << int(rng.integers(8))
    return bytes(b)


def _truncate(rng: np.random.Generator, data: bytes) -> bytes:
    return data[: int(rng.integers(0, len(data)))]


def _deep_edit(rng: np.random.Generator, data: bytes) -> bytes:
    """Change a chunk's body and fix its CRC, so the decoder goes past the checksum."""
    cs = chunks_of(data)
    i = int(rng.integers(len(cs)))
    kind, body = cs[i]
    if kind == b"IDAT" and rng.integers(2):
        try:
            raw = bytearray(zlib.decompress(b"".join(b for k, b in cs if k == b"IDAT")))
        except zlib.error:
            raw = bytearray(body)
        for _ in range(int(rng.integers(1, 5))):
            if raw:
                raw[int(rng.integers(len(raw)))] = int(rng.integers(256))  # filter bytes too
        if rng.integers(3) == 0:
            raw = raw[: int(rng.integers(0, len(raw) + 1))]  # short image data
        cs = [c for c in cs if c[0] != b"IDAT"]
        cs.insert(min(i, len(cs) - 1), (b"IDAT", zlib.compress(bytes(raw))))
        return build(cs)
    b = bytearray(body)
    if b:
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(len(b)))] = int(rng.integers(256))  # depth, colour type...
    cs[i] = (kind, bytes(b))
    return build(cs)


def _reorder(rng: np.random.Generator, data: bytes) -> bytes:
    cs = chunks_of(data)
    i, j = (int(v) for v in rng.integers(len(cs), size=2))
    cs[i], cs[j] = cs[j], cs[i]
    return build(cs)


def _duplicate(rng: np.random.Generator, data: bytes) -> bytes:
    cs = chunks_of(data)
    i = int(rng.integers(len(cs)))
    cs.insert(int(rng.integers(len(cs) + 1)), cs[i])
    return build(cs)


def _length_edit(rng: np.random.Generator, data: bytes) -> bytes:
    cs = chunks_of(data)
    pos = len(SIG) + sum(12 + len(b) for _, b in cs[: int(rng.integers(len(cs)))])
    n = int(rng.choice([0, 1, 2**31 - 1, 2**32 - 1, int(rng.integers(0, 2**16))]))
    return data[:pos] + struct.pack(">I", n) + data[pos + 4 :]


def _huge_dimensions(rng: np.random.Generator, data: bytes) -> bytes:
    cs = chunks_of(data)
    body = bytearray(cs[0][1])
    w = int(rng.choice([0, 4097, 65535, 2**31 - 1, 2**32 - 1, int(rng.integers(1, 2**20))]))
    h = int(rng.choice([1, 4096, 2**31 - 1, int(rng.integers(1, 2**20))]))
    body[0:8] = struct.pack(">II", w, h)
    cs[0] = (b"IHDR", bytes(body))
    return build(cs)


def _zlib_bomb(rng: np.random.Generator, data: bytes) -> bytes:
    """A small header over image data that inflates to far more than it says (up to
    64 MB of zeros in a few KB), or a large valid image of zeros."""
    side = int(rng.choice([8, 64, 1024]))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    size = side * (side * 4 + 1) * int(rng.choice([1, 1, 50])) if side < 1024 else 64 << 20
    if side == 1024 and rng.integers(2):
        size = side * (side * 4 + 1)  # valid: a transparent 1024x1024 sprite
    idat = zlib.compress(bytes(size), 9)
    return build([(b"IHDR", ihdr), (b"IDAT", idat), (b"IEND", b"")])


def _junk_chunk(rng: np.random.Generator, data: bytes) -> bytes:
    cs = chunks_of(data)
    kind = bytes(int(v) for v in rng.integers(65, 123, 4))
    kind = rng.choice([kind, b"tEXt", b"zTXt", b"iCCP", b"acTL", b"fcTL", b"CgBI", b"sBIT"])
    body = bytes(int(v) for v in rng.integers(0, 256, int(rng.integers(0, 64))))
    if kind == b"zTXt" and rng.integers(2):
        body = b"k\x00\x00" + zlib.compress(bytes(8 << 20))  # a bomb in metadata
    cs.insert(int(rng.integers(1, len(cs) + 1)), (bytes(kind), body))
    return build(cs)


MUTATIONS: list[Callable[[np.random.Generator, bytes], bytes]] = [
    lambda rng, d: d,  # valid as written
    _flip_bits,
    _truncate,
    _deep_edit,
    _deep_edit,
    _reorder,
    _duplicate,
    _length_edit,
    _huge_dimensions,
    _junk_chunk,
]


def fuzz_input(seed: int) -> bytes:
    """Input number ``seed``: a valid PNG, mutated once or twice (1% zlib bombs)."""
    rng = np.random.default_rng([seed, 10])
    data = valid_png(rng)
    if rng.random() < 0.01:
        return _zlib_bomb(rng, data)
    for _ in range(int(rng.integers(1, 3))):
        if len(chunks_of(data)) < 2 and rng.integers(2):
            break
        with contextlib.suppress(ValueError, IndexError):  # nothing to mutate that way
            data = MUTATIONS[int(rng.integers(len(MUTATIONS)))](rng, data)
    return data


def _high_water_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _verdict(row: dict) -> tuple[str, float | None]:
    score = row.get("score")
    return row["status"], None if score is None else round(float(score), 6)


@pytest.mark.parametrize("batch", range(-(-N // BATCH)))
def test_fuzz_batch(batch: int, tiny_baseline: Path, tmp_path: Path) -> None:
    from sprite_lint.baseline import load_baseline
    from sprite_lint.check import _Judge

    seeds = range(batch * BATCH, min(N, (batch + 1) * BATCH))
    names = []
    for s in seeds:
        (tmp_path / f"f{s:05d}.png").write_bytes(fuzz_input(s))
        names.append(f"f{s:05d}.png")
    # the batch: one real process, as CI and the hook run it
    start = time.monotonic()
    with open(tmp_path / "stderr.txt", "wb") as err_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sprite_lint", "check", "-b", str(tiny_baseline)]
            + ["-f", "json", "--no-cache", "-o", "report.json", "--", *names],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=err_file,
            env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"},
        )
    deadline = start + HANG_S + 0.5 * len(names)
    hung, peak_mb = False, 0.0
    while True:  # its peak memory: the high-water mark of its own address space, sampled
        # (wait4's ru_maxrss would start from this process's, inherited through exec)
        peak_mb = max(peak_mb, _high_water_mb(proc.pid))
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            hung = True
            proc.kill()
            _, status, _ = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    err = (tmp_path / "stderr.txt").read_text(errors="replace")
    wall = time.monotonic() - start
    rows = {r["path"]: r for r in json.loads((tmp_path / "report.json").read_text())["files"]}
    # each input alone, in this process
    judge = _Judge(load_baseline(tiny_baseline), load_baseline(tiny_baseline).max_pixels, None)
    differ, slow, worst = [], [], 0.0
    for n in names:
        t = time.monotonic()
        alone = judge([(tmp_path / n, n)])
        dt = time.monotonic() - t
        worst = max(worst, dt)
        if dt > HANG_S:
            slow.append(n)
        if [(r.status, None if r.score is None else round(r.score, 6)) for r in alone] != [
            _verdict(rows[n])
        ]:
            differ.append(n)
    counts = {
        "batch": batch,
        "inputs": len(names),
        "exit": code,
        "tracebacks": int("Traceback" in err or "internal error" in err),
        "hung": int(hung),
        "peak_mb": round(peak_mb, 1),
        "wall_s": round(wall, 2),
        "slowest_alone_s": round(worst, 3),
        "over_10s": len(slow),
        "verdict_differences": len(differ),
        "errors": sum(r["status"] == "error" for r in rows.values()),
        "scored": sum(r["status"] != "error" for r in rows.values()),
    }
    log = os.environ.get("SPRITE_LINT_FUZZ_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps(counts) + "\n")
    assert not hung and code in (0, 1, 2), (counts, err[-2000:])
    assert not counts["tracebacks"], err[-2000:]
    assert peak_mb <= PEAK_MB, counts
    assert not slow, slow
    assert not differ, differ[:10]
    assert len(rows) == len(names)
