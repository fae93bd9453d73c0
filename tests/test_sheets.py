"""Sprite sheets, tilesets and atlases: layouts, frames, sheet faults, check and explain."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.errors import SheetError
from sprite_lint.sheets import (
    GridSpec,
    SheetRule,
    SheetSettings,
    crop_frame,
    find_layout,
    frame_images,
    grid_layout,
    parse_frame_ref,
    parse_json,
    parse_tsx,
    sheet_faults,
)
from sprite_lint.synth import inject, make_family
from tests.conftest import write_rgba

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}
CELL = 24


_PASSING: list[np.ndarray] = []


@pytest.fixture(autouse=True, scope="module")
def _frames_the_tiny_baseline_passes(tiny_baseline: Path) -> None:
    """Held-out creatures that pass the tiny baseline on their own (it trains 2 epochs, so a
    few normal sprites fail it): a test that breaks one frame must see that frame only."""
    from sprite_lint.baseline import load_baseline
    from sprite_lint.check import Detector

    if _PASSING:
        return
    cells = []
    for im in make_family("creatures", 24 + 24, seed=3)[24:]:
        cell = np.zeros((CELL, CELL, 4), np.uint8)
        h, w = im.shape[:2]
        y, x = (CELL - h) // 2, (CELL - w) // 2
        cell[y : y + h, x : x + w] = im
        cells.append(cell)
    rows = Detector(load_baseline(tiny_baseline)).judge_many(
        [f"c{i}" for i in range(len(cells))], cells
    )
    _PASSING.extend(c for c, r in zip(cells, rows) if r.status == "pass")
    assert len(_PASSING) >= 12, "the tiny baseline fails too many normal creatures"


def held_out(n: int = 8) -> list[np.ndarray]:
    """Creatures the tiny baseline did not train on and passes, each centred in a CELL x
    CELL frame."""
    return [c.copy() for c in _PASSING[:n]]


def grid_sheet(frames: list[np.ndarray], columns: int, margin: int = 0, spacing: int = 0):
    """Frames laid out in a grid, as Tiled and Godot describe one."""
    h, w = frames[0].shape[:2]
    rows = -(-len(frames) // columns)
    sheet = np.zeros(
        (
            2 * margin + rows * h + (rows - 1) * spacing,
            2 * margin + columns * w + (columns - 1) * spacing,
            4,
        ),
        np.uint8,
    )
    for i, f in enumerate(frames):
        y = margin + (i // columns) * (h + spacing)
        x = margin + (i % columns) * (w + spacing)
        sheet[y : y + h, x : x + w] = f
    return sheet


def broken(frames: list[np.ndarray], k: int) -> list[np.ndarray]:
    out = list(frames)
    out[k] = inject(frames[k], "foreign_blob", np.random.default_rng(0))
    return out


def atlas_json(
    frames: dict[str, tuple[int, int, int, int]],
    layout: str,
    app: str = "https://www.aseprite.org/",
    size: tuple[int, int] | None = None,
    extra: dict[str, dict] | None = None,
) -> str:
    """Aseprite / TexturePacker JSON, hash or array layout."""
    entries = {
        name: {
            "frame": {"x": x, "y": y, "w": w, "h": h},
            "rotated": False,
            "trimmed": False,
            "spriteSourceSize": {"x": 0, "y": 0, "w": w, "h": h},
            "sourceSize": {"w": w, "h": h},
            **((extra or {}).get(name, {})),
        }
        for name, (x, y, w, h) in frames.items()
    }
    meta = {"app": app, "image": "sheet.png", "format": "RGBA8888"}
    if size is not None:
        meta["size"] = {"w": size[0], "h": size[1]}
    if layout == "hash":
        doc = {"frames": entries, "meta": meta}
    else:
        doc = {"frames": [{"filename": n, **e} for n, e in entries.items()], "meta": meta}
    return json.dumps(doc)


def tsx(tw: int, th: int, count: int, columns: int, width: int, height: int, **attrs: str) -> str:
    ts = ET.Element(
        "tileset",
        version="1.10",
        name="terrain",
        tilewidth=str(tw),
        tileheight=str(th),
        tilecount=str(count),
        columns=str(columns),
        **{k: v for k, v in attrs.items() if k in ("margin", "spacing")},
    )
    ET.SubElement(
        ts,
        "image",
        source="terrain.png",
        width=str(width),
        height=str(height),
        **({"trans": attrs["trans"]} if "trans" in attrs else {}),
    )
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(ts, encoding="unicode")


def run(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


# --------------------------------------------------------------------------- layouts


def test_grid_counts_whole_frames_with_margin_and_spacing_as_tiled_does() -> None:
    spec = GridSpec.parse("16x8", margin=2, spacing=1)
    layout = grid_layout(spec, 2 * 2 + 3 * 16 + 2 * 1 + 5, 2 * 2 + 2 * 8 + 1, "t.png")
    assert layout.columns == 3 and len(layout.frames) == 6  # the 5 px left over is no frame
    f = layout.frames[4]
    assert (f.index, f.x, f.y, f.w, f.h) == (4, 2 + 17, 2 + 9, 16, 8)
    assert f.label == "#4 (x=19 y=11 16x8)"
    with pytest.raises(SheetError, match="no whole frame"):
        grid_layout(GridSpec(64, 64), 32, 32, "small.png")


@pytest.mark.parametrize("text", ["32", "32x", "axb", "0x4", "-2x4"])
def test_bad_grid_is_a_usage_error(text: str) -> None:
    from sprite_lint.errors import UsageError

    if text == "32":
        assert GridSpec.parse(text) == GridSpec(32, 32)
        return
    with pytest.raises(UsageError):
        GridSpec.parse(text)


@pytest.mark.parametrize("layout", ["hash", "array"])
def test_aseprite_json_both_layouts_with_a_trimmed_frame(layout: str) -> None:
    extra = {
        "run 1.aseprite": {
            "trimmed": True,
            "spriteSourceSize": {"x": 3, "y": 5, "w": 10, "h": 12},
            "sourceSize": {"w": 24, "h": 24},
        }
    }
    data = atlas_json(
        {"run 0.aseprite": (0, 0, 24, 24), "run 1.aseprite": (24, 0, 10, 12)},
        layout,
        size=(34, 24),
        extra=extra,
    )
    lay = parse_json(data.encode(), "run.json")
    assert lay is not None and "Aseprite" in lay.source
    assert [f.name for f in lay.frames] == ["run 0.aseprite", "run 1.aseprite"]
    sheet = np.zeros((24, 34, 4), np.uint8)
    sheet[0:12, 24:34] = 200
    frame = crop_frame(sheet, lay.frames[1])
    assert frame.shape == (24, 24, 4)  # back in its untrimmed size...
    assert frame[5:17, 3:13].min() == 200 and frame[..., 3].sum() == 200 * 10 * 12  # ...in place


def test_texturepacker_hash_and_array_and_merged_duplicates() -> None:
    tp = "https://www.codeandweb.com/texturepacker"
    for layout in ("hash", "array"):
        lay = parse_json(
            atlas_json(
                {"a.png": (0, 0, 8, 8), "b.png": (0, 0, 8, 8), "c.png": (9, 0, 4, 4)}, layout, tp
            ).encode(),
            "atlas.json",
        )
        assert lay is not None and "TexturePacker" in lay.source and len(lay.frames) == 3
        # two names on one rectangle are a merged duplicate, not an overlap
        from sprite_lint.sheets import check_layout

        check_layout(lay, 16, 8, "atlas.png")


def test_rotated_frames_are_refused_with_a_message() -> None:
    data = atlas_json({"a": (0, 0, 8, 8)}, "hash", extra={"a": {"rotated": True}})
    with pytest.raises(SheetError, match="rotated"):
        parse_json(data.encode(), "hero.json")


def test_tiled_tileset_with_margin_spacing_and_colour_key() -> None:
    text = tsx(
        8, 8, 4, 2, 2 * 1 + 2 * 8 + 2, 2 * 1 + 2 * 8 + 2, margin="1", spacing="2", trans="ff00ff"
    )
    lay = parse_tsx(text.encode(), "terrain.tsx")
    assert [(f.x, f.y) for f in lay.frames] == [(1, 1), (11, 1), (1, 11), (11, 11)]
    assert lay.declared_size == (20, 20) and lay.transparent == (255, 0, 255)
    sheet = np.zeros((20, 20, 4), np.uint8)
    sheet[..., :3] = (255, 0, 255)
    sheet[..., 3] = 255  # magenta everywhere: the colour key, transparent...
    sheet[1:9, 1:9] = (10, 200, 30, 255)  # ...except tile 0
    assert [f.index for f, _ in frame_images(lay, sheet)] == [0]


@pytest.mark.parametrize(
    "text, match",
    [
        (
            '<tileset name="x" tilewidth="8" tileheight="8"><tile id="0"><image source="a.png"/></tile></tileset>',
            "collection of images",
        ),
        ('<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "b">]><tileset/>', "DOCTYPE"),
        ("<tileset", "not valid XML"),
        ('<map tilewidth="8"/>', "not <tileset>"),
        (
            '<tileset tilewidth="x" tileheight="8"><image source="a.png" width="8" height="8"/></tileset>',
            "whole number",
        ),
    ],
)
def test_malformed_tilesets_are_refused(text: str, match: str) -> None:
    with pytest.raises(SheetError, match=match):
        parse_tsx(text.encode(), "bad.tsx")


@pytest.mark.parametrize(
    "tileset, image, message",
    [
        ({"tilewidth": "0"}, {}, "<tileset> tilewidth='0' must be at least 1"),
        ({"tileheight": "-8"}, {}, "<tileset> tileheight='-8' must be at least 1"),
        ({"margin": "-1"}, {}, "<tileset> margin='-1' must be at least 0"),
        ({"spacing": "1_0"}, {}, "<tileset> spacing='1_0' is not a whole number"),
        ({"columns": "2.5"}, {}, "<tileset> columns='2.5' is not a whole number"),
        ({"tilecount": "9" * 5000}, {}, "<tileset> tilecount='9999"),
        (
            {"tilewidth": "99999999999"},
            {},
            "<tileset> tilewidth='99999999999' must be at most 2147483647",
        ),
        ({}, {"width": "abc"}, "<image> width='abc' is not a whole number"),
        ({}, {"height": "0"}, "<image> height='0' must be at least 1"),
        ({}, {"trans": "zzzzzz"}, "<image> trans='zzzzzz' is not a colour: Tiled writes"),
        ({}, {"trans": "#ff00f"}, "<image> trans='#ff00f' is not a colour"),
        ({}, {"trans": "0x00ff"}, "<image> trans='0x00ff' is not a colour"),
    ],
)
def test_each_bad_tileset_attribute_is_named_with_its_value(
    tileset: dict[str, str], image: dict[str, str], message: str
) -> None:
    """Not int()'s own words (invalid literal for int() with base 16), and not "not a whole
    number" for a whole number out of range."""
    ts = ET.fromstring(tsx(8, 8, 4, 2, 16, 16))
    ts.attrib.update(tileset)
    ts.find("image").attrib.update(image)  # type: ignore[union-attr]
    with pytest.raises(SheetError) as err:
        parse_tsx(ET.tostring(ts), "bad.tsx")
    assert str(err.value).startswith(f"bad.tsx (Tiled): {message}")
    assert "int()" not in str(err.value) and len(str(err.value)) < 200


