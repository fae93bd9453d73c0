"""Loading PNGs the way a game engine sees them: straight RGBA, native resolution.

Every failure becomes an :class:`ImageError` with a message an artist can act on;
nothing here ever writes to the file it reads.
"""

from __future__ import annotations

import hashlib
import io
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from sprite_lint.errors import ImageError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"
DEFAULT_MAX_PIXELS = 4096 * 4096


@dataclass(frozen=True)
class LoadedImage:
    """A decoded sprite: ``rgba`` is ``(H, W, 4)`` uint8, straight (not premultiplied) alpha."""

    path: Path
    rgba: np.ndarray
    sha256: str


def read_file(path: Path) -> bytes:
    """A file's bytes, or :class:`ImageError` saying why they cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImageError(str(path), "file not found") from None
    except IsADirectoryError:
        raise ImageError(str(path), "is a directory, not a PNG file") from None
    except OSError as exc:
        raise ImageError(str(path), f"cannot read file ({exc.strerror or exc})") from None


def load_png(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Read one PNG file as RGBA, or raise :class:`ImageError` saying why it cannot be read."""
    path = Path(path)
    data = read_file(path)
    return LoadedImage(
        path, decode_png(data, str(path), max_pixels), hashlib.sha256(data).hexdigest()
    )


def decode_png(
    data: bytes, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Decode PNG bytes to an ``(H, W, 4)`` uint8 RGBA array."""
    if not data:
        raise ImageError(name, "empty file (0 bytes)")
    if data.startswith(LFS_POINTER_PREFIX):
        raise ImageError(
            name,
            f"this is a Git LFS pointer, not the image. "
            f'Fetch the real file with: git lfs pull --include "{name}"',
        )
    if not data.startswith(PNG_SIGNATURE):
        raise ImageError(name, "not a PNG file (the PNG signature is missing)")
    try:
        with warnings.catch_warnings():
            # We enforce our own size limit below, before any pixel is decompressed.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # The PNG reader directly: Image.open would first import every format plugin
            # (a fifth of the one-file hook's own time) to sniff bytes already checked.
            img = PngImagePlugin.PngImageFile(io.BytesIO(data))
            width, height = img.size
            if width <= 0 or height <= 0:
                raise ImageError(name, f"image has no pixels ({width}x{height})")
            if width * height > max_pixels:
                raise ImageError(
                    name,
                    f"image is {width}x{height} = {width * height:,} pixels, over the "
                    f"limit of {max_pixels:,}. Raise max_pixels in [tool.sprite-lint] if this "
                    "sprite sheet is intended.",
                )
            img.seek(0)  # animated PNG: the first frame is what a static engine shows
            img.load()
            return _to_rgba(img, name)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(
            name,
            f"refused: its header claims far more pixels than the limit of {max_pixels:,} "
            "(a decompression bomb, or a damaged header)",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error, MemoryError) as exc:
        raise ImageError(name, f"corrupt or truncated PNG ({exc})") from None


def _to_rgba(img: Image.Image, name: str) -> np.ndarray:
    """Convert any PNG mode to RGBA, keeping palette/tRNS transparency and 16-bit depth right."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: Pillow's convert("RGBA") would clip at 255, so scale by hand.
        grey = np.asarray(img, dtype=np.int64)
        grey8 = np.clip((grey + 128) // 257, 0, 255).astype(np.uint8)
        rgba = np.empty(grey8.shape + (4,), dtype=np.uint8)
        rgba[..., :3] = grey8[..., None]
        rgba[..., 3] = 255
        if "transparency" in img.info:
            rgba[..., 3] = np.where(grey == img.info["transparency"], 0, 255)
        return rgba
    if mode == "F":
        raise ImageError(name, "floating-point images are not supported")
    if mode in ("P", "PA", "L", "LA", "1", "RGB") or mode != "RGBA":
        img = img.convert("RGBA")
    return np.array(img, dtype=np.uint8)


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """uint8 ``(H, W, 4)`` straight alpha -> float32 ``(4, H, W)`` premultiplied in [0, 1].

    Premultiplying makes the hidden RGB of fully transparent pixels zero, so it can
    never count as error: two sprites that look the same in an engine score the same.
    """
    x = rgba.astype(np.float32) / 255.0
    x[..., :3] *= x[..., 3:4]
    return np.ascontiguousarray(x.transpose(2, 0, 1))
