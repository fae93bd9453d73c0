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

import os
import re
import sys
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from sprite_lint.errors import ImageError, UsageError
from sprite_lint.imageio import DEFAULT_MAX_PIXELS, read_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FORMATS = ("table", "json", "sarif", "junit", "github", "gitlab", "markdown")
CONFIG_FILE = "sprite-lint.toml"
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # far above any real configuration; never a /dev/zero


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

    def baseline_origin(self, folder: str) -> str | None:
        """Where a mapped baseline ``folder`` is configured, for an error about it:
        ``/x/sprite-lint.toml: baselines["art/a/**"]``; ``None`` when no glob maps it."""
        for pattern, mapped in self.baselines:
            if mapped == folder:
                where = self.config_file or "the configuration"
                if where.endswith("pyproject.toml"):
                    where += " [tool.sprite-lint]"
                return f'{where}: baselines["{pattern}"]'
        return None


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest configuration at or above ``start`` and its sprite-lint table."""
    for folder in (start, *start.parents):
        # any entry by these names is read, so a FIFO, a folder or a dangling link is
        # refused by name, never passed over for the defaults
        own = folder / CONFIG_FILE
        if os.path.lexists(own):
            return own, _read(own)
        pyproject = folder / "pyproject.toml"
        if os.path.lexists(pyproject):
            section = _read(pyproject).get("tool", {}).get("sprite-lint")
            if section is not None:
                return pyproject, section
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        # regular files only: never blocks
        data = read_file(path, MAX_CONFIG_BYTES, "a configuration file", "a configuration file")
    except ImageError as exc:
        raise UsageError(f"{path}: cannot read the configuration: {exc.reason}") from None
    try:
        # utf-8-sig: Notepad starts a UTF-8 file with a byte order mark
        return tomllib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
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
        else:
            if (problem := _problem(name, value)) is not None:
                raise UsageError(f"{where}: {key!r} {problem}{_hint(key, name, value)}")
            if name == "baseline":
                value = str(base / value)  # relative to the configuration's folder
        values[name] = value
    return replace(settings, **values)


def _integer(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# setting -> (is the value valid, what it must be)
_RULES: dict[str, tuple[Any, str]] = {
    "baseline": (lambda v: isinstance(v, str), "a folder path"),
    "alpha": (lambda v: _number(v) and 0 < v < 1, "a number between 0 and 1"),
    "max_pixels": (lambda v: _integer(v) and v >= 1, "a positive integer"),
    "format": (lambda v: isinstance(v, str) and v in FORMATS, f"one of {', '.join(FORMATS)}"),
    "epochs": (lambda v: v is None or (_integer(v) and v >= 1), "a positive integer"),
    # numpy's and scikit-learn's random states take 0 .. 2**32 - 1
    "seed": (lambda v: _integer(v) and 0 <= v < 2**32, "an integer from 0 to 4294967295"),
    "device": (lambda v: v in ("auto", "cpu", "cuda"), "auto, cpu or cuda"),
}
_TEXT_SETTINGS = ("baseline", "format", "device")


def _problem(name: str, value: Any) -> str | None:
    """What is wrong with ``value`` for the setting ``name``, or ``None``."""
    valid, what = _RULES[name]
    return None if valid(value) else f"must be {what}, got {value!r}"


def _hint(key: str, name: str, value: Any) -> str:
    """How to write a value of the right TOML type, when quotes are the trouble."""
    if name in _TEXT_SETTINGS:
        if isinstance(value, str):
            return ""
        return f' (text goes in quotes: {key} = "{value}")'
    if isinstance(value, str):
        try:
            number = tomllib.loads(f"v = {value.strip()}")["v"]
        except (tomllib.TOMLDecodeError, ValueError):
            return ""
        if _number(number):
            return f" (quotes make it text: remove them, {key} = {value.strip()})"
    return ""


def _validate(s: Settings) -> None:
    for f in fields(Settings):
        if f.name in _RULES and (problem := _problem(f.name, getattr(s, f.name))) is not None:
            raise UsageError(f"{f.name.replace('_', '-')} {problem}")


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
    # DOTALL: a newline is a character of a file name like any other (``**`` had stopped
    # at one, so ``art/new\nline.png`` escaped ``art/**`` rules, excludes and sheets)
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def glob_match(pattern: str, relative: str) -> bool:
    """Does the ``/``-separated relative path match ``pattern``?"""
    return _glob_regex(pattern.lstrip("/")).match(relative.removeprefix("./")) is not None
