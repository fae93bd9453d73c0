from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sprite_lint.synth import make_family

ROOT = Path(__file__).resolve().parent.parent  # this checkout


def png_bytes(img: Image.Image, **save_args: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", **save_args)
    return buf.getvalue()


def write_rgba(path: Path, rgba: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgba, "RGBA").save(path)
    return path


def creature_strip(broken: int = 2) -> np.ndarray:
    """A strip sheet of four 32x32 frames, each a held-out creature of the tiny baseline's
    family centred, frame ``broken`` with a foreign blob pasted in: ``(32, 128, 4)``."""
    from sprite_lint.synth import inject, make_family

    frames = []
    for im in make_family("creatures", 28, seed=3)[24:]:
        cell = np.zeros((32, 32, 4), np.uint8)
        y, x = (32 - im.shape[0]) // 2, (32 - im.shape[1]) // 2
        cell[y : y + im.shape[0], x : x + im.shape[1]] = im
        frames.append(cell)
    frames[broken] = inject(frames[broken], "foreign_blob", np.random.default_rng(0))
    return np.concatenate(frames, axis=1)


def calibrated_family(
    root: Path, n: int, seed: int, epochs: int, family: str = "creatures"
) -> Path:
    """Write ``n`` sprites of ``family`` under ``root`` and calibrate a small real baseline."""
    from sprite_lint.calibrate import CalibrateOptions, calibrate

    for i, im in enumerate(make_family(family, n, seed=seed)):
        write_rgba(root / "approved" / f"c{i:02d}.png", im)
    calibrate(
        [root / "approved"], root / "baseline", CalibrateOptions(epochs=epochs, seed=0, width=8)
    )
    return root / "baseline"


@pytest.fixture(scope="session")
def tiny_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real baseline calibrated on 24 small creature sprites with very short training."""
    return calibrated_family(tmp_path_factory.mktemp("tiny"), 24, seed=3, epochs=2)


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in its own folder: the result cache and reports land there."""
    monkeypatch.chdir(tmp_path)


def client_env(**extra: str) -> dict[str, str]:
    """The environment a developer's shell would give: this Python's scripts on PATH, this
    checkout importable, a fixed git identity, no user or system git configuration."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        ),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "NO_COLOR": "1",
    }
    env.pop("PRE_COMMIT", None)
    env.update(extra)
    return env


def git(repo: Path, *args: str) -> str:
    """``git -C repo ARGS``; its stdout. Raises CalledProcessError on failure."""
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def init_repo(repo: Path, message: str) -> None:
    """``git init`` on branch main with a fixed identity, and commit everything there."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    commit_all(repo, message)


class GitRepo:
    """A throw-away git repository with the tiny baseline configured."""

    def __init__(self, path: Path, baseline: Path, env: dict[str, str]) -> None:
        self.path, self.env = path, env
        self.outputs: list[str] = []  # what each hooked commit printed
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        shutil.copytree(baseline, path / "baselines" / "default")
        (path / "pyproject.toml").write_text('[tool.sprite-lint]\nbaseline = "baselines/default"\n')

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(
            ["git", "-C", str(self.path), *args], capture_output=True, text=True, env=self.env
        )
        if check and res.returncode:
            raise AssertionError(f"git {args}: {res.stdout}{res.stderr}")
        return res

    def put(self, name: str, rgba: np.ndarray, stage: bool = True) -> None:
        write_rgba(self.path / name, rgba)
        if stage:
            self.git("add", "--", name)

    def commit(self, message: str) -> tuple[bool, str]:
        """``git commit`` through whatever hook is installed: (landed, the hook's output)."""
        before = self.git("rev-list", "--all", "--count").stdout
        res = self.git("commit", "-q", "-m", message, check=False)
        landed = self.git("rev-list", "--all", "--count").stdout != before
        assert landed == (res.returncode == 0), res.stdout + res.stderr
        self.outputs.append(res.stdout + res.stderr)
        return landed, res.stdout + res.stderr
