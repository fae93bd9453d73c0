from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sprite_lint.baseline import load_baseline
from sprite_lint.cache import ResultCache
from sprite_lint.check import check_files
from sprite_lint.cli import app
from sprite_lint.discovery import expand_paths, parse_shard, select_shard
from sprite_lint.errors import UsageError
from sprite_lint.signals import SIGNALS
from sprite_lint.synth import inject, make_family
from tests.conftest import write_rgba

ENV = {"COLUMNS": "80", "NO_COLOR": "1"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    sprites = make_family("creatures", 12, seed=40)
    for i, im in enumerate(sprites):
        write_rgba(tmp_path / "s" / f"ok {i}.png", im)  # spaces in names
    write_rgba(tmp_path / "s" / "-dash.png", inject(sprites[0], "checkerboard", rng))
    write_rgba(tmp_path / "s" / "ünï.png", sprites[1])
    (tmp_path / "s" / "empty.png").write_bytes(b"")
    return tmp_path / "s"


def _rows(report: object) -> dict[str, tuple]:
    return {r.path: (r.status, r.score, r.message) for r in report.results}  # type: ignore[attr-defined]


def test_workers_give_the_same_verdicts(
    tiny_baseline: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sprite_lint.check as chk

    monkeypatch.setattr(chk, "CHUNK", 4)  # several chunks for two workers
    files = expand_paths([folder])
    base = load_baseline(tiny_baseline)
    one = check_files(files, base, jobs=1)
    two = check_files(files, base, jobs=2)
    a, b = _rows(one), _rows(two)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k][0] == b[k][0] and a[k][2] == b[k][2]
        if a[k][1] is not None:
            assert a[k][1] == pytest.approx(b[k][1], rel=1e-5)


def test_cache_returns_the_same_result_and_is_keyed_by_content(
    tiny_baseline: Path, folder: Path, tmp_path: Path
) -> None:
    files = expand_paths([folder])
    base = load_baseline(tiny_baseline)
    cache = tmp_path / "cache"
    first = check_files(files, base, cache_root=cache)
    entries = list(cache.rglob("*.json"))
    contents = {p.read_bytes() for p in files if p.stat().st_size}
    assert len(entries) == len(contents)  # one per distinct readable content; none for errors
    assert (cache / ".gitignore").read_text().strip().endswith("*")
    second = check_files(files, base, cache_root=cache)
    assert _rows(first) == _rows(second)
    assert all(r.raw is None for r in second.results)  # served from the cache, not scored
    # edit one sprite: it is scored afresh
    target = folder / "ok 0.png"
    write_rgba(
        target,
        inject(make_family("creatures", 1, seed=40)[0], "foreign_blob", np.random.default_rng(1)),
    )
    third = check_files(files, base, cache_root=cache)
    row = next(r for r in third.results if r.path.endswith("ok 0.png"))
    assert row.raw is not None


def test_cache_survives_concurrent_writers(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, "b" * 64)
    errors: list[BaseException] = []

    def hammer(n: int) -> None:
        try:
            for i in range(50):
                cache.put("f" * 64, {"status": "pass", "i": i, "n": n})
                got = cache.get("f" * 64)
                assert got is None or got["status"] == "pass"
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_frame_name_is_refused_naming_explain_and_the_file(
    tiny_baseline: Path, tmp_path: Path
) -> None:
    """``FILE#N`` is explain's; check names the file it meant, not "no PNG files found"
    nor a missing file. A missing name whose part before ``#`` is no file stays a row."""
    write_rgba(tmp_path / "art" / "x.png", make_family("creatures", 1, seed=40)[0])
    for name in ("art/x.png#1", "art/x.png#1 (x=96 y=0 32x32)"):
        with pytest.raises(UsageError, match="only for sprite-lint explain") as err:
            expand_paths([Path(name)])
        assert str(err.value).startswith(f"{name}: no such file") and "name art/x.png" in str(
            err.value
        )
    kept = [Path("art/gone.png#1"), Path("art/odd#name.png"), Path("art/x.png#one")]
    assert expand_paths(kept) == kept  # reported as missing files, never skipped
    r = CliRunner().invoke(app, ["check", "art/x.png#2", "-b", str(tiny_baseline)], env=ENV)
    assert r.exit_code == 2
    assert "art/x.png#2: no such file; FILE#N names a frame of a sheet only for sprite-lint " in (
        r.output
    )
    assert "no PNG files found" not in r.output


def test_shards_partition_the_files(folder: Path) -> None:
    files = expand_paths([folder])
    parts = [select_shard(files, k, 3) for k in (1, 2, 3)]
    assert sorted(sum(parts, []), key=str) == sorted(files, key=str)
    assert select_shard(files, 2, 3) == select_shard(list(reversed(files)), 2, 3)[::-1]
    with pytest.raises(UsageError):
        parse_shard("0/3")
    with pytest.raises(UsageError):
        parse_shard("two")


def test_shard_and_merge_equal_one_check(tiny_baseline: Path, folder: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    whole = runner.invoke(
        app, ["check", str(folder), "-b", str(tiny_baseline), "-f", "json"], env=ENV
    )
    outs = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}.json"
        r = runner.invoke(
            app,
            [
                "check",
                str(folder),
                "-b",
                str(tiny_baseline),
                "--shard",
                f"{k}/2",
                "-f",
                "json",
                "-o",
                str(out),
            ],
            env=ENV,
        )
        assert r.exit_code in (0, 1, 2)
        outs.append(str(out))
    merged = runner.invoke(app, ["merge", *outs, "-f", "json"], env=ENV)
    assert merged.exit_code == whole.exit_code == 2  # the empty file
    a = {f["path"]: f["status"] for f in json.loads(whole.stdout)["files"]}
    b = {f["path"]: f["status"] for f in json.loads(merged.stdout)["files"]}
    assert a == b


def test_merge_refuses_a_non_report(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    r = CliRunner().invoke(app, ["merge", str(bad)], env=ENV)
    assert r.exit_code == 2 and "not a sprite-lint JSON report" in r.output


def test_odd_names_and_symlinks(tiny_baseline: Path, folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    write_rgba(outside, make_family("creatures", 1, seed=41)[0])
    (folder / "link.png").symlink_to(outside)
    before = {p: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    r = CliRunner().invoke(
        app, ["check", "-b", str(tiny_baseline), "-f", "json", "--", str(folder)], env=ENV
    )
    doc = json.loads(r.stdout)
    names = {Path(f["path"]).name for f in doc["files"]}
    assert {"-dash.png", "ünï.png", "ok 3.png", "link.png"} <= names
    assert {p: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def test_messages_name_a_file_as_its_row_does_never_by_absolute_path(
    tiny_baseline: Path, tmp_path: Path
) -> None:
    """The Git LFS hint is a command to paste: it names the file as the row does (relative
    to the root), not by the absolute path check was handed (as --changed-since does)."""
    art = tmp_path / "art"
    art.mkdir()
    pointer = art / "hero.png"
    pointer.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n")
    report = check_files([pointer.resolve()], load_baseline(tiny_baseline), root=tmp_path)
    (row,) = report.results
    assert row.status == "error" and row.path == "art/hero.png"
    assert "git lfs pull --include art/hero.png" in (row.message or "")
    assert str(tmp_path) not in (row.message or "")


def test_solid_areas_left_nearly_solid_are_named(tiny_baseline: Path) -> None:
    """End to end: an approved sprite whose solid pixels an export left at alpha 252 (a
    palette pass or a layer at 99% opacity) fails, and the message says what happened."""
    from sprite_lint.check import Detector

    detector = Detector(load_baseline(tiny_baseline))
    sprite = make_family("creatures", 24, seed=3)[4]  # one of the approved
    assert detector.judge("ok.png", sprite).status == "pass"
    nearly = sprite.copy()
    nearly[..., 3][sprite[..., 3] == 255] = 252
    result = detector.judge("nearly.png", nearly)
    assert result.status == "fail" and result.driver == "soft"
    n = int((sprite[..., 3] == 255).sum())
    assert result.message.startswith(f"solid areas left slightly transparent: {n:,} pixels")


def test_a_layer_at_partial_opacity_empty_sprites_and_other_marks_are_named(
    tiny_baseline: Path,
) -> None:
    """Found by an artist's trial: a whole layer at 70% opacity was called "blurred edges
    (resampled?)"; a fully transparent sprite was "nothing visible" on one set and "no dark
    outline" on another; a second mark of a broken export (JPEG and stray pixels) showed
    only after the first was fixed."""
    from sprite_lint.check import Detector

    detector = Detector(load_baseline(tiny_baseline))
    sprite = make_family("creatures", 24, seed=3)[4]  # one of the approved
    faded = sprite.copy()
    faded[..., 3] = (sprite[..., 3].astype(np.float64) * 0.7).round().astype(np.uint8)
    result = detector.judge("faded.png", faded)
    assert result.status == "fail" and result.driver == "soft"
    top = int(faded[..., 3].max())
    assert result.message.startswith(
        f"the whole sprite is semi-transparent: its most opaque pixels are at alpha {top} (70%)"
    ), result.message
    empty = detector.judge("empty.png", np.zeros_like(sprite))
    assert empty.status == "fail" and empty.driver == "few_colours"
    assert empty.message == "nothing visible: the sprite is fully transparent (an empty export?)"
    both = sprite.copy()
    both[..., 3][sprite[..., 3] == 255] = 252  # solid areas left nearly solid (soft)...
    both[0, 0] = both[0, 2] = [*sprite[sprite[..., 3] == 255][0, :3], 255]  # ...and strays
    r = detector.judge("both.png", both)
    z = detector.standardizer.transform(r.raw.as_vector())  # type: ignore[union-attr]
    over = {s for s, v in zip(SIGNALS, z) if v > r.threshold}
    assert {"soft", "stray"} <= over, over
    other = "stray pixels" if r.driver == "soft" else "blurred or semi-transparent edges"
    assert r.message.endswith(f"; also: {other}") or f"; also: {other}," in r.message, r.message


@pytest.mark.parametrize("fmt", ["table", "github", "markdown"])
def test_control_characters_in_a_name_cannot_forge_log_lines(
    tiny_baseline: Path, tmp_path: Path, fmt: str
) -> None:
    """A newline in a file name would start a line of its own in a CI log, and a line
    starting with '::' is a GitHub Actions command; an escape sequence would restyle the
    terminal. Names are shown with control characters escaped; the JSON keeps the name."""
    sprite = make_family("creatures", 1, seed=5)[0].copy()
    sprite[:8, :8] = [255, 255, 255, 255]  # fails: a reason to print its name twice
    name = "x\n::warning title=forged::all passed\x1b[31m.png"
    write_rgba(tmp_path / name, sprite)
    res = CliRunner().invoke(
        app, ["check", "-b", str(tiny_baseline), "--no-cache", "-f", fmt, str(tmp_path / name)]
    )
    assert res.exit_code == 1, res.output
    assert not any(line.startswith("::warning") for line in res.output.splitlines())
    assert "\x1b" not in res.output
    assert "x\\n::warning title=forged::all passed\\x1b[31m.png" in res.output.replace("\n", "")
    out = tmp_path / "r.json"
    CliRunner().invoke(
        app,
        [
            "check",
            "-b",
            str(tiny_baseline),
            "--no-cache",
            "-f",
            "json",
            "-o",
            str(out),
            str(tmp_path / name),
        ],
    )
    assert json.loads(out.read_text())["files"][0]["path"].endswith(name)


def test_a_name_with_a_newline_and_one_with_a_backslash_n_read_differently(
    tiny_baseline: Path, tmp_path: Path
) -> None:
    """Escaped, a newline is ``\\n``; a name spelled with a backslash shows it doubled,
    so the two never read alike (in the table, Markdown, HTML or JUnit)."""
    from sprite_lint.discovery import printable

    sprite = make_family("creatures", 1, seed=5)[0]
    real, spelled = "a\nb.png", "a\\nb.png"  # a newline; a backslash and an n
    assert printable(real) != printable(spelled)
    for name in (real, spelled):
        write_rgba(tmp_path / name, sprite)
    res = CliRunner().invoke(
        app, ["check", "-b", str(tiny_baseline), "--no-cache", "-f", "markdown", str(tmp_path)]
    )
    assert "a\\nb.png" in res.output and "a\\\\nb.png" in res.output, res.output


def test_one_stray_pixel_fails_and_is_named(tiny_baseline: Path) -> None:
    """The commonest slip: a single pixel left in the transparent area, in the sprite's own
    ink. The approved creatures have none, so one is enough (SCALE_FLOOR["stray"])."""
    base = load_baseline(tiny_baseline)
    good = make_family("creatures", 30, seed=3)[24:]
    for im in good:
        clear = im[..., 3] == 0
        # a clear pixel with nothing visible within 2 px: a lone pixel there is stray
        spot = next(
            (y, x)
            for y, x in zip(*np.nonzero(clear))
            if clear[max(0, y - 2) : y + 3, max(0, x - 2) : x + 3].all()
        )
        ink = im[im[..., 3] == 255][:, :3].astype(int).sum(1).argmin()
        bad = im.copy()
        bad[spot] = [*im[im[..., 3] == 255][ink, :3], 255]
        clean = check_files([write_rgba(Path("ok.png"), im)], base).results[0]
        r = check_files([write_rgba(Path("bad.png"), bad)], base).results[0]
        assert clean.status == "pass", clean.message
        assert r.status == "fail" and r.driver == "stray", (r.driver, r.message)
        assert r.message.startswith("1 stray pixel"), r.message


def test_a_plain_check_runs_no_git(
    tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-file hook: naming baselines from the repository's top must not cost a git
    process (a review found one per run); inside the current folder they are named
    relative to it, as the rows are."""
    import shutil
    import subprocess

    from sprite_lint import gitfiles

    repo = tmp_path / "r"
    shutil.copytree(tiny_baseline, repo / "baselines" / "default")
    write_rgba(repo / "a.png", make_family("creatures", 26, seed=3)[24])
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo)

    def no_git(*args: object, **kw: object) -> bytes:
        raise AssertionError(f"git ran: {args}")

    monkeypatch.setattr(gitfiles, "_git", no_git)
    b = str((repo / "baselines" / "default").resolve())
    r = CliRunner().invoke(app, ["check", "a.png", "-b", b, "-f", "json", "--no-cache"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["baseline"] == doc["files"][0]["baseline"] == "baselines/default"
