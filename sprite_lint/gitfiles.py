"""Which PNGs to check, listed and read with git: ``check --changed-since REF``, ``--all``
and ``--staged``, and baselines read at a commit (``--baseline-ref``)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from sprite_lint.discovery import is_png_name, printable
from sprite_lint.errors import UsageError


@dataclass(frozen=True)
class Changed:
    """A PNG in the working tree and how it relates to REF."""

    path: Path  # absolute, in the working tree
    change: str  # "new" | "modified" | "renamed"
    old_path: str | None = None  # repo-relative path at ``at``, for modified and renamed files
    at: str | None = None  # the commit ``old_path`` is read at: where the change forked from REF


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
    except subprocess.TimeoutExpired:  # a filter fetching a large LFS object, a slow disk
        raise UsageError(f"git {' '.join(args[:2])} took more than 120 s") from None
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


@dataclass(frozen=True)
class _DiffEntry:
    """One entry of ``git diff --raw -z``."""

    status: str  # "A", "C", "D", "M", "R", "T", ... (a rename or copy with its score: "R100")
    src_mode: str  # "000000" when absent before, "160000" for a submodule
    dst_mode: str  # "000000" when deleted
    path: str  # repository path now
    old: str  # repository path before (differs from ``path`` for a rename or copy)


def _diff_entries(root: Path, *args: str) -> list[_DiffEntry]:
    """``git diff --raw -z ARGS --``, parsed: each entry is ``:SRCMODE DSTMODE SRC DST
    STATUS`` then its path (two for a copy or rename), NUL-separated, so any name git can
    hold (a newline in it) survives. A submodule's own edits are not looked into
    (``--ignore-submodules=dirty``: its sprites are its own repository's, and one whose
    ``.git`` leads nowhere had failed the whole diff); a new commit recorded for it is."""
    raw = _git(root, "diff", "--raw", "-z", "--ignore-submodules=dirty", *args, "--")
    fields = raw.decode("utf-8", errors="surrogateescape").split("\0")
    out: list[_DiffEntry] = []
    i = 0
    while i < len(fields) - 1 and fields[i]:
        src_mode, dst_mode, _, _, status = fields[i].lstrip(":").split()
        if status[:1] in ("R", "C"):
            old, new = fields[i + 1], fields[i + 2]
            i += 3
        else:
            old = new = fields[i + 1]
            i += 2
        out.append(_DiffEntry(status, src_mode, dst_mode, new, old))
    return out


SUBMODULE_MODE = "160000"  # a gitlink: the commit of a submodule, not a file
LINK_MODE = "120000"


def changed_pngs(ref: str, root: Path) -> list[Changed]:
    """PNGs added, modified or renamed by the change under review against ``ref``
    (deletions skipped): the working tree against where it forked from ``ref`` (their merge
    base, as ``git diff REF...HEAD`` compares; ``ref`` itself for unrelated histories), so
    files changed on ``ref`` since the fork are not reported as this change's.

    Untracked PNGs that git does not ignore count as new: they are about to be committed.
    Each modified or renamed entry's ``at`` is that fork point, the commit its old version
    is read at. Submodules are left out (see :func:`changed_submodules`).
    """
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    base = fork_point(ref, root)
    entries = _diff_entries(root, "-M", base)
    out: list[Changed] = []
    for e in entries:
        deleted, submodule = e.status[:1] == "D", e.dst_mode == SUBMODULE_MODE
        if deleted or submodule or not is_png_name(Path(e.path)):
            continue
        if e.status[:1] == "R":
            out.append(Changed(root / e.path, "renamed", e.old, base))
        elif e.status[:1] in ("A", "C"):
            out.append(Changed(root / e.path, "new"))
        else:
            out.append(Changed(root / e.path, "modified", e.path, base))
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    for name in untracked.decode("utf-8", errors="surrogateescape").split("\0"):
        if name and is_png_name(Path(name)):
            out.append(Changed(root / name, "new"))
    data = [n for e in entries for n in dict.fromkeys((e.old, e.path))]
    out += _sheets_of_changed_data(base, root, data, {c.path for c in out})
    return sorted(set(out), key=lambda c: c.path.as_posix())


def changed_submodules(ref: str, root: Path) -> list[str]:
    """Repository paths of the submodules the change under review adds or moves to another
    commit (or whose checkout has edits), against where it forked from ``ref``:
    ``changed_pngs`` cannot see the sprites inside them."""
    entries = _diff_entries(root, fork_point(ref, root))
    return sorted({e.path for e in entries if e.dst_mode == SUBMODULE_MODE})


def submodule_unchecked(path: str) -> str:
    """What to tell the user of a changed or staged submodule at ``path``, whose sprites
    ``--changed-since`` and ``--staged`` do not list (git lists its commit, not its files)."""
    return (
        f"{path} is a git submodule: the sprites inside it are not checked here; run "
        "sprite-lint check --all inside it"
    )


SHEET_DATA_SUFFIXES = (".json", ".tsx")  # as sheets.DATA_SUFFIXES


def _sheets_of_changed_data(
    base: str, root: Path, names: list[str], listed: set[Path]
) -> list[Changed]:
    """An edited sheet data file (``hero.json`` beside ``hero.png``) changes how its sheet
    is cut: the unchanged PNG beside it counts as modified (read at ``base``), or as new
    when ``base`` does not hold it."""
    import subprocess

    out = []
    for name in names:
        p = Path(name)
        if p.suffix.lower() not in SHEET_DATA_SUFFIXES:
            continue
        png = p.with_suffix(".png")
        if (root / png).is_file() and root / png not in listed:
            at_base = subprocess.run(
                ["git", "-C", str(root), "cat-file", "-e", f"{base}:{png.as_posix()}"],
                capture_output=True,
            )
            old = png.as_posix() if at_base.returncode == 0 else None
            change = "modified" if old else "new"
            out.append(Changed(root / png, change, old, base if old else None))
            listed.add(root / png)
    return out


def staged_siblings(name: str, root: Path) -> list[str]:
    """The staged data files of the sheet ``name`` (``art/hero.json`` for ``art/hero.png``)."""
    stem = Path(name).with_suffix("")
    wanted = [f":(literal){stem.as_posix()}{s}" for s in SHEET_DATA_SUFFIXES]
    raw = _git(root, "ls-files", "--cached", "-z", "--", *wanted)
    return [n for n in raw.decode("utf-8", errors="surrogateescape").split("\0") if n]


def _staged(root: Path) -> dict[str, str]:
    """The PNGs a ``--staged`` check reads, by repository path, with their index mode:
    those staged for commit (added, copied, modified, renamed) and the sheets whose data
    file is staged (added, modified, renamed or deleted: ``hero.json`` cuts ``hero.png``),
    where the index holds that PNG."""
    entries = _diff_entries(root, "--cached")
    out = {
        e.path: e.dst_mode
        for e in entries
        if e.status[:1] in ("A", "C", "M", "R", "T")
        and e.dst_mode != SUBMODULE_MODE
        and is_png_name(Path(e.path))
    }
    sheets = {
        Path(n).with_suffix(".png").as_posix()
        for e in entries
        for n in (e.old, e.path)
        if Path(n).suffix.lower() in SHEET_DATA_SUFFIXES
    } - out.keys()
    if sheets:
        wanted = [f":(literal){n}" for n in sorted(sheets)]
        raw = _git(root, "ls-files", "--stage", "-z", "--", *wanted)
        for record in raw.decode("utf-8", errors="surrogateescape").split("\0"):
            meta, _, path = record.partition("\t")
            if path and meta.split()[0] != SUBMODULE_MODE:
                out[path] = meta.split()[0]
    return out


def staged_pngs(root: Path) -> list[str]:
    """Repository paths of the PNGs a ``--staged`` check reads: those staged for commit
    (added, copied, modified, renamed) and the sheets beside a staged data file, as the
    index holds them."""
    return sorted(_staged(root))


def staged_links(root: Path) -> set[str]:
    """Those of :func:`staged_pngs` that the index holds as symbolic links (mode 120000):
    their entry is the link's target path, not an image."""
    return {name for name, mode in _staged(root).items() if mode == LINK_MODE}


