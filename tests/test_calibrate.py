from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sprite_lint.baseline import load_baseline
from sprite_lint.calibrate import CalibrateOptions, calibrate
from sprite_lint.synth import make_family
from tests.conftest import write_rgba


@pytest.fixture
def approved(tmp_path: Path) -> Path:
    for i, im in enumerate(make_family("icons", 22, seed=8)):
        write_rgba(tmp_path / "a" / f"{i}.png", im)
    return tmp_path / "a"


def test_same_seed_same_baseline_other_seed_other(approved: Path, tmp_path: Path) -> None:
    opts = CalibrateOptions(epochs=2, seed=3, width=8)
    calibrate([approved], tmp_path / "one", opts)
    calibrate([approved], tmp_path / "two", opts)
    calibrate([approved], tmp_path / "three", CalibrateOptions(epochs=2, seed=4, width=8))
    one = (tmp_path / "one" / "manifest.json").read_bytes()
    assert one == (tmp_path / "two" / "manifest.json").read_bytes()  # scores, hashes, all of it
    assert one != (tmp_path / "three" / "manifest.json").read_bytes()


BASELINE_FILES = ("manifest.json", "model.onnx", "reference.npz")


def test_same_sprites_give_byte_identical_baseline_files_whatever_the_threads(
    approved: Path, tmp_path: Path
) -> None:
    import torch

    opts = CalibrateOptions(epochs=2, seed=3, width=8)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # the caller's setting (or the machine's cores) ...
        calibrate([approved], tmp_path / "one", opts)
        torch.set_num_threads(2)
        calibrate([approved], tmp_path / "two", opts)
        assert torch.get_num_threads() == 2  # ... is left as it was
    finally:
        torch.set_num_threads(threads)
    for name in BASELINE_FILES:  # ... and changes nothing: training threads are fixed
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    manifest = load_baseline(tmp_path / "one").manifest
    assert manifest["training"]["threads"] == {"torch": 2, "blas": 1}


def test_other_names_and_order_give_the_same_model_and_scores(
    approved: Path, tmp_path: Path
) -> None:
    import numpy as np

    from sprite_lint.check import Detector

    files = sorted(approved.iterdir())
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for k, f in enumerate(reversed(files)):  # other names, sorting in another order
        (renamed / f"sprite_{k:03d}_{random.Random(k).random():.6f}.png").write_bytes(
            f.read_bytes()
        )
    opts = CalibrateOptions(epochs=2, seed=3, width=8)
    calibrate([approved], tmp_path / "one", opts)
    calibrate([renamed], tmp_path / "two", opts)
    one, two = load_baseline(tmp_path / "one"), load_baseline(tmp_path / "two")
    assert one.model_bytes == two.model_bytes
    for key in ("calibration", "calibration_raw", "standardizer", "kde", "training"):
        assert one.manifest[key] == two.manifest[key], key
    for key, value in one.arrays.items():
        if key != "sprite_names":  # the names themselves differ, of course
            assert np.array_equal(value, two.arrays[key]), key
    probe = make_family("icons", 30, seed=8)[22:] + make_family("creatures", 4, seed=1)
    a = Detector(one).judge_many([str(i) for i in range(len(probe))], probe)
    b = Detector(two).judge_many([str(i) for i in range(len(probe))], probe)
    assert [(r.score, r.status) for r in a] == [(r.score, r.status) for r in b]


def test_cross_conformal_below_split_size(approved: Path, tmp_path: Path) -> None:
    result = calibrate([approved], tmp_path / "b", CalibrateOptions(epochs=1, width=8))
    assert result.split == "cross" and result.calibration.n == 22
    assert result.calibration.method == "tail" and result.warnings
    # says to calibrate on more sprites, not to run `approve` (which accepts a file's bytes)
    assert any("Calibrate on about 100 approved sprites or more" in w for w in result.warnings)
    # the procedural icons repeat: 22 files, 12 distinct sprites, and the warning says so
    assert any(w.startswith("10 of the 22 approved sprites") for w in result.warnings)
    assert "Approve about" not in " ".join(result.warnings)
    manifest = load_baseline(tmp_path / "b").manifest
    assert manifest["split"] == {"method": "cross", "n_approved": 22, "n_calibration": 22}


