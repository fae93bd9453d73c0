"""The reports ``sprite-lint merge`` reads: a JSON report of ``check -f json`` is read only
from a regular file, and only when it is whole and self-consistent, as ``check`` wrote it.

A shard's report that was cut short, edited by hand or damaged in transit must not merge
as fewer files, or as a pass: every such report is refused, naming the file and what is
wrong with it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sprite_lint.discovery import printable
from sprite_lint.errors import ImageError, UsageError

STATUSES = ("pass", "fail", "error")
# each row's numbers as check writes them: a finite number, or null
_ROW_NUMBERS = (
    "score",
    "threshold",
    "margin",
    "p_value",
    "recon_error",
    "kde_log_density",
    "colour_rarity",
    "previous_score",
)
_ROW_TEXTS = ("signal", "change", "baseline")


class _Damaged(Exception):
    """What is wrong with a report, in words (becomes a :class:`UsageError`)."""


def validate_report(path: Path) -> str:
    """Raise :class:`UsageError` unless ``path`` is a regular file holding a JSON report
    of ``check`` in the version this sprite-lint writes, whole and consistent: the
    summary counts its rows, every number is finite and of its type, and every row's
    status follows from its own score and threshold. A FIFO, a device or a socket is
    refused at once, never read (``imageio.read_file``). Returns the report's text, read
    once: what was checked is what is merged."""
    from sprite_lint.imageio import read_file
    from sprite_lint.reporters import JSON_VERSION

    name = printable(str(path))
    if path.is_dir():
        raise UsageError(f"{name}: is a folder, not a JSON report of sprite-lint check")
    try:
        data = read_file(path)
    except ImageError as exc:
        raise UsageError(f"cannot read report {name}: {exc.reason}") from None
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not a sprite-lint JSON report (not UTF-8 text)") from None
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"{name}: not a sprite-lint JSON report (not valid JSON: {exc})") from None
    if not isinstance(doc, dict) or "version" not in doc or "files" not in doc:
        raise UsageError(
            f'{name}: not a sprite-lint JSON report (no "version" and "files"); '
            "merge reads what sprite-lint check -f json writes"
        )
    version = doc["version"]
    if type(version) is not int or version != JSON_VERSION:  # not 1.0, not true
        from sprite_lint import __version__

        newer = type(version) is int and version > JSON_VERSION
        raise UsageError(
            f"{name}: JSON report version {_shown(version)} is not the one sprite-lint "
            f"{__version__} writes and reads (version {JSON_VERSION})"
            + (": it was written by a newer sprite-lint; upgrade sprite-lint" if newer else "")
        )
    try:
        _check_document(doc)
    except _Damaged as exc:
        raise UsageError(
            f"{name}: damaged sprite-lint JSON report: {exc}; merge only reports that "
            "sprite-lint check -f json wrote, unedited (check that shard again)"
        ) from None
    return text


def _shown(value: Any) -> str:
    """A value from the report as the message shows it: short, on one line."""
    text = json.dumps(value)  # NaN and Infinity as the report spells them
    text = text if len(text) <= 40 else text[:37] + "..."
    return printable(text)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(where: str, value: Any, nullable: bool = False) -> float | None:
    if value is None and nullable:
        return None
    if not _number(value):
        raise _Damaged(f"{where} is {_shown(value)}, not a number")
    if not math.isfinite(value):
        raise _Damaged(f"{where} is {_shown(value)}; check writes only finite numbers")
    return float(value)


def _whole(where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Damaged(f"{where} is {_shown(value)}, not a whole number")
    return value


def _text(where: str, value: Any, nullable: bool = False) -> None:
    if not (isinstance(value, str) or (nullable and value is None)):
        raise _Damaged(f"{where} is {_shown(value)}, not text")


def _object(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Damaged(f"{where} is {_kind(value)}, not an object")
    return value


def _list(where: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Damaged(f"{where} is {_kind(value)}, not a list")
    return value


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {
        dict: "an object",
        list: "a list",
        str: "text",
        bool: "true or false",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _each(where: str, items: list[Any], check: Callable[[str, dict[str, Any]], None]) -> None:
    for i, item in enumerate(items):
        check(f"{where}[{i}]", _object(f"{where}[{i}]", item))


def _check_document(doc: dict[str, Any]) -> None:
    """Everything ``reporters.to_json`` writes, as it writes it; :class:`_Damaged` if not."""
    for key in ("baseline", "alpha", "threshold", "calibration", "summary"):
        if key not in doc:
            raise _Damaged(f"{key} is missing")
    _text("baseline", doc["baseline"])
    _finite("alpha", doc["alpha"])
    _finite("threshold", doc["threshold"])
    _calibration("calibration", _object("calibration", doc["calibration"]))
    if "tool_version" in doc:
        _text("tool_version", doc["tool_version"])
    if "notices" in doc:
        _each("notices", _list("notices", doc["notices"]), _notice)
    if "baselines" in doc:
        _each("baselines", _list("baselines", doc["baselines"]), _baseline_info)
    files = _list("files", doc["files"])
    _each("files", files, _row)
    summary = _object("summary", doc["summary"])
    if sorted(summary) != sorted(STATUSES):
        raise _Damaged(f"summary has the keys {_shown(sorted(summary))}, not pass, fail, error")
    counts = {s: sum(f["status"] == s for f in files) for s in STATUSES}
    for s in STATUSES:
        if _whole(f"summary {s}", summary[s]) != counts[s]:
            raise _Damaged(
                f"summary says {summary[s]} {s} but files holds {counts[s]} such row(s) "
                f"({len(files)} in all): rows are missing or were added"
            )


def _calibration(where: str, c: dict[str, Any]) -> None:
    _text(f"{where} method", c.get("method"))
    _whole(f"{where} n", c.get("n"))


def _notice(where: str, n: dict[str, Any]) -> None:
    _text(f"{where} message", n.get("message"))
    if not isinstance(n.get("fails"), bool):
        raise _Damaged(f"{where} fails is {_shown(n.get('fails'))}, not true or false")
    _text(f"{where} path", n.get("path"), nullable=True)


def _baseline_info(where: str, b: dict[str, Any]) -> None:
    _text(f"{where} path", b.get("path"))
    _finite(f"{where} alpha", b.get("alpha"))
    _finite(f"{where} threshold", b.get("threshold"))
    _calibration(f"{where} calibration", _object(f"{where} calibration", b.get("calibration")))


def _is_approved(row: dict[str, Any]) -> bool:
    """An approved file passes over its threshold by choice (``check.apply_approvals``):
    its ``approved`` field says so; reports of 0.2.0 and before, without the field, by
    their message."""
    if "approved" in row:
        return row["approved"] is True
    message = row.get("message")
    return isinstance(message, str) and (message == "approved" or message.startswith("approved ("))


def _row(where: str, f: dict[str, Any]) -> None:
    """One file's row: its types, and a status its own score and threshold give."""
    _text(f"{where} path", f.get("path"))
    where = f"{where} ({printable(f['path'])})"
    status = f.get("status")
    if status not in STATUSES:
        raise _Damaged(f"{where} status is {_shown(status)}, not pass, fail or error")
    _text(f"{where} message", f.get("message"))
    nums = {k: _finite(f"{where} {k}", f.get(k), nullable=True) for k in _ROW_NUMBERS}
    for k in _ROW_TEXTS:
        _text(f"{where} {k}", f.get(k), nullable=True)
    signals = f.get("signals")
    if signals is not None:
        for k, v in _object(f"{where} signals", signals).items():
            _finite(f"{where} signal {printable(k)}", v)
    for key, names in (("region", ("x", "y", "w", "h")), ("frame", ("index", "x", "y", "w", "h"))):
        if f.get(key) is not None:
            box = _object(f"{where} {key}", f[key])
            for k in names:
                _whole(f"{where} {key} {k}", box.get(k))
    if f.get("frame") is not None:
        _text(f"{where} frame name", f["frame"].get("name"), nullable=True)
    score, threshold, p = nums["score"], nums["threshold"], nums["p_value"]
    if p is not None and not 0.0 <= p <= 1.0:
        raise _Damaged(f"{where} p_value is {_shown(f['p_value'])}, not between 0 and 1")
    if score is None:
        if status != "error" and nums["margin"] is not None:
            raise _Damaged(f"{where} has a margin but no score")
        return
    if status == "error":
        raise _Damaged(f"{where} is an error row with a score of {_shown(f['score'])}")
    if threshold is None:
        raise _Damaged(f"{where} has a score but no threshold")
    margin = nums["margin"]
    if margin is None or not math.isclose(margin, score - threshold, rel_tol=1e-9, abs_tol=1e-9):
        raise _Damaged(
            f"{where} margin is {_shown(f.get('margin'))}, not its score minus its threshold"
        )
    over = score > threshold
    if status == "fail" and not over:
        raise _Damaged(
            f"{where} status is fail, but its score {_shown(f['score'])} is not over its "
            f"threshold {_shown(f['threshold'])}"
        )
    if status == "pass" and over and not _is_approved(f):
        raise _Damaged(
            f"{where} status is pass, but its score {_shown(f['score'])} is over its "
            f"threshold {_shown(f['threshold'])} and it is not approved"
        )
