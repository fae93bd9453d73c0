from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sprite_lint.check import CheckReport, FileResult
from sprite_lint.cli import app
from sprite_lint.reporters import to_json
from sprite_lint.scoring import Region
from sprite_lint.sheets import Frame
from tests.conftest import client_env

ENV = {"COLUMNS": "80", "NO_COLOR": "1"}


def _scored(path: str, status: str, score: float, message: str = "", **kw: Any) -> FileResult:
    return FileResult(
        path=path,
        status=status,
        message=message or ("looks like the approved art" if status == "pass" else "odd"),
        score=score,
        threshold=5.89,
        p_value=0.5 if status == "pass" else 0.001,
        recon_error=0.1,
        kde_log_density=-3.5,
        colour_rarity=0.2,
        signals={"recon": 0.1, "colour": 0.2},
        driver="recon",
        region=Region(1, 2, 3, 4),
        **kw,
    )


def _shard(k: int) -> CheckReport:
    """A report as check writes it, with every kind of row a shard can hold."""
    rows = [
        _scored(f"art/ok{k}.png", "pass", 1.5),
        _scored(f"art/bad{k}.png", "fail", 100.0, "a foreign blob"),
        # over the threshold, approved: a pass by choice
        _scored(f"art/boss{k}.png", "pass", 100.0, "approved (retro look)", approved=True),
        _scored(f"art/run{k}.png", "fail", 7.0, frame=Frame(3, 96, 0, 32, 32)),
        # a sheet fault: a failing row with no score
        FileResult(
            f"art/run{k}.png", "fail", "bleeds", driver="bleed", frame=Frame(2, 64, 0, 32, 32)
        ),
        FileResult(f"art/empty{k}.png", "error", "empty file"),
    ]
    return CheckReport("baselines/default", 0.01, 5.89, "split", 100, rows)


def _write(path: Path, report: CheckReport) -> Path:
    path.write_text(to_json(report), encoding="utf-8")
    return path


def _merge(*paths: Path) -> Any:
    return CliRunner().invoke(app, ["merge", *map(str, paths), "-f", "json"], env=ENV)


