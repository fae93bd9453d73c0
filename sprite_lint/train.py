"""Training the autoencoder on approved sprites. Needs the ``[train]`` extra.

The network is trained to *repair*: half of each batch gets a generic synthetic defect
(a blob of random colour, a patch pasted from elsewhere in the sprite, noise, stray
pixels) and the target is always the clean sprite. A plain autoencoder learns to copy
whatever it is shown, defects included; a repairing one reconstructs the on-style
sprite, so the residual lights up exactly where the input is off-style.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sprite_lint.errors import UsageError
from sprite_lint.imageio import premultiply
from sprite_lint.model import CELL, ModelConfig, SpriteAutoencoder

ProgressCallback = Callable[[int, int, float], None]  # (step, total_steps, loss)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int | None = None  # None: enough epochs for about `min_steps` optimizer steps
    min_steps: int = 600
    batch_size: int = 32
    learning_rate: float = 2e-3
    max_crop: int = 64  # training crops are at most this many pixels on a side
    repair_fraction: float = 0.5  # share of training inputs given a synthetic defect
    copy_weight: float = 0.5  # weight of the latent read-out loss (see model.copy_head)
    seed: int = 0
    device: str = "auto"
    # torch's CPU threads while training. Fixed, not the machine's core count: oneDNN splits
    # the convolutions' sums by thread, so 1 and 2 threads give different models (measured).
    # Two is what the speed benchmark's machine has; more cores are left idle for the sake
    # of the same model on any machine. Recorded in the manifest (training.threads).
    threads: int = 2


def resolve_device(device: str) -> str:
    """``auto`` picks cuda when a GPU is present."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for, but torch sees no CUDA GPU here")
    if device not in ("cpu", "cuda"):
        raise UsageError(f"unknown device {device!r}: use auto, cpu or cuda")
    return device


def crop_size(images: Sequence[np.ndarray], max_crop: int) -> int:
    """Square training crop: the largest sprite side rounded up to a cell, capped at ``max_crop``."""
    largest = max(max(im.shape[0], im.shape[1]) for im in images)
    return min(max_crop, CELL * math.ceil(largest / CELL))


def planned_steps(n_images: int, config: TrainConfig) -> int:
    """The optimizer steps :func:`train_autoencoder` takes on ``n_images`` sprites: whole
    epochs of ``ceil(n / batch)`` steps, enough epochs for ``min_steps`` unless ``epochs``
    is set. A progress display adds them up over every model a calibration trains."""
    batch = min(config.batch_size, n_images)
    per_epoch = math.ceil(n_images / batch)
    epochs = config.epochs or max(1, math.ceil(config.min_steps / per_epoch))
    return epochs * per_epoch