def staged_submodules(root: Path) -> list[str]:
    """Repository paths of the submodules staged for commit (added, or moved to another
    commit): ``staged_pngs`` cannot see the sprites inside them."""
    entries = _diff_entries(root, "--cached")
    return sorted({e.path for e in entries if e.dst_mode == SUBMODULE_MODE})


def tracked_pngs(root: Path) -> list[Path]:
    """Every PNG git tracks or would add (untracked, not ignored), for ``check --all``,
    those of checked-out submodules (and theirs) included."""
    return sorted(p for p in _worktree_files(root) if is_png_name(p) and p.exists())


def _worktree_files(root: Path) -> list[Path]:
    """The files git tracks or would add under the work tree ``root``, and those of its
    checked-out submodules, recursively. (``git ls-files --recurse-submodules`` lists
    tracked files only: it refuses ``--others``.)"""
    out: list[str] = []
    subs: list[str] = []
    for record in _split(_git(root, "ls-files", "--stage", "-z")):  # "MODE OID STAGE\tPATH"
        meta, _, path = record.partition("\t")
        (subs if meta.startswith(SUBMODULE_MODE) else out).append(path)
    out += _split(_git(root, "ls-files", "--others", "--exclude-standard", "-z"))
    files = [root / n for n in dict.fromkeys(out)]  # an unmerged path is listed per stage
    for sub in subs:
        if (root / sub / ".git").exists():  # checked out; an uninitialised one is empty
            try:
                files += _worktree_files(root / sub)
            except UsageError as exc:  # its .git leads nowhere: say which, and what to do
                raise UsageError(
                    f"git cannot list the files of the submodule {printable(sub)} ({exc}): "
                    f"repair it (git submodule update --init {printable(sub)}), or remove its "
                    f"checkout (git submodule deinit {printable(sub)})"
                ) from None
    return files