def test_json_without_frames_beside_a_png_is_not_a_sheet(tmp_path: Path) -> None:
    (tmp_path / "hero.json").write_text('{"hp": 10}')
    assert find_layout(tmp_path / "hero.png", 24, 24, SheetSettings()) is None


def test_parse_frame_ref() -> None:
    assert parse_frame_ref("art/hero_run.png#3") == ("art/hero_run.png", 3)
    assert parse_frame_ref("hero_run.png#3 (x=96 y=0 32x32)") == ("hero_run.png", 3)
    assert parse_frame_ref("odd#name.png") == ("odd#name.png", None)
    # a label with the data file's frame name, even one holding "#" or ": "
    assert parse_frame_ref("a.png#3 (run #3: x=96 y=0 32x32)") == ("a.png", 3)
    assert parse_frame_ref("odd#1.png#12 (a: b: x=0 y=0 8x8)") == ("odd#1.png", 12)


# --------------------------------------------------------------------------- sheet faults


def _faults(sheet: np.ndarray, spec: GridSpec, **kw: bool):
    return sheet_faults(grid_layout(spec, sheet.shape[1], sheet.shape[0], "s.png", **kw), sheet)


def _blocks(n: int) -> list[np.ndarray]:
    """n distinct 12x12 frames: a block with a 2 px gap all round, standing on y=9."""
    out = []
    for i in range(n):
        f = np.zeros((12, 12, 4), np.uint8)
        f[3:10, 2:10] = (40 + 15 * i, 90, 160, 255)
        f[4, 3 + (i % 6)] = (250, 250, 250, 255)  # no two alike
        out.append(f)
    return out


