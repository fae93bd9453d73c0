"""The check path must stay light: no torch, no scikit-learn (the pre-commit hook's speed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "sklearn", "scipy", "matplotlib", "onnx")


def test_check_imports_neither_torch_nor_sklearn(tiny_baseline: Path, tmp_path: Path) -> None:
    from sprite_lint.synth import make_family
    from tests.conftest import write_rgba

    sprite = write_rgba(tmp_path / "s.png", make_family("creatures", 1, seed=9)[0])
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "sprite_lint",
            "check",
            str(sprite),
            "-b",
            str(tiny_baseline),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "onnxruntime" in imported and "sprite_lint" in imported  # the probe works
    for name in HEAVY:
        assert name not in imported, f"check imported {name}"


def test_calibrate_without_the_train_extra_says_how_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['sklearn'] = None\n"
        f"sys.argv = ['sprite-lint', 'calibrate', {str(tmp_path)!r}]\n"
        "from sprite_lint.cli import main; main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "pip install 'sprite-lint[train]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_runs_without_typer_and_reports_as_the_typer_command(
    tiny_baseline: Path, tmp_path: Path
) -> None:
    """The hook's fast path (``runner.parse_check``) skips typer's import and command
    building; its report is the Typer application's."""
    import json

    from typer.testing import CliRunner

    from sprite_lint.cli import app
    from sprite_lint.synth import make_family
    from tests.conftest import write_rgba

    for i, im in enumerate(make_family("creatures", 3, seed=9)):
        write_rgba(tmp_path / f"s{i}.png", im)
    args = ["check", "s0.png", "s1.png", "-b", str(tiny_baseline), "-f", "json", "--no-cache"]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sprite_lint", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "onnxruntime" in imported and "typer" not in imported
    typer_run = CliRunner().invoke(app, args)
    assert typer_run.exit_code == proc.returncode
    assert json.loads(proc.stdout) == json.loads(typer_run.stdout)
    # --help, and anything else the fast parser does not take, is typer's to answer
    helped = subprocess.run(
        [sys.executable, "-m", "sprite_lint", "check", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert helped.returncode == 0 and "--changed-since" in helped.stdout
    bogus = subprocess.run(
        [sys.executable, "-m", "sprite_lint", "check", "s0.png", "--bogus"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert bogus.returncode == 2 and "No such option" in bogus.stderr
