"""Issue #10: every failure is exit 2 with a message, only regular files are read, and
``check`` never writes where it must not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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

    import signal

    monkeypatch.setattr(cli, "app", fake_app)
    handler = signal.getsignal(signal.SIGINT)  # an interrupted main ignores Ctrl-C after
    try:
        with pytest.raises(SystemExit) as info:
            cli.main()
    finally:
        signal.signal(signal.SIGINT, handler)  # or every later subprocess would inherit it
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


@pytest.mark.parametrize(
    "command",
    [
        ["check", "-f", "json", "--no-cache", "s0.png", "s1.png"],
        # rich draws these: its own broken-pipe handling exited 1 ("findings")
        ["check", "--no-cache", "s0.png", "s1.png"],
        ["check", "-f", "github", "--no-cache", "s0.png", "s1.png"],
        ["explain", "s0.png"],
    ],
    ids=["json", "table", "github", "explain"],
)
def test_closed_stdout_exits_2_without_a_traceback(
    tiny_baseline: Path, tmp_path: Path, command: list[str]
) -> None:
    for i in range(2):
        _sprite(tmp_path / f"s{i}.png", i)
    r, w = os.pipe()
    os.close(r)  # nobody will ever read: every write to stdout fails with EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "sprite_lint", *command, "-b", str(tiny_baseline)],
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


@pytest.mark.parametrize("stdout", ["closed", "full"])
@pytest.mark.parametrize("command", [["--version"], ["check"], ["check", "-f", "json"]])
def test_stdout_closed_or_full_is_exit_2_with_a_message(
    tiny_baseline: Path, tmp_path: Path, stdout: str, command: list[str]
) -> None:
    """``>&-`` and ``> /dev/full``: exit 2 and a line saying the report was not written,
    never exit 0 or 1 (a gate reading silence as a verdict), 120, or a traceback."""
    if stdout == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    _sprite(tmp_path / "s0.png", 0)
    if command[0] == "check":
        command = [*command, "-b", str(tiny_baseline), "--no-cache", "s0.png"]
    with open("/dev/full" if stdout == "full" else os.devnull, "wb") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "sprite_lint", *command],
            stdout=out,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            timeout=120,
            env={**os.environ, **ENV},
            preexec_fn=(lambda: os.close(1)) if stdout == "closed" else None,  # noqa: PLW1509
        )
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert "internal error" not in err, err
    why = "standard output is closed" if stdout == "closed" else "No space left on device"
    assert why in err and "the report could not be written" in err, err


# --- 2. only regular files are read ------------------------------------------------------


def _rows(tiny_baseline: Path, *names: str) -> tuple[int, dict[str, dict]]:
    import json

    r = CliRunner().invoke(
        app, ["check", "-b", str(tiny_baseline), "-f", "json", "--no-cache", *names], env=ENV
    )
    assert "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    doc = json.loads(r.stdout)
    return r.exit_code, {row["path"]: row for row in doc["files"]}


def _bounded(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python args`` under a 2 GiB address-space cap and a timeout: a regression that
    reads /dev/zero or blocks on a FIFO fails the test instead of eating the machine."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    try:
        return subprocess.run(
            [sys.executable, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
            env={**os.environ, **ENV, "OPENBLAS_NUM_THREADS": "1"},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"blocked for over {timeout} s: {args}")


READ = """
import sys, time
from pathlib import Path
from sprite_lint.errors import ImageError
from sprite_lint.imageio import read_file
for name in sys.argv[1:]:
    t = time.monotonic()
    try:
        read_file(Path(name))
        print(name, "READ")
    except ImageError as exc:
        print(name, round(time.monotonic() - t, 3), exc.reason)
