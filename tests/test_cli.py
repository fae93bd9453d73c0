from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.synth import inject, make_family
from tests.conftest import init_repo, write_rgba

ENV = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sprites(tmp_path: Path) -> Path:
    """held-out creatures (good), a checkerboard placeholder (bad), and broken files."""
    rng = np.random.default_rng(7)
    good = make_family("creatures", 26, seed=3)[24:]  # same generator, not in the approved set
    for i, im in enumerate(good):
        write_rgba(tmp_path / "good" / f"g{i}.png", im)
    write_rgba(tmp_path / "bad" / "placeholder.png", inject(good[0], "checkerboard", rng))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "empty.png").write_bytes(b"")
    (tmp_path / "broken" / "lfs.png").write_bytes(
        b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n"
    )
    data = (tmp_path / "good" / "g0.png").read_bytes()
    (tmp_path / "broken" / "truncated.png").write_bytes(data[: len(data) // 2])
    return tmp_path


def test_check_passes_good_sprites(runner: CliRunner, tiny_baseline: Path, sprites: Path) -> None:
    r = runner.invoke(app, ["check", str(sprites / "good"), "-b", str(tiny_baseline)], env=ENV)
    assert r.exit_code == 0, r.output
    assert "0 failed" in r.output and "2 passed" in r.output


def test_check_fails_an_anomaly_with_table(
    runner: CliRunner, tiny_baseline: Path, sprites: Path
) -> None:
    r = runner.invoke(
        app,
        ["check", str(sprites / "good"), str(sprites / "bad"), "-b", str(tiny_baseline)],
        env=ENV,
    )
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "\x1b[" not in r.output  # NO_COLOR
    first_row = next(line for line in lines if ".png" in line)
    assert "FAIL" in first_row and "pass" not in first_row  # failing rows first
    finding = next(line for line in lines if line.startswith("FAIL "))
    assert "placeholder" in finding
    # a baked checkerboard is an opaque background, and the line says so in those words
    assert "placeholder.png" in r.output.replace("\n", "")
    assert "opaque background where the approved art is transparent" in r.output.replace("\n", " ")
    assert "1 failed" in r.output


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("empty.png", "empty file"), ("lfs.png", "git lfs pull"), ("truncated.png", "corrupt or")],
)
def test_bad_input_is_an_error_row_and_exit_2(
    runner: CliRunner, tiny_baseline: Path, sprites: Path, name: str, fragment: str
) -> None:
    target = sprites / "broken" / name
    before = target.read_bytes()
    r = runner.invoke(
        app, ["check", str(target), "-b", str(tiny_baseline), "--format", "json"], env=ENV
    )
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    doc = json.loads(r.stdout)
    (row,) = doc["files"]
    assert row["status"] == "error" and fragment in row["message"]
    assert target.read_bytes() == before


