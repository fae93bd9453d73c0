"""Settings as data: CLI flag > ``[tool.sprite-lint]`` in pyproject.toml > default."""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sprite_lint.errors import UsageError
from sprite_lint.imageio import DEFAULT_MAX_PIXELS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FORMATS = ("table", "json", "sarif", "junit", "github", "gitlab", "markdown")


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


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_settings(cwd: Path | None = None, warn: Any = None, **overrides: Any) -> Settings:
    """Resolve settings. ``overrides`` are CLI flags; ``None`` means "not given"."""
    settings = Settings()
    pyproject = find_pyproject((cwd or Path.cwd()).resolve())
    if pyproject is not None:
        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"{pyproject}: cannot parse ({exc})") from None
        section = table.get("tool", {}).get("sprite-lint", {})
        settings = _apply(settings, section, f"{pyproject} [tool.sprite-lint]", warn)
    given = {k: v for k, v in overrides.items() if v is not None}
    settings = replace(settings, **given)
    _validate(settings)
    return settings


def _apply(settings: Settings, section: dict[str, Any], where: str, warn: Any) -> Settings:
    known = {f.name: f for f in fields(Settings)}
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
        values[name] = value
    try:
        return replace(settings, **values)
    except TypeError as exc:  # pragma: no cover - defensive
        raise UsageError(f"{where}: {exc}") from None


def _validate(s: Settings) -> None:
    if not isinstance(s.alpha, (int, float)) or not 0 < s.alpha < 1:
        raise UsageError(f"alpha must be a number between 0 and 1, got {s.alpha!r}")
    if not isinstance(s.max_pixels, int) or s.max_pixels < 1:
        raise UsageError(f"max_pixels must be a positive integer, got {s.max_pixels!r}")
    if s.format not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, got {s.format!r}")
    if s.epochs is not None and (not isinstance(s.epochs, int) or s.epochs < 1):
        raise UsageError(f"epochs must be a positive integer, got {s.epochs!r}")
    if s.device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"device must be auto, cpu or cuda, got {s.device!r}")