"""


def test_devices_fifos_and_sockets_are_refused_at_once(tmp_path: Path) -> None:
    import socket

    Path("zero.png").symlink_to("/dev/zero")
    Path("random.png").symlink_to("/dev/urandom")
    os.mkfifo("fifo.png")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind("sock.png")  # relative: tmp_path may be longer than a socket name may be
        names = ["zero.png", "random.png", "fifo.png", "sock.png", "/dev/null"]
        proc = _bounded("-c", READ, *names, timeout=30)
    assert proc.returncode == 0, proc.stderr
    out = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    for name in names:
        seconds, reason = out[name].split(" ", 1)
        assert float(seconds) < 1 and "only regular files are read" in reason, out
    assert "character device" in out["zero.png"] and "character device" in out["random.png"]
    assert "FIFO" in out["fifo.png"] and "socket" in out["sock.png"]


def test_special_files_are_error_rows_beside_good_ones(tiny_baseline: Path) -> None:
    import json

    _sprite(Path("good.png"))
    Path("zero.png").symlink_to("/dev/zero")
    os.mkfifo("fifo.png")
    proc = _bounded(
        "-m", "sprite_lint", "check", "-b", str(tiny_baseline), "-f", "json", "--no-cache",
        "good.png", "zero.png", "fifo.png",
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    rows = {row["path"]: row for row in json.loads(proc.stdout)["files"]}
    assert rows["good.png"]["status"] == "pass"
    assert rows["zero.png"]["status"] == "error" and "regular" in rows["zero.png"]["message"]
    assert rows["fifo.png"]["status"] == "error" and "FIFO" in rows["fifo.png"]["message"]


def test_huge_file_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sprite_lint.errors import ImageError
    from sprite_lint.imageio import read_file

    big = tmp_path / "big.png"
    with open(big, "wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: no disk, but st_size says 300 MiB

    def no_read(*args: object) -> bytes:
        raise AssertionError("read before refusing")

    monkeypatch.setattr(os, "read", no_read)
    with pytest.raises(ImageError, match="over the limit"):
        read_file(big)
    monkeypatch.undo()
    small = _sprite(tmp_path / "small.png")
    assert read_file(small) == small.read_bytes()
    with pytest.raises(ImageError, match="over the limit"):
        read_file(small, max_bytes=10)


def test_unreadable_file_is_one_error_row(
    tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sprite(Path("good.png"))
    _sprite(Path("locked.png"), 1)
    real_open = os.open

    def guarded(path: object, *args: object, **kwargs: object) -> int:
        if os.fspath(path).endswith("locked.png"):  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", guarded)
    code, rows = _rows(tiny_baseline, "good.png", "locked.png")
    assert code == 2
    assert rows["good.png"]["status"] == "pass"
    assert rows["locked.png"]["status"] == "error"
    assert "permission denied" in rows["locked.png"]["message"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_and_folder_for_real(tiny_baseline: Path) -> None:
    _sprite(Path("good.png"))
    _sprite(Path("locked.png"), 1)
    _sprite(Path("shut") / "inside.png")
    os.chmod("locked.png", 0)
    os.chmod("shut", 0)
    try:
        code, rows = _rows(tiny_baseline, "good.png", "locked.png", "shut", "shut/inside.png")
    finally:
        os.chmod("shut", 0o755)
    assert code == 2 and rows["good.png"]["status"] == "pass"
    assert rows["locked.png"]["status"] == "error"
    assert rows["shut"]["status"] == "error" and "listed" in rows["shut"]["message"]
    assert rows["shut/inside.png"]["status"] == "error"


def test_folder_that_cannot_be_listed_is_an_error_row(
    tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sprite_lint.discovery import expand_paths

    _sprite(Path("art") / "good.png")
    _sprite(Path("art") / "shut" / "hidden.png")
    real_scandir, real_listdir = os.scandir, os.listdir

    def deny(real: object) -> object:
        def fn(path: object = ".") -> object:
            if os.fspath(path).rstrip("/").endswith("shut"):  # type: ignore[call-overload]
                raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore
            return real(path)  # type: ignore[operator]

        return fn

    monkeypatch.setattr(os, "scandir", deny(real_scandir))
    monkeypatch.setattr(os, "listdir", deny(real_listdir))
    assert Path("art/shut") in expand_paths(["art"])
    code, rows = _rows(tiny_baseline, "art")
    assert code == 2, rows
    assert rows["art/good.png"]["status"] == "pass"
    assert rows["art/shut"]["status"] == "error"
    assert "cannot be listed" in rows["art/shut"]["message"]


# --- 3. --output never replaces what it must not -----------------------------------------


def _check(tiny_baseline: Path, *args: str) -> object:
    return CliRunner().invoke(app, ["check", "-b", str(tiny_baseline), *args], env=ENV)


def _debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".old")))


def test_output_refuses_what_is_not_a_regular_file(
    tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def guarded(src: object, dst: object) -> None:  # a regression must not break /dev here
        assert not os.path.abspath(dst).startswith(("/dev", "/proc")), dst  # type: ignore
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", guarded)
    _sprite(Path("hero.png"))
    os.mkfifo("fifo.json")
    Path("folder.json").mkdir()
    Path("null.json").symlink_to("/dev/null")
    Path("stdout.json").symlink_to("/proc/self/fd/1")
    targets = ["fifo.json", "folder.json", "null.json", "stdout.json", "/dev/null"]
    for target in targets + ["/dev/stdout"]:
        before = os.lstat(target)
        r = _check(tiny_baseline, "hero.png", "-f", "json", "-o", target)
        assert r.exit_code == 2, (target, r.output)  # type: ignore[attr-defined]
        assert "regular file" in r.stderr or "a folder" in r.stderr, r.stderr  # type: ignore
        after = os.lstat(target)
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode), target
    assert Path("null.json").is_symlink() and Path("folder.json").is_dir()
    assert _debris(tmp_path) == []


def test_output_refuses_a_file_being_checked(tiny_baseline: Path, tmp_path: Path) -> None:
    hero = _sprite(Path("hero.png"))
    _sprite(Path("art") / "villain.png", 1)
    Path("alias.png").symlink_to("art/villain.png")
    data = {p: p.read_bytes() for p in (hero, Path("art/villain.png"))}
    for args in (
        ["hero.png", "-o", "hero.png"],
        ["hero.png", "-o", "./hero.png", "-f", "json"],
        ["art", "-o", "art/villain.png"],
        ["art", "-o", "alias.png"],
        ["hero.png", "--html", "hero.png"],
    ):
        r = _check(tiny_baseline, *args)
        assert r.exit_code == 2, (args, r.output)  # type: ignore[attr-defined]
        assert "being checked" in r.stderr, r.stderr  # type: ignore[attr-defined]
    assert {p: p.read_bytes() for p in data} == data
    assert _debris(tmp_path) == [] and _debris(tmp_path / "art") == []


def test_reports_are_never_written_into_the_baseline(tiny_baseline: Path, tmp_path: Path) -> None:
    import shutil

    base = shutil.copytree(tiny_baseline, tmp_path / "baselines" / "default")
    before = {p.name: p.read_bytes() for p in base.iterdir()}
    _sprite(Path("hero.png"))
    for args in (
        ["-f", "json", "-o", str(base / "manifest.json")],
        ["-o", str(base / "model.onnx")],
        ["--html", str(base / "reference.npz")],
        ["--html", str(base / "report.html")],
        ["--report-dir", str(base)],
        ["--report-dir", str(base / "panels")],
    ):
        r = CliRunner().invoke(app, ["check", "-b", str(base), "hero.png", *args], env=ENV)
        assert r.exit_code == 2, (args, r.output)
        assert "inside the baseline folder" in r.stderr, r.stderr
    assert {p.name: p.read_bytes() for p in base.iterdir()} == before
    ok = CliRunner().invoke(app, ["check", "-b", str(base), "hero.png", "-o", "r.txt"], env=ENV)
    assert ok.exit_code in (0, 1) and Path("r.txt").is_file()


def test_output_is_atomic_and_leaves_no_debris(
    tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sprite(Path("hero.png"))
    Path("report.json").write_text("previous")
    r = _check(tiny_baseline, "hero.png", "-f", "json", "-o", "report.json")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert '"files"' in Path("report.json").read_text()
    Path("report.json").write_text("previous")

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    r = _check(tiny_baseline, "hero.png", "-f", "json", "-o", "report.json")
    assert r.exit_code == 2 and "No space left" in r.stderr  # type: ignore[attr-defined]
    assert Path("report.json").read_text() == "previous"
    assert _debris(tmp_path) == [] and not list(tmp_path.glob(".report.json*"))


# --- 4. pre-commit: file names starting with "-" are files -------------------------------


def test_hook_entries_end_options_before_file_names() -> None:
    root = Path(__file__).resolve().parent.parent
    entry = next(
        line.split(":", 1)[1].split()
        for line in (root / ".pre-commit-hooks.yaml").read_text().splitlines()
        if line.strip().startswith("entry:")
    )
    assert entry == ["sprite-lint", "check", "--"]
    script = (root / "hooks" / "pre-commit").read_text()
    # the plain hook passes no file names at all: it checks the index (--staged)
    assert "sprite-lint check --staged" in script and "$files" not in script


def test_dash_file_names_are_checked_as_files(tiny_baseline: Path, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    line = next(
        line
        for line in (root / ".pre-commit-hooks.yaml").read_text().splitlines()
        if line.strip().startswith("entry:")
    )
    entry = line.split(":", 1)[1].split()[2:]  # what follows "sprite-lint check"
    hero = _sprite(Path("hero.png"))
    _sprite(Path("-ohero.png"), 1)
    _sprite(Path("--all.png"), 1)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    # pre-commit runs: entry + args + file names (the baseline comes from configuration)
    with open("pyproject.toml", "w") as fh:
        fh.write(f'[tool.sprite-lint]\nbaseline = "{tiny_baseline.as_posix()}"\n')
    before["pyproject.toml"] = Path("pyproject.toml").read_bytes()
    r = CliRunner().invoke(app, ["check", *entry, "-ohero.png", "--all.png", "hero.png"], env=ENV)
    assert r.exit_code == 0, r.output
    text = r.output.replace("\n", "")
    assert "-ohero.png" in text and "--all.png" in text and "3 passed" in text, r.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert hero.read_bytes() == before["hero.png"]


# --- 5. --jobs is bounded -----------------------------------------------------------------


def test_jobs_capped_at_chunks_and_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    from sprite_lint.check import CHUNK

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert cli._effective_jobs(1000, 1) == 1
    assert cli._effective_jobs(1000, 3 * CHUNK) == 3
    assert cli._effective_jobs(1000, 100 * CHUNK) == 8  # four per core
    assert cli._effective_jobs(0, 100 * CHUNK) == 2  # 0 = one per core
    assert cli._effective_jobs(3, 100 * CHUNK) == 3
    assert cli._effective_jobs(5, 0) == 1


def test_check_passes_the_capped_jobs(tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sprite_lint.check

    seen: list[int] = []
    real = sprite_lint.check.check_files

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(kwargs["jobs"])  # type: ignore[arg-type]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sprite_lint.check, "check_files", spy)
    _sprite(Path("a.png"))
    r = CliRunner().invoke(
        app, ["check", "a.png", "-b", str(tiny_baseline), "--jobs", "100000"], env=ENV
    )
    assert r.exit_code == 0, r.output
    assert seen == [1]


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_during_a_parallel_scan_exits_130_without_tracebacks(
    tiny_baseline: Path, tmp_path: Path, presses: int
) -> None:
    """Ctrl-C, or Ctrl-C twice in quick succession (the second once cleanup has begun: it
    hung, waiting on the pool's thread at exit), ends the scan with 130."""
    import signal
    import time

    from sprite_lint.synth import make_family

    folder = tmp_path / "many"
    ims = make_family("creatures", 20, seed=9)
    for i in range(3000):
        write_rgba(folder / f"s{i:04d}.png", ims[i % len(ims)])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sprite_lint",
            "check",
            str(folder),
            "-b",
            str(tiny_baseline),
            "--jobs",
            "2",
            "--no-cache",
            "-f",
            "json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if children.exists() and children.read_text().split():
            break  # the worker processes are up and scoring
        time.sleep(0.05)
    time.sleep(0.3)
    for _ in range(presses):
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole group, workers included
        time.sleep(0.2)
    _, err = proc.communicate(timeout=60)
    if proc.returncode in (0, 1):  # the machine finished first: nothing to interrupt
        pytest.skip("the scan finished before the interrupt")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "BrokenProcessPool" not in err


def test_a_file_name_that_is_not_utf8_is_reported_readably(
    tiny_baseline: Path, tmp_path: Path
) -> None:
    """Linux allows any bytes in a name; every report is UTF-8 text, so each byte that is
    not UTF-8 reads as U+FFFD (never a crash, never a lone surrogate in the JSON)."""
    import json
    import os

    import numpy as np

    from sprite_lint.synth import inject

    name = os.fsdecode(b"bad\xfestray.png")  # a lone surrogate, as Python holds it
    sprite = make_family("creatures", 26, seed=3)[24]
    write_rgba(Path(name), inject(sprite, "checkerboard", np.random.default_rng(0)))  # fails
    for fmt in ("json", "sarif", "gitlab", "junit", "github", "markdown"):
        r = CliRunner().invoke(app, ["check", "-b", str(tiny_baseline), "-f", fmt, "."], env=ENV)
        assert r.exit_code in (0, 1), (fmt, r.output)
        text = r.stdout
        if fmt in ("json", "sarif", "gitlab"):
            text = json.dumps(json.loads(r.stdout), ensure_ascii=False)
        readable = "bad%EF%BF%BDstray.png" if fmt == "sarif" else "bad\ufffdstray.png"  # a URI
        assert readable in text, fmt
    args = ["check", "-b", str(tiny_baseline), "--shard", "1/1", "--html", "r.html", "."]
    assert CliRunner().invoke(app, args, env=ENV).exit_code in (0, 1)
    assert "bad\ufffdstray.png" in Path("r.html").read_text(encoding="utf-8")


def test_columns_zero_and_a_fifo_step_summary(tiny_baseline: Path, tmp_path: Path) -> None:
    """COLUMNS=0 had been an internal error in rich; $GITHUB_STEP_SUMMARY naming a FIFO
    that nobody reads had hung check for ever (found by a new user's trial)."""
    import os
    import subprocess
    import sys

    from sprite_lint.synth import make_family
    from tests.conftest import write_rgba

    sprite = write_rgba(tmp_path / "a.png", make_family("creatures", 1, seed=2)[0])
    fifo = tmp_path / "summary"
    os.mkfifo(fifo)
    base = [sys.executable, "-m", "sprite_lint", "check", "-b", str(tiny_baseline), str(sprite)]
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "GITHUB_ACTIONS")}
    r = subprocess.run(base, env={**env, "COLUMNS": "0"}, capture_output=True, text=True)
    assert r.returncode in (0, 1) and "internal error" not in r.stderr, r.stderr
    gh = {**env, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(fifo)}
    r = subprocess.run(
        [*base, "--format", "github"], env=gh, capture_output=True, text=True, timeout=60
    )
    assert r.returncode in (0, 1), r.stderr
    assert "cannot append to $GITHUB_STEP_SUMMARY" in r.stderr and "not a regular file" in (
        r.stderr
    )


def test_the_table_says_a_passing_file_s_decode_warnings(
    tiny_baseline: Path, tmp_path: Path
) -> None:
    """Damage libpng reads past is scored "with a warning"; for a passing file only the
    JSON had said it, never the table that pre-commit shows (found by a docs audit)."""
    from typer.testing import CliRunner

    from sprite_lint.cli import app
    from sprite_lint.synth import make_family
    from tests.conftest import write_rgba

    sprite = write_rgba(tmp_path / "a.png", make_family("creatures", 26, seed=3)[24])
    sprite.write_bytes(sprite.read_bytes() + b"TRAILING")
    r = CliRunner().invoke(
        app, ["check", "-b", str(tiny_baseline), "--no-cache", str(sprite)], env={"COLUMNS": "200"}
    )
    assert r.exit_code == 0, r.output
    assert "a.png: 8 bytes after the end marker (IEND chunk) are ignored" in r.output
    assert any(line.startswith("warning ") for line in r.output.splitlines())