def test_a_clean_sheet_has_no_faults() -> None:
    assert _faults(grid_sheet(_blocks(6), 3, margin=1, spacing=2), GridSpec(12, 12, 1, 2)) == []


def test_pixels_in_the_spacing_bleed_and_name_the_frame() -> None:
    sheet = grid_sheet(_blocks(6), 3, margin=1, spacing=2)
    sheet[5:8, 1 + 12 + 14] = 255  # in the spacing right of frame 1 (x=27)
    faults = _faults(sheet, GridSpec(12, 12, 1, 2))
    assert [(f.kind, f.frame.index) for f in faults] == [("bleed", 1)]
    assert "frame 1 bleeds" in faults[0].message and "x=27 y=5" in faults[0].message


def test_neighbours_running_into_each_other_and_a_frame_touching_its_edge() -> None:
    frames = _blocks(12)
    frames[1][6, 9:12] = 255  # frame 1 reaches its right edge...
    frames[2][6, 0:2] = 255  # ...and frame 2 continues it from its left edge
    frames[5][1:8, 0] = 255  # frame 5 touches its left edge alone (frame 4 keeps clear)
    faults = _faults(grid_sheet(frames, 4), GridSpec(12, 12))
    kinds = [(f.kind, f.frame.index) for f in faults]
    assert kinds == [("bleed", 1), ("edge", 5)]
    bleed = next(f for f in faults if f.kind == "bleed")
    assert "frames 1 and 2 run into each other" in bleed.message


def test_faint_pixels_at_a_cell_edge_are_not_content() -> None:
    frames = _blocks(6)
    frames[2][0, 4:8] = (40, 90, 160, 1)  # what a resample leaves: alpha 1 at the top edge
    frames[2][11, 4:8] = (40, 90, 160, 3)  # ...and at the bottom
    frames[4][11, 2:10, 3] = 10  # a faint shadow below the ground line moves no baseline
    assert _faults(grid_sheet(frames, 3), GridSpec(12, 12)) == []
    frames[2][0, 4:8, 3] = 200  # content: the frame runs into its cell's top edge
    faults = _faults(grid_sheet(frames, 3), GridSpec(12, 12))
    assert [(f.kind, f.frame.index) for f in faults] == [("edge", 2)]


def test_a_frame_filling_its_cell_or_a_1px_margin_convention_is_no_edge_fault() -> None:
    frames = _blocks(6)
    frames[2][5, :] = (40, 90, 160, 255)  # a bar across the cell: both edges, it fills it
    assert _faults(grid_sheet(frames, 3), GridSpec(12, 12)) == []
    wide = []
    for f in _blocks(6):  # the others keep only 1 px at the left and right
        g = f.copy()
        g[3:10, 1:11] = g[3:10, 2:10].mean(axis=1, keepdims=True).astype(np.uint8)
        wide.append(g)
    wide[4][6, 0] = (40, 90, 160, 255)  # an earring reaching the left edge
    assert _faults(grid_sheet(wide, 3), GridSpec(12, 12)) == []


