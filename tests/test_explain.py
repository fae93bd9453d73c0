from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import write_rgba
from PIL import Image
from typer.testing import CliRunner

from sprite_lint.baseline import load_baseline
from sprite_lint.cli import app
from sprite_lint.explain import explain_files, similar_sprites
from sprite_lint.panels import panel_filename, render_panel, write_panels, zoom_for
from sprite_lint.synth import make_family

runner = CliRunner()


def _blob(path: Path) -> Path:
    im = make_family("creatures", 1, seed=41)[0].copy()
    im[6:14, 6:14] = [255, 0, 255, 255]
    return write_rgba(path, im)


def test_similar_sprites_finds_an_approved_sprite_itself(tiny_baseline: Path) -> None:
    base = load_baseline(tiny_baseline)
    names = base.arrays["sprite_names"]
    emb = base.arrays["sprite_embeddings"]
    assert emb.shape[0] == names.shape[0] == 24
    for i in (0, 7, 23):
        best, dist = similar_sprites(base, emb[i])[0]
        assert best == str(names[i]) and dist == 0.0


def test_explain_files_keeps_maps_and_names_three_neighbours(tiny_baseline: Path) -> None:
    base = load_baseline(tiny_baseline)
    d = explain_files([(_blob(Path("blob.png")), "blob.png")], base)[0]
    h, w = d.rgba.shape[:2]
    assert d.residual.shape == (h, w) and d.reconstruction.shape == (h, w, 4)
    assert d.result.status == "fail" and d.result.driver in d.standardized
    assert len(d.similar) == 3 and d.similar[0][1] <= d.similar[2][1]
    assert max(d.standardized.values()) == pytest.approx(d.result.score)


def test_panel_has_four_zoomed_panes_and_boxes_the_region(tiny_baseline: Path) -> None:
    base = load_baseline(tiny_baseline)
    d = explain_files([(_blob(Path("blob.png")), "blob.png")], base)[0]
    h, w = d.rgba.shape[:2]
    z = zoom_for(h, w)
    assert z >= 2
    panel = np.asarray(render_panel(d))
    assert panel.shape[1] >= 4 * w * z and panel.shape[0] >= h * z
    # the overlay pane (4th) contains the box colour; the sprite pane (1st) does not
    quarter = panel.shape[1] // 4
    red = np.all(panel == [255, 0, 64], axis=-1)
    assert red[:, 3 * quarter :].any() and not red[:, :quarter].any()


def test_write_panels_gives_distinct_safe_names(tiny_baseline: Path, tmp_path: Path) -> None:
    base = load_baseline(tiny_baseline)
    src = _blob(tmp_path / "a b" / "-x.png")
    details = explain_files([(src, "a b/-x.png"), (src, "a_b/-x.png")], base)
    written = write_panels(details, tmp_path / "panels")
    names = sorted(p.path.name for p in written)
    assert names == ["a_b__-x-2.png", "a_b__-x.png"]
    for p in written:
        with Image.open(p.path) as im:
            assert im.format == "PNG" and im.mode == "RGB"
    assert not panel_filename("../../etc/passwd.png").startswith(".")
    assert "/" not in panel_filename("../../etc/passwd.png")


def test_cli_explain_prints_verdict_region_heatmap_and_neighbours(tiny_baseline: Path) -> None:
    _blob(Path("blob.png"))
    res = runner.invoke(
        app, ["explain", "blob.png", "-b", str(tiny_baseline)], env={"COLUMNS": "100"}
    )
    assert res.exit_code == 1, res.output
    out = res.output
    assert "FAIL blob.png" in out and "worst region: x " in out
    assert "most similar approved sprites:" in out and out.count("approved/c") == 3
    assert "residual heatmap" in out and "@" in out  # NO colour in CliRunner: ASCII shades


