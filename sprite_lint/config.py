"""Settings as data: CLI flag > ``sprite-lint.toml`` or ``[tool.sprite-lint]`` > default.

The nearest folder at or above the working directory that holds a ``sprite-lint.toml``, or
a ``pyproject.toml`` with a ``[tool.sprite-lint]`` table, is the project folder: paths in
its configuration are relative to it. ``sprite-lint.toml`` wins when a folder has both.

Several baselines are mapped by glob, first match wins::

    [tool.sprite-lint.baselines]
    "art/characters/**" = "baselines/characters"
    "art/tiles/**" = "baselines/tiles"
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from sprite_lint.errors import UsageError
from sprite_lint.imageio import DEFAULT_MAX_PIXELS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FORMATS = ("table", "json", "sarif", "junit", "github", "gitlab", "markdown")
CONFIG_FILE = "sprite-lint.toml"


@dataclass(frozen=True)
class Settings:
    baseline: str = "baselines/default"
    alpha: float = 0.01
    max_pixels: int = DEFAULT_MAX_PIXELS
    format: str = "table"
    exclude: tuple[str, ...] = ()
    epochs: int | None = None
    seed: int = 0
    device: str = "auto"
    baselines: tuple[tuple[str, str], ...] = ()  # (glob, baseline folder), first match wins
    sheets: tuple[tuple[str, Any], ...] = ()  # (glob, sheets.SheetRule), first match wins
    config_file: str | None = None  # where the settings came from, if anywhere
    project_dir: str | None = None  # the config file's folder: config paths are relative to it
    explicit: frozenset[str] = frozenset()  # settings given in the configuration or as flags

    def baseline_for(self, relative: str) -> str | None:
        """The baseline mapped to a file (path relative to the project folder), if any."""
        for pattern, folder in self.baselines:
            if glob_match(pattern, relative):
                return folder
        return None


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest configuration at or above ``start`` and its sprite-lint table."""
    for folder in (start, *start.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own, _read(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            section = _read(pyproject).get("tool", {}).get("sprite-lint")
            if section is not None:
                return pyproject, section
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot parse ({exc})") from None


def load_settings(cwd: Path | None = None, warn: Any = None, **overrides: Any) -> Settings:
    """Resolve settings. ``overrides`` are CLI flags; ``None`` means "not given"."""
    settings = Settings()
    found = find_config((cwd or Path.cwd()).resolve())
    if found is not None:
        path, section = found
        where = f"{path}" + (" [tool.sprite-lint]" if path.name == "pyproject.toml" else "")
        if not isinstance(section, dict):
            raise UsageError(f"{where}: must be a table of settings")
        settings = _apply(settings, section, where, warn, path.parent)
        explicit = frozenset(k.replace("-", "_") for k in section) & {
            f.name for f in fields(Settings)
        }
        settings = replace(
            settings, config_file=str(path), project_dir=str(path.parent), explicit=explicit
        )
    given = {k: v for k, v in overrides.items() if v is not None}
    if "baseline" in given:
        settings = replace(settings, baselines=())  # --baseline: one baseline for every file
    settings = replace(settings, **given, explicit=settings.explicit | frozenset(given))
    _validate(settings)
    return settings


def _apply(
    settings: Settings, section: dict[str, Any], where: str, warn: Any, base: Path
) -> Settings:
    known = {f.name for f in fields(Settings)} - {"config_file", "project_dir", "explicit"}
    values: dict[str, Any] = {}
    for key, value in section.items():
        name = key.replace("-", "_")
        if name not in known:
            if warn is not None:
                warn(f"{where}: unknown key {key!r} ignored")
            continue
        if name == "exclude":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{where}: 'exclude' must be a list of glob strings")
            value = tuple(value)
        elif name == "baselines":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise UsageError(
                    f"{where}: 'baselines' must map globs to baseline folders, for example "
                    '"art/tiles/**" = "baselines/tiles"'
                )
            value = tuple((k, str(base / v)) for k, v in value.items())
        elif name == "sheets":
            from sprite_lint.sheets import parse_rules

            value = parse_rules(value, where, base)
        elif name == "baseline" and isinstance(value, str):
            value = str(base / value)  # relative to the configuration's folder
        values[name] = value
    return replace(settings, **values)


def _validate(s: Settings) -> None:
    if not isinstance(s.baseline, str):
        raise UsageError(f"baseline must be a folder path, got {s.baseline!r}")
    if isinstance(s.alpha, bool) or not isinstance(s.alpha, (int, float)) or not 0 < s.alpha < 1:
        raise UsageError(f"alpha must be a number between 0 and 1, got {s.alpha!r}")
    if isinstance(s.max_pixels, bool) or not isinstance(s.max_pixels, int) or s.max_pixels < 1:
        raise UsageError(f"max-pixels must be a positive integer, got {s.max_pixels!r}")
    if s.format not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, got {s.format!r}")
    if s.epochs is not None and (
        isinstance(s.epochs, bool) or not isinstance(s.epochs, int) or s.epochs < 1
    ):
        raise UsageError(f"epochs must be a positive integer, got {s.epochs!r}")
    if isinstance(s.seed, bool) or not isinstance(s.seed, int):
        raise UsageError(f"seed must be an integer, got {s.seed!r}")
    if s.device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"device must be auto, cpu or cuda, got {s.device!r}")


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-like: ``**`` spans folders, ``*`` and ``?`` stay inside one, and a pattern
    without ``/`` matches a file name in any folder."""
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(pattern: str, relative: str) -> bool:
    """Does the ``/``-separated relative path match ``pattern``?"""
    return _glob_regex(pattern.lstrip("/")).match(relative.removeprefix("./")) is not None
