"""Shared by the benchmarks: write a section of docs/BENCHMARKS.md, and machine facts."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
HEADER = """# Benchmarks

Every number here was measured by a script in `bench/`; each section names the exact
command that produced it and is rewritten in place when that command runs again. Quality
is always measured on held-out sprites the model never trained on.
"""


def machine() -> str:
    import numpy
    import onnxruntime

    parts = [
        f"{os.cpu_count()} CPU cores",
        f"Python {platform.python_version()}",
        f"numpy {numpy.__version__}",
        f"onnxruntime {onnxruntime.__version__}",
    ]
    try:
        import torch

        parts.append(f"torch {torch.__version__}")
    except ImportError:
        pass
    return ", ".join(parts)


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section between ``<!-- bench:name -->`` markers."""
    DOC.parent.mkdir(parents=True, exist_ok=True)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _m: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    DOC.write_text(text, encoding="utf-8")


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)