def test_a_frame_cut_off_at_its_edge_is_one_row_not_two() -> None:
    from sprite_lint.check import FileResult, _Sheet, sheet_rows
    from sprite_lint.sheets import Fault, Frame, Layout

    frames = [Frame(i, 12 * i, 0, 12, 12) for i in range(3)]
    cut = FileResult(path="s.png", status="fail", message="content cut off", driver="cut")
    cut.frame = frames[1]
    faults = [
        Fault("bleed", frames[1], "frame 1 bleeds", 0, 0, 1, 1),
        Fault("edge", frames[1], "frame 1 touches the left edge", 12, 0, 1, 5),
        Fault("edge", frames[2], "frame 2 touches the left edge", 24, 0, 1, 5),
    ]
    layout = Layout("12x12 grid", tuple(frames))
    rows = sheet_rows(_Sheet("s.png", layout, "0" * 64, (), 0, faults, [cut]))
    assert [(r.driver, r.frame.index) for r in rows if r.frame] == [
        ("cut", 1),
        ("bleed", 1),
        ("edge", 2),  # frame 2 has no cut row of its own: its edge fault stays
    ]


def test_tiles_that_fill_their_cells_are_not_edge_faults() -> None:
    tiles = make_family("tiles", 40, seed=1)
    tiles = [t for t in tiles if t.shape[:2] == (32, 32)][:6]
    assert _faults(grid_sheet(tiles, 3), GridSpec(32, 32)) == []


def test_a_frame_off_the_others_baseline() -> None:
    frames = _blocks(6)
    frames[3] = np.roll(frames[3], 1, axis=0)  # one pixel lower: an off-by-one cut
    faults = _faults(grid_sheet(frames, 6, spacing=1), GridSpec(12, 12, 0, 1))
    assert [(f.kind, f.frame.index) for f in faults] == [("anchor", 3)]
    assert "1 px lower" in faults[0].message


def test_a_repeated_frame_unless_repeats_are_allowed() -> None:
    frames = _blocks(6)
    frames[5] = frames[2].copy()
    sheet = grid_sheet(frames, 3, spacing=1)
    faults = _faults(sheet, GridSpec(12, 12, 0, 1))
    assert [(f.kind, f.frame.index) for f in faults] == [("repeat", 5)]
    assert "frame 5 repeats frame 2" in faults[0].message
    assert _faults(sheet, GridSpec(12, 12, 0, 1), allow_repeats=True) == []


# --------------------------------------------------------------------------- check


@pytest.fixture
def project(tmp_path: Path, tiny_baseline: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.sprite-lint]\n"
        f'baseline = "{tiny_baseline.as_posix()}"\n'
        "[tool.sprite-lint.sheets]\n"
        '"art/chars/*.png" = { grid = "24x24", spacing = 2, margin = 1 }\n'
        '"art/tiles/*.png" = "24x24"\n'
    )
    return tmp_path


def test_check_reports_the_failing_frame_only(project: Path) -> None:
    frames = broken(held_out(8), 3)
    write_rgba(project / "art/chars/hero_run.png", grid_sheet(frames, 4, margin=1, spacing=2))
    r = run("check", "art/chars/hero_run.png", "-f", "json")
    assert r.exit_code == 1, r.output
    rows = json.loads(r.stdout)["files"]
    assert [(x["path"], x["status"], x["frame"]["index"]) for x in rows] == [
        ("art/chars/hero_run.png", "fail", 3)
    ]
    assert rows[0]["frame"] == {"index": 3, "name": None, "x": 79, "y": 1, "w": 24, "h": 24}
    table = run("check", "art/chars/hero_run.png")
    assert "art/chars/hero_run.png#3 (x=79 y=1 24x24)" in table.stdout
    assert "FAIL art/chars/hero_run.png#3 (x=79 y=1 24x24): " in table.stdout


def test_a_good_sheet_is_one_passing_row_with_its_worst_frame(project: Path) -> None:
    frames = held_out(8)
    frames[5] = np.zeros_like(frames[5])  # an empty frame: skipped, not scored
    write_rgba(project / "art/tiles/ok.png", grid_sheet(frames, 4))
    r = run("check", "art/tiles/ok.png", "-f", "json")
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.stdout)["files"]
    assert row["status"] == "pass" and row["frame"] is None
    assert row["message"].startswith(
        "7 frame(s) look like the approved art (1 empty frame(s) skipped)"
    )
    assert "(worst: art/tiles/ok.png#" in row["message"]
    # the sheet's score is its worst frame's: the same frame checked as a loose sprite
    worst = int(row["message"].split("#")[1].split(" ")[0])
    write_rgba(project / "loose.png", frames[worst])
    loose = json.loads(run("check", "loose.png", "-f", "json").stdout)["files"][0]
    assert row["score"] == pytest.approx(loose["score"])


