"""Result cache: a re-run over unchanged files costs a hash, not an inference.

Keyed by (sha256 of the file's bytes, sha256 of the baseline manifest, sprite-lint's
version), so a new baseline, a new version or an edited sprite is always scored afresh.
Entries are small JSON files written atomically (temp file + rename, the temp file
removed if anything fails), so two checks running at once never read half an entry; the
folder holds a ``.gitignore`` of ``*`` (rewritten when missing or empty) so git never
tracks it. A cache is a convenience, never trusted: only regular files (not links,
devices or pipes) of a bounded size are read, and an entry counts only if the caller's
``validate`` accepts it (``check`` checks every field's type and that the verdict
follows from the score), so a hand-written ``{"status": "pass"}`` is just a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sprite_lint import __version__

DEFAULT_DIR = ".sprite-lint-cache"
ENTRY_VERSION = 4  # 3: failing messages list the other marks ("also:"); 4: with decode warnings
MAX_ENTRY_BYTES = 64 * 1024  # an entry is a few hundred bytes


class ResultCache:
    def __init__(
        self,
        root: Path,
        baseline_sha256: str,
        validate: Callable[[dict[str, Any]], bool] | None = None,
        max_pixels: int | None = None,
    ) -> None:
        # a verdict holds for one baseline, one tool version and one pixel limit: a file
        # cached under a larger limit must be refused again under a smaller one
        key = hashlib.sha256(f"{baseline_sha256}\0{__version__}\0{max_pixels}".encode()).hexdigest()
        self.dir = root / key[:32]
        self.validate = validate
        self._ready = False

    def _path(self, file_sha256: str) -> Path:
        return self.dir / file_sha256[:2] / f"{file_sha256}.json"

    def get(self, file_sha256: str) -> dict[str, Any] | None:
        """The entry stored for these bytes, or None (missing, unreadable or invalid)."""
        path = self._path(file_sha256)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
                return None
            with os.fdopen(fd, "rb", closefd=False) as fh:
                entry = json.loads(fh.read(MAX_ENTRY_BYTES + 1).decode("utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        finally:
            os.close(fd)
        if not isinstance(entry, dict) or entry.get("v") != ENTRY_VERSION:
            return None
        if self.validate is not None and not self.validate(entry):
            return None
        return entry

    def put(self, file_sha256: str, entry: dict[str, Any]) -> None:
        """Store an entry; a cache that cannot be written is silently skipped."""
        tmp: str | None = None
        try:
            if not self._ready:
                self.dir.mkdir(parents=True, exist_ok=True)
                ignore = self.dir.parent / ".gitignore"
                if not ignore.is_file() or ignore.stat().st_size == 0:
                    ignore.write_text("# created by sprite-lint\n*\n", encoding="utf-8")
                self._ready = True
            target = self._path(file_sha256)
            target.parent.mkdir(exist_ok=True)
            import tempfile  # writing only: a check of cached files never imports it

            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({**entry, "v": ENTRY_VERSION}, fh, sort_keys=True, allow_nan=False)
            os.replace(tmp, target)
            tmp = None
        except (OSError, ValueError):
            pass
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