def test_json_schema(runner: CliRunner, tiny_baseline: Path, sprites: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    r = runner.invoke(
        app,
        ["check", str(sprites), "-b", str(tiny_baseline), "-f", "json", "-o", str(out)],
        env=ENV,
    )
    assert r.exit_code == 2  # the broken files
    text = out.read_text()
    doc = json.loads(text)
    assert {"version", "baseline", "alpha", "files"} <= set(doc)
    assert doc["version"] == 1 and doc["alpha"] == 0.01
    # one file a line, in report order: a diff of two reports shows the files that changed
    lines = [
        json.loads(line.strip().rstrip(",")) for line in text.splitlines() if '{"path"' in line
    ]
    assert lines == doc["files"]
    statuses = {f["path"].split("/")[-1]: f["status"] for f in doc["files"]}
    assert statuses["placeholder.png"] == "fail" and statuses["g0.png"] == "pass"
    assert statuses["empty.png"] == "error"
    for f in doc["files"]:
        assert {
            "path",
            "status",
            "score",
            "threshold",
            "p_value",
            "recon_error",
            "kde_log_density",
            "message",
        } <= set(f)
        if f["status"] != "error":
            assert 0 < f["p_value"] <= 1 and f["threshold"] == doc["threshold"]
            assert (f["status"] == "fail") == (f["score"] > f["threshold"])


def test_non_png_paths_are_skipped(runner: CliRunner, tiny_baseline: Path, sprites: Path) -> None:
    (sprites / "good" / "notes.txt").write_text("hello")
    r = runner.invoke(
        app,
        [
            "check",
            str(sprites / "good" / "notes.txt"),
            str(sprites / "good" / "g0.png"),
            "-b",
            str(tiny_baseline),
        ],
        env=ENV,
    )
    assert r.exit_code == 0 and "1 sprite(s)" in r.output


def test_missing_file_is_an_error_row(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path
) -> None:
    r = runner.invoke(app, ["check", str(tmp_path / "gone.png"), "-b", str(tiny_baseline)], env=ENV)
    assert r.exit_code == 2 and "file not found" in r.output


def test_missing_baseline_is_exit_2_with_advice(
    runner: CliRunner, sprites: Path, tmp_path: Path
) -> None:
    r = runner.invoke(app, ["check", str(sprites / "good"), "-b", str(tmp_path / "nope")], env=ENV)
    assert r.exit_code == 2 and "sprite-lint calibrate" in r.output and "Traceback" not in r.output


def test_tampered_baseline_is_exit_2(
    runner: CliRunner, tiny_baseline: Path, sprites: Path, tmp_path: Path
) -> None:
    b = tmp_path / "b"
    shutil.copytree(tiny_baseline, b)
    (b / "model.onnx").write_bytes(b"not a model")
    r = runner.invoke(app, ["check", str(sprites / "good"), "-b", str(b)], env=ENV)
    assert r.exit_code == 2 and "does not match" in r.output


@pytest.mark.parametrize(
    "made_with, says",
    [
        (
            "99.0.0",
            "made with sprite-lint 99.0.0, newer than the installed {}: upgrade sprite-lint",
        ),
        (None, "made with an unknown version of sprite-lint (its manifest has no tool_version)"),
        ("banana", "made with an unknown version of sprite-lint (its manifest says 'banana')"),
        ("0.0.1", "made with sprite-lint 0.0.1; installed is {}: recalibrate"),
    ],
)
def test_baseline_status_names_a_newer_or_unknown_tool_version(
    runner: CliRunner,
    tiny_baseline: Path,
    sprites: Path,
    tmp_path: Path,
    made_with: str | None,
    says: str,
) -> None:
    """check judges with such a baseline (only its format version is refused), so status
    reports it, and says what to do: upgrade for a newer one, never "recalibrate" with
    the older sprite-lint, and never "sprite-lint None"."""
    from sprite_lint import __version__
    from sprite_lint import baseline as bl
    from sprite_lint.cli import _version_key

    assert _version_key("0.10.0") > _version_key("0.9.1") == _version_key("0.9.1.0")
    b = tmp_path / "b"
    shutil.copytree(tiny_baseline, b)
    doc = json.loads((b / "manifest.json").read_text())
    doc.pop("tool_version")
    if made_with is not None:
        doc["tool_version"] = made_with
    (b / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))
    status = runner.invoke(app, ["baseline", "status", "-b", str(b)], env={**ENV, "COLUMNS": "300"})
    assert status.exit_code == 0 and "verified" in status.output, status.output
    assert says.format(__version__) in status.output and "None" not in status.output
    if made_with == "99.0.0":
        assert "recalibrate to use" not in status.output
    checked = runner.invoke(app, ["check", str(sprites / "good"), "-b", str(b)], env=ENV)
    assert checked.exit_code == 0, checked.output


def test_usage_errors_exit_2(runner: CliRunner, tiny_baseline: Path) -> None:
    assert runner.invoke(app, ["check", "-b", str(tiny_baseline)], env=ENV).exit_code == 2
    assert runner.invoke(app, ["check", "x.png", "--format", "xml"], env=ENV).exit_code == 2
    assert runner.invoke(app, ["check", "--bogus"], env=ENV).exit_code == 2


