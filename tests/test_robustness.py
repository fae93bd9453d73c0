"""Issue #10: every failure is exit 2 with a message, only regular files are read, and
``check`` never writes where it must not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import sprite_lint.cli as cli
from sprite_lint.cli import app
from sprite_lint.synth import make_family
from tests.conftest import write_rgba

ENV = {"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}
INTERNAL = "sprite-lint: internal error, please report: "


def _sprite(path: Path, i: int = 0) -> Path:
    write_rgba(path, make_family("creatures", 26, seed=3)[24 + i % 2])
    return path


# --- 1. the top-level guard --------------------------------------------------------------


def test_unexpected_exception_in_a_command_is_exit_2_on_one_line(
    tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sprite_lint.check

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("bad value\nsecond line")

    monkeypatch.setattr(sprite_lint.check, "check_files", broken)
    _sprite(tmp_path / "a.png")
    r = CliRunner().invoke(app, ["check", "a.png", "-b", str(tiny_baseline)], env=ENV)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert f"{INTERNAL}ValueError: bad value second line\n" == r.stderr
    assert "Traceback" not in r.output


def _run_main(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> int:
    def fake_app() -> None:
        raise exc

    monkeypatch.setattr(cli, "app", fake_app)
    with pytest.raises(SystemExit) as info:
        cli.main()
    return int(info.value.code)  # type: ignore[arg-type]


def test_main_turns_any_exception_into_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_main(monkeypatch, RecursionError("maximum recursion depth exceeded")) == 2
    err = capsys.readouterr().err
    assert err == f"{INTERNAL}RecursionError: maximum recursion depth exceeded\n"


def test_main_interrupt_is_130_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_main(monkeypatch, KeyboardInterrupt()) == 130
    assert "Traceback" not in capsys.readouterr().err


def test_main_broken_pipe_is_no_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_main(monkeypatch, BrokenPipeError(32, "Broken pipe")) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_closed_stdout_exits_2_without_a_traceback(tiny_baseline: Path, tmp_path: Path) -> None:
    for i in range(2):
        _sprite(tmp_path / f"s{i}.png", i)
    r, w = os.pipe()
    os.close(r)  # nobody will ever read: every write to stdout fails with EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "sprite_lint", "check", "-b", str(tiny_baseline)]
            + ["-f", "json", "--no-cache", "s0.png", "s1.png"],
            stdout=w,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            timeout=120,
            env={**os.environ, **ENV},
        )
    finally:
        os.close(w)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
