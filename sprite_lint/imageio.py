"""Loading PNGs the way a game engine sees them: straight RGBA, native resolution.

The pixels are the ones libpng gives (expand to RGBA, tRNS to alpha, 16-bit scaled to
8 with libpng's ``png_set_scale_16`` rounding). The file's structure is checked here
with the standard library before any pixel is decompressed: what libpng refuses is
refused (damaged header, palette or pixel data, data shorter than the header says, no
end marker, a palette image without palette), and so is what decoders would read
differently (a chunk that changes how pixels look, out of its place). Harmless damage
(a bad checksum in metadata, chunks after the end marker) is decoded with a warning,
as libpng does; see :func:`decode_png_with_warnings`. Pillow only inflates and
unfilters the pixel data.

Every failure becomes an :class:`ImageError` with a message an artist can act on;
nothing here ever writes to the file it reads.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from sprite_lint.errors import ImageError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"
DEFAULT_MAX_PIXELS = 4096 * 4096

# Legal bit depths per PNG colour type, and what an artist calls the type.
_COLOUR_TYPES: dict[int, tuple[str, tuple[int, ...]]] = {
    0: ("greyscale", (1, 2, 4, 8, 16)),
    2: ("RGB", (8, 16)),
    3: ("palette (indexed colour)", (1, 2, 4, 8)),
    4: ("greyscale with alpha", (8, 16)),
    6: ("RGBA", (8, 16)),
}

# What each chunk holds, in words an artist knows.
_CHUNK_WHAT = {
    b"IHDR": "header",
    b"PLTE": "palette",
    b"IDAT": "pixel data",
    b"IEND": "end marker",
    b"tRNS": "transparency",
    b"iCCP": "colour profile",
    b"sRGB": "sRGB colour space",
    b"gAMA": "gamma",
    b"cHRM": "chromaticities",
    b"sBIT": "significant bits",
    b"cICP": "colour space",
    b"mDCV": "HDR mastering display",
    b"cLLI": "HDR light level",
    b"bKGD": "background colour",
    b"hIST": "palette histogram",
    b"pHYs": "pixel size",
    b"sPLT": "suggested palette",
    b"tEXt": "text metadata",
    b"zTXt": "text metadata",
    b"iTXt": "text metadata",
    b"tIME": "timestamp",
    b"eXIf": "Exif metadata",
    b"acTL": "animation control",
    b"fcTL": "animation frame",
    b"fdAT": "animation frame data",
}

# Chunks that change how pixels look must come before PLTE and IDAT (PNG spec 5.6);
# one out of place is read by some decoders and ignored by others, so it is refused.
_COLOUR_CHUNKS = frozenset({b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI"})
# Metadata that must come before IDAT; out of place it is ignored, with a warning.
_BEFORE_IDAT = frozenset({b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"oFFs", b"pCAL", b"sCAL"})
# Ancillary chunks the spec allows once; a second one is ignored, with a warning.
_ONCE = frozenset(_COLOUR_CHUNKS | _BEFORE_IDAT - {b"sPLT"} | {b"tIME", b"eXIf"})

# Samples per pixel for each colour type, and Adam7's passes as (x0, y0, dx, dy).
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_UNDECODABLE = (
    "corrupt PNG: its pixel data (IDAT) cannot be decompressed (damaged compressed "
    "stream or row filter); libpng refuses it. Export it again."
)

# Other formats' first bytes, to say what a file named .png really is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"8BPS", "a Photoshop (PSD) document"),
    (b"qoif", "a QOI image"),
    (b"DDS ", "a DDS texture"),
    (b"\xabKTX 11\xbb\r\n\x1a\n", "a KTX texture"),
    (b"\xabKTX 20\xbb\r\n\x1a\n", "a KTX2 texture"),
    (b"\xff\x0a", "a JPEG XL image"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "a JPEG XL image"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 image"),
    (b"\x8aMNG\r\n\x1a\n", "an MNG animation"),
    (b"\x8bJNG\r\n\x1a\n", "a JNG image"),
)


@dataclass(frozen=True)
class LoadedImage:
    """A decoded sprite: ``rgba`` is ``(H, W, 4)`` uint8, straight (not premultiplied) alpha.

    ``warnings`` lists harmless damage found while decoding (see
    :func:`decode_png_with_warnings`); empty for a clean file.
    """

    path: Path
    rgba: np.ndarray
    sha256: str
    warnings: tuple[str, ...] = ()


@dataclass
class _Png:
    """What the chunk walk found: the header, the pieces pixels need, and warnings."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlaced: bool
    palette: bytes | None = None  # PLTE entries as RGB triplets, at most 2**bit_depth of them
    trns: bytes | None = None  # tRNS payload, validated for the colour type
    idat: bytes = b""  # the first run of IDAT chunks' data, joined
    idat_chunks: list[memoryview] = field(default_factory=list)  # the same, chunk by chunk
    later_idat: bool = False  # an IDAT after other chunks followed the first run
    clean_end: bool = True  # the zlib stream ends, with its Adler-32, where libpng reads
    warnings: list[str] = field(default_factory=list)