def test_calibrate_says_how_to_commit_a_baseline_inside_a_repository(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = tmp_path / "game"
    for i, im in enumerate(make_family("icons", 20, seed=1)):
        write_rgba(repo / "icons" / f"i{i}.png", im)
    init_repo(repo, "art")
    base = repo / "baselines" / "icons"
    args = ["calibrate", str(repo / "icons"), "-b", str(base), "--epochs", "1"]
    r = runner.invoke(app, args, env=ENV)
    assert r.exit_code == 0, r.output
    assert f"\nCommit it: git add {base}\n" in r.output  # whole, to copy: never wrapped


def test_a_baseline_named_dot_is_read_from_inside_it(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sprite = write_rgba(tmp_path / "s.png", make_family("creatures", 1, seed=9)[0])
    monkeypatch.chdir(shutil.copytree(tiny_baseline, tmp_path / "base"))
    for name in (".", ""):  # the folder it runs in
        r = runner.invoke(app, ["check", "-b", name, "--no-cache", str(sprite)], env=ENV)
        assert r.exit_code in (0, 1), r.output
    r = runner.invoke(app, ["check", "-b", "/", str(sprite)], env=ENV)  # no name: no crash
    assert r.exit_code == 2 and "no baseline at /" in r.output, r.output


def test_panels_are_never_written_among_the_sprites_checked(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path
) -> None:
    art = tmp_path / "art"
    write_rgba(art / "s.png", make_family("creatures", 1, seed=9)[0])
    for target in (art, tmp_path):  # the folder itself, or one above it
        r = runner.invoke(
            app, ["check", "-b", str(tiny_baseline), "--report-dir", str(target), str(art)], env=ENV
        )
        assert r.exit_code == 2 and "holds files being checked" in r.output, r.output
    assert not (art / ".sprite-lint-output").exists()


def test_panels_go_to_a_new_empty_or_earlier_report_folder_only(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path
) -> None:
    """A folder of other files (a panel's name could be one of them; the output mark would
    hide its sprites from later checks) is refused; a new folder, then the same one again
    (sprite-lint's own), are written."""
    bad = inject(make_family("creatures", 1, seed=9)[0], "checkerboard", np.random.default_rng(0))
    sprite = write_rgba(tmp_path / "art" / "s.png", bad)
    other = tmp_path / "other"
    other.mkdir()
    (other / "art__s.png").write_text("precious")
    args = ["check", "-b", str(tiny_baseline), "--no-cache", str(sprite), "--report-dir"]
    r = runner.invoke(app, [*args, str(other)], env=ENV)
    assert r.exit_code == 2 and "already holds files sprite-lint did not write" in r.output
    assert (other / "art__s.png").read_text() == "precious"
    assert not (other / ".sprite-lint-output").exists()
    for _ in range(2):  # a new folder, then the folder it wrote
        r = runner.invoke(app, [*args, str(tmp_path / "panels")], env=ENV)
        assert r.exit_code == 1, r.output
    assert len(list((tmp_path / "panels").glob("*.png"))) == 1


@pytest.mark.parametrize("option", ["--output", "--html"])
def test_a_report_never_replaces_a_png(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path, option: str
) -> None:
    """``-o keep.png`` (a glob's ``-ohero.png``, a slip of the keyboard) where keep.png is
    a sprite not being checked: refused, the sprite kept byte for byte."""
    sprite = write_rgba(tmp_path / "s.png", make_family("creatures", 1, seed=9)[0])
    keep = write_rgba(tmp_path / "keep.png", make_family("creatures", 2, seed=9)[1])
    before = keep.read_bytes()
    r = runner.invoke(
        app,
        ["check", "-b", str(tiny_baseline), "--no-cache", option, str(keep), str(sprite)],
        env=ENV,
    )
    assert r.exit_code == 2 and "it is a PNG image, not a report" in r.output, r.output
    assert keep.read_bytes() == before


def test_calibrate_end_to_end_and_refusals(runner: CliRunner, tmp_path: Path) -> None:
    for i, im in enumerate(make_family("icons", 20, seed=1)):
        write_rgba(tmp_path / "icons" / f"i{i}.png", im)
    r = runner.invoke(
        app,
        ["calibrate", str(tmp_path / "icons"), "-b", str(tmp_path / "b"), "--epochs", "1"],
        env=ENV,
    )
    assert r.exit_code == 0, r.output
    assert "tail-extrapolated" in r.output  # 20 sprites cannot reach alpha 0.01 by ranks
    assert (tmp_path / "b" / "manifest.json").is_file()
    # stderr is not a terminal here: plain progress lines with the time left, no bar
    assert "fold 1/5: started" in r.output and "fold 5/5: step" in r.output
    assert "s left" in r.output and "\x1b[" not in r.output
    # the first step's warm-up is not extrapolated into an estimate: with one step a
    # round none is timed; only the work after each round's last step is measured
    lines = r.output.splitlines()
    step_lines = [line for line in lines if ": step 1/1," in line]
    assert len(step_lines) == 5
    assert all(line.endswith(("estimating the time left", " s left in all")) for line in step_lines)
    assert "finishing: started" in r.output  # the phase after the last fold has its line
    assert not [line for line in lines if line.endswith(" ")]  # logs and files show them
    assert "Commit it" not in r.output  # no git repository around the baseline: no git hint

    few = tmp_path / "few"
    for i, im in enumerate(make_family("icons", 5, seed=1)):
        write_rgba(few / f"i{i}.png", im)
    r = runner.invoke(app, ["calibrate", str(few), "-b", str(tmp_path / "c")], env=ENV)
    assert r.exit_code == 2 and "at least 20" in r.output and not (tmp_path / "c").exists()

    (tmp_path / "icons" / "broken.png").write_bytes(b"")
    before = (tmp_path / "b" / "manifest.json").read_bytes()
    r = runner.invoke(
        app, ["calibrate", str(tmp_path / "icons"), "-b", str(tmp_path / "b")], env=ENV
    )
    assert r.exit_code == 2 and "broken.png" in r.output
    assert (tmp_path / "b" / "manifest.json").read_bytes() == before  # nothing was written


def _five_folds(clock: list[float]) -> Any:
    """A stand-in for calibrate with cross-conformal folds: five rounds of 100 steps (0.1 s
    each, 1 s of warm-up) with 5 s of work after each round's last step, on a fake clock."""

    def run(on_plan: Any, on_phase: Any, on_step: Any) -> float:
        folds = [(f"fold {k}/5", 100) for k in range(1, 6)]
        on_plan([*folds, ("finishing", 0)])
        for label, n in folds:
            on_phase(label)
            clock[0] += 1.0
            for i in range(1, n + 1):
                clock[0] += 0.1 if i > 1 else 0.0
                on_step(i, n, 0.25)
            if label == "fold 5/5":
                on_phase("finishing")
            clock[0] += 5.0
        return clock[0]

    return run


def test_calibrate_progress_estimates_the_whole_run_not_one_fold() -> None:
    """A trial's log said `fold 1/5: step 402/402 ... 0 s left` with most of the run ahead,
    and nothing after the last fold. The estimate covers every fold and the final phase
    (measured time per step times the steps of every round left, plus the measured work
    after a round's last step), and the final phase has a line of its own."""
    from rich.console import Console

    from sprite_lint.cli import _with_log_lines

    clock = [0.0]
    console = Console(width=200, color_system=None, record=True, file=io.StringIO())
    _with_log_lines(console, _five_folds(clock), clock=lambda: clock[0])
    lines = console.export_text().splitlines()
    assert not [line for line in lines if line.endswith(", 0 s left")]
    # fold 1: the steps of all five folds (499 of 0.1 s after this one's first)
    assert "fold 1/5: step 11/100, loss 0.2500, 2 s so far, about 49 s of training left" in lines
    # from fold 2 on, with the 5 s after each round: 4 rounds of 9.9 s + 5 s
    assert "fold 2/5: started, about 60 s left in all" in lines
    assert "fold 4/5: step 100/100, loss 0.2500, 59 s so far, about 20 s left in all" in lines
    assert "fold 5/5: step 100/100, loss 0.2500, 74 s so far, about 5 s left in all" in lines
    assert lines[-1] == "finishing: started, about 5 s left in all"


def test_calibrate_progress_bar_shows_the_whole_run_on_a_terminal() -> None:
    """On a terminal, a bar for the whole calibration (every fold's steps) above each
    phase's bar, with the time left in all."""
    from rich.console import Console

    from sprite_lint.cli import _with_progress

    out = io.StringIO()
    console = Console(width=120, force_terminal=True, color_system=None, file=out)
    _with_progress(console, _five_folds([0.0]))
    text = out.getvalue()
    assert "calibration" in text and "fold 5/5" in text and "finishing" in text


def test_mixed_modes_and_sizes_calibrate_and_check(runner: CliRunner, tmp_path: Path) -> None:
    """Palette and RGBA sprites of mixed sizes, as a new user's folder would have."""
    folder = tmp_path / "mixed"
    for i, im in enumerate(make_family("creatures", 24, seed=5)):
        path = folder / f"s{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        pil = Image.fromarray(im, "RGBA")
        if i % 2:  # every other one as an indexed PNG with transparency
            pil = pil.convert("P", palette=Image.Palette.ADAPTIVE, colors=255)
        pil.save(path)
    r = runner.invoke(
        app, ["calibrate", str(folder), "-b", str(tmp_path / "b"), "--epochs", "1"], env=ENV
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["check", str(folder), "-b", str(tmp_path / "b"), "-f", "json"], env=ENV)
    assert r.exit_code in (0, 1)
    assert len(json.loads(r.stdout)["files"]) == 24


def test_version(runner: CliRunner) -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.startswith("sprite-lint ")


def test_large_scans_list_only_failing_files(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sprite_lint import reporters

    monkeypatch.setattr(reporters, "MAX_ROWS", 3)
    approved = sorted((tiny_baseline.parent / "approved").glob("*.png"))[:4]
    for i, src in enumerate(approved):
        shutil.copy(src, tmp_path / f"ok{i}.png")
    (tmp_path / "empty.png").write_bytes(b"")
    res = runner.invoke(app, ["check", str(tmp_path), "-b", str(tiny_baseline)])
    listed = [line for line in res.output.splitlines() if line.strip().startswith("ok")]
    passing = sum(" pass " in line for line in listed)
    assert "empty.png" in res.output and passing == 0
    doc = json.loads(
        runner.invoke(app, ["check", str(tmp_path), "-b", str(tiny_baseline), "-f", "json"]).stdout
    )
    n_pass = doc["summary"]["pass"]
    assert n_pass >= 1 and f"{n_pass} passing file(s) not listed" in res.output
    assert "passing file(s) not listed; --format json lists every file" in res.output


def test_large_scans_list_every_failing_file_with_its_reason(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More problems than MAX_ROWS: every one still gets its row and its reason (a
    pre-commit user sees nothing else), up to MAX_PROBLEMS; past that, counted."""
    from sprite_lint import reporters

    monkeypatch.setattr(reporters, "MAX_ROWS", 3)
    for i in range(6):
        (tmp_path / f"broken{i}.png").write_bytes(b"")
    shutil.copy(sorted((tiny_baseline.parent / "approved").glob("*.png"))[0], tmp_path / "ok.png")
    res = runner.invoke(app, ["check", str(tmp_path), "-b", str(tiny_baseline)])
    for i in range(6):
        assert f"broken{i}.png: empty file" in res.output
    assert "more failing" not in res.output
    monkeypatch.setattr(reporters, "MAX_PROBLEMS", 4)
    res = runner.invoke(app, ["check", str(tmp_path), "-b", str(tiny_baseline)])
    assert sum(f"broken{i}.png: empty file" in res.output for i in range(6)) == 4
    assert "1 passing and 2 more failing or unreadable file(s) not listed" in res.output


def test_check_alpha_flag_and_configuration_recompute_the_threshold(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path
) -> None:
    import json as _json

    from sprite_lint.baseline import load_baseline
    from sprite_lint.calibration import fit_calibration
    from sprite_lint.signals import SIGNALS

    sprite = sorted((tiny_baseline.parent / "approved").glob("*.png"))[0]
    base = load_baseline(tiny_baseline).calibration

    def report(*extra: str) -> dict:
        r = runner.invoke(
            app, ["check", str(sprite), "-b", str(tiny_baseline), "-f", "json", *extra], env=ENV
        )
        assert r.exit_code in (0, 1), r.output
        return _json.loads(r.stdout)

    default = report()
    assert default["alpha"] == base.alpha and default["threshold"] == base.threshold
    loose = report("--alpha", "0.2")
    expected = fit_calibration(base.scores, 0.2, len(SIGNALS), 0.2)
    assert loose["alpha"] == 0.2 and loose["threshold"] == pytest.approx(expected.threshold)
    assert loose["calibration"]["method"] == "conformal"  # 24 scores support alpha 0.2 by rank
    assert loose["threshold"] < default["threshold"]
    (tmp_path / "sprite-lint.toml").write_text("alpha = 0.2\n")
    monkey = runner.invoke(
        app,
        ["check", str(sprite), "-b", str(tiny_baseline), "-f", "json"],
        env=ENV,
    )
    assert _json.loads(monkey.stdout)["alpha"] == 0.2  # the configuration's alpha is honoured
    bad = runner.invoke(
        app, ["check", str(sprite), "-b", str(tiny_baseline), "--alpha", "1.5"], env=ENV
    )
    assert bad.exit_code == 2 and "alpha" in bad.output


def test_table_has_no_indent_no_trailing_spaces_and_no_blank_top_line(
    runner: CliRunner, tiny_baseline: Path
) -> None:
    """pre-commit strips leading whitespace from hook output: the header must sit above
    its values, so no line is indented, none ends in spaces, none is blank padding."""
    sprite = sorted((tiny_baseline.parent / "approved").glob("*.png"))[0]
    r = runner.invoke(app, ["check", str(sprite), "-b", str(tiny_baseline)], env=ENV)
    lines = r.output.splitlines()
    assert lines[0].startswith("File")
    assert all(line == line.rstrip() for line in lines)
    assert all(not line.startswith(" ") for line in lines[:3])


@pytest.mark.parametrize("width", [80, 200])
def test_a_failing_table_says_what_to_do_next_and_only_then(width: int) -> None:
    """After the failure lines, one hint: fix the file, or approve it (and explain says
    why); not for a pass, an approved file or an unreadable one alone (its row says what to
    do). No line is indented or ends in a space (pre-commit shows both)."""
    from rich.console import Console

    from sprite_lint.check import CheckReport, FileResult
    from sprite_lint.reporters import render_table

    def table(*rows: FileResult) -> list[str]:
        console = Console(width=width, record=True, color_system=None, file=io.StringIO())
        render_table(CheckReport("b", 0.01, 5.0, "tail", 60, list(rows)), console)
        return console.export_text().splitlines()

    def row(name: str, status: str, score: float | None = 9.0) -> FileResult:
        r = FileResult(path=name, status=status, message="what is wrong", score=score)
        r.threshold, r.p_value, r.driver = (5.0, 0.004, "hole") if score else (None, None, None)
        return r

    lines = table(row("a.png", "fail"), row("b.png", "error", None), row("c.png", "pass", 1.0))
    hint = [i for i, line in enumerate(lines) if line.startswith("hint: ")]
    assert len(hint) == 1
    text = " ".join(lines[hint[0] :])
    assert 'fix the file, or if it is right: sprite-lint approve FILE --reason "..."' in text
    assert "(sprite-lint explain FILE shows why it failed)" in text
    fail_line = max(i for i, line in enumerate(lines) if line.startswith(("FAIL a", "ERROR b")))
    assert hint[0] == fail_line + 1  # right after the failure lines
    summary = next(i for i, line in enumerate(lines) if line.startswith("3 sprite(s): 1 failed"))
    assert summary > hint[0]  # the summary stays last
    assert all(line == line.strip() for line in lines)
    # one line where it fits; at 80 columns broken between its commands, never inside one
    assert summary - hint[0] == (2 if width == 80 else 1)
    approved = row("d.png", "pass", 9.0)
    approved.approved = True
    for rows in [(row("b.png", "error", None),), (row("c.png", "pass", 1.0), approved)]:
        assert not any("hint" in line or "approve FILE" in line for line in table(*rows))


def test_the_hint_names_the_file_and_the_baseline_so_it_works_pasted(
    runner: CliRunner, tiny_baseline: Path, sprites: Path
) -> None:
    """With ``-b DIR`` and one failing file, the hint's commands carry both: pasted as
    printed, ``explain`` explains that file against that baseline (it had said FILE, and
    without ``-b`` looked for baselines/default and advised calibrating)."""
    import shlex

    bad = sprites / "bad" / "place holder.png"
    (sprites / "bad" / "placeholder.png").rename(bad)
    r = runner.invoke(app, ["check", str(bad), "-b", str(tiny_baseline)], env=ENV)
    assert r.exit_code == 1, r.output
    text = " ".join(r.output.split())
    # named as the table names it, relative to the current folder (the test's tmp_path)
    quoted, b = shlex.quote("bad/place holder.png"), shlex.quote(str(tiny_baseline))
    assert f'sprite-lint approve {quoted} -b {b} --reason "..."' in text
    explain = text.split("(sprite-lint ", 1)[1].split(" shows why")[0]
    assert explain == f"explain {quoted} -b {b}"
    e = runner.invoke(app, shlex.split(explain), env=ENV)
    assert e.exit_code == 1 and "FAIL" in e.output, e.output
    # a name that starts with "-" is never read as an option once pasted
    dashed = sprites / "-x.png"
    shutil.copy(bad, dashed)
    import os

    os.chdir(sprites)
    r = runner.invoke(app, ["check", "-b", str(tiny_baseline), "--", "-x.png"], env=ENV)
    assert r.exit_code == 1 and "sprite-lint approve ./-x.png -b" in " ".join(r.output.split())


def test_a_folder_without_pngs_is_an_error_not_a_pass(
    runner: CliRunner, tiny_baseline: Path, tmp_path: Path
) -> None:
    (tmp_path / "nopng").mkdir()
    (tmp_path / "nopng" / "notes.txt").write_text("hi")
    r = runner.invoke(app, ["check", str(tmp_path / "nopng"), "-b", str(tiny_baseline)], env=ENV)
    assert r.exit_code == 2 and "no PNG files found" in r.output


def test_long_wide_names_keep_their_end_in_the_table() -> None:
    from rich.cells import cell_len

    from sprite_lint.reporters import _short

    name = "art/characters/heroes/my sprite é🙂🙂.png"
    short = _short(name, 16)
    assert short.startswith("…") and short.endswith("🙂🙂.png") and cell_len(short) <= 16


@pytest.mark.parametrize("width", [20, 25, 30, 40, 60, 80, 100, 120])
def test_table_never_cuts_a_number_or_verdict(
    runner: CliRunner, tiny_baseline: Path, sprites: Path, width: int
) -> None:
    import json as _json

    args = ["check", str(sprites / "good"), str(sprites / "bad"), "-b", str(tiny_baseline)]
    env = {**ENV, "COLUMNS": str(width)}
    table = runner.invoke(app, args, env=env).output
    report = _json.loads(runner.invoke(app, [*args, "-f", "json"], env=env).stdout)
    assert max(len(line) for line in table.splitlines()) <= width
    # pre-commit strips leading whitespace from hook output: none to lose, none trailing
    assert all(line == line.strip() for line in table.splitlines()), table
    words = set(table.replace("\n", " ").split())
    from sprite_lint.reporters import STATUS_LABEL, fmt_num

    for f in report["files"]:
        assert STATUS_LABEL[f["status"]] in words
        assert fmt_num(f["score"]) in words  # whole, never "3071…"
    assert "…" not in "".join(w for w in words if any(ch.isdigit() for ch in w[:1]))


def _in_tmux(args: list[str], width: int, cwd: Path) -> str:
    """``sprite-lint ARGS`` in a real terminal of ``width`` columns (tmux): the screen, its
    wrapped lines joined and the spaces the program wrote kept."""
    import os
    import shlex
    import subprocess
    import sys
    import time

    from tests.conftest import client_env

    env = client_env()
    del env["NO_COLOR"]  # a colour terminal, as an artist's
    socket = f"sprite-lint-{os.getpid()}-{width}"
    command = shlex.join([sys.executable, "-m", "sprite_lint", *args])
    script = f"cd {shlex.quote(str(cwd))} && {command}; echo END-OF-RUN; sleep 600"
    tmux = ["tmux", "-L", socket, "-f", os.devnull]
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", str(width), "-y", "60", script], check=True, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-J", "-N", "-t", "0"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if "END-OF-RUN" in screen:
                return screen[: screen.index("END-OF-RUN")]
            time.sleep(0.2)
        raise AssertionError(f"no result in tmux after 120 s:\n{screen}")
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


@pytest.fixture
def changed_repo(tmp_path: Path, tiny_baseline: Path) -> Path:
    """A repository with a committed sprite modified, one renamed and one added, one
    failing and one unreadable, under long names with spaces and non-ASCII letters."""
    from tests.conftest import GitRepo, client_env

    repo = GitRepo(tmp_path / "game", tiny_baseline, client_env())
    good = make_family("creatures", 30, seed=3)[24:]
    art = "art/characters/heroes"
    repo.put(f"{art}/hero run cycle frame é.png", good[0])
    repo.put(f"{art}/villain idle.png", good[1])
    repo.put(f"{art}/placeholder knight.png", good[2])
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "art")
    repo.put(f"{art}/hero run cycle frame é.png", good[3])  # modified
    repo.git("mv", f"{art}/villain idle.png", f"{art}/villain idle renamed.png")
    bad = inject(good[2], "checkerboard", np.random.default_rng(0))
    repo.put(f"{art}/placeholder knight.png", bad)  # modified, now failing
    repo.put(f"{art}/a brand new sprite ü.png", good[4], stage=False)  # untracked: new
    (repo.path / art / "empty.png").write_bytes(b"")  # new and unreadable
    return repo.path


@pytest.mark.clients
@pytest.mark.parametrize("mode", ["files", "changed-since"])
@pytest.mark.parametrize("width", [60, 80, 100, 120])
def test_table_in_a_real_terminal_keeps_every_number(
    runner: CliRunner, changed_repo: Path, width: int, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tmux at 60-120 columns: every number and verdict whole, each in its row; no line
    indented, none with trailing spaces, none wider than the terminal."""
    import shutil as _shutil

    from sprite_lint.reporters import STATUS_LABEL, fmt_num, fmt_p, fmt_signed

    if _shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux): no real terminal to test")
    args = ["check", "--changed-since", "HEAD"] if mode == "changed-since" else ["check", "art"]
    screen = _in_tmux([*args, "--no-cache"], width, changed_repo)
    monkeypatch.chdir(changed_repo)
    report = json.loads(runner.invoke(app, [*args, "-f", "json"], env=ENV).stdout)
    lines = screen.rstrip("\n").splitlines()
    assert lines[0].startswith("File"), screen  # no blank line above, no indent
    assert all(line == line.rstrip() and len(line) <= width for line in lines), screen
    header = lines[0].split()
    rows = [line.split() for line in lines[2 : 2 + len(report["files"])]]
    assert len(rows) == len(report["files"]) == 5
    for f in report["files"]:
        expected = {
            "Result": STATUS_LABEL[f["status"]],
            "Score": fmt_num(f["score"]),
            "Limit": fmt_num(f["threshold"]),
            "p": fmt_p(f["p_value"]),
            "Margin": fmt_signed(f["margin"]),
            "Change": f["change"] or "",
            "Was": fmt_num(f["previous_score"]),
            "Δ": "-"
            if f["score"] is None or f["previous_score"] is None
            else fmt_signed(f["score"] - f["previous_score"]),
        }
        want = [v for k, v in expected.items() if k in header and v]
        # the row that ends with this file's values, in the header's order
        matches = [r for r in rows if all(v in r for v in want)]
        assert matches, (f["path"], want, screen)
        # the row's name (before its Change and Result), shortened or not, ends the path
        row = matches[0]
        lead = [expected[k] for k in header if k in ("Change", "Result")]
        at = next(i for i in range(len(row)) if row[i : i + len(lead)] == lead)
        assert f["path"].endswith(" ".join(row[:at]).lstrip("…")), (row, f["path"])
    numbers = [w for r in rows for w in r if w[:1].isdigit() or w[:1] in "+-<"]
    assert not any("…" in w for w in numbers), screen
    assert {"Score", "Result"} <= set(header)
    if mode == "changed-since":
        assert "Δ" in header  # the last column to give way
