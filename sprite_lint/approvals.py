"""Approvals: exact sprite bytes a reviewer accepted although they score as anomalous.

Stored in the baseline directory as ``approved.json``: one entry per path, sorted, no
timestamps, so two branches that approve different files merge cleanly. An approval
covers the file's sha256: edit the sprite and it is checked again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sprite_lint.baseline import BaselineFiles
from sprite_lint.errors import BaselineError

APPROVALS = "approved.json"
VERSION = 1


@dataclass(frozen=True)
class Approval:
    path: str
    sha256: str
    reason: str


MAX_BYTES = 64 * 2**20


def load_approvals(baseline_dir: Path, files: BaselineFiles | None = None) -> dict[str, Approval]:
    """Approvals by path; a missing file means none, a damaged one is a BaselineError.

    ``files``: where the baseline was read from (``Baseline.files``; at a git ref for
    ``check --baseline-ref``); default: ``baseline_dir`` in the working tree.
    """
    files = files or BaselineFiles(baseline_dir)
    target = f"{files.where}/{APPROVALS}"
    raw = files.read(APPROVALS, MAX_BYTES)
    if raw is None:
        return {}
    try:
        doc = json.loads(raw.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            raise ValueError(
                f"unsupported version {doc.get('version') if isinstance(doc, dict) else doc!r}"
            )
        entries = doc["approved"]
        if not isinstance(entries, list):
            raise ValueError("'approved' is not a list")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise BaselineError(f"{target}: not a readable approvals file ({exc})") from None
    out: dict[str, Approval] = {}
    for i, e in enumerate(entries):
        problem = _entry_problem(e)
        if problem:
            raise BaselineError(f"{target}: entry {i + 1} {problem}; fix or remove it")
        if e["path"] in out:
            raise BaselineError(f"{target}: entry {i + 1} approves {e['path']!r} a second time")
        out[e["path"]] = Approval(e["path"], e["sha256"], e.get("reason", ""))
    return out


def _entry_problem(e: object) -> str | None:
    """What is wrong with one approvals entry, or None. A path must stay inside the
    repository: relative, forward slashes, no ``..``, no empty or ``.`` parts."""
    if not isinstance(e, dict) or set(e) - {"path", "sha256", "reason"}:
        return "is not {path, sha256, reason}"
    path, sha, reason = e.get("path"), e.get("sha256"), e.get("reason", "")
    if not isinstance(path, str) or not path:
        return "has no path"
    parts = path.split("/")
    if (
        path.startswith("/")
        or "\\" in path
        or ":" in parts[0]
        or any(p in ("", ".", "..") for p in parts)
    ):
        return f"has path {path!r}, not one relative to the repository's top"
    if "\0" in path or not _encodable(path):
        return f"has path {path!r}, which no file can have"
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        return f"for {path!r} has no sha256 of 64 hex digits"
    if not isinstance(reason, str):
        return f"for {path!r} has a reason that is not text"
    return None


def _encodable(path: str) -> bool:
    """Whether the file system's encoding can spell ``path`` (a lone surrogate from a
    JSON ``\\ud800`` cannot be)."""
    try:
        os.fsencode(path)
    except UnicodeEncodeError:
        return False
    return True


def save_approvals(baseline_dir: Path, approvals: dict[str, Approval]) -> None:
    """Write ``approved.json`` atomically, sorted by path."""
    doc = {
        "version": VERSION,
        "approved": [
            {"path": a.path, "reason": a.reason, "sha256": a.sha256}
            for a in sorted(approvals.values(), key=lambda a: a.path)
        ],
    }
    target = baseline_dir / APPROVALS
    tmp = target.with_name(f".{APPROVALS}.tmp")
    tmp.write_text(
        json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    os.replace(tmp, target)