def read_file(
    path: Path,
    max_bytes: int = 256 * 1024 * 1024,
    what: str = "a PNG file",
    limit_for: str = "one image",
) -> bytes:
    """A regular file's bytes, or :class:`ImageError` saying why they cannot be read.

    Only regular files are read: a device (also through a symlink, such as ``/dev/zero``),
    a FIFO, a socket or a folder is refused at once, without reading or blocking. A file
    over ``max_bytes`` is refused before it is read: 256 MiB is twice a stored-not-
    compressed 16-bit RGBA image at the default pixel limit (4096 x 4096 x 8 bytes).
    ``what`` and ``limit_for`` name the kind of file in the reasons ("is a directory, not
    a PNG file", "over the limit ... for one image"): a configuration, a sheet's data.
    """
    import os
    import stat

    name = str(path)

    def refuse(exc: OSError) -> ImageError:
        if isinstance(exc, FileNotFoundError):
            return ImageError(name, "file not found")
        if isinstance(exc, PermissionError):
            return ImageError(name, "cannot read file (permission denied)")
        return ImageError(name, f"cannot read file ({exc.strerror or exc})")

    def kind(mode: int) -> str | None:
        if stat.S_ISREG(mode):
            return None
        if stat.S_ISDIR(mode):
            try:
                os.listdir(path)
            except OSError as exc:
                return f"folder cannot be listed ({exc.strerror or exc})"
            return f"is a directory, not {what}"
        for test, special in (
            (stat.S_ISFIFO, "a FIFO (named pipe)"),
            (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"),
        ):
            if test(mode):
                return f"not a regular file ({special}); only regular files are read"
        return "not a regular file; only regular files are read"

    def too_big(size: int) -> str:
        return (
            f"file of {size:,} bytes is over the limit of {max_bytes:,} bytes "
            f"for {limit_for}; not read"
        )

    try:
        st = os.stat(path)  # follows symlinks: a link to /dev/zero is a device
    except OSError as exc:
        raise refuse(exc) from None
    if (why := kind(st.st_mode)) is not None:
        raise ImageError(name, why)
    if st.st_size > max_bytes:
        raise ImageError(name, too_big(st.st_size))
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise refuse(exc) from None
    try:
        st = os.fstat(fd)  # what was opened, in case the path changed since the stat
        if (why := kind(st.st_mode)) is not None:
            raise ImageError(name, why)
        if st.st_size > max_bytes:
            raise ImageError(name, too_big(st.st_size))
        parts: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(max_bytes + 1 - total, 1 << 20))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # it grew while we read it
                raise ImageError(name, too_big(total))
        return b"".join(parts)
    except OSError as exc:
        raise refuse(exc) from None
    finally:
        os.close(fd)


