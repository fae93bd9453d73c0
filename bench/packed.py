"""Real art packed into sheets: the same detection per frame as loose files?

    python bench/realart.py                 # first: calibrates bench/out/realart/*/baseline
    python bench/packed.py                  # pack, check, compare; write BENCHMARKS.md

Per family of ``bench/realart.py`` (same seed, same held-out sprites and defects), with
the baseline that script calibrated on the family's loose approved sprites:

* ``loose``: every sprite judged as its own PNG (the numbers of the real-art section);
* ``grid``: the held-out normals packed into one sheet, and each defect's sprites into
  another, 10 frames a row with 2 px spacing, judged with a ``[tool.sprite-lint.sheets]``
  grid rule;
* ``atlas``: the same sprites trimmed to their visible pixels and packed in shelves with
  1 px padding, described by a TexturePacker-style JSON hash beside the PNG (``trimmed``,
  ``spriteSourceSize``, ``sourceSize``), found by its name. Trimming drops the colour of
  the clear pixels around each sprite, so its frames are compared with those pixels
  judged as loose files.

A frame counts as caught when the report has a failing row for it; false alarms are the
normal frames with a failing row. Rows for sheet faults (bleeding, a frame off the
others' edge or baseline, a repeated frame) are counted apart: they judge the packing,
not one frame. ``differ`` counts frames whose verdict is not that of the same pixels as
a loose file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realart  # noqa: E402
from _report import machine, table, write_section  # noqa: E402

COLUMNS = 10
SPACING = 2
PADDING = 1


def grid_sheet(frames: list[np.ndarray]) -> np.ndarray:
    """``frames`` (all one size) in rows of COLUMNS, SPACING px apart."""
    h, w = frames[0].shape[:2]
    rows = (len(frames) + COLUMNS - 1) // COLUMNS
    cols = min(COLUMNS, len(frames))
    out = np.zeros((rows * h + (rows - 1) * SPACING, cols * w + (cols - 1) * SPACING, 4), np.uint8)
    for i, f in enumerate(frames):
        r, c = divmod(i, COLUMNS)
        out[
            r * (h + SPACING) : r * (h + SPACING) + h, c * (w + SPACING) : c * (w + SPACING) + w
        ] = f
    return out


def atlas(frames: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    """Trim each frame to its visible pixels, pack in shelves; the image and its JSON."""
    trimmed = []
    for f in frames:
        vis = f[..., 3] > 0
        rows, cols = np.flatnonzero(vis.any(axis=1)), np.flatnonzero(vis.any(axis=0))
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        trimmed.append((f[y0:y1, x0:x1], int(x0), int(y0), f.shape[1], f.shape[0]))
    width = COLUMNS * (max(t[0].shape[1] for t in trimmed) + PADDING)
    x = y = shelf = 0
    places = []
    for t, *_ in trimmed:
        h, w = t.shape[:2]
        if x + w > width:
            x, y, shelf = 0, y + shelf + PADDING, 0
        places.append((x, y))
        x, shelf = x + w + PADDING, max(shelf, h)
    out = np.zeros((y + shelf, width, 4), np.uint8)
    doc: dict = {"frames": {}, "meta": {"app": "https://www.codeandweb.com/texturepacker"}}
    for i, ((t, ox, oy, sw, sh), (px, py)) in enumerate(zip(trimmed, places)):
        h, w = t.shape[:2]
        out[py : py + h, px : px + w] = t
        doc["frames"][f"sprite{i:03d}.png"] = {
            "frame": {"x": px, "y": py, "w": w, "h": h},
            "rotated": False,
            "trimmed": True,
            "spriteSourceSize": {"x": ox, "y": oy, "w": w, "h": h},
            "sourceSize": {"w": sw, "h": sh},
        }
    doc["meta"]["size"] = {"w": out.shape[1], "h": out.shape[0]}
    return out, doc


def restore(frame: np.ndarray) -> np.ndarray:
    """The frame as a trimmed atlas holds it: its visible box, clear pixels around it
    zeroed (a packer keeps no colour outside the box)."""
    out = np.zeros_like(frame)
    vis = frame[..., 3] > 0
    rows, cols = np.flatnonzero(vis.any(axis=1)), np.flatnonzero(vis.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    out[box] = frame[box]
    return out


def frame_verdicts(rows, n: int) -> tuple[np.ndarray, int]:
    """Per frame, whether a failing row names it; and the number of sheet-fault rows."""
    caught = np.zeros(n, dtype=bool)
    faults = 0
    for r in rows:
        if r.status == "error":
            raise SystemExit(f"unexpected error row: {r.label}: {r.message}")
        if r.status != "fail":
            continue
        if r.score is None:
            faults += 1
        elif r.frame is not None:
            caught[r.frame.index] = True
    return caught, faults


def run_family(family: str, args: argparse.Namespace) -> dict:
    from sprite_lint.baseline import load_baseline
    from sprite_lint.check import Detector, check_files
    from sprite_lint.sheets import GridSpec, SheetRule, SheetSettings

    folder = realart.OUT / family
    if not (folder / "baseline" / "manifest.json").is_file():
        raise SystemExit(f"{family}: run bench/realart.py first (no {folder / 'baseline'})")
    _, heldout, keys, other = realart.build_family(family, args.approved, args.heldout, args.seed)
    groups = {"normal": heldout, **realart.inject_all(heldout, keys, other, args.seed, family)}
    base = load_baseline(folder / "baseline")
    det = Detector(base)
    out: dict = {"groups": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        h, w = heldout[0].shape[:2]
        grid = SheetSettings(
            rules=(("grid_*.png", SheetRule(grid=GridSpec(w, h, 0, SPACING))),),
            project_dir=str(work),
        )

        def judged(images: list[np.ndarray]) -> np.ndarray:
            rows = det.judge_many([f"s{i}" for i in range(len(images))], images)
            return np.array([r.status == "fail" for r in rows])

        for name, ims in groups.items():
            loose = judged(ims)
            cell: dict = {"n": len(ims), "loose": float(loose.mean())}
            sheets = {}
            if len({im.shape for im in ims}) == 1:  # a grid needs one frame size
                Image.fromarray(grid_sheet(ims), "RGBA").save(work / f"grid_{name}.png")
                sheets["grid"] = loose
            sheet, doc = atlas(ims)
            Image.fromarray(sheet, "RGBA").save(work / f"atlas_{name}.png")
            (work / f"atlas_{name}.json").write_text(json.dumps(doc))
            # trimming drops the colour of the clear pixels around each sprite: the atlas
            # holds these pixels, and they are what its frames must be judged as
            sheets["atlas"] = judged([restore(im) for im in ims])
            cell["trimmed"] = float(sheets["atlas"].mean())
            for kind, expected in sheets.items():
                rep = check_files([work / f"{kind}_{name}.png"], base, sheets=grid, root=work)
                caught, faults = frame_verdicts(rep.results, len(ims))
                cell[kind] = float(caught.mean())
                cell[f"{kind}_differ"] = int((caught != expected).sum())
                cell[f"{kind}_faults"] = faults
            out["groups"][name] = cell
    print(
        f"[{family}] "
        + ", ".join(
            f"{g} {c['loose']:.2f}/{c.get('grid', float('nan')):.2f}/{c['atlas']:.2f}"
            for g, c in out["groups"].items()
        ),
        flush=True,
    )
    return out


def render(results: dict[str, dict], args: argparse.Namespace, seconds: float) -> str:
    fams = list(results)
    lines = [
        "## Real art packed into sheets",
        "",
        f"Command: `python bench/packed.py --seed {args.seed} --approved {args.approved} "
        f"--heldout {args.heldout}` after `bench/realart.py` with the same settings "
        f"({machine()}); {seconds / 60:.0f} min.",
        "",
        "The held-out sprites of the real-art section, with the same baselines (calibrated on "
        "loose files), packed into a grid sheet (10 a row, 2 px spacing, a grid rule in the "
        "configuration) and into a trimmed atlas (TexturePacker JSON hash beside the PNG), "
        "one sheet per defect. Share of frames caught (normal: false alarms), "
        "loose / grid / atlas, and in brackets the loose files trimmed as the atlas holds "
        "them (the colour of the clear pixels around a sprite is dropped, and with it part "
        "of a JPEG's lattice); `differ`: frames whose verdict is not that of the same pixels "
        "as a loose file (grid + atlas); `faults`: sheet-fault rows (grid + atlas). A grid "
        "is n/a where a family's sprites are not all one size.",
        "",
    ]
    names = list(results[fams[0]]["groups"])
    for f in fams[1:]:
        names += [g for g in results[f]["groups"] if g not in names]
    rows = []
    for g in names:
        row = [g]
        for f in fams:
            c = results[f]["groups"].get(g)
            if c is None:
                row.append("n/a")
                continue
            grid = f"{c['grid']:.2f}" if "grid" in c else "n/a"
            differ = c.get("grid_differ", 0) + c["atlas_differ"]
            faults = c.get("grid_faults", 0) + c["atlas_faults"]
            row.append(
                f"{c['loose']:.2f} / {grid} / {c['atlas']:.2f} ({c['trimmed']:.2f})"
                f"; differ {differ}, faults {faults}"
            )
        rows.append(row)
    lines.append(table(["defect", *fams], rows))
    cells = [c for r in results.values() for c in r["groups"].values()]
    total = sum(c.get("grid_differ", 0) + c["atlas_differ"] for c in cells)
    frames = sum(c["n"] * (2 if "grid" in c else 1) for c in cells)
    lines += ["", f"Frames judged differently from their loose file: {total} of {frames}."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--approved", type=int, default=60)
    ap.add_argument("--heldout", type=int, default=60)
    ap.add_argument("--families", nargs="*", choices=realart.FAMILIES)
    args = ap.parse_args()
    families = args.families or list(realart.FAMILIES)
    t0 = time.perf_counter()
    results = {f: run_family(f, args) for f in families}
    body = render(results, args, time.perf_counter() - t0)
    if not args.families:
        write_section("packed", body)
    print(body)


if __name__ == "__main__":
    main()
