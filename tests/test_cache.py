"""The result cache is a convenience, never trusted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import write_rgba

from sprite_lint import cache as cache_mod
from sprite_lint.baseline import load_baseline
from sprite_lint.cache import ResultCache
from sprite_lint.check import check_files
from sprite_lint.synth import inject, make_family


def _entry_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.json"))


@pytest.fixture
def bad_sprite(tmp_path: Path) -> Path:
    im = inject(make_family("creatures", 1, seed=50)[0], "foreign_blob", np.random.default_rng(2))
    return write_rgba(tmp_path / "art" / "bad.png", im)


def test_a_hand_written_pass_entry_cannot_make_a_failing_file_pass(
    tiny_baseline: Path, bad_sprite: Path, tmp_path: Path
) -> None:
    base = load_baseline(tiny_baseline)
    root = tmp_path / "cache"
    first = check_files([bad_sprite], base, cache_root=root).results[0]
    assert first.status == "fail"
    (entry,) = _entry_files(root)
    forged = json.loads(entry.read_text())
    for fake in (
        {"status": "pass", "v": forged["v"]},  # the issue's forgery
        {**forged, "status": "pass"},  # a verdict that does not follow from the score
        {**forged, "score": "1"},  # a wrong type
        {**forged, "signals": {}},
    ):
        entry.write_text(json.dumps(fake))
        again = check_files([bad_sprite], base, cache_root=root).results[0]
        assert again.status == "fail" and again.score == pytest.approx(first.score)


def test_links_and_odd_files_in_the_cache_are_ignored(
    tiny_baseline: Path, bad_sprite: Path, tmp_path: Path
) -> None:
    base = load_baseline(tiny_baseline)
    root = tmp_path / "cache"
    check_files([bad_sprite], base, cache_root=root)
    (entry,) = _entry_files(root)
    real = json.loads(entry.read_text())
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({**real, "status": "pass", "message": "linked"}))
    entry.unlink()
    entry.symlink_to(elsewhere)
    row = check_files([bad_sprite], base, cache_root=root).results[0]
    assert row.message != "linked"


def test_entries_are_keyed_by_tool_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = ResultCache(tmp_path, "b" * 64)
    monkeypatch.setattr(cache_mod, "__version__", "9.9.9")
    b = ResultCache(tmp_path, "b" * 64)
    assert a.dir != b.dir


def test_gitignore_is_rewritten_when_empty_and_no_temp_file_is_left(tmp_path: Path) -> None:
    c = ResultCache(tmp_path, "b" * 64)
    c.put("f" * 64, {"status": "pass"})
    ignore = tmp_path / ".gitignore"
    assert "*" in ignore.read_text()
    ignore.write_text("")
    c2 = ResultCache(tmp_path, "b" * 64)
    c2.put("e" * 64, {"status": "pass"})
    assert "*" in ignore.read_text()
    c2.put("d" * 64, {"status": "pass", "score": math.nan})  # not JSON: refused, no debris
    assert not list(tmp_path.rglob("*.tmp"))
    assert c2.get("d" * 64) is None


def test_a_lower_pixel_limit_is_not_bypassed_by_a_cached_verdict(
    tiny_baseline: Path, tmp_path: Path
) -> None:
    base = load_baseline(tiny_baseline)
    sprite = write_rgba(tmp_path / "good.png", make_family("creatures", 25, seed=3)[24])
    root = tmp_path / "cache"
    first = check_files([sprite], base, cache_root=root).results[0]
    assert first.status in ("pass", "fail") and _entry_files(root)
    small = check_files([sprite], base, cache_root=root, max_pixels=10).results[0]
    assert small.status == "error" and "pixel" in small.message


def test_the_cache_lives_beside_the_configuration_wherever_check_runs(
    tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from sprite_lint.cli import app

    project = tmp_path / "game"
    (project / "art" / "enemies").mkdir(parents=True)
    (project / "pyproject.toml").write_text(f'[tool.sprite-lint]\nbaseline = "{tiny_baseline}"\n')
    im = make_family("creatures", 1, seed=51)[0]
    write_rgba(project / "art" / "enemies" / "slime.png", im)
    for where in (project / "art" / "enemies", project / "art", project):
        monkeypatch.chdir(where)
        result = CliRunner().invoke(app, ["check", "-f", "json", "."])
        assert result.exit_code in (0, 1), result.output
    # one cache, at the project's root (as ruff keeps .ruff_cache), not one per folder
    caches = sorted(p.relative_to(project) for p in project.rglob(".sprite-lint-cache"))
    assert caches == [Path(".sprite-lint-cache")]
    assert len(_entry_files(project / ".sprite-lint-cache")) == 1  # scored once, then hits


def test_a_cached_row_keeps_its_decode_warnings(
    tiny_baseline: Path, bad_sprite: Path, tmp_path: Path
) -> None:
    """A file libpng reads past damage in (bytes after IEND, an APNG's other frames) says
    so on every run: its cached row had dropped the warning on the second check."""
    base = load_baseline(tiny_baseline)
    root = tmp_path / "cache"
    damaged = tmp_path / "art" / "tail.png"
    damaged.write_bytes(bad_sprite.read_bytes() + b"TRAILING")
    first = check_files([damaged], base, cache_root=root).results[0]
    again = check_files([damaged], base, cache_root=root).results[0]
    assert "warning: 8 bytes after the end marker" in first.message
    assert again.message == first.message and again.status == first.status == "fail"