def load_png(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Read one PNG file as RGBA, or raise :class:`ImageError` saying why it cannot be read.

    The returned image's ``rgba`` is ``(H, W, 4)`` uint8 and its ``warnings`` say what
    harmless damage was ignored.
    """
    path = Path(path)
    data = read_file(path)
    rgba, notes = decode_png_with_warnings(data, str(path), max_pixels)
    return LoadedImage(path, rgba, hashlib.sha256(data).hexdigest(), notes)


def pixel_digest(rgba: np.ndarray) -> str:
    """sha256 of decoded pixels and their size (``(H, W, 4)`` uint8 RGBA, as
    :func:`decode_png` gives them): equal for any lossless re-encoding of the file, and
    for equal frames of sheets (the result cache's key for a frame, an approval's
    ``pixels_sha256``)."""
    h = hashlib.sha256(f"rgba {rgba.shape[1]}x{rgba.shape[0]}\0".encode())
    h.update(np.ascontiguousarray(rgba, dtype=np.uint8).tobytes())
    return h.hexdigest()


def decode_png(
    data: bytes, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Decode PNG bytes to an ``(H, W, 4)`` uint8 straight-alpha RGBA array.

    Same pixels, same refusals as :func:`decode_png_with_warnings`, whose warnings this
    drops. Raises :class:`ImageError` (``name`` in its message) for anything that is not
    a PNG libpng would show the same way.
    """
    return decode_png_with_warnings(data, name, max_pixels)[0]


def decode_png_with_warnings(
    data: bytes, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Decode PNG bytes to ``(rgba, warnings)``: ``(H, W, 4)`` uint8 straight RGBA.

    ``warnings`` are sentences about harmless damage that was ignored, the way libpng
    ignores it: an ancillary chunk (colour profile, text, ...) with a bad checksum,
    metadata out of its place, a malformed transparency chunk (ignored, or its values
    masked, exactly as libpng does), data beyond the last row, bytes after the end
    marker, palette indices past the palette (opaque black). An animated PNG (APNG) is
    decoded to its default image, the one a non-animating engine or libpng shows, with
    a warning that the other frames are not checked.

    Raises :class:`ImageError` when the file is empty, a Git LFS pointer, another format
    (JPEG, WebP, ... named ``.png``), an Apple "CgBI" crushed PNG, larger than
    ``max_pixels``, or damaged where libpng refuses it: a bad checksum (CRC) in the
    header, palette or pixel data; pixel data shorter than the header's size or not
    decompressible; no end marker (IEND); a palette image without palette (PLTE);
    an unknown critical chunk; chunks in an order the PNG standard forbids when that
    changes how the pixels look (PLTE, tRNS or a colour-space chunk after the pixel
    data, tRNS before PLTE, pixel data split by other chunks). libpng only warns about
    those, but decoders disagree on them, so a gate must not pick one reading.
    """
    png = _parse(data, name, max_pixels)
    rgba = _pixels(png, name)
    return rgba, tuple(png.warnings)


def _parse(data: bytes, name: str, max_pixels: int) -> _Png:
    """Walk the chunk list, check it as libpng would, and collect what the pixels need."""
    if not data:
        raise ImageError(name, "empty file (0 bytes)")
    if data.startswith(LFS_POINTER_PREFIX):
        import shlex  # the error path only: not on every hook run

        # --include takes comma-separated patterns: a comma in the name matches as "?"
        pattern = shlex.quote(name.replace(",", "?"))
        raise ImageError(
            name,
            f"this is a Git LFS pointer, not the image. "
            f"Fetch the real file with: git lfs pull --include {pattern}",
        )
    if not data.startswith(PNG_SIGNATURE):
        raise ImageError(name, _not_png_reason(data))

    def refuse(reason: str) -> ImageError:
        return ImageError(name, reason)

    png: _Png | None = None
    idat: list[memoryview] = []
    idat_state = 0  # 0: before the pixel data, 1: inside the IDAT run, 2: after it
    seen: set[bytes] = set()
    view = memoryview(data)
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            if pos == len(data):
                raise refuse(
                    "corrupt or truncated PNG: the file ends without its end marker (IEND "
                    "chunk), so it was cut short when saved, copied or downloaded. "
                    "Export or fetch it again."
                )
            raise _truncated(name, "the next chunk's header")
        length, ctype = struct.unpack_from(">I4s", data, pos)
        if not all(65 <= c <= 90 or 97 <= c <= 122 for c in ctype):
            raise refuse(
                f"corrupt PNG: bytes {pos}-{pos + 8} should start a chunk but hold garbage "
                f"(type {ctype!r}); the file was damaged after it was saved. Export it again."
            )
        if length > 0x7FFFFFFF:
            raise refuse(
                f"corrupt PNG: the {ctype.decode()} chunk claims {length:,} bytes, more than "
                "the PNG format allows; the file was damaged after it was saved. "
                "Export it again."
            )
        kind = ctype.decode()
        named = _chunk_name(ctype)
        end = pos + 12 + length
        if end > len(data):
            raise _truncated(name, f"its {named}")
        body = view[pos + 8 : pos + 8 + length]
        crc_ok = struct.unpack_from(">I", data, pos + 8 + length)[0] == zlib.crc32(
            view[pos + 4 : pos + 8 + length]
        )
        critical = not ctype[0] & 0x20
        pos = end

        if ctype == b"CgBI":
            raise refuse(
                'not a standard PNG: this is an Apple "CgBI" PNG, crushed by Xcode for iOS '
                "(colours byte-swapped and premultiplied, non-standard compression); only "
                "Apple's tools read it. Use the original PNG, or restore one with: "
                "xcrun pngcrush -revert-iphone-optimizations crushed.png restored.png"
            )
        if png is None and ctype != b"IHDR":
            raise refuse(
                f"corrupt PNG: it must start with its header (IHDR chunk) but starts with "
                f"a {kind} chunk; libpng refuses it. Export it again."
            )
        if ctype != b"IDAT" and idat_state == 1:
            idat_state = 2
        if not crc_ok:
            if critical:
                raise refuse(
                    f"damaged PNG: its {named} fails its checksum (CRC), so "
                    "those bytes changed after the file was saved; libpng refuses it. "
                    "Export it again."
                )
            assert png is not None  # only IHDR may come first, and it is critical
            effect = "it makes no pixel transparent" if ctype == b"tRNS" else "pixels intact"
            png.warnings.append(
                f"its {named} is damaged (CRC error) and was ignored, as libpng does: {effect}"
            )
            continue

        if ctype == b"IHDR":
            if png is not None:
                raise refuse("corrupt PNG: it has two headers (IHDR chunks). Export it again.")
            png = _header(bytes(body), name, max_pixels)
        elif png is None:  # pragma: no cover - the first chunk is IHDR, checked above
            raise AssertionError
        elif ctype == b"PLTE":
            _palette(png, bytes(body), name, seen, idat_state)
        elif ctype == b"tRNS":
            _transparency(png, bytes(body), name, seen, idat_state)
        elif ctype == b"IDAT":
            if idat_state == 2:  # libpng reads no further than the first run (see _pixels)
                png.later_idat = True
                continue
            if png.colour_type == 3 and png.palette is None:
                raise refuse(
                    "damaged PNG: it is a palette (indexed-colour) image without its palette "
                    "(no PLTE chunk before the pixel data), so its colours are unknown; "
                    "libpng refuses it. Export it again."
                )
            idat.append(body)
            idat_state = 1
        elif ctype == b"IEND":
            if not idat:
                raise refuse(
                    "corrupt PNG: it has no pixel data (no IDAT chunk before the end "
                    "marker). Export it again."
                )
            if length:
                png.warnings.append("its end marker (IEND chunk) is not empty; ignored")
            if pos < len(data):
                png.warnings.append(
                    f"{len(data) - pos:,} bytes after the end marker (IEND chunk) are "
                    "ignored, as every PNG decoder ignores them"
                )
            break
        elif critical:
            raise refuse(
                f"unsupported PNG: it has an unknown critical chunk ({kind}) that decoders "
                "must understand to show the image, and libpng refuses it. Re-save it as a "
                "standard PNG."
            )
        else:
            _ancillary(png, ctype, bytes(body[:8]), name, seen, idat_state)
        seen.add(ctype)

    assert png is not None  # the loop only ends at IEND, after IHDR
    png.idat = b"".join(idat)
    png.idat_chunks = idat
    return png


def _not_png_reason(data: bytes) -> str:
    """Why bytes without the PNG signature are not a PNG, naming the real format if known."""
    if data.startswith(b"\x89PNG"):
        return (
            "damaged PNG signature: its first 8 bytes were changed, typically by a "
            "text-mode transfer that rewrote line endings (FTP ASCII mode, git "
            "autocrlf without a binary attribute). Export or fetch it again."
        )
    real = next((what for magic, what in _MAGIC if data.startswith(magic)), None)
    if real is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        real = "a WebP image"
    if real is None and data[:2] == b"BM" and data[6:10] == bytes(4):  # reserved, always 0
        real = "a BMP image"
    if real is None and data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            real = "an AVIF image"
        elif brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            real = "a HEIF/HEIC image"
    if real is None and data[:256].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        real = "a text file (HTML, XML or SVG), perhaps an error page saved by a failed download"
    if real is None:
        return "not a PNG file (the PNG signature is missing)"
    return (
        f"not a PNG file: it is {real} with a .png name (its first bytes say so). "
        "Renaming does not convert it: export it as PNG."
    )


def _truncated(name: str, where: str) -> ImageError:
    return ImageError(
        name,
        f"corrupt or truncated PNG: the file ends in the middle of {where}, so it was cut "
        "short when saved, copied or downloaded. Export or fetch it again.",
    )


def _header(body: bytes, name: str, max_pixels: int) -> _Png:
    """Check an IHDR payload (13 bytes) and the pixel limit, as libpng's png_handle_IHDR."""
    if len(body) != 13:
        raise ImageError(
            name, f"corrupt PNG: its header (IHDR chunk) is {len(body)} bytes, not 13."
        )
    width, height, depth, ctype, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0:
        raise ImageError(name, f"image has no pixels ({width}x{height})")
    if width > 0x7FFFFFFF or height > 0x7FFFFFFF:
        raise ImageError(
            name, f"corrupt PNG: its header claims an impossible size ({width}x{height})."
        )
    if ctype not in _COLOUR_TYPES or depth not in _COLOUR_TYPES[ctype][1]:
        raise ImageError(
            name,
            f"corrupt PNG: its header names colour type {ctype} at {depth} bits, a "
            "combination the PNG format does not have; libpng refuses it.",
        )
    if compression != 0 or filtering != 0 or interlace not in (0, 1):
        raise ImageError(
            name,
            "corrupt PNG: its header names an unknown compression, filter or interlace "
            f"method ({compression}, {filtering}, {interlace}); libpng refuses it.",
        )
    if width * height > max_pixels:
        raise ImageError(
            name,
            f"image is {width}x{height} = {width * height:,} pixels, over the "
            f"limit of {max_pixels:,}. Raise max-pixels in the configuration ([tool.sprite-lint] or sprite-lint.toml) if this "
            "sprite sheet is intended.",
        )
    return _Png(width, height, depth, ctype, bool(interlace))


def _chunk_name(ctype: bytes) -> str:
    """A chunk as a message names it: "colour profile (iCCP chunk)", or "zzZz chunk"."""
    kind = ctype.decode()
    what = _CHUNK_WHAT.get(ctype)
    return f"{what} ({kind} chunk)" if what else f"{kind} chunk"


def _out_of_place(name: str, ctype: bytes, where: str) -> ImageError:
    return ImageError(
        name,
        f"invalid PNG: its {_chunk_name(ctype)} comes {where}, which the PNG "
        "standard forbids; decoders disagree on how such a file looks (libpng ignores "
        "the chunk, others apply it). Re-save it with a tool that writes valid PNGs.",
    )


def _palette(png: _Png, body: bytes, name: str, seen: set[bytes], idat_state: int) -> None:
    """Check a PLTE chunk and keep it for a palette image, as libpng's png_handle_PLTE.

    Only a palette image's pixels use it: for RGB(A) it is a suggestion and for grey
    libpng ignores it, so there, misplaced or malformed, it is only a warning.
    """
    if b"PLTE" in seen:
        raise ImageError(name, "corrupt PNG: it has two palettes (PLTE chunks); libpng refuses it.")
    if png.colour_type in (0, 4):
        png.warnings.append(
            "a palette (PLTE chunk) in a greyscale image is ignored, as libpng does"
        )
        return
    if idat_state:
        if png.colour_type == 3:  # pragma: no cover - the IDAT before it was refused already
            raise _out_of_place(name, b"PLTE", "after the pixel data (IDAT)")
        png.warnings.append(
            "its suggested palette (PLTE chunk) comes after the pixel data; ignored, as libpng does"
        )
        return
    if png.colour_type in (2, 3) and b"tRNS" in seen:
        # libpng drops a tRNS read before the palette; other decoders keep it.
        raise _out_of_place(name, b"tRNS", "before the palette (PLTE)")
    valid = bool(body) and not len(body) % 3 and len(body) <= 768
    if png.colour_type != 3:
        if not valid:
            png.warnings.append(
                f"its suggested palette (PLTE chunk) is {len(body)} bytes, not 1 to 256 "
                "RGB entries; ignored, as libpng does"
            )
        return  # a suggestion for 8-bit displays: no pixel uses it
    if not valid:
        raise ImageError(
            name,
            f"corrupt PNG: its palette (PLTE chunk) is {len(body)} bytes, not 1 to 256 RGB "
            "entries; libpng refuses it. Export it again.",
        )
    # Entries past what the bit depth can index are never used: libpng drops them too.
    png.palette = body[: 3 * (1 << png.bit_depth)]


def _transparency(png: _Png, body: bytes, name: str, seen: set[bytes], idat_state: int) -> None:
    """Check a tRNS chunk and keep what applies of it, as libpng's png_handle_tRNS.

    Out of its place it is refused (see :func:`_out_of_place`); malformed, libpng
    ignores it or masks its values with a warning, and so does this.
    """
    if idat_state:
        raise _out_of_place(name, b"tRNS", "after the pixel data (IDAT)")
    if png.colour_type in (4, 6):
        png.warnings.append(
            "a transparency (tRNS) chunk in an image with an alpha channel is ignored, "
            "as libpng does"
        )
        return
    if png.colour_type == 3 and png.palette is None:
        return  # refused when a PLTE follows; without one the missing palette is refused
    if png.trns is not None:  # a malformed one before does not count, as in libpng
        png.warnings.append("a second transparency (tRNS) chunk is ignored, as libpng does")
        return
    if png.colour_type == 3:
        assert png.palette is not None
        fits = 0 < len(body) <= len(png.palette) // 3
    else:
        fits = len(body) == (2 if png.colour_type == 0 else 6)
    if not fits:
        png.warnings.append(
            f"its transparency (tRNS chunk, {len(body)} bytes) does not fit a "
            f"{png.bit_depth}-bit {_COLOUR_TYPES[png.colour_type][0]} image and is "
            "ignored, as libpng does: it makes no pixel transparent"
        )
        return
    if png.colour_type != 3:
        top = (1 << png.bit_depth) - 1
        values = struct.unpack(f">{len(body) // 2}H", body)
        if max(values) > top:
            png.warnings.append(
                f"its transparent colour (tRNS chunk) is out of range for {png.bit_depth} "
                "bits; only its low bits are used, as libpng does"
            )
            body = struct.pack(f">{len(values)}H", *(v & top for v in values))
    png.trns = body


def _ancillary(
    png: _Png, ctype: bytes, head: bytes, name: str, seen: set[bytes], idat_state: int
) -> None:
    """Check where an ancillary chunk stands; refuse colour chunks out of place, warn others."""
    named = _chunk_name(ctype)
    if ctype in _COLOUR_CHUNKS and (idat_state or b"PLTE" in seen):
        where = "after the pixel data (IDAT)" if idat_state else "after the palette (PLTE)"
        raise _out_of_place(name, ctype, where)
    if ctype in _BEFORE_IDAT and idat_state:
        png.warnings.append(
            f"its {named} comes after the pixel data, where the PNG "
            "standard forbids it; ignored, as libpng does"
        )
        return
    if ctype in _ONCE and ctype in seen:
        png.warnings.append(f"a second {named} is ignored, as libpng does")
        return
    if ctype == b"acTL":
        frames = struct.unpack(">I", head[:4])[0] if len(head) >= 4 else 0
        count = f", {frames} frames" if frames else ""
        png.warnings.append(
            f"animated PNG (APNG{count}): only its default image is checked, the one "
            "libpng and a non-animating engine show"
        )


def _pixels(png: _Png, name: str) -> np.ndarray:
    """Inflate and unfilter the pixel data with Pillow, then expand it to RGBA as libpng.

    Returns ``(H, W, 4)`` uint8. Raises :class:`ImageError` when the data is shorter than
    the header's size or cannot be decompressed.
    """
    _check_stream(png, name)
    if not png.clean_end:  # Pillow would refuse what libpng reads: hand it the rows alone
        png.idat = _rows_alone(png)
    if png.later_idat:
        png.warnings.append(
            "it has pixel data (IDAT chunks) after other chunks, once the image's own was "
            "complete; ignored, as libpng ignores it (with a warning)"
        )
    ct, depth = png.colour_type, png.bit_depth
    if ct in (0, 3) and depth <= 8:
        # Samples are palette indices or grey levels: read them raw ("P" keeps the
        # value, not Pillow's rescaled grey) and look them up in a 256-entry table.
        idx = _inflate(png, name, "P", "P" if depth == 8 else f"P;{depth}")  # (H, W)
        return _lookup_table(png, idx)[idx]  # (H, W, 4)
    rgba = np.empty((png.height, png.width, 4), dtype=np.uint8)
    if depth == 8:
        if ct == 6:
            return np.array(_inflate(png, name, "RGBA", "RGBA"))
        if ct == 4:
            la = _inflate(png, name, "LA", "LA")  # (H, W, 2)
            rgba[..., :3] = la[..., :1]
            rgba[..., 3] = la[..., 1]
            return rgba
        rgba[..., :3] = _inflate(png, name, "RGB", "RGB")  # (H, W, 3)
        rgba[..., 3] = 255
        if png.trns is not None:
            key = np.frombuffer(png.trns, ">u2").astype(np.uint8)
            rgba[..., 3][(rgba[..., :3] == key).all(axis=-1)] = 0
        return rgba
    # 16 bits: Pillow keeps one byte a sample, so get each sample's high and low byte.
    if ct in (0, 4):
        # 16-bit grey is laid out as 8-bit grey+alpha (hi, lo per pixel) and 16-bit
        # grey+alpha as 8-bit RGBA (grey hi, lo, alpha hi, lo): decode it as that.
        both = _inflate(png, name, "LA", "LA") if ct == 0 else _inflate(png, name, "RGBA", "RGBA")
        high, low = both[..., 0::2], both[..., 1::2]  # (H, W, 1 or 2)
        grey_alpha = _scale16(high, low)
        rgba[..., :3] = grey_alpha[..., :1]
        rgba[..., 3] = grey_alpha[..., 1] if ct == 4 else 255
    else:  # RGB(A): decode twice, reading the high bytes, then the low ones
        bands = 3 if ct == 2 else 4
        raw = f"{'RGB' if ct == 2 else 'RGBA'};16"
        high = _inflate(png, name, raw[:bands], f"{raw}B")  # (H, W, bands)
        low = _inflate(png, name, raw[:bands], f"{raw}L")
        rgba[..., :bands] = _scale16(high, low)
        if bands == 3:
            rgba[..., 3] = 255
    if png.trns is not None:  # grey or RGB: the key is compared on all 16 bits
        key = np.frombuffer(png.trns, ">u2")
        rgba[..., 3][_equals16(high, low, key)] = 0
    return rgba


def _row_sizes(png: _Png) -> list[int]:
    """Bytes of each filtered row (filter byte included) in the order libpng reads them:
    row by row, Adam7 pass by pass; an empty pass has no rows."""
    bpp = png.bit_depth * _CHANNELS[png.colour_type]
    passes = _ADAM7 if png.interlaced else ((0, 0, 1, 1),)
    sizes = []
    for x0, y0, dx, dy in passes:
        cols = (png.width - x0 + dx - 1) // dx if png.width > x0 else 0
        rows = (png.height - y0 + dy - 1) // dy if png.height > y0 else 0
        if cols and rows:
            sizes += [1 + (cols * bpp + 7) // 8] * rows
    return sizes


_CHECK_STEP = 1024  # libpng's buffer for what follows the last row (PNG_INFLATE_BUF_SIZE)


def _check_stream(png: _Png, name: str) -> None:
    """Read the IDAT zlib stream as libpng 1.6 reads it (``png_read_IDAT_data``), before
    Pillow decodes it, and refuse what libpng refuses.

    libpng feeds zlib one IDAT chunk at a time and takes the rows one by one; it
    refuses a damaged stream (a bad header, a bad code, a distance beyond the window,
    a wrong Adler-32 met while it reads the rows), a stream that ends before the last
    row, and pixel data that runs out (the next chunk is not an IDAT) before the rows
    are read or, once they are, before the stream's end when more output follows. What
    it meets after the last row is a benign error, a warning: more data than the rows,
    a wrong Adler-32 after that extra data, bytes after the stream's end. Rows are taken
    one at a time, as libpng takes them, each call starting on the next chunk when the
    last is used up: where a chunk ends and which distances a small window allows (zlib
    checks a distance against the window and the output of the same call) both depend
    on it. Past the rows,
    at most as much again is inflated, then the rest is not followed. Memory stays
    bounded: the output is counted, not kept. Raises :class:`ImageError`.
    """
    need = sum(sizes := _row_sizes(png))
    chunks = [c for c in png.idat_chunks if len(c)]  # libpng skips empty IDATs
    if sum(map(len, chunks)) < 2:
        raise ImageError(name, _short_data(png, 0, need))
    head = b"".join(bytes(c) for c in chunks)[:2]
    cmf, flg = head[0], head[1]
    if cmf & 0x0F != 8 or cmf >> 4 > 7 or (cmf << 8 | flg) % 31 or flg & 0x20:
        raise ImageError(name, _UNDECODABLE)
    inflater = zlib.decompressobj(8 + (cmf >> 4))  # zlib's own header and Adler-32 checks
    feed = iter(chunks)
    pending: bytes | memoryview = b""
    got = 0

    def more() -> bool:
        nonlocal pending
        nxt = next(feed, None)
        if nxt is None:
            return False
        pending = nxt
        return True

    def inflate(limit: int) -> int:
        nonlocal pending
        out = inflater.decompress(pending, limit)
        pending = inflater.unconsumed_tail
        return len(out)

    def after_end() -> None:  # the stream ended: bytes after it are ignored, with a warning
        if inflater.unused_data or pending or any(True for _ in feed):
            png.warnings.append(
                "its pixel data (IDAT) has bytes after its compressed stream; ignored, "
                "as libpng does"
            )

    try:
        for size in sizes:  # libpng's png_read_row: one call per row
            left = size
            while left:
                if not pending and not more():
                    raise ImageError(name, _ran_out(png, got, need))
                n = inflate(left)  # raises zlib.error on damage
                left -= n
                got += n
                if inflater.eof:
                    if left or got < need:
                        raise ImageError(name, _short_data(png, got, need))
                    after_end()
                    return
    except zlib.error as exc:
        if "incorrect data check" in str(exc):
            raise ImageError(name, _BAD_ADLER) from None
        raise ImageError(name, _UNDECODABLE) from None
    # every row read, the stream not ended: libpng checks what follows, warning only
    extra, budget = 0, need + (1 << 20)
    while True:
        if not pending and not more():  # the next chunk is not an IDAT: libpng stops
            raise ImageError(name, _ran_out(png, got, need))
        try:
            n = inflate(_CHECK_STEP)
        except zlib.error as exc:
            png.warnings.append(_damaged_end(exc))
            png.clean_end = False
            break
        extra += n
        if inflater.eof:
            after_end()
            break
        # libpng goes on while output comes (its count adds up): nothing from the first
        # step ends the check; past the budget, the rest is not followed
        if not extra or extra > budget:
            png.clean_end = False
            break
    if extra:
        png.warnings.append(
            "its pixel data (IDAT) holds more than the image's rows; the extra is "
            "ignored, as libpng does"
        )


def _rows_alone(png: _Png) -> bytes:
    """The image's rows, as libpng read them from a stream whose end is damaged or cut
    (checked by ``_check_stream``), in a new zlib stream Pillow reads to its end."""
    raw = zlib.decompressobj(-8 - (png.idat[0] >> 4))  # raw deflate: no Adler-32 check
    rows = raw.decompress(memoryview(png.idat)[2:], sum(_row_sizes(png)))
    return zlib.compress(rows, 1)


_BAD_ADLER = (
    "damaged PNG: its pixel data (IDAT) fails the checksum (Adler-32) inside its "
    "compressed stream, so the pixels are not the ones saved; libpng refuses it. "
    "Export it again."
)


def _damaged_end(exc: zlib.error) -> str:
    what = "fails its checksum (Adler-32)" if "incorrect data check" in str(exc) else "is damaged"
    return (
        f"its pixel data (IDAT) {what} after the last row; the rows are intact and were "
        "read, as libpng reads them (with a warning)"
    )


def _deflate_ends(data: bytes) -> bool:
    """Whether zlib stream ``data`` holds its whole deflate data, less some of the
    Adler-32 that should follow (for the message only; the output is not kept)."""
    raw = zlib.decompressobj(-15)
    pending: bytes | memoryview = memoryview(data)[2:]
    try:
        while pending and not raw.eof:
            raw.decompress(pending, 1 << 20)
            pending = raw.unconsumed_tail
    except zlib.error:
        return False
    return raw.eof and len(raw.unused_data) < 4


def _ran_out(png: _Png, got: int, need: int) -> str:
    """Why the pixel data ran out before libpng was done with it."""
    if png.later_idat:
        return (
            "invalid PNG: its pixel data (IDAT chunks) is split by other chunks, which "
            "the PNG standard forbids and libpng refuses when it meets them before it has "
            "read all the pixel data. Re-save it with a tool that writes valid PNGs."
        )
    if got < need:
        return _short_data(png, got, need)
    if _deflate_ends(png.idat):
        return (
            "corrupt or truncated PNG: its pixel data (IDAT) lacks the checksum that ends "
            "its compressed stream; libpng refuses it. Export it again."
        )
    return (
        "corrupt or truncated PNG: its pixel data (IDAT) stops before its compressed "
        "stream ends, so it was cut or damaged; libpng refuses it. Export it again."
    )


def _short_data(png: _Png, got: int, need: int) -> str:
    return (
        f"corrupt or truncated PNG: its pixel data (IDAT) holds {got:,} bytes once "
        f"decompressed, fewer than the {need:,} its {png.width}x{png.height} header "
        "needs; libpng refuses it (other tools fill the missing rows with black or "
        "transparent). Export it again."
    )


def _inflate(png: _Png, name: str, mode: str, rawmode: str) -> np.ndarray:
    """Pillow's PNG zip decoder on the IDAT stream: ``(H, W)`` or ``(H, W, bands)`` uint8."""
    try:
        img = Image.frombytes(
            mode, (png.width, png.height), png.idat, "zip", rawmode, int(png.interlaced)
        )
    except ValueError as exc:
        if "not enough image data" in str(exc):
            raise ImageError(
                name,
                f"corrupt or truncated PNG: its pixel data (IDAT) holds fewer rows than the "
                f"{png.width}x{png.height} its header promises; libpng refuses it (other "
                "tools fill the missing rows with black or transparent). Export it again.",
            ) from None
        raise ImageError(name, _UNDECODABLE) from None
    except MemoryError:
        raise ImageError(name, "not enough memory to decode this image") from None
    return np.asarray(img)


def _lookup_table(png: _Png, idx: np.ndarray) -> np.ndarray:
    """The ``(256, 4)`` uint8 RGBA each raw sample (palette index or grey level) shows."""
    lut = np.zeros((256, 4), dtype=np.uint8)
    lut[:, 3] = 255
    if png.colour_type == 0:
        top = (1 << png.bit_depth) - 1
        levels = np.arange(top + 1) * 255 // top  # 1, 2, 4 bits: exact multiples of 255
        lut[: top + 1, :3] = levels[:, None]
        if png.trns is not None:
            lut[struct.unpack(">H", png.trns)[0], 3] = 0
        return lut
    assert png.palette is not None
    entries = len(png.palette) // 3
    lut[:entries, :3] = np.frombuffer(png.palette, np.uint8).reshape(entries, 3)
    if png.trns is not None:
        lut[: len(png.trns), 3] = np.frombuffer(png.trns, np.uint8)
    if int(idx.max()) >= entries:
        # libpng 1.6 shows an index past the palette as opaque black, with a warning.
        png.warnings.append(
            f"some pixels use palette entries past the {entries} the palette has; they "
            "show as opaque black, as in libpng"
        )
    return lut


_BAND = 256  # rows per band in 16-bit arithmetic, so no 32-bit copy of a whole sheet


def _scale16(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """16-bit samples as ``(H, W, C)`` high and low bytes -> ``(H, W, C)`` uint8.

    Rounded as libpng's ``png_set_scale_16``: ``(v * 255 + 32895) >> 16``.
    """
    out = np.empty(high.shape, dtype=np.uint8)
    for top in range(0, high.shape[0], _BAND):
        band = high[top : top + _BAND].astype(np.uint32)
        band <<= 8
        band |= low[top : top + _BAND]
        band *= 255
        band += 32895
        band >>= 16
        out[top : top + _BAND] = band
    return out


def _equals16(high: np.ndarray, low: np.ndarray, key: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: where the 16-bit samples (high and low bytes) equal ``key`` exactly."""
    out = np.empty(high.shape[:2], dtype=bool)
    for top in range(0, high.shape[0], _BAND):
        band = high[top : top + _BAND].astype(np.uint16)
        band <<= 8
        band |= low[top : top + _BAND]
        out[top : top + _BAND] = (band == key).all(axis=-1)
    return out


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """uint8 ``(H, W, 4)`` straight alpha -> float32 ``(4, H, W)`` premultiplied in [0, 1].

    Premultiplying makes the hidden RGB of fully transparent pixels zero, so it can
    never count as error: two sprites that look the same in an engine score the same.
    """
    x = rgba.astype(np.float32) / 255.0
    x[..., :3] *= x[..., 3:4]
    return np.ascontiguousarray(x.transpose(2, 0, 1))
