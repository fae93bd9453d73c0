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
        # a newline is a name's character like any other: it does not escape a rule
        ("art/**", "art/new\nline.png", True),
        ("art/**/x.png", "art/a\nb/x.png", True),
        ("*.png", "a\nb.png", True),
        ("art/*", "art/a\n/b.png", False),
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
    # the top-level field is the first baseline, as schema and README say (it had been
    # every path joined with commas)
    assert doc["baseline"] == doc["baselines"][0]["path"]
    # --baseline overrides the mapping: every file is judged by it
    res = CliRunner().invoke(
        app, ["check", ".", "-f", "json", "-b", str(mapped / "baselines/tiles")], env=ENV
    )
    doc = json.loads(res.stdout)
    assert len(doc["files"]) == 3 and all(f["status"] != "error" for f in doc["files"])


def test_a_missing_mapped_baseline_names_its_mapping(mapped: Path) -> None:
    shutil.rmtree(mapped / "baselines" / "tiles")
    res = CliRunner().invoke(app, ["check", "."], env=ENV)
    assert res.exit_code == 2
    assert 'sprite-lint.toml: baselines["art/tiles/**"]' in res.output, res.output


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
    with pytest.raises(UsageError, match="'epochs' must be a positive integer, got True"):
        load_settings(tmp_path)


# -- paths with "..": rules see the path relative to the project folder, normalised --


def test_rules_see_dotdot_paths_normalised(mapped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.chdir(mapped / "art/characters")  # art/characters/../tiles is not a character
    res = runner.invoke(app, ["check", "../tiles/grass.png", "-f", "json"], env=ENV)
    (row,) = json.loads(res.stdout)["files"]
    assert row["baseline"].endswith("baselines/tiles"), res.output
    monkeypatch.chdir(mapped / "art/props")
    res = runner.invoke(app, ["check", "../tiles", "-f", "json"], env=ENV)
    (row,) = json.loads(res.stdout)["files"]
    assert row["status"] != "error" and row["baseline"].endswith("baselines/tiles"), res.output
    # exclude = ["art/wip/*"] holds for ../wip as it does for an absolute path
    res = runner.invoke(app, ["check", "../wip", "../tiles", "-f", "json"], env=ENV)
    assert [Path(f["path"]).name for f in json.loads(res.stdout)["files"]] == ["grass.png"]


def test_sheet_rules_see_dotdot_paths_normalised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sprite_lint.sheets import SheetRule, SheetSettings

    (tmp_path / "art/a").mkdir(parents=True)
    rule = SheetRule(data="{stem}.json")
    settings = SheetSettings(rules=(("art/b/**", rule),), project_dir=str(tmp_path))
    monkeypatch.chdir(tmp_path / "art/a")
    assert settings.rule_for(Path("../b/grid.png")) is rule
    other = SheetSettings(rules=(("art/a/**", rule),), project_dir=str(tmp_path))
    assert other.rule_for(Path("../b/grid.png")) is None


def test_a_path_through_a_link_matches_where_it_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sprite_lint.discovery import display_path

    (tmp_path / "art/a").mkdir(parents=True)
    (tmp_path / "elsewhere/deep").mkdir(parents=True)
    (tmp_path / "art/link").symlink_to(tmp_path / "elsewhere/deep")
    monkeypatch.chdir(tmp_path / "art/a")
    assert display_path(Path("../link/x.png"), tmp_path) == "art/link/x.png"
    assert display_path(Path(f"{tmp_path}/art/a/../b/x.png"), tmp_path) == "art/b/x.png"
    # link/.. is the parent of the link's target, as the system reads it: outside art/
    assert display_path(Path("../link/../b/x.png"), tmp_path) == "elsewhere/b/x.png"
    assert display_path(Path("../b/x.png")) == "../b/x.png"  # outside cwd: as named


# -- configuration values: every error names the file and the key --


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('alpha = "0.01"', "'alpha' must be a number between 0 and 1, got '0.01' (quotes make"),
        ('alpha = "0.01"', "remove them, alpha = 0.01"),
        ('max-pixels = "4096"', "remove them, max-pixels = 4096"),
        ("max-pixels = -1", "'max-pixels' must be a positive integer, got -1"),
        ('format = "xml"', "'format' must be one of table, json"),
        ("baseline = 3", "'baseline' must be a folder path, got 3 (text goes in quotes"),
        ('device = "gpu"', "'device' must be auto, cpu or cuda"),
    ],
)
@pytest.mark.parametrize("file", ["sprite-lint.toml", "pyproject.toml"])
def test_config_value_errors_name_the_file_and_key(
    tmp_path: Path, body: str, expected: str, file: str
) -> None:
    prefix = "[tool.sprite-lint]\n" if file == "pyproject.toml" else ""
    (tmp_path / file).write_text(prefix + body + "\n")
    with pytest.raises(UsageError) as info:
        load_settings(cwd=tmp_path)
    where = str(tmp_path / file) + (" [tool.sprite-lint]" if prefix else "")
    assert str(info.value).startswith(f"{where}: ") and expected in str(info.value)


def test_a_flag_error_does_not_blame_the_config(tmp_path: Path) -> None:
    (tmp_path / "sprite-lint.toml").write_text("alpha = 0.05\n")
    with pytest.raises(UsageError, match=r"^alpha must be a number between 0 and 1, got 2"):
        load_settings(cwd=tmp_path, alpha=2)


def test_baseline_origin_names_the_baselines_key(mapped: Path) -> None:
    s = load_settings(cwd=mapped)
    folder = str(mapped / "baselines/tiles")
    assert s.baseline_origin(folder) == (
        f'{mapped / "sprite-lint.toml"}: baselines["art/tiles/**"]'
    )


@pytest.mark.parametrize("file", ["sprite-lint.toml", "pyproject.toml"])
def test_a_byte_order_mark_is_accepted(tmp_path: Path, file: str) -> None:
    prefix = "[tool.sprite-lint]\n" if file == "pyproject.toml" else ""
    (tmp_path / file).write_bytes(b"\xef\xbb\xbf" + f"{prefix}alpha = 0.03\n".encode())
    assert load_settings(cwd=tmp_path).alpha == 0.03


@pytest.mark.parametrize("kind", ["fifo", "folder", "dev-zero", "dangling"])
@pytest.mark.parametrize("file", ["sprite-lint.toml", "pyproject.toml"])
def test_a_config_that_is_not_a_regular_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, file: str
) -> None:
    import os

    path = tmp_path / file
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block until a writer came
    elif kind == "folder":
        path.mkdir()
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")  # reading it would never end
    else:
        path.symlink_to(tmp_path / "gone.toml")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["check", "a.png"], env=ENV)
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert f"{path}: cannot read the configuration" in " ".join(res.output.split())
