"""Speed benchmarks: hook latency, scan throughput, calibrate time, peak memory.

    python bench/speed.py                 # the full set (about 20 minutes on 2 cores)
    python bench/speed.py --scan-n 2000   # smaller scans

Every figure is a wall-clock median over repeated runs of the real command in a fresh
process, measured with /usr/bin/time (peak RSS). Ratios compare figures from the same run.
Results go to docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, table, write_section  # noqa: E402

from sprite_lint.dsprites import make_dataset  # noqa: E402

WORK = Path(__file__).resolve().parent / "out" / "speed"
BIN = Path(sys.executable).parent


def timed(cmd: list[str], ok: tuple[int, ...] = (0, 1)) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of one run of ``cmd``."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    rss_kb = int(proc.stderr.strip().splitlines()[-1])
    return wall, rss_kb // 1024


def median_run(cmd: list[str], repeat: int) -> tuple[float, int]:
    runs = [timed(cmd) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def paired_runs(cmd: list[str], floor: list[str], repeat: int) -> tuple[float, float, int]:
    """``cmd`` and ``floor`` run alternately ``repeat`` times each, so that the machine's
    drift (20-40% over minutes here) falls on both alike: the median wall of each, and
    ``cmd``'s peak RSS."""
    runs, base = [], []
    for _ in range(repeat):
        base.append(timed(floor)[0])
        runs.append(timed(cmd))
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(base),
        max(r[1] for r in runs),
    )


def onnx_rate(model: Path, images: list[np.ndarray], repeat: int) -> float:
    """Sprites per second of onnxruntime alone on ``images`` (one size), in batches of the
    check path's ``BATCH``, input premultiplied beforehand: the network's own rate."""
    import onnxruntime as ort

    from sprite_lint.scoring import BATCH, premultiply_batch

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    h, w = images[0].shape[:2]
    batches = [premultiply_batch(images[i : i + BATCH], h, w) for i in range(0, len(images), BATCH)]
    session.run(None, {"image": batches[0]})  # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for b in batches:
            session.run(None, {"image": b})
        times.append(time.perf_counter() - t0)
    return len(images) / statistics.median(times)