def test_grid_flag_cuts_any_png_and_frames_are_cached(tmp_path: Path, tiny_baseline: Path) -> None:
    write_rgba(tmp_path / "strip.png", grid_sheet(broken(held_out(4), 2), 4))
    args = ("check", "strip.png", "--grid", "24x24", "-b", str(tiny_baseline), "-f", "json")
    first = run(*args)
    assert first.exit_code == 1, first.output
    assert [f["frame"]["index"] for f in json.loads(first.stdout)["files"]] == [2]
    entries = list((tmp_path / ".sprite-lint-cache").rglob("*.json"))
    assert len(entries) == 4  # one per frame, keyed by its pixels
    again = run(*args)
    assert again.stdout == first.stdout
    whole = run("check", "strip.png", "-b", str(tiny_baseline), "-f", "json")
    assert json.loads(whole.stdout)["files"][0]["frame"] is None  # without --grid: one sprite


def test_formats_name_the_frame(project: Path) -> None:
    write_rgba(project / "art/chars/hero_run.png", grid_sheet(broken(held_out(8), 3), 4, 1, 2))
    label = "art/chars/hero_run.png#3 (x=79 y=1 24x24)"
    sarif = json.loads(run("check", "art/chars/hero_run.png", "-f", "sarif").stdout)
    (res,) = sarif["runs"][0]["results"]
    assert res["message"]["text"].startswith("frame 3 (x=79 y=1 24x24): ")
    assert res["properties"]["frame"]["index"] == 3
    assert (
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "art/chars/hero_run.png"
    )
    junit = ET.fromstring(run("check", "art/chars/hero_run.png", "-f", "junit").stdout)
    assert [c.get("name") for c in junit.iter("testcase")] == [label]
    gitlab = json.loads(run("check", "art/chars/hero_run.png", "-f", "gitlab").stdout)
    # the frame named once (it had been "...png#3 (x=..): frame 3 (x=..): ...")
    assert gitlab[0]["description"].startswith(
        "art/chars/hero_run.png: frame 3 (x=79 y=1 24x24): "
    ) and (gitlab[0]["location"]["path"] == "art/chars/hero_run.png")
    assert f"`{label}`" in run("check", "art/chars/hero_run.png", "-f", "markdown").stdout


def test_sheet_faults_are_failing_rows(project: Path) -> None:
    frames = held_out(8)
    frames[6] = frames[1].copy()
    sheet = grid_sheet(frames, 4, margin=1, spacing=2)
    sheet[10:13, 1 + 24] = (255, 255, 255, 255)  # in the spacing right of frame 0
    write_rgba(project / "art/chars/hero_run.png", sheet)
    r = run("check", "art/chars/hero_run.png", "-f", "json")
    assert r.exit_code == 1, r.output
    rows = {(f["signal"], f["frame"]["index"]): f for f in json.loads(r.stdout)["files"]}
    assert {("bleed", 0), ("repeat", 6)} <= set(rows)
    assert rows[("repeat", 6)]["message"].startswith("frame 6 repeats frame 1")
    assert rows[("bleed", 0)]["score"] is None
    sarif = json.loads(run("check", "art/chars/hero_run.png", "-f", "sarif").stdout)
    assert {"sheet/bleed", "sheet/repeat"} <= {x["ruleId"] for x in sarif["runs"][0]["results"]}
    # explain agrees with check: the frame, and the sheet named without a frame, fail on
    # the fault (they had been explained as "pass", exit 0; found by two users' trials)
    for ref, said in (
        ("art/chars/hero_run.png#6", "repeats frame 1"),
        ("art/chars/hero_run.png", "bleeds"),
    ):
        e = run("explain", ref)
        assert e.exit_code == 1, e.output
        assert e.stdout.startswith("FAIL") and said in e.stdout.replace("\n", " ")
    # the panels show such a frame too, with its neighbours
    r = run("check", "art/chars/hero_run.png", "--report-dir", "panels")
    assert (project / "panels" / "art__chars__hero_run_6.png").is_file(), r.output
    assert (project / "panels" / "art__chars__hero_run_0.png").is_file(), r.output


@pytest.mark.parametrize(
    "data, match",
    [
        (
            atlas_json({"a": (0, 0, 24, 24), "b": (90, 0, 24, 24)}, "hash"),
            "frame 1 (b) at x=90 y=0 24x24 lies outside",
        ),
        (
            atlas_json({"a": (0, 0, 24, 24), "b": (12, 0, 24, 24)}, "array"),
            "frames 0 (a) and 1 (b) overlap",
        ),
        (
            atlas_json({"a": (0, 0, 24, 24)}, "hash", size=(64, 24)),
            "the image is 96x24 but hero.json (Aseprite) describes a 64x24 sheet",
        ),
        ("{not json", "hero.json: is not valid JSON"),
        (atlas_json({"a": (0, 0, 24, 24)}, "hash", extra={"a": {"rotated": True}}), "rotated"),
    ],
)
def test_bad_data_files_are_error_rows_naming_the_file(
    tmp_path: Path, tiny_baseline: Path, data: str, match: str
) -> None:
    write_rgba(tmp_path / "hero.png", grid_sheet(held_out(4), 4))
    (tmp_path / "hero.json").write_text(data)
    write_rgba(tmp_path / "other.png", held_out(1)[0])
    r = run("check", "hero.png", "other.png", "-b", str(tiny_baseline), "-f", "json")
    assert r.exit_code == 2, r.output
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert rows["hero.png"]["status"] == "error" and match in rows["hero.png"]["message"]
    assert rows["other.png"]["status"] == "pass"  # the other files keep their verdicts


