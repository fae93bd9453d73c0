"""Which files to look at: directories expand to their PNGs, other files are skipped."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from sprite_lint.config import glob_match
from sprite_lint.errors import UsageError

# A folder sprite-lint writes images into (``check --report-dir``) holds this file, and is
# never scanned: a report's panels are not sprites, whichever way they are reached.
OUTPUT_MARKER = ".sprite-lint-output"


def mark_output_folder(folder: Path) -> None:
    """Mark ``folder`` (created) as sprite-lint's own output, never to be checked."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / OUTPUT_MARKER
    if not marker.is_file():
        marker.write_text(
            "sprite-lint wrote this folder (check --report-dir); it skips it when checking.\n",
            encoding="utf-8",
        )


def is_output(folder: str | Path) -> bool:
    """Whether ``folder`` is one sprite-lint wrote its own images into."""
    return os.path.isfile(os.path.join(folder, OUTPUT_MARKER))


def is_png_name(path: Path) -> bool:
    return path.suffix.lower() == ".png"


def expand_paths(
    paths: Iterable[str | Path], exclude: Iterable[str] = (), project: Path | None = None
) -> list[Path]:
    """PNG files named by ``paths``, in a stable order, without duplicates.

    ``exclude`` globs (see :func:`sprite_lint.config.glob_match`) are matched against each
    path relative to ``project`` (the project folder; default: cwd).

    A directory contributes every ``*.png`` below it (hidden folders such as ``.git``, and
    folders sprite-lint wrote its own panels into, are skipped); a folder below it that cannot be listed is kept as a path of its own, so
    the caller reports it as an error row instead of skipping it. A named file with
    another extension is skipped. A named path that does not exist or cannot be reached
    is kept, so the caller reports it as an error instead of passing it.
    """
    patterns = tuple(exclude)
    seen: set[Path] = set()
    out: list[Path] = []

    def add(p: Path) -> None:
        if patterns:
            relative = display_path(p, project)
            if any(glob_match(pat, relative) for pat in patterns):
                return
        if p not in seen:
            seen.add(p)
            out.append(p)

    for raw in paths:
        p = Path(raw)
        try:
            mode: int | None = os.stat(p).st_mode
        except OSError:  # missing, or in a folder we may not enter: read_file says which
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            if is_output(p):
                continue
            found: list[str] = []

            def unlistable(exc: OSError, found: list[str] = found, top: Path = p) -> None:
                # the folder itself becomes a row, which read_file reports as an error
                found.append(exc.filename if exc.filename is not None else os.fspath(top))

            for root, dirs, files in os.walk(p, onerror=unlistable):
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if not d.startswith(".") and not is_output(os.path.join(root, d))
                )
                found.extend(os.path.join(root, f) for f in files if f.lower().endswith(".png"))
            # the order of Path objects (by parts), without comparing Path objects
            for f in sorted(found, key=lambda name: name.split(os.sep)):
                add(Path(f))
        elif mode is not None and is_output(p.parent):
            continue  # one of sprite-lint's own panels (say, untracked under --changed-since)
        elif is_png_name(p) or mode is None:
            if mode is None:
                refuse_frame_name(p)
            add(p)  # a missing or unreachable path of any name is reported, never skipped
    return out


def refuse_frame_name(path: Path) -> None:
    """Raise :class:`UsageError` when ``path`` (which does not exist) is a frame of an
    existing sheet, ``hero_run.png#3``, as ``explain`` takes it: ``check`` and the other
    commands judge whole files, and would otherwise report a missing file."""
    from sprite_lint.sheets import parse_frame_ref

    name, index = parse_frame_ref(os.fspath(path))
    if index is not None and os.path.isfile(name):
        import shlex

        shown = printable(os.fspath(path))
        raise UsageError(
            f"{shown}: no such file; FILE#N names a frame of a sheet only for sprite-lint "
            f"explain (sprite-lint explain {shlex.quote(shown)}); this command takes whole "
            f"files: name {printable(name)}"
        )


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 1 <= K <= N."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise UsageError(f"--shard takes K/N, for example 2/4; got {text!r}") from None
    if not 1 <= k <= n:
        raise UsageError(f"--shard {text}: K must be between 1 and N")
    return k, n