def test_progress_plans_every_round_and_the_final_phase(approved: Path, tmp_path: Path) -> None:
    """Before the first fold, calibrate reports every phase and its steps (five folds,
    then the final phase), so a display can estimate the whole run, not one round; each
    round then takes exactly the steps planned, and the final phase is announced after
    the last fold's last step."""
    from sprite_lint.calibrate import FINAL_PHASE

    events: list[tuple[str, object]] = []
    calibrate(
        [approved],
        tmp_path / "b",
        CalibrateOptions(epochs=2, width=8),
        on_phase=lambda label: events.append(("phase", label)),
        on_step=lambda step, total, _loss: events.append(("step", (step, total))),
        on_plan=lambda phases: events.append(("plan", list(phases))),
    )
    kind, plan = events[0]
    assert kind == "plan" and [label for label, _ in plan] == [  # type: ignore[union-attr]
        *(f"fold {k}/5" for k in range(1, 6)),
        FINAL_PHASE,
    ]
    phases = [label for kind, label in events if kind == "phase"]
    assert phases == [label for label, _ in plan]  # type: ignore[union-attr]
    steps: dict[str, list[tuple[int, int]]] = {}
    phase = ""
    for kind, value in events[1:]:
        if kind == "phase":
            phase = str(value)
        else:
            steps.setdefault(phase, []).append(value)  # type: ignore[arg-type]
    for label, planned in plan:  # type: ignore[union-attr]
        taken = steps.get(label, [])
        assert len(taken) == planned and all(total == planned for _, total in taken), label
    assert FINAL_PHASE not in steps and sum(n for _, n in plan) == 5 * 2  # type: ignore[union-attr]


def test_killed_calibrate_leaves_a_loadable_baseline(approved: Path, tmp_path: Path) -> None:
    target = tmp_path / "b"
    cmd = [
        sys.executable,
        "-m",
        "sprite_lint",
        "calibrate",
        str(approved),
        "-b",
        str(target),
        "--epochs",
        "1",
        "--device",
        "cpu",
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    before = load_baseline(target).sha256
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--seed", "1"], check=True, capture_output=True, timeout=300)
    duration = time.perf_counter() - t0
    rng = random.Random(0)
    for attempt in range(3):
        proc = subprocess.Popen(
            [*cmd, "--seed", str(10 + attempt)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 1.0) * duration)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        loaded = load_baseline(target)  # old or new, it loads: whole, hashes verified
        assert loaded.calibration.threshold > 0
    # the next successful calibrate clears what killed ones left behind
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    assert load_baseline(target).sha256 == before  # seed 0 again: the same baseline
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".b.tmp-", ".b.old"))]


def test_mixed_styles_are_named_and_one_style_is_not() -> None:
    from sprite_lint.calibrate import mixed_styles
    from sprite_lint.synth import make_family

    gems = make_family("gems", 30, seed=1)
    pixel = make_family("creatures", 30, seed=2)
    names = [f"gems/{i}.png" for i in range(30)] + [f"creatures/{i}.png" for i in range(30)]
    warning = mixed_styles(gems + pixel, names, seed=0)
    assert warning is not None and "two art styles" in warning
    assert "gems/0.png" in warning and "creatures/0.png" in warning
    assert mixed_styles(make_family("gems", 60, seed=3), names, seed=0) is None


