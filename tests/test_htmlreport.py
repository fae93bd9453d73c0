"""The HTML report, rendered in headless Chromium (installed by .ci/run)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from conftest import write_rgba
from PIL import Image
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.synth import make_family

runner = CliRunner()
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("SPRITE_LINT_REQUIRE_BROWSER"):
        pytest.fail("SPRITE_LINT_REQUIRE_BROWSER is set but no Chromium is installed")
    pytest.skip("Chromium is not installed (.ci/run installs it)")


def _browse(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_chromium(), *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture()
def report(tiny_baseline: Path) -> Path:
    sprites = make_family("creatures", 3, seed=77)
    for i, im in enumerate(sprites):
        write_rgba(Path(f"art/ok{i}.png"), im)
    bad = sprites[0].copy()
    bad[4:16, 4:16] = [0, 255, 0, 255]
    write_rgba(Path("art/<script>bad.png"), bad)
    Path("art/empty.png").write_bytes(b"")
    res = runner.invoke(
        app, ["check", "art", "-b", str(tiny_baseline), "--html", "report.html", "--no-cache"]
    )
    assert res.exit_code == 2, res.output  # the empty file is an error row
    return Path("report.html")


def test_html_is_self_contained_and_escapes_names(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "<script>bad" not in text and "&lt;script&gt;bad.png" in text
    # every "<" opens a tag: text such as "p <1e-6" is escaped (a parse error otherwise)
    assert re.search(r"<[^a-zA-Z/!]", text) is None, re.search(r".{20}<[^a-zA-Z/!].{10}", text)
    assert "p &lt;1e-6" in text  # the blob's score is far past the last calibration score
    p = _Collect()
    p.feed(text)
    for tag, attrs in p.tags:  # nothing fetched from anywhere
        for key in ("src", "href"):
            value = attrs.get(key)
            assert value is None or value.startswith("data:"), (tag, attrs)
    imgs = [a for t, a in p.tags if t == "img"]
    assert len(imgs) == 1 and "bad.png" in (imgs[0]["alt"] or "")


def test_html_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    dom = _browse(report, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    p = _Collect()
    p.feed(dom.stdout)
    # the inline script ran: the histogram replaced its fallback table
    holder = [a for t, a in p.tags if t == "div" and a.get("id") == "dist"]
    assert holder and holder[0].get("data-rendered") == "yes"
    classes = [a.get("class") for t, a in p.tags if t == "rect"]
    assert classes.count("bar-calibration") == 30 and classes.count("bar-checked") == 30
    assert any(t == "line" and a.get("class") == "threshold" for t, a in p.tags)
    cards = {a.get("data-status") for t, a in p.tags if t == "section"}
    assert cards == {"fail", "error", "pass"}
    assert '<div class="stat fail"><b>1</b>failed</div>' in dom.stdout
    assert '<div class="stat error"><b>1</b>errors</div>' in dom.stdout

    shot = tmp_path / "shot.png"
    res = _browse(report, tmp_path, f"--screenshot={shot}", "--window-size=1000,1400")
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("RGB"))
    # the page painted: the dark background, the panel's magenta-free green blob, many colours
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    assert (np.abs(pixels.astype(int) - [0, 255, 0]).sum(axis=-1) < 30).sum() > 100
