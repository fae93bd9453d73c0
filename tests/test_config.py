from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.config import glob_match, load_settings
from sprite_lint.errors import UsageError
from sprite_lint.synth import make_family
from tests.conftest import write_rgba

ENV = {"COLUMNS": "100", "NO_COLOR": "1"}


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("art/tiles/**", "art/tiles/grass.png", True),
        ("art/tiles/**", "art/tiles/deep/er/grass.png", True),
        ("art/tiles/**", "art/tilesets/grass.png", False),
        ("art/*/ui.png", "art/menu/ui.png", True),
        ("art/*/ui.png", "art/menu/sub/ui.png", False),
        ("art/**/ui.png", "art/ui.png", True),
        ("*.png", "deep/in/side.png", True),  # no slash: any folder, like .gitignore
        ("hero?.png", "chars/hero1.png", True),
        ("hero?.png", "chars/hero10.png", False),
        ("art/[x].png", "art/[x].png", True),  # brackets are literal
        ("/art/**", "art/a.png", True),
    ],
)
def test_glob_match(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected


def test_settings_precedence_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sprite-lint]\nalpha = 0.05\nbaseline = "bl/pyproject"\n'
    )
    sub = tmp_path / "art" / "deep"
    sub.mkdir(parents=True)
    s = load_settings(cwd=sub)
    assert s.alpha == 0.05 and s.baseline == str(tmp_path / "bl/pyproject")
    assert s.project_dir == str(tmp_path)
    # sprite-lint.toml wins over pyproject.toml in the same folder
    (tmp_path / "sprite-lint.toml").write_text('alpha = 0.02\nformat = "json"\n')
    s = load_settings(cwd=sub)
    assert (s.alpha, s.format) == (0.02, "json")
    assert s.config_file == str(tmp_path / "sprite-lint.toml")
    # a CLI flag beats both; --baseline drops the glob mapping
    assert load_settings(cwd=sub, alpha=0.1, format="table").format == "table"
    # a pyproject without the table does not stop the search upward
    (sub / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert load_settings(cwd=sub).alpha == 0.02


@pytest.mark.parametrize(
    "body",
    [
        "alpha = 2",
        "alpha = true",
        'max-pixels = "big"',
        'format = "xml"',
        'exclude = "*.png"',
        'baselines = ["a"]',
        "alpha = ",
    ],
)
def test_bad_config_is_a_usage_error(tmp_path: Path, body: str) -> None:
    (tmp_path / "sprite-lint.toml").write_text(body + "\n")
    with pytest.raises(UsageError):
        load_settings(cwd=tmp_path)


def test_unknown_key_warns_with_its_name(tiny_baseline: Path) -> None:
    Path("pyproject.toml").write_text(
        f'[tool.sprite-lint]\nbaseline = "{tiny_baseline}"\ncolour-bits = 6\n'
    )
    src = sorted((tiny_baseline.parent / "approved").glob("*.png"))[0]
    shutil.copy(src, "a.png")
    res = CliRunner().invoke(app, ["check", "a.png"], env=ENV)
    assert "unknown key 'colour-bits' ignored" in res.output
    assert res.exit_code in (0, 1)


@pytest.fixture
def mapped(tmp_path: Path, tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with two baselines mapped by glob, an excluded folder and a size limit."""
    project = tmp_path / "game"
    shutil.copytree(tiny_baseline, project / "baselines" / "characters")
    shutil.copytree(tiny_baseline, project / "baselines" / "tiles")
    (project / "sprite-lint.toml").write_text(
        'exclude = ["art/wip/*"]\n'
        "max-pixels = 4096\n"
        "[baselines]\n"
        '"art/characters/**" = "baselines/characters"\n'
        '"art/tiles/**" = "baselines/tiles"\n'
    )
    good = make_family("creatures", 30, seed=3)[24:]
    write_rgba(project / "art/characters/hero.png", good[0])
    write_rgba(project / "art/tiles/grass.png", good[1])
    write_rgba(project / "art/wip/draft.png", good[2])
    write_rgba(project / "art/props/barrel.png", good[3])
    monkeypatch.chdir(project / "art")  # paths in the config are relative to its folder
    return project


def test_files_go_to_their_mapped_baseline_and_unmatched_are_reported(mapped: Path) -> None:
    res = CliRunner().invoke(app, ["check", ".", "-f", "json"], env=ENV)
    assert res.exit_code == 2, res.output  # the unmatched file is an error row
    doc = json.loads(res.stdout)
    rows = {f["path"]: f for f in doc["files"]}
    assert set(rows) == {"characters/hero.png", "tiles/grass.png", "props/barrel.png"}
    assert rows["characters/hero.png"]["baseline"].endswith("baselines/characters")
    assert rows["tiles/grass.png"]["baseline"].endswith("baselines/tiles")
    barrel = rows["props/barrel.png"]
    assert barrel["status"] == "error" and "no baseline is mapped" in barrel["message"]
    assert "sprite-lint.toml" in barrel["message"]
    assert [Path(b["path"]).name for b in doc["baselines"]] == ["characters", "tiles"]
    # --baseline overrides the mapping: every file is judged by it
    res = CliRunner().invoke(
        app, ["check", ".", "-f", "json", "-b", str(mapped / "baselines/tiles")], env=ENV
    )
    doc = json.loads(res.stdout)
    assert len(doc["files"]) == 3 and all(f["status"] != "error" for f in doc["files"])


def test_table_summary_names_each_baseline_limit(mapped: Path) -> None:
    res = CliRunner().invoke(app, ["check", "characters", "tiles"], env=ENV)
    assert "2 baselines, limits: characters" in res.output and "tiles" in res.output


def test_max_pixels_from_config_is_enforced(mapped: Path) -> None:
    import numpy as np

    write_rgba(mapped / "art/tiles/huge.png", np.zeros((80, 80, 4), np.uint8))  # 6400 > 4096
    res = CliRunner().invoke(app, ["check", "tiles/huge.png", "-f", "json"], env=ENV)
    row = json.loads(res.stdout)["files"][0]
    assert res.exit_code == 2 and row["status"] == "error" and "4,096" in row["message"]


def test_explain_and_approve_use_the_mapped_baseline(mapped: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["approve", "tiles/grass.png", "--reason", "ok"], env=ENV)
    assert res.exit_code == 0, res.output
    assert (mapped / "baselines/tiles/approved.json").is_file()
    assert not (mapped / "baselines/characters/approved.json").exists()
    res = runner.invoke(app, ["approve", "props/barrel.png"], env=ENV)
    assert res.exit_code == 2 and "no baseline is mapped" in res.output
    res = runner.invoke(app, ["explain", "props/barrel.png"], env=ENV)
    assert res.exit_code == 2 and "no baseline is mapped" in res.output
    res = runner.invoke(app, ["explain", "characters/hero.png"], env=ENV)
    assert res.exit_code in (0, 1) and "most similar approved sprites" in res.output
    res = runner.invoke(app, ["baseline", "status"], env=ENV)
    assert res.output.count(": verified") == 2


def test_booleans_are_not_numbers_in_the_configuration(tmp_path: Path) -> None:
    from sprite_lint.config import load_settings
    from sprite_lint.errors import UsageError

    (tmp_path / "sprite-lint.toml").write_text("epochs = true\n")
    with pytest.raises(UsageError, match="epochs must be a positive integer"):
        load_settings(tmp_path)