def test_merge_accepts_every_kind_of_row_check_writes(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.json", _shard(1))
    b = _write(tmp_path / "b.json", _shard(2))
    r = _merge(a, b)
    assert r.exit_code == 2, r.output  # the empty files' error rows
    doc = json.loads(r.stdout)
    assert doc["summary"] == {"pass": 4, "fail": 6, "error": 2}
    assert len(doc["files"]) == 12
    clean = CheckReport(
        "baselines/default", 0.01, 5.89, "split", 100, [_scored("x.png", "pass", 1)]
    )
    assert _merge(_write(tmp_path / "clean.json", clean)).exit_code == 0


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_merge_refuses_a_special_file_without_reading_it(tmp_path: Path, kind: str) -> None:
    """A FIFO would block merge forever (nobody writes to it); a device is no report. Run
    in a subprocess with a timeout, so a merge that blocks fails the test, not the suite."""
    if kind == "fifo":
        target = tmp_path / "shard.json"
        os.mkfifo(target)
    else:
        target = Path(os.devnull)
    try:
        p = subprocess.run(
            [sys.executable, "-m", "sprite_lint", "merge", str(target)],
            capture_output=True,
            text=True,
            timeout=60,
            env=client_env(COLUMNS="200"),
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"merge blocked reading {target}")
    assert p.returncode == 2, p.stderr
    what = "a FIFO (named pipe)" if kind == "fifo" else "a character device"
    assert f"cannot read report {target}: not a regular file ({what})" in p.stderr
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr


def _edit_row(name: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        row = next(f for f in doc["files"] if f["path"] == name)
        row.update(changes)

    return edit


def _pass_to_fail(doc: dict[str, Any]) -> None:  # summary kept consistent: only the row lies
    _edit_row("art/bad1.png", status="pass")(doc)
    doc["summary"]["pass"] += 1
    doc["summary"]["fail"] -= 1


def _fail_under(doc: dict[str, Any]) -> None:
    _edit_row("art/ok1.png", status="fail")(doc)
    doc["summary"]["pass"] -= 1
    doc["summary"]["fail"] += 1


def _string_row(doc: dict[str, Any]) -> None:
    doc["files"].append("art/x.png")
    doc["summary"]["pass"] += 1


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda d: d.update(files={}), "files is an object, not a list"),
        (lambda d: d["files"].pop(), "summary says 2 pass but files holds 1 such row"),
        (lambda d: d["summary"].pop("error"), "summary has the keys"),
        (lambda d: d.update(version=2), "written by a newer sprite-lint; upgrade sprite-lint"),
        (lambda d: d.update(version="1"), 'JSON report version "1" is not the one'),
        (lambda d: d.update(version=1.5), "JSON report version 1.5 is not the one"),
        (_pass_to_fail, "(art/bad1.png) status is pass, but its score 100.0 is over its"),
        (_fail_under, "(art/ok1.png) status is fail, but its score 1.5 is not over its"),
        (_string_row, "files[6] is text, not an object"),
        (_edit_row("art/ok1.png", score="high"), '(art/ok1.png) score is "high", not a number'),
        (_edit_row("art/ok1.png", margin=-1.0), "(art/ok1.png) margin is -1.0, not its score"),
        (_edit_row("art/ok1.png", p_value=1.5), "p_value is 1.5, not between 0 and 1"),
        (_edit_row("art/empty1.png", score=3.0), "(art/empty1.png) is an error row with a score"),
        (_edit_row("art/ok1.png", region={"x": -1}), "region x is -1, not a whole number"),
        (_edit_row("art/ok1.png", path=7), "files[5] path is 7, not text"),
        (lambda d: d.update(threshold=None), "threshold is null, not a number"),
        (lambda d: d.update(notices=[{"message": "m", "fails": "yes"}]), 'fails is "yes"'),
    ],
)
def test_merge_refuses_a_damaged_report_naming_it_and_what_is_wrong(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    good = _write(tmp_path / "a.json", _shard(2))
    doc = json.loads(_write(tmp_path / "b.json", _shard(1)).read_text())
    edit(doc)
    (tmp_path / "b.json").write_text(json.dumps(doc))
    r = _merge(good, tmp_path / "b.json")
    assert r.exit_code == 2
    assert "b.json: " in r.output and expected in r.output.replace("\n", " "), r.output
    assert "internal error" not in r.output and not r.stdout.startswith("{")


@pytest.mark.parametrize(
    "spelled, shown",
    [('"p_value": 0.5', '"p_value": NaN'), ('"score": 1.5', '"score": Infinity')],
)
@pytest.mark.parametrize("written", ["constant", "overflow"])
def test_merge_refuses_numbers_check_never_writes(
    tmp_path: Path, spelled: str, shown: str, written: str
) -> None:
    """NaN and Infinity (which Python's json reads), and 1e999 (read as infinity)."""
    text = to_json(_shard(1))
    assert spelled in text
    replacement = (
        shown
        if written == "constant"
        else shown.replace("NaN", "1e999").replace("Infinity", "-1e999")
    )
    (tmp_path / "b.json").write_text(text.replace(spelled, replacement, 1))
    r = _merge(tmp_path / "b.json")
    field = spelled.split('"')[1]
    assert r.exit_code == 2
    assert "b.json: damaged sprite-lint JSON report" in r.output
    value = "NaN" if written == "constant" and "NaN" in shown else "Infinity"
    assert f".png) {field} is " in r.output and value in r.output and "finite" in r.output


def test_a_merged_settings_notice_points_gitlab_at_the_settings_file(tmp_path: Path) -> None:
    """A merged report keeps no notice's changed file: a settings notice still points at the
    settings file, never at ``pyproject.toml/manifest.json`` (found in review)."""
    from sprite_lint.check import CheckReport, Notice
    from sprite_lint.formats import to_gitlab

    report = CheckReport("baselines/default", 0.01, 5.0, "tail", 60, [])
    report.notices = [
        Notice("settings edited", False, "pyproject.toml"),
        Notice("baseline edited", False, "baselines/default"),
    ]
    paths = [i["location"]["path"] for i in json.loads(to_gitlab(report))]
    assert paths == ["pyproject.toml", "baselines/default/manifest.json"]
