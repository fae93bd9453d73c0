"""Approvals: exact sprites a reviewer accepted although they score as anomalous.

Stored in the baseline directory as ``approved.json``: one entry per path, sorted, no
timestamps, so two branches that approve different files merge cleanly. An approval
covers the file's sha256 and, since 0.3.1, the sha256 of its decoded pixels
(``pixels_sha256``): edit the sprite and it is checked again; re-save the same pixels
(pngcrush, oxipng, another encoder) and it stays approved.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sprite_lint.baseline import BaselineFiles
from sprite_lint.discovery import display_path, printable
from sprite_lint.errors import BaselineError, UsageError

APPROVALS = "approved.json"
# 2 (sprite-lint 0.3.1): entries may hold ``pixels_sha256``; version 1 files are read too.
# A release that knows only version 1 refuses a version 2 file as "unsupported version 2",
# not entry by entry (which would read as a damaged file to fix)
VERSION = 2
READ_VERSIONS = (1, 2)


@dataclass(frozen=True)
class Approval:
    path: str
    sha256: str  # of the file's bytes
    reason: str
    pixels: str = ""  # of its decoded pixels (``imageio.pixel_digest``); "" in older entries


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
        got = doc.get("version") if isinstance(doc, dict) else doc
        if not isinstance(doc, dict) or type(got) is not int or got not in READ_VERSIONS:
            raise ValueError(
                f"unsupported version {got!r}: written by a newer sprite-lint? (this one "
                f"reads versions {', '.join(map(str, READ_VERSIONS))}); upgrade it"
                if type(got) is int and got > VERSION
                else f"unsupported version {got!r}"
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
        out[e["path"]] = Approval(
            e["path"], e["sha256"], e.get("reason", ""), e.get("pixels_sha256", "")
        )
    return out


def clean_pixel_digest(data: bytes, name: str, max_pixels: int) -> str | None:
    """The pixel digest (``imageio.pixel_digest``) an approval's ``pixels_sha256`` is
    matched against: of PNG bytes that decode without a warning, else None (unreadable,
    or damage such as an APNG's added frames or bytes after IEND, which a re-save of the
    approved pixels does not bring)."""
    from sprite_lint.errors import ImageError
    from sprite_lint.imageio import decode_png_with_warnings, pixel_digest

    try:
        rgba, warnings = decode_png_with_warnings(data, name, max_pixels)
    except ImageError:
        return None
    return None if warnings else pixel_digest(rgba)


def approvals_root(baseline_dir: str | Path) -> Path:
    """What the paths in ``baseline_dir``'s approved.json are relative to: the top of the
    git repository that holds the baseline (wherever the command runs, and from whichever
    folder); for a baseline in no repository, the current folder's repository, else the
    current folder. One git call."""
    from sprite_lint.gitfiles import project_root, repo_root_or_none

    folder = Path(os.path.abspath(baseline_dir))
    while not folder.is_dir() and folder != folder.parent:  # read at a ref, gone from here
        folder = folder.parent
    return repo_root_or_none(folder) or project_root()


def approval_key(path: str | Path, top: Path) -> str:
    """``path`` (a file named to ``check``, ``approve`` or ``explain``, relative to the
    current folder or absolute) as approved.json names it: relative to ``top``
    (``approvals_root``), forward slashes, its folders' links resolved (``..`` too), the
    file's own name kept. A file outside ``top`` keeps an absolute path, which no entry
    may have (``_entry_problem``): it is never approved."""
    where = os.path.join(os.getcwd(), os.fspath(path))
    folder, name = os.path.split(where)
    return display_path(Path(os.path.join(_real(folder), name)), top)


@lru_cache(maxsize=1024)
def _real(folder: str) -> str:
    return os.path.realpath(folder)


def new_approval(
    path: str | Path, top: Path, sha256: str, reason: str, pixels: str = ""
) -> Approval:
    """The approval ``approve`` records for the file at ``path``, checked exactly as
    :func:`load_approvals` checks every entry it reads: a UsageError (one line, for
    the command to write nothing) for a file no entry can name, such as one outside the
    repository that holds the baseline, instead of an entry that every later ``check``
    would refuse."""
    key = approval_key(path, top)
    entry = {"path": key, "sha256": sha256, "reason": reason}
    problem = _entry_problem({**entry, "pixels_sha256": pixels} if pixels else entry)
    if problem is None:
        return Approval(key, sha256, reason, pixels)
    shown = printable(os.fspath(path))
    if os.path.isabs(key):
        raise UsageError(
            f"cannot approve {shown}: it lies outside {printable(str(top))}, the top of the "
            "repository that holds the baseline, and approved.json names only files inside "
            "it; move the file there, or approve it in a baseline of its own repository "
            "(nothing was written)"
        )
    raise UsageError(
        f"cannot approve {shown}: its approved.json entry {problem} (nothing was written)"
    )


def _entry_problem(e: object) -> str | None:
    """What is wrong with one approvals entry, or None. A path must stay inside the
    repository: relative, forward slashes, no ``..``, no empty or ``.`` parts."""
    if not isinstance(e, dict) or set(e) - {"path", "sha256", "reason", "pixels_sha256"}:
        return "is not {path, sha256, reason, pixels_sha256}"
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
    pixels = e.get("pixels_sha256", "")
    if pixels != "" and not _hex64(pixels):
        return f"for {path!r} has a pixels_sha256 that is not 64 hex digits"
    return None


def _hex64(v: object) -> bool:
    return isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)


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
            | ({"pixels_sha256": a.pixels} if a.pixels else {})
            for a in sorted(approvals.values(), key=lambda a: a.path)
        ],
    }
    target = baseline_dir / APPROVALS
    tmp = target.with_name(f".{APPROVALS}.tmp")
    tmp.write_text(
        json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    os.replace(tmp, target)