def write_pngs(images: list[np.ndarray], folder: Path, size: int | None = None) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for i, im in enumerate(images):
        pil = Image.fromarray(im, "RGBA")
        if size is not None and size != im.shape[0]:
            pil = pil.resize((size, size), Image.NEAREST)
        pil.save(folder / f"s{i:05d}.png")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scan-n", type=int, default=10_000, help="sprites per throughput scan")
    ap.add_argument("--scan-n-256", type=int, default=2_000, help="sprites in the 256x256 scan")
    ap.add_argument("--calibrate-n", type=int, nargs="*", default=[1000, 10_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scan-repeat", type=int, default=3, help="runs per throughput scan")
    args = ap.parse_args()
    sl = str(BIN / "sprite-lint")
    py = sys.executable
    # Byte-compile the package as installing a wheel does: an editable install under
    # PYTHONDONTWRITEBYTECODE would otherwise recompile every module on every run.
    package = Path(__file__).resolve().parent.parent / "sprite_lint"
    subprocess.run([py, "-m", "compileall", "-q", str(package)], check=True)
    WORK.mkdir(parents=True, exist_ok=True)
    biggest = max(args.calibrate_n + [args.scan_n])
    approved, heldout, _ = make_dataset(biggest, max(100, args.scan_n), seed=0)

    # calibrate
    cal_rows = []
    baseline = WORK / "baseline"
    for n in sorted(args.calibrate_n):
        write_pngs(approved[:n], WORK / f"approved{n}")
        target = WORK / f"baseline{n}"
        wall, rss = timed(
            [sl, "calibrate", str(WORK / f"approved{n}"), "-b", str(target), "--device", "cpu"]
        )
        cal_rows.append([f"{n:,} sprites of 64x64", f"{wall:.1f} s", f"{rss} MB"])
        print(cal_rows[-1], flush=True)
        if n == min(args.calibrate_n):
            if baseline.exists():
                shutil.rmtree(baseline)
            shutil.copytree(target, baseline)

    # hook latency
    write_pngs(heldout[:100], WORK / "hook")
    hook_files = sorted((WORK / "hook").glob("*.png"))
    # every command alternates with the floor it is compared with (paired_runs): each
    # ratio is of two medians taken over the same minutes
    floor_cmd = [py, "-c", "import numpy, PIL.Image"]
    torch_t, floor, _ = paired_runs([py, "-c", "import torch"], floor_cmd, args.repeat)
    lat_rows = [
        ['`python -c "import numpy, PIL.Image"` (floor)', f"{floor:.3f} s", "1.0x", ""],
        ['`python -c "import torch"`', f"{torch_t:.3f} s", f"{torch_t / floor:.1f}x", ""],
    ]
    for k in (1, 10, 100):
        files = [str(p) for p in hook_files[:k]]
        cmd = [sl, "check", "-b", str(baseline), "--no-cache", *files]
        wall, base, rss = paired_runs(cmd, floor_cmd, args.repeat)
        lat_rows.append(
            [
                f"`sprite-lint check` {k} file(s)",
                f"{wall:.3f} s",
                f"{wall / base:.1f}x",
                f"{rss} MB",
            ]
        )
        print(lat_rows[-1], flush=True)
    files = [str(p) for p in hook_files[:1]]
    median_run([sl, "check", "-b", str(baseline), *files], 1)  # fill the cache
    cmd = [sl, "check", "-b", str(baseline), *files]
    wall, base, rss = paired_runs(cmd, floor_cmd, args.repeat)
    lat_rows.append(
        ["`sprite-lint check` 1 file, cached", f"{wall:.3f} s", f"{wall / base:.1f}x", f"{rss} MB"]
    )

    # where a one-file check spends its time: import times of the top-level packages
    proc = subprocess.run(
        [
            py,
            "-X",
            "importtime",
            "-m",
            "sprite_lint",
            "check",
            "-b",
            str(baseline),
            "--no-cache",
            str(hook_files[0]),
        ],
        capture_output=True,
        text=True,
    )
    top: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cum, name = line.split("|")
            if cum.strip().isdigit() and not name.startswith("  "):  # top-level imports only
                pkg = name.strip().split(".")[0]
                top[pkg] = top.get(pkg, 0) + int(cum.strip())
    import_rows = [
        [f"`{k}`", f"{v / 1000:.0f} ms"] for k, v in sorted(top.items(), key=lambda kv: -kv[1])[:8]
    ]

    # throughput
    scan_rows = []
    pool = heldout[: args.scan_n]
    for size in (32, 64, 256):
        folder = WORK / f"scan{size}"
        count = args.scan_n if size < 256 else min(args.scan_n, args.scan_n_256)
        write_pngs(pool[:count], folder, size)
        for jobs in ("1", "0"):
            wall, rss = median_run(
                [
                    sl,
                    "check",
                    "-b",
                    str(baseline),
                    "--no-cache",
                    "--jobs",
                    jobs,
                    "-f",
                    "json",
                    "-o",
                    str(WORK / "scan.json"),
                    str(folder),
                ],
                args.scan_repeat,
            )
            label = "1" if jobs == "1" else f"0 (= {os.cpu_count()})"
            scan_rows.append(
                [
                    f"{size}x{size}",
                    f"{count:,}",
                    label,
                    f"{wall:.1f} s",
                    f"{count / wall:,.0f}",
                    f"{rss} MB",
                ]
            )
            print(scan_rows[-1], flush=True)
        shutil.rmtree(folder)
    # onnxruntime alone on the same 64x64 sprites, in the check path's batches (BATCH), on
    # the same premultiplied input: the network's own rate, the limit of a scan's
    raw_rows = []
    raw_rate = onnx_rate(baseline / "model.onnx", heldout[: min(args.scan_n, 2048)], args.repeat)
    for row in scan_rows:
        if row[0] == "64x64":
            rate = float(row[4].replace(",", ""))
            raw_rows.append([f"check, jobs {row[2]}", f"{rate:,.0f}", f"{rate / raw_rate:.2f}"])
    raw_rows.insert(0, ["onnxruntime alone (default threads)", f"{raw_rate:,.0f}", "1.00"])
    print(raw_rows, flush=True)

    # one big sheet, checked as one image (no frames): bounded time and memory
    sheet_rows = []
    side = 4096
    empty = np.zeros((side, side, 4), np.uint8)
    tiles = heldout[: (side // 64) ** 2]
    grid = np.zeros_like(empty)
    for i, im in enumerate(tiles):
        r, c = divmod(i, side // 64)
        grid[r * 64 : (r + 1) * 64, c * 64 : (c + 1) * 64] = im
    for label, image in (
        ("fully transparent", empty),
        (f"{len(tiles):,} different 64x64 sprites in a grid", grid),
    ):
        path = WORK / "sheet.png"
        Image.fromarray(image, "RGBA").save(path)
        wall, rss = median_run(
            [sl, "check", "-b", str(baseline), "--no-cache", str(path)],
            3,
        )
        sheet_rows.append([f"{side}x{side}, {label}", f"{wall:.1f} s", f"{rss} MB"])
        print(sheet_rows[-1], flush=True)
        path.unlink()

    cmd = f"python bench/speed.py --scan-n {args.scan_n} --scan-n-256 {args.scan_n_256}"
    if list(args.calibrate_n) != [1000, 10_000]:
        cmd += " --calibrate-n " + " ".join(str(n) for n in args.calibrate_n)
    body = f"""## Speed

Command: `{cmd}` ({machine()}). Wall-clock medians of {args.repeat} runs of the installed
(byte-compiled) `sprite-lint` in a fresh process; peak RSS from `/usr/bin/time -f %M`. The baseline is the
demo's (64x64 dSprites-style sprites, default model).

Hook latency (pre-commit on changed sprites, result cache off unless stated). Each
command's runs alternate with the floor's, and its ratio is to the floor's median over
those same minutes (the floor row: its runs beside `import torch`):

{table(["command", "wall", "vs floor", "peak RSS"], lat_rows)}

Where a one-file check's time goes (`python -X importtime -m sprite_lint check ...`,
cumulative import time of each top-level package, one run):

{table(["package", "import time"], import_rows)}

Scan throughput (`check --no-cache --jobs J`, JSON report to a file; median of {args.scan_repeat} runs):

{table(["sprite size", "sprites", "jobs", "wall", "sprites/s", "peak RSS"], scan_rows)}

The network alone: onnxruntime on the same 64x64 sprites in the check path's batches of
64, premultiplied input made beforehand (median of {args.repeat} passes), against the
scans above; the ratio is how much of the network's own rate a scan keeps:

{table(["64x64 sprites", "sprites/s", "of onnxruntime's rate"], raw_rows)}

One big image checked as a single sprite (`check --no-cache`, median of 3 runs):

{table(["image", "wall", "peak RSS"], sheet_rows)}

Calibrate on CPU (`sprite-lint calibrate --device cpu`, default epochs; one run each):

{table(["approved set", "wall", "peak RSS"], cal_rows)}
"""
    write_section("speed", body)
    print(body)


if __name__ == "__main__":
    main()
