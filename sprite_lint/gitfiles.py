"""Which PNGs changed, read with git: ``check --changed-since REF`` and ``check --all``."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from sprite_lint.discovery import is_png_name
from sprite_lint.errors import UsageError


@dataclass(frozen=True)
class Changed:
    """A PNG in the working tree and how it relates to REF."""

    path: Path  # absolute, in the working tree
    change: str  # "new" | "modified" | "renamed"
    old_path: str | None = None  # repo-relative path at REF, for modified and renamed files


def _git(root: Path, *args: str, english: bool = False) -> bytes:
    """git's output; a UsageError with git's last line of stderr when it fails.
    ``english``: git's messages untranslated (LC_ALL=C), for code that reads them."""
    import subprocess  # only where git runs: not imported by a plain check

    env = {**os.environ, "LC_ALL": "C"} if english else None
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, timeout=120, env=env
        )
    except FileNotFoundError:
        raise UsageError("git is not installed, but --changed-since needs it") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])} failed: {msg[-1] if msg else proc.returncode}")
    return proc.stdout


def repo_root(start: Path | None = None) -> Path:
    """The top of the git work tree containing ``start`` (default: cwd)."""
    out = _git(start or Path.cwd(), "rev-parse", "--show-toplevel", english=True)
    return Path(out.decode().strip())


def repo_root_for(option: str) -> Path:
    """The top of the git work tree around the current folder, for ``option`` (``--all``,
    ``--changed-since``, ``--staged``), which lists files with git; outside a repository,
    a UsageError in the user's words, not git's ("fatal: not a git repository ...")."""
    try:
        return repo_root()
    except UsageError as exc:
        if "not a git repository" not in str(exc):
            raise  # git itself missing, or refusing the repository (safe.directory): its words
        raise UsageError(
            f"not inside a git repository, so {option} cannot be used (it asks git which "
            "files to check): name the PNG files or folders to check instead, or run it "
            "inside the repository"
        ) from None


def repo_root_or_none(start: Path | None = None) -> Path | None:
    """The top of the git work tree containing ``start`` (default: cwd), or None outside one."""
    try:
        return repo_root(start)
    except UsageError:
        return None


def project_root(start: Path | None = None) -> Path:
    """Where stored paths are relative to: the git work tree's top, else ``start`` (cwd)."""
    return repo_root_or_none(start) or (start or Path.cwd()).resolve()


def changed_pngs(ref: str, root: Path) -> list[Changed]:
    """PNGs added, modified or renamed between ``ref`` and the working tree (deletions skipped).

    Untracked PNGs that git does not ignore count as new: they are about to be committed.
    """
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    raw = _git(root, "diff", "--name-status", "-z", "-M", ref, "--")
    fields = raw.decode("utf-8", errors="surrogateescape").split("\0")
    out: list[Changed] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status.startswith(("R", "C")):
            old, new = fields[i + 1], fields[i + 2]
            i += 3
            if is_png_name(Path(new)):
                kind = "renamed" if status.startswith("R") else "new"
                out.append(Changed(root / new, kind, old if kind == "renamed" else None))
            continue
        name = fields[i + 1]
        i += 2
        if not is_png_name(Path(name)) or status.startswith("D"):
            continue
        change = "new" if status.startswith("A") else "modified"
        out.append(Changed(root / name, change, name if change == "modified" else None))
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    for name in untracked.decode("utf-8", errors="surrogateescape").split("\0"):
        if name and is_png_name(Path(name)):
            out.append(Changed(root / name, "new"))
    out += _sheets_of_changed_data(ref, root, fields, {c.path for c in out})
    return sorted(set(out), key=lambda c: c.path.as_posix())


SHEET_DATA_SUFFIXES = (".json", ".tsx")  # as sheets.DATA_SUFFIXES


def _sheets_of_changed_data(
    ref: str, root: Path, fields: list[str], listed: set[Path]
) -> list[Changed]:
    """An edited sheet data file (``hero.json`` beside ``hero.png``) changes how its sheet
    is cut: the unchanged PNG beside it counts as modified."""
    import subprocess

    out = []
    for name in fields:
        p = Path(name)
        if p.suffix.lower() not in SHEET_DATA_SUFFIXES:
            continue
        png = p.with_suffix(".png")
        if (root / png).is_file() and root / png not in listed:
            at_ref = subprocess.run(
                ["git", "-C", str(root), "cat-file", "-e", f"{ref}:{png.as_posix()}"],
                capture_output=True,
            )
            old = png.as_posix() if at_ref.returncode == 0 else None
            out.append(Changed(root / png, "modified" if old else "new", old))
            listed.add(root / png)
    return out


def staged_siblings(name: str, root: Path) -> list[str]:
    """The staged data files of the sheet ``name`` (``art/hero.json`` for ``art/hero.png``)."""
    stem = Path(name).with_suffix("")
    wanted = [f":(literal){stem.as_posix()}{s}" for s in SHEET_DATA_SUFFIXES]
    raw = _git(root, "ls-files", "--cached", "-z", "--", *wanted)
    return [n for n in raw.decode("utf-8", errors="surrogateescape").split("\0") if n]