def _split(raw: bytes) -> list[str]:
    """git's NUL-separated names (``-z``), so any name git can hold (a newline in it)
    survives; bytes that are not UTF-8 kept as surrogates."""
    return [n for n in raw.decode("utf-8", errors="surrogateescape").split("\0") if n]


def read_at(ref: str, repo_path: str, root: Path) -> bytes:
    """The bytes of ``repo_path`` at ``ref``, read with git (never from the working tree);
    ``ref`` "" reads the index (the staged version).

    Read through git's filters as a checkout writes the file (``git cat-file --filters``:
    a Git LFS file's content, not its pointer); when filtering fails (the filter's program
    is missing: git-lfs not installed), the object as stored, so an LFS pointer is named as
    one. Raises UsageError when ``ref`` holds no such file."""
    spec = f"{ref}:{repo_path}"
    try:
        return _git(root, "cat-file", "--filters", spec)
    except UsageError:
        return _git(root, "show", spec)


def repo_relative(path: Path, root: Path) -> str | None:
    """``path`` relative to the repository's top ("." for the top itself, forward
    slashes), or None when it lies outside; links in the folders resolved."""
    top, here = os.path.realpath(root), os.path.realpath(path)
    if here != top and not here.startswith(top + os.sep):
        return None
    return os.path.relpath(here, top).replace(os.sep, "/")


def refuse_option_ref(ref: str, option: str) -> None:
    """A UsageError for a ref name starting with ``-``: the git commands that take a ref
    and a path (``ls-tree``, ``cat-file``, ``diff``) would read it as an option."""
    if ref.startswith("-"):
        raise UsageError(
            f"{option} {printable(ref)}: a ref starting with '-' reads as an option to git; "
            f"name it in full (refs/heads/{printable(ref)}, refs/tags/{printable(ref)})"
        )


def verify_commit(ref: str, root: Path, option: str = "--changed-since") -> str:
    """The commit ``ref`` names, or a UsageError that says how to get it (``option``:
    what named it)."""
    refuse_option_ref(ref, option)
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
    path: str = ""  # its repository path, for git's filters (see read_object)


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
        size_ = -1 if size == "-" else int(size)
        out[path.rsplit("/", 1)[-1]] = TreeEntry(mode, kind, oid, size_, path)
    return out


def read_object(oid: str, root: Path, path: str = "") -> bytes:
    """The bytes of one blob, by object id. With its repository ``path``, read through the
    filters git applies to that path on checkout (a Git LFS file's content, not its
    pointer), falling back to the blob as stored when filtering fails, as :func:`read_at`."""
    if path:
        with contextlib.suppress(UsageError):
            return _git(root, "cat-file", "--filters", f"--path={path}", oid)
    return _git(root, "cat-file", "blob", oid)


def shallow_fork_warning(ref: str, root: Path) -> str | None:
    """A warning when ``ref`` and HEAD share no commit that this clone holds, because the
    clone is shallow (a CI checkout of depth 1): the change is then compared with ``ref``
    itself, and what ``ref`` changed since the fork counts as the change's. None when the
    fork point is found, or the histories are unrelated in a full clone."""
    with contextlib.suppress(UsageError):
        _git(root, "merge-base", ref, "HEAD")
        return None
    try:
        shallow = _git(root, "rev-parse", "--is-shallow-repository").strip() == b"true"
    except UsageError:
        return None
    if not shallow:
        return None
    return (
        f"this clone is shallow and holds no commit that HEAD and {ref} share, so the change "
        f"is compared with {ref} itself: files {ref} changed since the branch forked are "
        "listed as this change's. Fetch the history (actions/checkout with fetch-depth: 0, "
        "GIT_DEPTH: 0 in GitLab CI, or git fetch --unshallow)."
    )


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
