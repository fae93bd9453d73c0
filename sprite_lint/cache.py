"""Result cache: a re-run over unchanged files costs a hash, not an inference.

Keyed by (sha256 of the file's bytes, sha256 of the baseline manifest), so a new baseline
or an edited sprite is always scored afresh. Entries are small JSON files written
atomically (temp file + rename), so two checks running at once never read half an entry;
the folder holds a ``.gitignore`` of ``*`` so git never tracks it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

DEFAULT_DIR = ".sprite-lint-cache"
ENTRY_VERSION = 1


class ResultCache:
    def __init__(self, root: Path, baseline_sha256: str) -> None:
        self.dir = root / baseline_sha256[:32]
        self._ready = False

    def _path(self, file_sha256: str) -> Path:
        return self.dir / file_sha256[:2] / f"{file_sha256}.json"

    def get(self, file_sha256: str) -> dict[str, Any] | None:
        try:
            entry = json.loads(self._path(file_sha256).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("v") != ENTRY_VERSION:
            return None
        return entry

    def put(self, file_sha256: str, entry: dict[str, Any]) -> None:
        """Store an entry; a cache that cannot be written is silently skipped."""
        try:
            if not self._ready:
                self.dir.mkdir(parents=True, exist_ok=True)
                ignore = self.dir.parent / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("# created by sprite-lint\n*\n", encoding="utf-8")
                self._ready = True
            target = self._path(file_sha256)
            target.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({**entry, "v": ENTRY_VERSION}, fh, sort_keys=True)
            os.replace(tmp, target)
        except OSError:
            pass
