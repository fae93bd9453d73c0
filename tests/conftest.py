from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sprite_lint.synth import make_family


def png_bytes(img: Image.Image, **save_args: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", **save_args)
    return buf.getvalue()


def write_rgba(path: Path, rgba: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgba, "RGBA").save(path)
    return path


def calibrated_family(
    root: Path, n: int, seed: int, epochs: int, family: str = "creatures"
) -> Path:
    """Write ``n`` sprites of ``family`` under ``root`` and calibrate a small real baseline."""
    from sprite_lint.calibrate import CalibrateOptions, calibrate

    for i, im in enumerate(make_family(family, n, seed=seed)):
        write_rgba(root / "approved" / f"c{i:02d}.png", im)
    calibrate(
        [root / "approved"], root / "baseline", CalibrateOptions(epochs=epochs, seed=0, width=8)
    )
    return root / "baseline"


@pytest.fixture(scope="session")
def tiny_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real baseline calibrated on 24 small creature sprites with very short training."""
    return calibrated_family(tmp_path_factory.mktemp("tiny"), 24, seed=3, epochs=2)


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test in its own folder: the result cache and reports land there."""
    monkeypatch.chdir(tmp_path)
