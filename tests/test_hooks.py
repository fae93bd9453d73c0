"""The ready-to-copy integrations in hooks/ and .pre-commit-hooks.yaml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from sprite_lint.synth import inject, make_family
from tests.conftest import write_rgba

ROOT = Path(__file__).resolve().parent.parent


def test_pre_commit_hook_definition() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    for needle in (
        "id: sprite-lint",
        "entry: sprite-lint check",
        "language: python",
        "types: [png]",
        "require_serial: true",
    ):
        assert needle in text


def test_plain_git_hook_blocks_an_off_style_commit(tmp_path: Path, tiny_baseline: Path) -> None:
    repo = tmp_path / "game"
    repo.mkdir()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env
        )

    git("init", "-q")
    shutil.copytree(tiny_baseline, repo / "baselines" / "default")
    shutil.copy(ROOT / "hooks" / "pre-commit", repo / ".git" / "hooks" / "pre-commit")
    good = make_family("creatures", 30, seed=3)[24:]
    write_rgba(repo / "art" / "hero one.png", good[0])
    git("add", "-A")
    ok = git("commit", "-q", "-m", "good sprite")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    write_rgba(
        repo / "art" / "placeholder.png", inject(good[1], "checkerboard", np.random.default_rng(0))
    )
    git("add", "-A")
    blocked = git("commit", "-q", "-m", "placeholder")
    assert blocked.returncode != 0
    assert "placeholder.png" in blocked.stdout + blocked.stderr
    assert git("log", "--oneline").stdout.count("\n") == 1  # the bad commit did not land
    # staged broken, working tree good: the hook judges what would be committed
    write_rgba(repo / "art" / "hero one.png", good[2])
    git("add", "-A")
    write_rgba(
        repo / "art" / "hero one.png", inject(good[2], "checkerboard", np.random.default_rng(1))
    )
    git("add", "-A")  # the broken version is staged...
    write_rgba(repo / "art" / "hero one.png", good[2])  # ...and a good one is on disk
    git("rm", "-q", "--cached", "art/placeholder.png")
    (repo / "art" / "placeholder.png").unlink()
    sneaky = git("commit", "-q", "-m", "sneaky")
    assert sneaky.returncode != 0, sneaky.stdout + sneaky.stderr
    assert "hero one.png" in sneaky.stdout + sneaky.stderr


def test_check_staged_reads_the_index_and_any_file_name(
    tmp_path: Path, tiny_baseline: Path
) -> None:
    from typer.testing import CliRunner

    from sprite_lint.cli import app

    repo = tmp_path / "game"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    good = make_family("creatures", 30, seed=3)[24:]
    odd = "art/line\nbreak |`x`.png"
    write_rgba(repo / odd, inject(good[0], "checkerboard", np.random.default_rng(0)))
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    write_rgba(repo / odd, good[0])  # the working tree is fine; the index is not
    write_rgba(repo / "art" / "untracked.png", good[1])  # not staged: not checked
    os.chdir(repo)
    res = CliRunner().invoke(
        app, ["check", "--staged", "-b", str(tiny_baseline), "-f", "json"], env={"NO_COLOR": "1"}
    )
    import json

    report = json.loads(res.stdout)
    assert [f["path"] for f in report["files"]] == [odd]
    assert report["files"][0]["status"] == "fail" and res.exit_code == 1
    both = CliRunner().invoke(app, ["check", "--staged", "--all", "-b", str(tiny_baseline)])
    assert both.exit_code == 2


def _check_commands(text: str) -> list[str]:
    """Each ``sprite-lint check`` command line of a CI file, YAML folding undone."""
    flat = " ".join(text.split())
    parts = [p for p in flat.split("sprite-lint check ")[1:] if p.startswith("--")]  # not a name
    return [p.split(" - ")[0].split("||")[0].split(" artifacts:")[0] for p in parts]


def test_ci_jobs_judge_by_the_target_branch_s_baseline() -> None:
    jobs = {
        "github/sprite-lint.yml": '--baseline-ref "origin/${{ github.base_ref }}"',
        "gitlab-ci.yml": '--baseline-ref "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"',
    }
    for name, option in jobs.items():
        commands = _check_commands((ROOT / "hooks" / name).read_text())
        assert commands, name
        for command in commands:
            assert option in command, (name, command)