def test_copies_of_one_sprite_share_a_group_with_their_sheets() -> None:
    import numpy as np

    from sprite_lint.calibrate import grouped_folds, same_pixels_together

    a, b, c = (np.full((8, 8, 4), v, np.uint8) for v in (10, 20, 30))
    images = [a, b, a.copy(), c, b.copy(), np.full((8, 9, 4), 10, np.uint8)]
    # samples 3 and 4 are frames of one sheet (group 3); the rest are loose files
    groups = np.array([0, 1, 2, 3, 3, 5])
    merged = same_pixels_together(images, groups)
    # 0 and 2 are the same pixels; 1 and 4 too, and 4 shares a sheet with 3; the 8x9
    # sprite has the same bytes as ``a`` but another shape: its own group
    assert merged.tolist() == [0, 1, 0, 1, 1, 5]
    folds, _ = grouped_folds(np.arange(6), merged, 3)
    for fold in folds:
        for i in fold:
            assert all(j in fold for j in np.flatnonzero(merged == merged[i]))
    # without copies nothing changes
    assert same_pixels_together([a, b, c], np.array([0, 1, 2])).tolist() == [0, 1, 2]


def test_sets_outlined_and_not_are_two_styles() -> None:
    """Sprites outlined in black ink mixed with sprites that are not (two vendors' sets)
    are named as two styles; a set of either kind alone is one style."""
    import numpy as np

    from sprite_lint.calibrate import mixed_styles, outline_split

    yy, xx = np.mgrid[0:32, 0:32]
    rng = np.random.default_rng(0)

    def sprite(r: float, inked: bool) -> np.ndarray:
        d = np.hypot(yy - 16, xx - 16)
        im = np.zeros((32, 32, 4), np.uint8)
        im[d <= r] = (*rng.integers(60, 255, 3), 255)
        if inked:
            im[(d <= r) & (d > r - 2)] = (8, 8, 8, 255)
        return im

    plain = [sprite(8 + i % 6, False) for i in range(30)]
    inked = [sprite(8 + i % 6, True) for i in range(30)]
    names = [f"a/{i}.png" for i in range(30)] + [f"b/{i}.png" for i in range(30)]
    warning = outline_split(plain + inked, names)
    assert warning is not None and "two art styles" in warning
    assert "30 without a dark outline: a/0.png" in warning
    assert "30 outlined in dark ink: b/0.png" in warning
    # the smaller group, the one to move, is named in full (up to SPLIT_LISTED)
    assert ", ".join(f"a/{i}.png" for i in range(30)) in warning
    assert mixed_styles(plain + inked, names, seed=0) == warning
    few = outline_split(plain + inked[:20], names[:50])
    assert few is not None and ", ".join(f"b/{i}.png" for i in range(20)) in few
    assert "a/0.png, a/1.png, a/2.png, ..." in few and "written all the same" in few
    assert outline_split(plain + inked[:5], names[:35]) is None  # a few dark objects
    assert outline_split(inked, names[30:]) is None and outline_split(plain, names) is None
    # one set of flat shapes, half of them dark: dark to the edge, but not outlined
    dark = [sprite(8 + i % 6, False) for i in range(30)]
    for im in dark:
        im[im[..., 3] > 0, :3] = (10, 12, 9)
    assert outline_split(plain + dark, names) is None