def _random_crop(x: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``(4, H, W)`` -> ``(4, size, size)``: pad with transparency if small, then crop."""
    _, h, w = x.shape
    ph, pw = max(0, size - h), max(0, size - w)
    if ph or pw:
        top, left = int(rng.integers(0, ph + 1)), int(rng.integers(0, pw + 1))
        x = np.pad(x, ((0, 0), (top, ph - top), (left, pw - left)))
        h, w = x.shape[1:]
    top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    return x[:, top : top + size, left : left + size]


def corrupt(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Apply one generic synthetic defect to a premultiplied ``(4, S, S)`` crop (copy)."""
    x = x.copy()
    _, s, _ = x.shape
    kind = int(rng.integers(0, 4))
    if kind == 0:  # blob of a random opaque colour
        r = rng.uniform(1.0, max(1.5, s / 8))
        cy, cx = rng.uniform(0, s, 2)
        yy, xx = np.mgrid[0:s, 0:s]
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        x[:3, mask] = rng.uniform(0, 1, (3, 1))
        x[3, mask] = 1.0
    elif kind == 1:  # a patch of the sprite pasted somewhere else
        p = int(rng.integers(2, max(3, s // 3)))
        sy, sx, dy, dx = rng.integers(0, s - p + 1, 4)
        x[:, dy : dy + p, dx : dx + p] = x[:, sy : sy + p, sx : sx + p]
    elif kind == 2:  # noise over a region
        p = int(rng.integers(2, max(3, s // 2)))
        dy, dx = rng.integers(0, s - p + 1, 2)
        region = x[:, dy : dy + p, dx : dx + p]
        noisy = np.clip(region + rng.normal(0, 0.25, region.shape), 0, 1)
        noisy[:3] = np.minimum(noisy[:3], noisy[3:4])  # stay premultiplied
        x[:, dy : dy + p, dx : dx + p] = noisy
    else:  # stray pixels of random colours
        n = int(rng.integers(1, 6))
        ys, xs = rng.integers(0, s, n), rng.integers(0, s, n)
        a = rng.uniform(0.5, 1.0, n)
        x[:3, ys, xs] = rng.uniform(0, 1, (3, n)) * a
        x[3, ys, xs] = a
    return x


def distributed_rank() -> tuple[int, int]:
    """(rank, world size) when running under torchrun with a process group, else (0, 1)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed(device: str) -> tuple[int, int]:
    """Join the process group torchrun describes (WORLD_SIZE > 1); gloo on CPU, nccl on GPU."""
    import torch
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return distributed_rank()
    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    return distributed_rank()


def _slice(batch: np.ndarray, rank: int, world: int) -> np.ndarray:
    """This rank's share of a batch; never empty (tiny batches repeat the last sprite)."""
    part = batch[rank::world]
    return part if len(part) else batch[-1:]


def train_autoencoder(
    images: Sequence[np.ndarray],
    model_config: ModelConfig | None = None,
    config: TrainConfig | None = None,
    progress: ProgressCallback | None = None,
) -> SpriteAutoencoder:
    """Train on uint8 RGBA sprites ``(H, W, 4)`` of any sizes; deterministic for a seed."""
    import torch

    model_config = model_config or ModelConfig()
    config = config or TrainConfig()
    if not images:
        raise UsageError("no sprites to train on")
    device = resolve_device(config.device)
    threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    try:
        return _train(images, model_config, config, device, progress)
    finally:
        torch.set_num_threads(threads)  # a library call leaves the caller's setting as it was


def _train(
    images: Sequence[np.ndarray],
    model_config: ModelConfig,
    config: TrainConfig,
    device: str,
    progress: ProgressCallback | None,
) -> SpriteAutoencoder:
    import torch

    if device.startswith("cuda"):  # as deterministic as cuDNN allows (README: reproducible)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    data = [premultiply(im) for im in images]
    size = crop_size(images, config.max_crop)
    batch = min(config.batch_size, len(data))
    total = planned_steps(len(data), config)
    epochs = total // math.ceil(len(data) / batch)

    rank, world = distributed_rank()
    if world > 1 and device == "cuda":
        device = f"cuda:{torch.cuda.current_device()}"
    model = SpriteAutoencoder(model_config).to(device)
    # On the CPU, oneDNN runs these small convolutions far faster channels-last (measured:
    # 70 ms a step instead of 110-125 ms at batch 32 of 64x64); the maths is the same.
    layout = torch.channels_last if device == "cpu" else torch.contiguous_format
    model = model.to(memory_format=layout)
    net: torch.nn.Module = model
    if world > 1:
        # torchrun: every rank draws the same batch (same seed) and trains on its slice;
        # DistributedDataParallel averages the gradients, so all ranks stay identical.
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    # Cosine decay: large steps early, fine detail at the end.
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    model.train()
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(data))
        for start in range(0, len(data), batch):
            clean = np.stack(
                [_random_crop(data[i], size, rng) for i in order[start : start + batch]]
            )
            noisy = np.stack(
                [corrupt(c, rng) if rng.random() < config.repair_fraction else c for c in clean]
            )
            if world > 1:
                clean, noisy = _slice(clean, rank, world), _slice(noisy, rank, world)
            target = torch.from_numpy(clean).to(device).contiguous(memory_format=layout)
            seen = torch.from_numpy(noisy).to(device).contiguous(memory_format=layout)
            recon, _, copy = net(seen, True)  # (N, 4, S, S) twice
            loss = torch.mean((recon - target) ** 2)
            if config.copy_weight:
                loss = loss + config.copy_weight * torch.mean((copy - seen) ** 2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            if progress is not None:
                progress(step, total, float(loss.item()))
    return model.eval().cpu().to(memory_format=torch.contiguous_format)
