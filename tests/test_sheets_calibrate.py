"""Calibrating on sheets, and --changed-since on a committed sheet in a real repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sprite_lint.calibrate import CalibrateOptions, calibrate, grouped_folds, grouped_split
from sprite_lint.cli import app
from sprite_lint.sheets import GridSpec, SheetSettings
from sprite_lint.synth import make_family
from tests.conftest import git, init_repo, write_rgba
from tests.test_sheets import (  # noqa: F401 (the autouse fixture applies here too)
    _frames_the_tiny_baseline_passes,
    atlas_json,
    broken,
    grid_sheet,
    held_out,
)

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def test_folds_never_split_a_sheet() -> None:
    groups = np.repeat(np.arange(3), 200)  # three tilesets of 200 tiles
    order = np.random.default_rng(0).permutation(600)
    held, train, one = grouped_split(order, groups, 120)
    assert not one and len(held) == 200 and len(train) == 400
    assert set(groups[held]).isdisjoint(groups[train])
    folds, one = grouped_folds(order, groups, 5)
    assert not one and len(folds) == 3  # as many folds as sheets, at most 5
    assert sorted(np.concatenate(folds).tolist()) == list(range(600))
    assert all(len(set(groups[f])) == 1 for f in folds)
    mixed = np.array([0] * 30 + list(range(1, 21)))  # one sheet of 30 frames, 20 loose sprites
    folds, _ = grouped_folds(np.random.default_rng(1).permutation(50), mixed, 5)
    assert len(folds) == 5 and sum(0 in set(mixed[f]) for f in folds) == 1
    assert max(len(f) for f in folds) - min(len(f) for f in folds) <= 25


def test_one_sheet_is_cut_in_contiguous_blocks_and_warned_about() -> None:
    groups = np.zeros(40, np.int64)
    folds, one = grouped_folds(np.random.default_rng(0).permutation(40), groups, 5)
    assert one and [f.tolist() for f in folds][0] == list(range(8))


def test_calibrate_on_three_tilesets(tmp_path: Path) -> None:
    tiles = [t for t in make_family("tiles", 120, seed=5) if t.shape[:2] == (32, 32)][:30]
    for k in range(3):
        write_rgba(
            tmp_path / "approved" / f"terrain{k}.png", grid_sheet(tiles[k * 10 : k * 10 + 10], 5)
        )
    sheets = SheetSettings(grid=GridSpec(32, 32))
    opts = CalibrateOptions(epochs=1, seed=0, width=8, sheets=sheets)
    result = calibrate([tmp_path / "approved"], tmp_path / "baseline", opts)
    assert result.n_sprites == 30 and result.split == "cross"
    assert result.frames == 30  # said: "30 approved sprites (30 of them frames of sheets)"
    assert not any("one sheet" in w for w in result.warnings)
    assert not any("outside every frame" in w for w in result.warnings)
    from sprite_lint.baseline import load_baseline

    names = load_baseline(tmp_path / "baseline").arrays["sprite_names"].tolist()
    # sheets in the order of their content's hash, each sheet's frames together and in order
    assert sorted(names) == sorted(
        f"approved/terrain{k}.png#{i}" for k in range(3) for i in range(10)
    )
    for k in range(3):
        pos = [j for j, n in enumerate(names) if n.startswith(f"approved/terrain{k}.png#")]
        assert pos == list(range(pos[0], pos[0] + 10))
        assert [names[j] for j in pos] == [f"approved/terrain{k}.png#{i}" for i in range(10)]
    # without the grid, three PNGs are too few to calibrate
    from sprite_lint.errors import CalibrationError

    with pytest.raises(CalibrationError, match="found 3 approved"):
        calibrate([tmp_path / "approved"], tmp_path / "b2", CalibrateOptions(epochs=1, width=8))


def test_a_frame_size_that_leaves_art_uncut_is_warned_about(tmp_path: Path) -> None:
    """--grid 8x8 on 30x30 sheets drops a 6-pixel strip on two sides: calibrate names the
    sheets and the pixels it does not learn from (it had dropped them without a word)."""
    from sprite_lint.calibrate import load_approved, uncut_warning

    rng = np.random.default_rng(0)
    for k in range(4):
        sheet = np.zeros((30, 30, 4), np.uint8)
        sheet[1:29, 1:29] = rng.integers(1, 256, (28, 28, 4), dtype=np.uint8)
        write_rgba(tmp_path / "approved" / f"s{k}.png", sheet)
    clean = np.zeros((32, 32, 4), np.uint8)
    clean[1:31, 1:31] = 255
    write_rgba(tmp_path / "approved" / "clean.png", clean)
    opts = CalibrateOptions(sheets=SheetSettings(grid=GridSpec(8, 8)))
    approved = load_approved([tmp_path / "approved"], opts)
    uncut = dict(approved.uncut)
    assert len(uncut) == 4 and not any(n.endswith("clean.png") for n in uncut)
    # 28x28 of content, of which frames cover 23x23 (x, y 1..23): the rest is uncut
    assert set(uncut.values()) == {28 * 28 - 23 * 23}
    text = uncut_warning(approved.uncut)
    assert text.startswith("4 approved sheet(s) have visible pixels outside every frame")
    assert "s0.png: 255 pixel(s)" in text and "--grid" in text


@pytest.fixture
def repo(tmp_path: Path, tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "game"
    frames = held_out(8)
    write_rgba(repo / "art" / "hero_run.png", grid_sheet(frames, 8))
    rects = {f"hero {i}.aseprite": (24 * i, 0, 24, 24) for i in range(8)}
    (repo / "art" / "hero_run.json").write_text(atlas_json(rects, "hash", size=(192, 24)))
    write_rgba(repo / "art" / "single.png", held_out(9)[8])
    shutil.copytree(tiny_baseline, repo / "baselines" / "default")
    init_repo(repo, "approved art and baseline")
    monkeypatch.chdir(repo / "art")
    return repo


def test_changed_since_reports_the_broken_frame_of_a_committed_sheet_only(repo: Path) -> None:
    before = json.loads(CliRunner().invoke(app, ["check", "--all", "-f", "json"], env=ENV).stdout)
    assert before["summary"]["fail"] == 0  # the committed sheet passes
    write_rgba(repo / "art" / "hero_run.png", grid_sheet(broken(held_out(8), 5), 8))
    r = CliRunner().invoke(app, ["check", "--changed-since", "HEAD", "-f", "json"], env=ENV)
    assert r.exit_code == 1, r.output
    rows = json.loads(r.stdout)["files"]
    assert len(rows) == 1  # not single.png (unchanged), not the sheet's seven good frames
    (row,) = rows
    assert row["path"] == "art/hero_run.png" and row["change"] == "modified"
    assert row["frame"] == {
        "index": 5,
        "name": "hero 5.aseprite",
        "x": 120,
        "y": 0,
        "w": 24,
        "h": 24,
    }
    assert row["previous_score"] is not None and row["previous_score"] < row["score"]


def test_an_edited_data_file_rechecks_its_sheet(repo: Path) -> None:
    rects = {f"hero {i}.aseprite": (24 * i, 0, 24, 24) for i in range(8)}
    rects["hero 7.aseprite"] = (170, 0, 24, 24)  # now reaches past the image's edge
    (repo / "art" / "hero_run.json").write_text(atlas_json(rects, "hash", size=(192, 24)))
    r = CliRunner().invoke(app, ["check", "--changed-since", "HEAD", "-f", "json"], env=ENV)
    assert r.exit_code == 2, r.output
    (row,) = json.loads(r.stdout)["files"]
    assert row["path"] == "art/hero_run.png" and row["status"] == "error"
    assert "hero_run.json (Aseprite): frame 7 (hero 7.aseprite)" in row["message"]


def test_staged_check_cuts_the_sheet_with_its_staged_data_file(repo: Path) -> None:
    write_rgba(repo / "art" / "hero_run.png", grid_sheet(broken(held_out(8), 2), 8))
    git(repo, "add", "art/hero_run.png")
    (repo / "art" / "hero_run.json").unlink()  # the working tree's data file is gone
    r = CliRunner().invoke(app, ["check", "--staged", "-f", "json"], env=ENV)
    assert r.exit_code == 1, r.output
    (row,) = json.loads(r.stdout)["files"]
    assert row["frame"]["index"] == 2 and row["frame"]["name"] == "hero 2.aseprite"


def test_three_tilesets_of_200_tiles_calibrate_with_whole_sheets_held_out(tmp_path: Path) -> None:
    tiles = [t for t in make_family("tiles", 1400, seed=5) if t.shape[:2] == (32, 32)][:600]
    for k in range(3):
        write_rgba(tmp_path / "tiles" / f"t{k}.png", grid_sheet(tiles[k * 200 : (k + 1) * 200], 20))
    opts = CalibrateOptions(epochs=1, width=8, sheets=SheetSettings(grid=GridSpec(32, 32)))
    result = calibrate([tmp_path / "tiles"], tmp_path / "baseline", opts)
    assert (result.n_sprites, result.split) == (600, "split")
    assert result.calibration.n == 200  # one whole tileset held out, never a part of one


def test_copies_are_counted_and_warned_about(tmp_path: Path) -> None:
    """Ten sprites approved twice each are ten distinct sprites: calibrate had said it
    calibrated on 20, with no word on the copies (found by a tech artist's trial)."""
    from sprite_lint.calibrate import copies_warning, load_approved

    sprites = make_family("creatures", 10, seed=2)
    for i, im in enumerate(sprites):
        write_rgba(tmp_path / "approved" / f"a{i}.png", im)
        write_rgba(tmp_path / "approved" / f"b{i}.png", im)
    approved = load_approved([tmp_path / "approved"], CalibrateOptions())
    assert approved.copies == 10 and len(approved.images) == 20
    text = copies_warning(approved.copies, len(approved.images))
    assert text.startswith("10 of the 20 approved sprites and frames are copies of others")
    assert "holds 10 distinct sprites; 10 is fewer than the 20 distinct" in text
    assert "fewer than" not in copies_warning(10, 40)
    # frames repeated within one sheet (a packer's merged frames) are not copies
    (tmp_path / "approved").mkdir(exist_ok=True)
    for p in (tmp_path / "approved").glob("b*.png"):
        p.unlink()
    for i, im in enumerate(make_family("creatures", 10, seed=31)):
        write_rgba(tmp_path / "approved" / f"c{i}.png", im)
    frame = make_family("creatures", 1, seed=30)[0]
    write_rgba(tmp_path / "approved" / "hero.png", grid_sheet([frame, frame, frame], 3))
    grid = CalibrateOptions(sheets=SheetSettings(grid=GridSpec(*frame.shape[1::-1])))
    assert load_approved([tmp_path / "approved"], grid).copies == 0
