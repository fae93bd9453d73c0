from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sprite_lint.baseline import load_baseline
from sprite_lint.errors import UsageError
from sprite_lint.synth import make_family
from sprite_lint.train import corrupt, crop_size, resolve_device
from tests.conftest import write_rgba


def test_crop_size_is_the_largest_side_in_cells_capped() -> None:
    assert crop_size([np.zeros((5, 9, 4), np.uint8)], 64) == 16
    assert crop_size([np.zeros((300, 20, 4), np.uint8)], 64) == 64


@pytest.mark.parametrize("seed", range(12))
def test_synthetic_defects_stay_valid_premultiplied_rgba(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.random((4, 32, 32)).astype(np.float32)
    x[:3] *= x[3:4]
    y = corrupt(x, rng)
    assert y.shape == x.shape and not np.shares_memory(x, y)
    assert y.min() >= 0 and y.max() <= 1
    assert (y[:3] <= y[3:4] + 1e-6).all()


def test_unknown_or_missing_devices_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        resolve_device("tpu")
    import torch

    if not torch.cuda.is_available():
        assert resolve_device("auto") == "cpu"
        with pytest.raises(UsageError, match="no CUDA GPU"):
            resolve_device("cuda")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_torchrun_two_processes_on_gloo(tmp_path: Path) -> None:
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    assert torchrun is not None
    for i, im in enumerate(make_family("icons", 20, seed=2)):
        write_rgba(tmp_path / "a" / f"{i}.png", im)
    proc = subprocess.run(
        [
            torchrun,
            "--nproc_per_node=2",
            "--master_addr=127.0.0.1",
            f"--master_port={_free_port()}",
            "-m",
            "sprite_lint",
            "calibrate",
            str(tmp_path / "a"),
            "-b",
            str(tmp_path / "b"),
            "--epochs",
            "1",
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 processes" in proc.stderr
    assert load_baseline(tmp_path / "b").calibration.n == 20