@pytest.mark.parametrize("fmt", ["aseprite-hash", "aseprite-array", "texturepacker", "tsx"])
def test_each_data_format_beside_the_png_judges_its_frames(
    tmp_path: Path, tiny_baseline: Path, fmt: str
) -> None:
    frames = broken(held_out(6), 4)
    sheet = grid_sheet(frames, 3, spacing=1)
    write_rgba(tmp_path / "art" / "sheet.png", sheet)
    rects = {f"f{i}": ((i % 3) * 25, (i // 3) * 25, 24, 24) for i in range(6)}
    size = (sheet.shape[1], sheet.shape[0])
    if fmt == "tsx":
        (tmp_path / "art" / "sheet.tsx").write_text(tsx(24, 24, 6, 3, *size, spacing="1"))
    else:
        app_url = (
            "https://www.codeandweb.com/texturepacker"
            if fmt == "texturepacker"
            else "https://www.aseprite.org/"
        )
        layout = "array" if fmt == "aseprite-array" else "hash"
        (tmp_path / "art" / "sheet.json").write_text(atlas_json(rects, layout, app_url, size))
    r = run("check", "art", "-b", str(tiny_baseline), "-f", "json")
    assert r.exit_code == 1, r.output
    rows = json.loads(r.stdout)["files"]
    assert [(f["frame"]["index"], f["frame"]["x"], f["frame"]["y"]) for f in rows] == [(4, 25, 25)]
    assert rows[0]["frame"]["name"] == (None if fmt == "tsx" else "f4")


def test_explain_a_frame(project: Path) -> None:
    write_rgba(project / "art/chars/hero_run.png", grid_sheet(broken(held_out(8), 3), 4, 1, 2))
    r = run("explain", "art/chars/hero_run.png#3")
    assert r.exit_code == 1, r.output
    assert "FAIL art/chars/hero_run.png#3 (x=79 y=1 24x24)  24x24" in r.stdout
    ok = run("explain", "art/chars/hero_run.png#0")
    assert ok.exit_code == 0 and "pass art/chars/hero_run.png#0 (x=1 y=1 24x24)" in ok.stdout
    missing = run("explain", "art/chars/hero_run.png#99")
    assert missing.exit_code == 2 and "no frame #99" in missing.output
    write_rgba(project / "single.png", held_out(1)[0])
    assert run("explain", "single.png#1").exit_code == 2


def test_panels_and_html_show_the_failing_frame(project: Path) -> None:
    write_rgba(project / "art/chars/hero_run.png", grid_sheet(broken(held_out(8), 3), 4, 1, 2))
    r = run("check", "art/chars/hero_run.png", "--report-dir", "panels", "--html", "r.html")
    assert r.exit_code == 1, r.output
    panel = project / "panels" / "art__chars__hero_run_3.png"
    from PIL import Image

    with Image.open(panel) as im:
        plain_width = 4 * 24 * 6 + 5 * 8  # four panes at zoom 6, and the gaps
        assert im.width > plain_width  # a fifth pane: the frame among its neighbours
    html = (project / "r.html").read_text()
    assert "hero_run.png#3 (x=79 y=1 24x24)" in html and "among its neighbours" in html


def test_merge_keeps_each_frame_row(project: Path) -> None:
    frames = broken(broken(held_out(8), 3), 6)
    write_rgba(project / "art/chars/hero_run.png", grid_sheet(frames, 4, 1, 2))
    r = run("check", "art/chars/hero_run.png", "-f", "json", "-o", "a.json")
    assert r.exit_code == 1
    indices = sorted(
        f["frame"]["index"] for f in json.loads((project / "a.json").read_text())["files"]
    )
    assert 3 in indices and 6 in indices
    merged = run("merge", "a.json", "-f", "json")
    assert sorted(f["frame"]["index"] for f in json.loads(merged.stdout)["files"]) == indices


@pytest.mark.parametrize(
    "value",
    ['"axb"', '{ grid = "8x8", data = "x.json" }', '{ grid = "8x8", colour = 1 }', "3"],
)
def test_bad_sheet_configuration_is_exit_2(tmp_path: Path, tiny_baseline: Path, value: str) -> None:
    (tmp_path / "sprite-lint.toml").write_text(f'[sheets]\n"*.png" = {value}\n')
    write_rgba(tmp_path / "a.png", held_out(1)[0])
    r = run("check", "a.png", "-b", str(tiny_baseline))
    assert r.exit_code == 2 and "sheets" in r.output


def test_configured_data_file_and_opting_out(tmp_path: Path, tiny_baseline: Path) -> None:
    frames = broken(held_out(4), 1)
    write_rgba(tmp_path / "art" / "walk.png", grid_sheet(frames, 4))
    rects = {f"w{i}": (24 * i, 0, 24, 24) for i in range(4)}
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "walk.json").write_text(atlas_json(rects, "hash"))
    (tmp_path / "art" / "walk.json").write_text(atlas_json({"all": (0, 0, 96, 24)}, "hash"))
    (tmp_path / "sprite-lint.toml").write_text(
        f'baseline = "{tiny_baseline.as_posix()}"\n[sheets]\n"art/*.png" = {{ data = "data/{{stem}}.json" }}\n'
    )
    rows = json.loads(run("check", "art/walk.png", "-f", "json").stdout)["files"]
    assert [(f["frame"]["index"], f["frame"]["name"]) for f in rows] == [(1, "w1")]
    # the table names the frame as the data file does: an artist knows "w1", not "#1"
    assert "art/walk.png#1 (w1: x=24 y=0 24x24)" in run("check", "art/walk.png").stdout
    (tmp_path / "sprite-lint.toml").write_text(
        f'baseline = "{tiny_baseline.as_posix()}"\n[sheets]\n"art/*.png" = false\n'
    )
    rows = json.loads(run("check", "art/walk.png", "-f", "json").stdout)["files"]
    assert len(rows) == 1 and rows[0]["frame"] is None  # one sprite, the JSON beside it ignored


# --------------------------------------------------------------------------- hostile data files


def _special(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:  # a link to a device that never ends
        path.symlink_to("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")
@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("fifo", "not a regular file (a FIFO"),
        ("folder", "is a directory, not a data file"),
        ("zero", "not a regular file (a character device"),
    ],
)
@pytest.mark.parametrize("configured", [False, True])
def test_a_special_data_file_is_refused_never_read_nor_ignored(
    tmp_path: Path, kind: str, match: str, configured: bool
) -> None:
    data = tmp_path / ("data" if configured else "") / "hero.json"
    data.parent.mkdir(exist_ok=True)
    _special(data, kind)
    rules = (("*.png", SheetRule(data=str(tmp_path / "data" / "{stem}.json"))),)
    settings = SheetSettings(rules=rules if configured else (), project_dir=str(tmp_path))
    with pytest.raises(SheetError) as err:  # not a hang, not out of memory, not one picture
        find_layout(tmp_path / "hero.png", 96, 24, settings)
    assert err.value.name == str(tmp_path / "hero.png")
    assert f"cannot read its data file {data}: " in err.value.reason and match in err.value.reason


def test_a_data_file_over_the_size_cap_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hero.json").write_text(atlas_json({"a": (0, 0, 24, 24)}, "hash") + " " * 200)
    monkeypatch.setattr("sprite_lint.sheets.MAX_DATA_BYTES", 100)
    with pytest.raises(SheetError, match="over the limit of 100 bytes for a sprite-sheet data"):
        find_layout(tmp_path / "hero.png", 24, 24, SheetSettings())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero are POSIX")
def test_check_gives_special_data_files_an_error_row(tmp_path: Path, tiny_baseline: Path) -> None:
    for name in ("piped", "zeroed"):
        write_rgba(tmp_path / f"{name}.png", grid_sheet(held_out(4), 4))
    os.mkfifo(tmp_path / "piped.json")
    write_rgba(tmp_path / "other.png", held_out(1)[0])
    (tmp_path / "sprite-lint.toml").write_text('[sheets]\n"zeroed.png" = { data = "/dev/zero" }\n')
    r = run("check", ".", "-b", str(tiny_baseline), "-f", "json")
    assert r.exit_code == 2, r.output
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert rows["other.png"]["status"] == "pass"
    for name, data in (("piped", "piped.json"), ("zeroed", "/dev/zero")):
        row = rows[f"{name}.png"]
        assert row["status"] == "error" and "not a regular file" in row["message"], row
        assert data in row["message"]


def _one_frame(frame: str, extra: str = "") -> bytes:
    return (
        '{"frames": {"hero 0.png": {"frame": ' + frame + extra + "}}, "
        '"meta": {"app": "https://www.codeandweb.com/texturepacker"}}'
    ).encode()


@pytest.mark.parametrize(
    ("frame", "extra", "match"),
    [
        (
            '{"x": 0, "y": 0, "w": Infinity, "h": 24}',
            "",
            "frame: w must be a whole number, got Infinity",
        ),
        ('{"x": 0, "y": 0, "w": 24, "h": NaN}', "", "frame: h must be a whole number, got NaN"),
        (
            '{"x": -Infinity, "y": 0, "w": 24, "h": 24}',
            "",
            "frame: x must be a whole number, got -Infinity",
        ),
        (
            '{"x": 0, "y": 0, "w": 1e400, "h": 24}',
            "",
            "frame: w must be a whole number, got Infinity",
        ),
        ('{"x": 0, "y": 0, "w": ' + "9" * 5000 + ', "h": 24}', "", "frame: w must be at most"),
        ('{"x": 1e300, "y": 0, "w": 24, "h": 24}', "", "frame: x must be at most 2147483647"),
        ('{"x": 0, "y": -' + "9" * 30 + ', "w": 24, "h": 24}', "", "frame: y must be at least 0"),
        (
            '{"x": 0, "y": 0, "w": 24, "h": 24}',
            ', "trimmed": true, "spriteSourceSize": {"x": 0, "y": 0, "w": 24, "h": 24}, '
            '"sourceSize": {"w": 1000000, "h": 1000000}',
            "sourceSize: 1000000x1000000 is 1,000,000,000,000 pixels, over the limit of 10,000",
        ),
        (
            '{"x": 0, "y": 0, "w": 24, "h": 24}',
            ', "spriteSourceSize": {"x": 0, "y": 0, "w": 24, "h": 24}, '
            '"sourceSize": {"w": 101, "h": 100}',
            "sourceSize: 101x100 is 10,100 pixels, over the limit of 10,000",
        ),
        ('{"x": 0, "y": 0, "w": 120, "h": 100}', "", "frame: 120x100 is 12,000 pixels, over"),
    ],
)
def test_numbers_no_sheet_can_hold_are_refused_naming_frame_and_field(
    frame: str, extra: str, match: str
) -> None:
    with pytest.raises(SheetError) as err:
        parse_json(_one_frame(frame, extra), "hero.json", "hero.png", max_pixels=10_000)
    message = str(err.value)
    assert "frame 0 (hero 0.png)" in message and match in message, message
    assert len(message) < 300 and "int_max_str_digits" not in message


def test_long_numbers_are_shown_shortened() -> None:
    with pytest.raises(SheetError) as err:
        parse_json(_one_frame('{"x": 0, "y": 0, "w": ' + "9" * 5000 + ', "h": 24}'), "h.json")
    assert "got 999999999999... (5000 digits)" in str(err.value)


def test_check_bounds_a_trimmed_frame_by_the_configured_pixel_limit(
    tmp_path: Path, tiny_baseline: Path
) -> None:
    write_rgba(tmp_path / "hero.png", grid_sheet(held_out(4), 4))  # 96x24: 2304 pixels
    trimmed = {"trimmed": True, "spriteSourceSize": {"x": 0, "y": 0, "w": 24, "h": 24}}
    (tmp_path / "hero.json").write_text(
        atlas_json(
            {f"f{i}": (24 * i, 0, 24, 24) for i in range(4)},
            "hash",
            extra={"f2": {**trimmed, "sourceSize": {"w": 50, "h": 50}}},
        )
    )
    (tmp_path / "sprite-lint.toml").write_text("max-pixels = 2400\n")
    r = run("check", "hero.png", "-b", str(tiny_baseline), "-f", "json")
    assert r.exit_code == 2, r.output
    (row,) = json.loads(r.stdout)["files"]
    assert row["status"] == "error"
    assert (
        "frame 2 (f2) sourceSize: 50x50 is 2,500 pixels, over the limit of 2,400" in row["message"]
    )


def test_deeply_nested_json_is_not_a_sprite_sheet_json_in_plain_words() -> None:
    with pytest.raises(SheetError) as err:
        parse_json(b"[" * 100_000 + b"]" * 100_000, "hero.json", "hero.png")
    assert "is not a valid sprite-sheet JSON" in str(err.value)
    assert "recursion" not in str(err.value) and "decoding" not in str(err.value)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (
            atlas_json({"a": (0, 0, 24, 24)}, "hash", extra={"a": {"rotated": "true"}}),
            "frame 0 (a): rotated must be true or false, got 'true'",
        ),
        (
            atlas_json({"a": (0, 0, 24, 24)}, "array", extra={"a": {"trimmed": 1}}),
            "frame 0 (a): trimmed must be true or false, got 1",
        ),
        ('[{"frame": {"x": 0, "y": 0, "w": 24, "h": 24}}]', "it holds a list, not an object"),
        ("24", "it holds one value, not an object"),
        ('{"textures": "x"}', '"textures" must be a list of objects'),
        ('{"textures": [5]}', '"textures" must be a list of objects'),
        ('{"frames": {}, "meta": "x"}', '"meta" must be an object'),
        (
            '{"frames": {"a": {"frame": {"x": 0, "y": 0, "w": 24, "h": 24}}, '
            '"a": {"frame": {"x": 24, "y": 0, "w": 24, "h": 24}}}}',
            "names 'a' twice in one object",
        ),
    ],
)
def test_wrong_types_beside_a_png_are_refused_not_ignored(
    tmp_path: Path, data: str, match: str
) -> None:
    (tmp_path / "hero.json").write_text(data)
    with pytest.raises(SheetError) as err:
        find_layout(tmp_path / "hero.png", 48, 24, SheetSettings())
    assert match in str(err.value), str(err.value)


