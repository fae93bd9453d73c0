"""Approvals: exact sprite bytes a reviewer accepted although they score as anomalous.

Stored in the baseline directory as ``approved.json``: one entry per path, sorted, no
timestamps, so two branches that approve different files merge cleanly. An approval
covers the file's sha256: edit the sprite and it is checked again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sprite_lint.errors import BaselineError

APPROVALS = "approved.json"
VERSION = 1


@dataclass(frozen=True)
class Approval:
    path: str
    sha256: str
    reason: str


def load_approvals(baseline_dir: Path) -> dict[str, Approval]:
    """Approvals by path; a missing file means none, a damaged one is a BaselineError."""
    target = baseline_dir / APPROVALS
    if not target.exists():
        return {}
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
        if doc.get("version") != VERSION:
            raise ValueError(f"unsupported version {doc.get('version')!r}")
        return {
            e["path"]: Approval(str(e["path"]), str(e["sha256"]), str(e.get("reason", "")))
            for e in doc["approved"]
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BaselineError(f"{target}: not a readable approvals file ({exc})") from None


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


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
