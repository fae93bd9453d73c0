"""The autoencoder: small, fully convolutional, native resolution. Needs the ``[train]`` extra.

Shapes for an ``(N, 4, H, W)`` premultiplied RGBA batch, H and W multiples of 8:

    encoder: (N, 4, H, W) -> (N, 2w, H/8, W/8) -> (N, d, H/8, W/8)   latent grid
    decoder: (N, d, H/8, W/8) -> (N, 4, H, W)                         reconstruction

Compared with the article's network (two stride-2 convolutions, 32 channels at 1/4
resolution, i.e. a latent as large as the image), this one goes one level deeper and
squeezes each 8x8 cell into ``d`` numbers. A narrow bottleneck cannot copy what it has
not learned, so off-style content reconstructs badly, and every latent vector describes
one local patch: that patch-level latent grid is what the KDE models (a KDE over one
flattened whole-image latent, as in the article, has too many dimensions to work).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

CELL = 8  # pixels per latent cell along each axis (three stride-2 levels)


@dataclass(frozen=True)
class ModelConfig:
    width: int = 16  # channels of the first level; deeper levels use 2 * width
    latent_dim: int = 16  # numbers per 8x8 cell: the bottleneck (256 values in, 16 out)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class SpriteAutoencoder(nn.Module):
    """Premultiplied RGBA in, (reconstruction, latent grid) out."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        w, d = config.width, config.latent_dim
        self.config = config
        self.encoder = nn.Sequential(
            nn.Conv2d(4, w, 3, padding=1),
            nn.ReLU(),  # (N, w, H, W)
            nn.Conv2d(w, w, 4, stride=2, padding=1),
            nn.ReLU(),  # (N, w, H/2, W/2)
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),
            nn.ReLU(),  # (N, 2w, H/4, W/4)
            nn.Conv2d(2 * w, 2 * w, 4, stride=2, padding=1),
            nn.ReLU(),  # (N, 2w, H/8, W/8)
            nn.Conv2d(2 * w, d, 1),  # (N, d, H/8, W/8): no activation, the KDE wants it linear
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(d, 2 * w, 1),
            nn.ReLU(),  # (N, 2w, H/8, W/8)
            nn.ConvTranspose2d(2 * w, 2 * w, 4, stride=2, padding=1),
            nn.ReLU(),  # (N, 2w, H/4, W/4)
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),
            nn.ReLU(),  # (N, w, H/2, W/2)
            nn.ConvTranspose2d(w, w, 4, stride=2, padding=1),
            nn.ReLU(),  # (N, w, H, W)
            nn.Conv2d(
                w, 4, 3, padding=1
            ),  # (N, 4, H, W); linear: a sigmoid here saturates on alpha = 1
        )

        # Training only (not exported): a linear read-out of each cell's 8x8 input pixels
        # from its latent vector. It keeps the latent faithful to what the input really
        # holds, defects included, while the decoder above learns to repair them; so an
        # off-style patch shows up twice: as residual, and as a latent of low density.
        self.copy_head = nn.Sequential(nn.Conv2d(d, 4 * CELL * CELL, 1), nn.PixelShuffle(CELL))

    def forward(self, x: torch.Tensor, with_copy: bool = False) -> tuple[torch.Tensor, ...]:
        """``(reconstruction, latent)``, plus the copy head's read-out when training."""
        z = self.encoder(x)
        if with_copy:
            return self.decoder(z), z, self.copy_head(z)
        return self.decoder(z), z