def test_the_outline_split_says_how_many_sprites_it_counted_as_neither() -> None:
    """The warning's counts add up to every approved sprite: those in neither group are
    counted, with why (a trial's "54 outlined ... and 59 without ..." of 120 left 7
    unexplained)."""
    import numpy as np

    from sprite_lint.calibrate import outline_split

    yy, xx = np.mgrid[0:32, 0:32]
    d = np.hypot(yy - 16, xx - 16)

    def sprite(r: float, ink: str) -> np.ndarray:
        im = np.zeros((32, 32, 4), np.uint8)
        im[d <= r] = (200, 120, 60, 255)
        rim = (d <= r) & (d > r - 2)
        if ink == "all":
            im[rim] = (8, 8, 8, 255)
        elif ink == "half":  # the left half of the outline only
            im[rim & (xx < 16)] = (8, 8, 8, 255)
        elif ink == "dark":  # a dark shape: near black inside too
            im[d <= r, :3] = 9
        return im

    plain = [sprite(8 + i % 6, "none") for i in range(30)]
    inked = [sprite(8 + i % 6, "all") for i in range(30)]
    dark = [sprite(9 + i, "dark") for i in range(4)]
    half = [sprite(9 + i, "half") for i in range(3)]
    names = [f"s/{i}.png" for i in range(67)]
    warning = outline_split(plain + inked + dark + half, names)
    assert warning is not None
    assert "30 outlined in dark ink" in warning and "30 without a dark outline" in warning
    assert "; 7 more counted as neither: 4 dark shape(s), near black inside" in warning
    assert "3 with an outline only partly near black (20% to 60% of it)" in warning
    assert "neither" not in outline_split(plain + inked, names[:60])  # all counted


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sprite_lint", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_a_baseline_that_cannot_be_written_is_refused_before_training(
    approved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--baseline`` naming a file, or a folder where no folder can be made, is one line
    and exit 2 at once (it had been an internal error after the whole training)."""
    from sprite_lint.baseline import check_baseline_target
    from sprite_lint.errors import BaselineError

    (tmp_path / "afile").write_text("keep")
    r = _cli("calibrate", str(approved), "-b", "afile", "--epochs", "1", cwd=tmp_path)
    assert r.returncode == 2 and "it is a file, not a folder" in r.stderr, r.stderr
    assert "internal error" not in r.stderr and "step" not in r.stderr  # no training
    assert (tmp_path / "afile").read_text() == "keep"

    def denied(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkdtemp", denied)  # as a read-only folder does (not root)
    with pytest.raises(BaselineError, match="cannot create a folder in .*Permission denied"):
        check_baseline_target(tmp_path / "ro" / "bl")


def test_calibrate_refuses_loops_bad_seeds_and_escapes_odd_names(
    approved: Path, tmp_path: Path
) -> None:
    """A symlink loop among the sprites is an unreadable file (it had been an internal
    RuntimeError); a seed outside 0 .. 2**32 - 1 is refused at once; a file's name in the
    refusal is one line, its control characters escaped."""
    art = tmp_path / "art"
    art.mkdir()
    for p in sorted(approved.glob("*.png"))[:25]:
        (art / p.name).write_bytes(p.read_bytes())
    (art / "loop.png").symlink_to("loop.png")
    (art / "evil\nerror: fake\x1b[2J.png").write_bytes(b"not a png")
    r = _cli("calibrate", str(art), "-b", "bl", "--epochs", "1", cwd=tmp_path)
    assert r.returncode == 2 and "internal error" not in r.stderr, r.stderr
    assert "loop.png: cannot read file" in r.stderr, r.stderr
    assert "evil\\nerror: fake\\x1b[2J.png: not a PNG file" in r.stderr, r.stderr
    assert not any(line.startswith("error: fake") for line in r.stderr.splitlines())
    assert not (tmp_path / "bl").exists()
    for seed in ("-1", "4294967296"):
        r = _cli("calibrate", str(approved), "-b", "bl", "--seed", seed, cwd=tmp_path)
        assert r.returncode == 2 and "seed must be an integer from 0" in r.stderr, r.stderr


def test_identical_sprites_are_one_style_without_a_library_warning() -> None:
    """Thirty copies of one sprite (or all-transparent ones): one style, and no raw
    scikit-learn ConvergenceWarning on the user's terminal."""
    import warnings

    from sprite_lint.calibrate import mixed_styles

    one = make_family("creatures", 1, seed=4)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        assert mixed_styles([one] * 30, [f"c{i}.png" for i in range(30)], seed=0) is None


def test_copies_of_one_sprite_are_called_copies_not_a_sheet(tmp_path: Path) -> None:
    one = make_family("creatures", 1, seed=4)[0]
    for i in range(20):
        write_rgba(tmp_path / "a" / f"copy{i}.png", one)
    result = calibrate([tmp_path / "a"], tmp_path / "bl", CalibrateOptions(epochs=1))
    said = " ".join(result.warnings)
    assert "copies of one sprite (20 files with the same pixels)" in said, said
    assert "frames of one sheet" not in said