@lru_cache(maxsize=64)
def _resolved(folder: str) -> str:
    return str(Path(folder).resolve())


def display_path(path: Path, root: Path | None = None) -> str:
    """Path as the user should read it: relative to ``root`` (default: cwd) when inside it."""
    cwd = os.getcwd()
    base = _resolved(str(root) if root is not None else cwd)
    name = os.fspath(path)
    absolute = _without_dotdot(name if os.path.isabs(name) else os.path.join(cwd, name))
    if absolute == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    if absolute.startswith(prefix):
        return _readable(absolute[len(prefix) :].replace(os.sep, "/"))
    if _has_dotdot(name) and not os.path.isabs(name):
        name = os.path.relpath(absolute, cwd)  # ../b/x.png, never art/a/../../b/x.png
    return _readable(Path(name).as_posix())


def _has_dotdot(name: str) -> bool:
    return ".." in Path(name).parts


def _without_dotdot(absolute: str) -> str:
    """``absolute`` with every ``..`` gone, as the system follows it: the part up to the
    last ``..`` is resolved (``link/..`` is the parent of the link's target), the rest
    is kept as named, so a file reached through a link matches where it is named.
    Glob rules see ``art/b/x.png`` for ``art/a/../b/x.png``, never a path that a rule
    for ``art/a/**`` matches."""
    if not _has_dotdot(absolute):
        return absolute
    parts = Path(absolute).parts
    last = len(parts) - 1 - parts[::-1].index("..")
    head = os.path.realpath(os.path.join(*parts[: last + 1]))
    return os.path.normpath(os.path.join(head, *parts[last + 1 :]))


# bidirectional overrides and isolates: they reorder how a name reads ("Trojan source")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(name: str) -> str:
    """``name`` with every control character (C0, DEL, C1) and bidirectional override
    escaped as Python writes it (``\\n``, ``\\x1b``, ``\\u202e``): a file name is shown
    on one line, as it is spelled. A newline in a name could otherwise start a line of
    its own in a CI log (``::warning ...`` is a GitHub Actions command), and an escape
    sequence could recolour or hide the terminal's output. A backslash is doubled, so a
    name spelled with a backslash and an ``n`` never reads as one with a newline.
    Emoji joiners (U+200D) and other format characters are kept."""
    if name.isprintable() and "\\" not in name:
        return name
    return "".join(repr(ch)[1:-1] if ch == "\\" or unsafe_char(ch) else ch for ch in name)


def unsafe_char(ch: str) -> bool:
    """Whether ``ch`` must not reach a terminal or a log as it is: a control character
    (C0, DEL, C1) or a bidirectional override."""
    o = ord(ch)
    return o < 0x20 or 0x7F <= o < 0xA0 or ch in _BIDI


def _readable(name: str) -> str:
    """``name`` with U+FFFD for each byte that is not UTF-8 (Python holds those as lone
    surrogates, which no UTF-8 report, JSON parser or hash of the name accepts)."""
    if name.isascii():
        return name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def select_shard(files: Iterable[Path], k: int, n: int, root: Path | None = None) -> list[Path]:
    """The files of shard ``k`` of ``n``, by a hash of each path as displayed (relative to
    ``root`` or cwd), so every machine of a CI matrix agrees wherever the checkout lies."""

    def bucket(p: Path) -> int:
        key = display_path(p, root).encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % n

    return [p for p in files if bucket(p) == k - 1]


def no_pngs_message(named: Sequence[str | Path]) -> str:
    """Why ``named`` (the files and folders given on the command line) gave no PNG to
    read: a file whose name is not ``*.png``, or a folder holding none. A wrong path must
    not pass (or approve nothing) without a word."""
    files = [f for f in named if os.path.isfile(f) and not is_png_name(Path(f))]
    if files and len(files) == len(named):
        shown = ", ".join(printable(str(f)) for f in files)
        return f"{shown}: not a PNG file name (.png); sprite-lint reads PNG sprites only"
    return (
        "no PNG files found in "
        + ", ".join(printable(str(f)) for f in named)
        + " (folders are searched for *.png; hidden folders and excluded files are skipped)"
    )
