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
