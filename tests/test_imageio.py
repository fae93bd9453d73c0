from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sprite_lint.errors import ImageError
from sprite_lint.imageio import LoadedImage, decode_png, load_png, premultiply
from tests.conftest import png_bytes


def test_rgba_roundtrip_keeps_every_channel() -> None:
    rgba = np.random.default_rng(0).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    out = decode_png(png_bytes(Image.fromarray(rgba, "RGBA")))
    assert out.dtype == np.uint8 and out.shape == (5, 7, 4)
    np.testing.assert_array_equal(out, rgba)


def test_palette_with_transparency_becomes_alpha() -> None:
    img = Image.new("P", (4, 4), 0)
    img.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    img.putpixel((1, 1), 1)
    img.info["transparency"] = 0
    out = decode_png(png_bytes(img, transparency=0))
    assert out[0, 0, 3] == 0
    assert tuple(out[1, 1]) == (0, 255, 0, 255)


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("L", 200, (200, 200, 200, 255)),
        ("LA", (90, 128), (90, 90, 90, 128)),
        ("RGB", (1, 2, 3), (1, 2, 3, 255)),
        ("1", 1, (255, 255, 255, 255)),
    ],
)
def test_modes_convert_to_rgba(mode: str, value: object, expected: tuple[int, ...]) -> None:
    out = decode_png(png_bytes(Image.new(mode, (3, 2), value)))  # type: ignore[arg-type]
    assert tuple(out[1, 2]) == expected


def test_16_bit_greyscale_is_scaled_not_clipped() -> None:
    grey = np.array([[0, 32768, 65535]], dtype=np.uint16)
    out = decode_png(png_bytes(Image.fromarray(grey)))
    assert list(out[0, :, 0]) == [0, 128, 255]
    assert list(out[0, :, 3]) == [255, 255, 255]


def test_one_by_one_sprite_loads() -> None:
    out = decode_png(png_bytes(Image.new("RGBA", (1, 1), (9, 8, 7, 6))))
    assert out.shape == (1, 1, 4)


def test_hidden_rgb_under_full_transparency_is_zero_after_premultiply() -> None:
    a = np.zeros((2, 2, 4), dtype=np.uint8)
    b = a.copy()
    b[..., :3] = 255  # same image in an engine: every pixel fully transparent
    np.testing.assert_array_equal(premultiply(a), premultiply(b))


@pytest.mark.parametrize(
    "name",
    ["art/hero.png", "art/$(touch PWNED).png", 'art/a,b "q".png', "art/it's.png", "art/-x.png"],
)
def test_the_git_lfs_hint_is_a_command_safe_to_paste(name: str, tmp_path: Path) -> None:
    """The hint is pasted into a shell: it runs ``git lfs pull`` with one ``--include``
    pattern that matches the file (a comma would split it into two), and nothing else."""
    import fnmatch
    import shutil
    import subprocess

    if shutil.which("sh") is None:
        pytest.skip("no POSIX shell here")
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n"
    with pytest.raises(ImageError) as err:
        decode_png(pointer, name)
    command = err.value.reason.split("Fetch the real file with: ", 1)[1]
    assert command.startswith("git lfs pull --include ")
    # the words a real shell makes of it, printed instead of run
    echo = "printf '%s\\n' " + command.removeprefix("git lfs pull --include ")
    done = subprocess.run(["sh", "-c", echo], cwd=tmp_path, capture_output=True, text=True)
    words = done.stdout.splitlines()
    assert len(words) == 1 and list(tmp_path.iterdir()) == [], (command, words)
    assert "," not in words[0] and fnmatch.fnmatchcase(name, words[0])


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty file"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n", "git lfs pull"),
        (b"GIF89a....", "not a PNG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "corrupt or truncated"),
    ],
)
def test_bad_files_raise_image_error(tmp_path: Path, content: bytes, fragment: str) -> None:
    p = tmp_path / "bad.png"
    p.write_bytes(content)
    with pytest.raises(ImageError) as err:
        load_png(p)
    assert fragment in str(err.value)
    assert p.read_bytes() == content  # nothing modified


def test_truncated_png(tmp_path: Path) -> None:
    data = png_bytes(
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (32, 32, 4), dtype=np.uint8))
    )
    p = tmp_path / "cut.png"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="corrupt or truncated"):
        load_png(p)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="file not found"):
        load_png(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="directory"):
        load_png(tmp_path)


def test_oversized_image_is_refused_before_decoding(tmp_path: Path) -> None:
    p = tmp_path / "big.png"
    Image.new("L", (300, 300)).save(p)
    with pytest.raises(ImageError, match="over the limit"):
        load_png(p, max_pixels=10_000)


def test_load_reports_sha256_of_file_bytes(tmp_path: Path) -> None:
    p = tmp_path / "x.png"
    Image.new("RGBA", (2, 2)).save(p)
    assert load_png(p).sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "LA", "L", "P", "1", "I;16"])
def test_every_mode_decodes_to_a_fresh_writable_array(mode: str) -> None:
    rng = np.random.default_rng(2)
    if mode == "I;16":
        img = Image.fromarray(rng.integers(0, 65536, (5, 9), dtype=np.uint16))
    else:
        img = Image.fromarray(rng.integers(0, 256, (5, 9, 4), dtype=np.uint8), "RGBA").convert(mode)
    out = decode_png(png_bytes(img))
    assert out.shape == (5, 9, 4) and out.dtype == np.uint8
    assert out.flags.writeable and out.flags.c_contiguous  # callers may edit it in place


def test_loaded_image_without_warnings_keeps_its_old_constructor(tmp_path: Path) -> None:
    rgba = np.zeros((1, 1, 4), dtype=np.uint8)
    assert LoadedImage(tmp_path, rgba, "0" * 64).warnings == ()