def test_approve_refuses_a_sheet_its_data_file_cannot_cut(
    tmp_path: Path, tiny_baseline: Path
) -> None:
    """approve had approved a sheet whose data file check refuses (a rotated frame), exit
    0, while every check went on reporting it unreadable (found by a sheets trial)."""
    base = tmp_path / "baselines" / "default"
    shutil.copytree(tiny_baseline, base)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.sprite-lint]\nbaseline = "{base.as_posix()}"\n'
    )
    write_rgba(tmp_path / "art" / "sheet.png", grid_sheet(held_out(2), 2))
    rotated = atlas_json(
        {"a": (0, 0, 24, 24), "b": (24, 0, 24, 24)}, "hash", extra={"a": {"rotated": True}}
    )
    (tmp_path / "art" / "sheet.json").write_text(rotated)
    r = run("approve", "art/sheet.png", "--reason", "x")
    assert r.exit_code == 2 and "rotated" in r.output, r.output
    assert not (base / "approved.json").exists()


def test_an_array_atlas_naming_a_frame_twice_is_refused() -> None:
    """The hash form refused a name given twice; the array form had let it pass (found by
    a sheets trial)."""
    frame = {"frame": {"x": 0, "y": 0, "w": 8, "h": 8}}
    doc = {"frames": [{"filename": "a.png", **frame}, {"filename": "a.png", **frame}]}
    with pytest.raises(SheetError, match="names 'a.png' twice in its frames list"):
        parse_json(json.dumps(doc).encode(), "atlas.json", "atlas.png")