def staged_pngs(root: Path) -> list[str]:
    """Repository paths of the PNGs staged for commit (added, copied, modified, renamed),
    read NUL-separated, so any name git can hold (a newline in it) survives."""
    raw = _git(root, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z", "--")
    names = raw.decode("utf-8", errors="surrogateescape").split("\0")
    return sorted(n for n in names if n and is_png_name(Path(n)))


def staged_links(root: Path) -> set[str]:
    """Repository paths staged as symbolic links (mode 120000): the index holds the link's
    target path, not an image. From ``git diff --cached --raw -z``: each entry is
    ``:SRCMODE DSTMODE SRC DST STATUS`` then its path (two for a copy or rename)."""
    raw = _git(root, "diff", "--cached", "--raw", "--diff-filter=ACMR", "-z", "--")
    fields = raw.decode("utf-8", errors="surrogateescape").split("\0")
    links, i = set(), 0
    while i < len(fields) - 1:
        meta = fields[i].split()
        paths = 2 if meta[-1][:1] in ("R", "C") else 1
        if meta[1] == "120000":
            links.add(fields[i + paths])  # the path it has now
        i += 1 + paths
    return links


def tracked_pngs(root: Path) -> list[Path]:
    """Every PNG git tracks or would add (untracked, not ignored), for ``check --all``."""
    raw = _git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    names = {n for n in raw.decode("utf-8", errors="surrogateescape").split("\0") if n}
    return sorted(root / n for n in names if is_png_name(Path(n)) and (root / n).exists())


def read_at(ref: str, repo_path: str, root: Path) -> bytes:
    """The bytes of ``repo_path`` at ``ref``, read with git (never from the working tree);
    ``ref`` "" reads the index (the staged version)."""
    return _git(root, "show", f"{ref}:{repo_path}")


def repo_relative(path: Path, root: Path) -> str | None:
    """``path`` relative to the repository's top ("." for the top itself, forward
    slashes), or None when it lies outside; links in the folders resolved."""
    top, here = os.path.realpath(root), os.path.realpath(path)
    if here != top and not here.startswith(top + os.sep):
        return None
    return os.path.relpath(here, top).replace(os.sep, "/")


def verify_commit(ref: str, root: Path) -> str:
    """The commit ``ref`` names, or a UsageError that says how to get it."""
    try:
        out = _git(
            root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
        )
    except UsageError:
        raise UsageError(
            f"{ref!r} is not a commit in this repository (in CI, fetch it first: "
            f"git fetch origin <branch>, or check out with fetch-depth 0)"
        ) from None
    return out.decode().strip()


@dataclass(frozen=True)
class TreeEntry:
    """One file of a folder as a commit holds it (``git ls-tree -l``)."""

    mode: str  # "100644", "100755" (files), "120000" (a link), "160000" (a submodule)
    kind: str  # "blob", "tree" or "commit"
    oid: str
    size: int  # -1 for anything but a blob


def folder_at(ref: str, folder: str, root: Path) -> dict[str, TreeEntry]:
    """The entries directly inside ``folder`` (repository-relative, "" = the top) at
    ``ref``, by name; empty when the folder does not exist there."""
    spec = [f"{folder.rstrip('/')}/"] if folder not in ("", ".") else []
    raw = _git(root, "ls-tree", "-z", "-l", "--full-tree", ref, "--", *spec)
    out: dict[str, TreeEntry] = {}
    for record in raw.decode("utf-8", errors="surrogateescape").split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode, kind, oid, size = meta.split()
        out[path.rsplit("/", 1)[-1]] = TreeEntry(mode, kind, oid, -1 if size == "-" else int(size))
    return out


def read_object(oid: str, root: Path) -> bytes:
    """The bytes of one blob, by object id."""
    return _git(root, "cat-file", "blob", oid)


def fork_point(ref: str, root: Path) -> str:
    """Where the change under review forked from ``ref``: their merge base (``ref`` itself
    for unrelated histories)."""
    with contextlib.suppress(UsageError):
        return _git(root, "merge-base", ref, "HEAD").decode().strip() or ref
    return ref


def edited_files(ref: str, folder: str, root: Path) -> list[str]:
    """Files under ``folder`` that the change under review edits: what differs between the
    working tree and where it forked from ``ref`` (their merge base, so a baseline changed
    on ``ref`` since is not blamed on the change), plus untracked files there."""
    base = fork_point(ref, root)
    spec = folder.rstrip("/") or "."
    raw = _git(root, "diff", "--name-only", "--no-renames", "-z", base, "--", spec)
    raw += b"\0" + _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", spec)
    names = raw.decode("utf-8", errors="surrogateescape").split("\0")
    return sorted({n for n in names if n})