def test_cli_explain_passes_a_normal_sprite_and_refuses_a_broken_file(
    tiny_baseline: Path,
) -> None:
    approved = sorted((tiny_baseline.parent / "approved").glob("*.png"))[0]
    ok = runner.invoke(app, ["explain", str(approved), "-b", str(tiny_baseline)])
    assert ok.exit_code in (0, 1) and "most similar approved sprites" in ok.output
    Path("broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    bad = runner.invoke(app, ["explain", "broken.png", "-b", str(tiny_baseline)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert Path("broken.png").read_bytes() == b"\x89PNG\r\n\x1a\nnope"


def test_check_report_dir_writes_a_panel_per_failing_file_only(tiny_baseline: Path) -> None:
    _blob(Path("new/blob.png"))
    approved = sorted((tiny_baseline.parent / "approved").glob("*.png"))[0]
    Path("new/ok.png").write_bytes(approved.read_bytes())
    res = runner.invoke(
        app, ["check", "new", "-b", str(tiny_baseline), "--report-dir", "panels", "--no-cache"]
    )
    failing = [
        line.split()[1].rstrip(":") for line in res.output.splitlines() if line.startswith("FAIL ")
    ]
    assert res.exit_code == 1 and "new/blob.png" in failing
    written = sorted(p.name for p in Path("panels").iterdir() if p.suffix == ".png")
    assert written == sorted(panel_filename(f) for f in failing)


def test_sprite_lint_never_checks_the_panels_it_wrote(tiny_baseline: Path) -> None:
    _blob(Path("art/blob.png"))
    first = runner.invoke(
        app, ["check", "art", "-b", str(tiny_baseline), "--report-dir", "art/report", "--no-cache"]
    )
    assert first.exit_code == 1
    panels = sorted(Path("art/report").glob("*.png"))
    assert panels
    again = runner.invoke(app, ["check", ".", "-b", str(tiny_baseline), "-f", "json", "--no-cache"])
    checked = [f["path"] for f in json.loads(again.stdout)["files"]]
    assert checked == ["art/blob.png"]  # the folder walk skips the report
    named = runner.invoke(
        app, ["check", str(panels[0]), "art/blob.png", "-b", str(tiny_baseline), "-f", "json"]
    )
    assert [f["path"] for f in json.loads(named.stdout)["files"]] == ["art/blob.png"]


def test_explain_shows_levels_not_raw_magnitudes_and_passing_signals_read_ok(
    tiny_baseline: Path,
) -> None:
    approved = sorted((tiny_baseline.parent / "approved").glob("*.png"))[0]
    res = runner.invoke(app, ["explain", str(approved), "-b", str(tiny_baseline)])
    out = res.output
    assert "Of limit" in out and "Checks for" in out
    assert "e+" not in out and "e-0" not in out  # no raw magnitudes like -7.8e+05
    from sprite_lint.signals import SIGNALS

    rows = [line.split() for line in out.splitlines() if line.split()[:1] in [[s] for s in SIGNALS]]
    assert len(rows) == len(SIGNALS)  # every signal is listed, with "ok" or "over"
    assert all(("ok" in r) != ("over" in r) for r in rows)
    if res.exit_code == 0:  # a passing sprite: no signal reads as failing
        assert not any("over" in r for r in rows)
        assert "stray pixels in the transparent area" not in out


def test_failing_messages_use_the_artists_words() -> None:
    from sprite_lint.scoring import Region
    from sprite_lint.signals import SIGNALS, describe

    where = Region(3, 4, 5, 6)
    assert describe("stray", 6.0, where) == "6 stray pixels in the transparent area at x=3 y=4 5x6"
    assert describe("stray", 1.0, where).startswith("1 stray pixel in")
    # the pixels one by one: a box around spread-out strays can span the whole sprite
    assert describe("stray", 3.0, where, points=[(1, 2), (30, 4), (9, 40)]) == (
        "3 stray pixels in the transparent area at x=1 y=2, x=30 y=4 and x=9 y=40"
    )
    assert describe("stray", 6.0, where, points=[(1, 2), (30, 4)]).endswith(
        "at x=1 y=2, x=30 y=4 and 4 more (all within x=3 y=4 5x6)"
    )
    assert "opaque background where the approved art is transparent (100%" in describe(
        "background", 1.0, where
    )
    assert describe("fringe", 0.8, where, centre=0.0).startswith("dark semi-transparent fringe")
    assert describe("fringe", -0.5, where, centre=0.0).startswith("light semi-transparent")
    assert describe("halo", 0.41, where) == (
        "light halo on the alpha edge: 41% of the edge pixels lit to white "
        "(colour divided by alpha twice?) around x=3 y=4 5x6"
    )
    assert describe("outline", 0.9, where, centre=0.0).startswith(
        "dark outline where the approved art has none (90% of the outline is near black"
    )
    assert describe("outline", 0.1, where, centre=1.0).startswith("no dark outline where")
    assert "only 15 colours" in describe("few_colours", -np.log(16), where)
    assert describe("few_colours", 0.0, where).startswith("nothing visible")
    assert describe("hole", 20.0, where) == "hole in the alpha at x=3 y=4 5x6"
    assert "JPEG artifacts" in describe("jpeg", 40.0, where)
    assert "blurred edges (resampled?)" in describe("soft", 2.1, where)
    assert describe("soft", 3.0, where, nearly_solid=812).startswith(
        "solid areas left slightly transparent: 812 pixels at alpha 248 to 254 where the "
        "approved art is opaque (a lossy palette pass"
    )
    assert "colours not in the approved palette (40%" in describe("palette", 0.4, where)
    assert describe("style", 9.0, where).startswith("style unlike the approved set")
    assert describe("cut", 3.0, Region(0, 31, 32, 1)) == (
        "content cut off at the bottom edge, with a 3 px gap at the top edge"
        " (a bad crop on export?)"
    )
    assert "at the left edge, with a 5 px gap at the right" in describe(
        "cut", 5.0, Region(0, 0, 1, 32)
    )
    for name in SIGNALS:  # every signal has a message, none shows a raw float dump
        assert "e+" not in describe(name, 1234567.0, where)


def test_cli_explain_says_the_decode_warnings_check_says(tiny_baseline: Path) -> None:
    """Harmless damage libpng reads past (here bytes after the end marker) is said by
    explain as by check."""
    approved = sorted((tiny_baseline.parent / "approved").glob("*.png"))[0]
    Path("tail.png").write_bytes(approved.read_bytes() + b"junk")
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    said = "4 bytes after the end marker (IEND chunk) are ignored"
    check = runner.invoke(app, ["check", "tail.png", "-b", str(tiny_baseline), "-f", "json"])
    assert said in json.loads(check.stdout)["files"][0]["message"]
    explain = runner.invoke(app, ["explain", "tail.png", "-b", str(tiny_baseline)], env=env)
    assert said in explain.output, explain.output


def test_a_failing_sprite_drawn_like_an_approved_one_says_so_and_how_to_approve(
    tiny_baseline: Path,
) -> None:
    """Found by an artist's trial: an approved sprite over the limit (alpha lets about 1 in
    100 be) was explained as FAIL with itself at "latent distance 8.5e-06" as its nearest
    approved sprite and no word on why or what to do."""
    import io

    from rich.console import Console

    from sprite_lint.reporters import _share_of_limit, render_explain

    base = load_baseline(tiny_baseline)
    approved = sorted((tiny_baseline.parent / "approved").glob("*.png"))[0]
    d = explain_files([(approved, "a.png")], base)[0]
    assert d.similar[0][1] < 0.01
    d.result.status = "fail"  # as the few approved sprites over the limit are

    def shown(alpha: float | None) -> str:
        console = Console(width=100, record=True, color_system=None, file=io.StringIO())
        render_explain(d, console, alpha=alpha, approve="sprite-lint approve a.png -b b")
        return " ".join(console.export_text().split())

    text = shown(0.01)
    assert "(latent distance 0.00)" in text and "e-0" not in text
    assert "calibration leaves about 1% of the approved sprites themselves over the limit" in text
    assert '(sprite-lint approve a.png -b b --reason "...")' in text
    d.result.status = "pass"
    assert "drawn like the approved sprite" not in shown(0.01)
    # a signal just over its limit never reads "100% over"
    assert _share_of_limit(1.002) == "101%" and _share_of_limit(0.999) == "99%"
    assert _share_of_limit(1.0) == "100%" and _share_of_limit(0.5) == "50%"
    assert _share_of_limit(1.1) == "110%" and _share_of_limit(0.29) == "29%"
    d.result.status = "fail"
    assert "leaves about 0.1% of the approved sprites" in shown(0.001)  # not "about 0%"
