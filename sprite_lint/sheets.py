"""Sprite sheets, tilesets and atlases: where the frames of one PNG are.

A PNG is a *sheet* when a frame layout applies to it. The layout comes from, first match
wins:

1. ``--grid WxH`` on the command line (a uniform grid for every file);
2. ``[tool.sprite-lint.sheets]`` in the configuration, by glob: a grid
   (``"32x32"`` or ``{grid = "32x32", margin = 1, spacing = 2}``), a data file
   (``{data = "data/{stem}.json"}``), or ``false`` (never a sheet);
3. a data file next to the PNG with the same stem: ``hero_run.json`` (Aseprite or
   TexturePacker JSON, hash or array layout) or ``tiles.tsx`` (a Tiled tileset).

Frames are numbered from 0 in the data file's order (row by row for a grid). A frame is
judged as a sprite of its own: cropped out of the decoded RGBA, a trimmed frame put back
at its place in its untrimmed size. Fully transparent frames are skipped.

Data files are parsed with ``json`` and ``xml.etree`` (standard library), never by regular
expression; malformed or inconsistent data (a frame outside the image, frames that
overlap, a sheet whose size differs from the one its data file gives) raises
:class:`SheetError`, which ``check`` reports as an error row naming the file.

Sheet-level faults no single frame shows (:func:`sheet_faults`): opaque pixels outside
every frame (bleeding into the padding), frames running into each other across a cell
border, a frame whose content (alpha >= 128) touches one edge of its cell where the others
keep a gap of 2 px or more, a frame whose content sits off the others' baseline, a frame
repeating another exactly.

Only the standard library and numpy: ``check`` imports this.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sprite_lint.errors import ImageError, SheetError, UsageError
from sprite_lint.imageio import pixel_digest

DATA_SUFFIXES = (".json", ".tsx")
MAX_FRAMES = 65536
# a data file is read whole and parsed in memory: 16 MiB holds 65536 frames of 256 bytes,
# past any real atlas, and keeps a hostile file's parse to a few hundred MB
MAX_DATA_BYTES = 16 * 1024 * 1024
MAX_COORD = 2**31 - 1  # no packer writes more; bigger numbers are junk (Tiled's own limit)
# a frame's edge counts as "kept clear" by the sheet when at least this share of the other
# non-empty frames (and at least MIN_PEERS of them) leave a gap there
PEER_SHARE = 0.9
MIN_PEERS = 3
ANCHOR_MAX_SHIFT = 2  # a baseline off by this many pixels or fewer looks like a slip
CONTENT_ALPHA = 128  # a frame's content for its edges and ground line: alpha at least this
EDGE_MIN_KEEP = 2  # px: the least margin the other frames must keep for a touch to be a fault


@dataclass(frozen=True)
class GridSpec:
    """A uniform grid, as Tiled and Godot describe one: frame size, the margin around the
    whole grid and the spacing between frames, in pixels."""

    width: int
    height: int
    margin: int = 0
    spacing: int = 0

    @classmethod
    def parse(cls, text: str, margin: int = 0, spacing: int = 0) -> GridSpec:
        """``"32x32"`` (or ``"32"`` for square frames) -> a grid."""
        w, sep, h = str(text).lower().partition("x")
        try:
            width, height = int(w), int(h if sep else w)
        except ValueError:
            raise UsageError(
                f"a grid is WIDTHxHEIGHT in pixels, for example 32x32; got {text!r}"
            ) from None
        spec = cls(width, height, margin, spacing)
        spec.validate()
        return spec

    def validate(self) -> None:
        for name in ("width", "height", "margin", "spacing"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise UsageError(f"grid {name} must be a whole number of pixels, got {v!r}")
        if self.width < 1 or self.height < 1:
            raise UsageError(f"grid frames must be at least 1x1, got {self.width}x{self.height}")

    def __str__(self) -> str:
        extra = (f", margin {self.margin}" if self.margin else "") + (
            f", spacing {self.spacing}" if self.spacing else ""
        )
        return f"{self.width}x{self.height} grid{extra}"


@dataclass(frozen=True)
class SheetRule:
    """How the configuration maps PNGs matching a glob to frames."""

    grid: GridSpec | None = None
    data: str | None = None  # a data file, ``{stem}`` standing for the PNG's stem
    allow_repeats: bool = False  # an animation that holds frames by repeating them
    never: bool = False  # ``false``: not a sheet, whatever lies next to it


@dataclass(frozen=True)
class SheetSettings:
    """Everything that decides the frames of a PNG (picklable, for ``--jobs`` workers)."""

    grid: GridSpec | None = None  # --grid: every file
    rules: tuple[tuple[str, SheetRule], ...] = ()  # (glob, rule), first match wins
    project_dir: str | None = None  # what the globs are relative to (default: cwd)

    def rule_for(self, path: Path) -> SheetRule | None:
        if self.grid is not None:
            return SheetRule(grid=self.grid)
        if not self.rules:
            return None
        from sprite_lint.config import glob_match
        from sprite_lint.discovery import display_path

        relative = display_path(path, Path(self.project_dir) if self.project_dir else None)
        for pattern, rule in self.rules:
            if glob_match(pattern, relative):
                return rule
        return None


@dataclass(frozen=True)
class Frame:
    """One frame: its rectangle in the sheet and, when trimmed, its place in its own
    untrimmed canvas (``source_w`` x ``source_h``, the rectangle at ``offset``)."""

    index: int
    x: int
    y: int
    w: int
    h: int
    name: str | None = None  # the data file's name for it
    source_w: int = 0  # 0: untrimmed, the rectangle's own size
    source_h: int = 0
    offset_x: int = 0
    offset_y: int = 0

    @property
    def size(self) -> tuple[int, int]:
        """The judged frame's (width, height): the untrimmed size."""
        return (self.source_w or self.w, self.source_h or self.h)

    @property
    def label(self) -> str:
        """``#3 (x=96 y=0 32x32)``, or with the data file's name for the frame
        ``#3 (run 3: x=96 y=0 32x32)``: how a report names the frame after the file."""
        name = f"{self.name}: " if self.name else ""
        return f"#{self.index} ({name}x={self.x} y={self.y} {self.w}x{self.h})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "x": self.x,
            "y": self.y,
            "w": self.w,
            "h": self.h,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Frame:
        return cls(
            int(d["index"]), int(d["x"]), int(d["y"]), int(d["w"]), int(d["h"]), d.get("name")
        )


@dataclass(frozen=True)
class Layout:
    """The frames of one sheet, and where they came from."""

    source: str  # "32x32 grid", "hero_run.json (Aseprite)", "tiles.tsx (Tiled)"
    frames: tuple[Frame, ...]
    grid: GridSpec | None = None  # the cells, for a grid or a tileset
    columns: int = 0  # frames per row, for a grid or a tileset
    declared_size: tuple[int, int] | None = None  # the sheet size its data file gives
    transparent: tuple[int, int, int] | None = None  # a tileset's colour key (``trans``)
    allow_repeats: bool = False

    @property
    def fingerprint(self) -> str:
        """What the layout is, for caching: equal layouts give equal fingerprints."""
        return hashlib.sha256(repr(self).encode()).hexdigest()


@dataclass(frozen=True)
class Fault:
    """A sheet-level fault: ``kind`` is ``bleed``, ``edge``, ``anchor`` or ``repeat``."""

    kind: str
    frame: Frame
    message: str
    x: int
    y: int
    w: int
    h: int


FAULT_KINDS = ("bleed", "edge", "anchor", "repeat")
FAULT_LABELS = {
    "bleed": "pixels bleeding across a frame's border",
    "edge": "a frame touching its cell's edge where the others keep a gap",
    "anchor": "a frame off the others' baseline",
    "repeat": "a frame repeating another exactly",
}
FAULT_HELP = {
    "bleed": "Opaque pixels lie outside every frame of the sheet (in its margin or spacing), "
    "or two neighbouring frames run into each other across their shared border: a frame "
    "drawn too large for its cell, or the sheet cut with the wrong grid. Move the pixels "
    "back into their frame or fix the frame size in the data file or configuration.",
    "edge": "The frame's content touches an edge of its cell where every other frame of the "
    "sheet keeps a gap: cut off by its cell, or shifted out of place. Check the frame in "
    "the sheet and its neighbour across that edge.",
    "anchor": "The frame's content sits a pixel or two off the line the other frames share "
    "(their lowest opaque row): an off-by-one cut or a nudged frame makes an animation "
    "jitter. Align it with the others.",
    "repeat": "The frame is an exact copy of an earlier frame: a copy-paste or export slip. "
    "If the animation holds a frame on purpose, set allow-repeats for the sheet in the "
    "configuration.",
}


# --------------------------------------------------------------------------- finding the layout


def data_file_for(path: Path, rule: SheetRule | None) -> Path | None:
    """The data file that describes ``path``: the configured one, else one next to it.

    Whatever lies beside the PNG under the name counts (a folder, a pipe, a link to a
    device too): :func:`find_layout` then refuses it, rather than judging a sheet as one
    picture because its data file could not be read."""
    if rule is not None and rule.data is not None:
        return Path(rule.data.replace("{stem}", path.stem))
    for suffix in DATA_SUFFIXES:
        candidate = path.with_suffix(suffix)
        if os.path.lexists(candidate):
            return candidate
    return None


def read_data_file(path: Path) -> bytes:
    """A data file's bytes through :func:`sprite_lint.imageio.read_file` (regular files
    only, at most :data:`MAX_DATA_BYTES`, never blocking on a pipe), or
    :class:`ImageError` whose reason speaks of a data file, not an image."""
    from sprite_lint.imageio import read_file  # Pillow: loaded already by whoever checks

    return read_file(path, MAX_DATA_BYTES, "a data file", "a sprite-sheet data file")


def find_layout(
    path: Path,
    width: int,
    height: int,
    settings: SheetSettings,
    read: Any = None,
    max_pixels: int | None = None,
) -> Layout | None:
    """The frame layout of the PNG at ``path`` (``width`` x ``height``), or None when it is
    a single sprite. ``read(path) -> bytes`` reads a data file (default: from disk, through
    :func:`read_data_file`). ``max_pixels`` bounds a frame's size, trimmed or not (default:
    the checker's default pixel limit).

    Raises :class:`SheetError` when a data file is unreadable, malformed or does not fit
    the image.
    """
    rule = settings.rule_for(path)
    if rule is not None and rule.never:
        return None
    if rule is not None and rule.grid is not None:
        return grid_layout(rule.grid, width, height, str(path), rule.allow_repeats)
    data_path = data_file_for(path, rule)
    if data_path is None:
        return None
    if max_pixels is None:
        from sprite_lint.imageio import DEFAULT_MAX_PIXELS

        max_pixels = DEFAULT_MAX_PIXELS
    try:
        data = read(data_path) if read is not None else read_data_file(data_path)
    except ImageError as exc:
        raise SheetError(str(path), f"cannot read its data file {exc.name}: {exc.reason}") from None
    except OSError as exc:
        raise SheetError(
            str(path), f"cannot read its data file {data_path}: {exc.strerror or exc}"
        ) from None
    try:
        layout = parse_data(
            data, data_path.name, path.name, rule is not None and rule.data is not None, max_pixels
        )
    except SheetError as exc:  # the row is the PNG's; its message names the data file
        raise SheetError(str(path), f"{exc.name}: {exc.reason}") from None
    if layout is None:
        return None
    if rule is not None and rule.allow_repeats:
        layout = _replace(layout, allow_repeats=True)
    check_layout(layout, width, height, str(path))
    return layout


def _replace(layout: Layout, **changes: Any) -> Layout:
    from dataclasses import replace

    return replace(layout, **changes)


def parse_data(
    data: bytes,
    data_name: str,
    png_name: str,
    required: bool = False,
    max_pixels: int | None = None,
) -> Layout | None:
    """A layout from a data file's bytes, by its suffix. A JSON object with no ``frames``
    is someone else's (game data beside the art) and gives None unless ``required``."""
    if data_name.lower().endswith(".tsx"):
        return parse_tsx(data, data_name)
    return parse_json(data, data_name, png_name, required, max_pixels)


def grid_layout(
    spec: GridSpec, width: int, height: int, name: str, allow_repeats: bool = False
) -> Layout:
    """Every whole frame of a uniform grid, row by row, as Tiled counts them."""
    step_x, step_y = spec.width + spec.spacing, spec.height + spec.spacing
    columns = max(0, (width - 2 * spec.margin + spec.spacing) // step_x)
    rows = max(0, (height - 2 * spec.margin + spec.spacing) // step_y)
    if columns < 1 or rows < 1:
        raise SheetError(
            name,
            f"a {width}x{height} image holds no whole frame of the {spec} "
            "(check the frame size in the configuration or --grid)",
        )
    if columns * rows > MAX_FRAMES:
        raise SheetError(name, f"the {spec} gives {columns * rows} frames; at most {MAX_FRAMES}")
    frames = tuple(
        Frame(
            r * columns + c,
            spec.margin + c * step_x,
            spec.margin + r * step_y,
            spec.width,
            spec.height,
        )
        for r in range(rows)
        for c in range(columns)
    )
    return Layout(str(spec), frames, spec, columns, allow_repeats=allow_repeats)


class _LongNumber:
    """A JSON integer too long for any pixel count, kept as its text: ``int()`` of 5000
    digits is refused by Python, and a message must not print all of them anyway."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return _shown(self)

    __str__ = __repr__


MAX_NUMBER_DIGITS = 20  # json reads longer integers as _LongNumber, never as int


def _parse_int(text: str) -> int | _LongNumber:
    return int(text) if len(text) <= MAX_NUMBER_DIGITS else _LongNumber(text)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook``: an object naming a key twice is refused, not half-read (the
    second ``"hero 1.png"`` would silently replace the first, and a frame would be lost)."""
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return d


def _shown(value: Any) -> str:
    """A JSON value as a message quotes it: JSON's spelling, on one line, and short."""
    if isinstance(value, _LongNumber):
        digits = len(value.text.lstrip("+-"))
        return f"{value.text[:12]}... ({digits} digits)"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _int(value: Any, where: str, what: str, minimum: int = 0, maximum: int = MAX_COORD) -> int:
    shown = _shown(value)
    if isinstance(value, _LongNumber):
        bound = f"at least {minimum}" if value.text.startswith("-") else f"at most {maximum}"
        raise ValueError(f"{where}: {what} must be {bound}, got {shown}")
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise ValueError(f"{where}: {what} must be a whole number, got {shown}")
    if value < minimum:
        raise ValueError(f"{where}: {what} must be at least {minimum}, got {shown}")
    if value > maximum:
        raise ValueError(f"{where}: {what} must be at most {maximum}, got {shown}")
    return int(value)


def _rect(d: Any, where: str, keys: tuple[str, ...] = ("x", "y", "w", "h")) -> list[int]:
    if not isinstance(d, dict):
        raise ValueError(f"{where} must be an object with {', '.join(keys)}")
    return [_int(d.get(k), where, k, 1 if k in ("w", "h") else 0) for k in keys]


def _within(w: int, h: int, where: str, max_pixels: int) -> None:
    """A frame's size, as the check will build it, under the pixel limit of whole images."""
    if w * h > max_pixels:
        raise ValueError(
            f"{where}: {w}x{h} is {w * h:,} pixels, over the limit of {max_pixels:,} "
            "(max-pixels) for one sprite"
        )


def _flag(f: dict[str, Any], key: str, label: str) -> bool:
    value = f.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{label}: {key} must be true or false, got {_shown(value)}")
    return value


def _app_name(meta: dict[str, Any]) -> str:
    app = str(meta.get("app", "")).lower()
    if "aseprite" in app:
        return "Aseprite"
    if "codeandweb" in app or "texturepacker" in app:
        return "TexturePacker"
    return "atlas"


def _load_json(data: bytes, data_name: str) -> Any:
    """The document, or :class:`SheetError` saying in plain words why it is not one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetError(
            data_name, f"is not valid JSON (not UTF-8 text at byte {exc.start}): export it again"
        ) from None
    try:
        return json.loads(text, parse_int=_parse_int, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise SheetError(
            data_name,
            f"names {_shown(exc.key)} twice in one object: the second would silently replace "
            "the first (two frames with one name?); give each its own name",
        ) from None
    except RecursionError:
        raise SheetError(
            data_name,
            "is not a valid sprite-sheet JSON: its lists or objects are nested thousands deep, "
            "as no atlas is",
        ) from None
    except ValueError as exc:
        raise SheetError(data_name, f"is not valid JSON ({exc})") from None


def parse_json(
    data: bytes,
    data_name: str,
    png_name: str = "",
    required: bool = False,
    max_pixels: int | None = None,
) -> Layout | None:
    """Aseprite's or TexturePacker's JSON (hash or array layout; TexturePacker's
    multi-texture ``textures`` form too). Rotated frames are refused, and so is a frame
    (trimmed or not) over ``max_pixels`` (default: the checker's default limit)."""
    if max_pixels is None:
        from sprite_lint.imageio import DEFAULT_MAX_PIXELS

        max_pixels = DEFAULT_MAX_PIXELS
    doc = _load_json(data, data_name)
    if not isinstance(doc, dict):
        raise SheetError(
            data_name,
            f"is not a sprite-sheet JSON: it holds {'a list' if isinstance(doc, list) else 'one value'}"
            ', not an object with "frames" as Aseprite and TexturePacker export',
        )
    if "meta" in doc and not isinstance(doc["meta"], dict):
        raise SheetError(data_name, f'"meta" must be an object, got {_shown(doc["meta"])}')
    if "frames" not in doc and "textures" in doc:
        textures = doc["textures"]
        if not isinstance(textures, list) or not all(isinstance(t, dict) for t in textures):
            raise SheetError(
                data_name,
                '"textures" must be a list of objects, one per texture (TexturePacker\'s '
                f"multi-texture form), got {_shown(textures)}",
            )
        chosen = [t for t in textures if os.path.basename(str(t.get("image", ""))) == png_name]
        if len(chosen) != 1 and len(textures) == 1:
            chosen = textures
        if len(chosen) != 1:
            raise SheetError(data_name, f"lists several textures and none is {png_name}")
        doc = {"frames": chosen[0].get("frames"), "meta": {**doc.get("meta", {}), **chosen[0]}}
    if "frames" not in doc:
        if required:
            raise SheetError(data_name, 'has no "frames": not an Aseprite or TexturePacker export')
        return None
    meta: dict[str, Any] = doc["meta"] if isinstance(doc.get("meta"), dict) else {}
    app = _app_name(meta)
    where = f"{data_name} ({app})"
    raw = doc["frames"]
    if isinstance(raw, dict):
        entries = list(raw.items())
    elif isinstance(raw, list):
        entries = [(f.get("filename") if isinstance(f, dict) else None, f) for f in raw]
        seen: set[str] = set()
        for name, _ in entries:  # as the hash form's duplicate key is refused
            if isinstance(name, str) and name in seen:
                raise SheetError(
                    data_name,
                    f"names {_shown(name)} twice in its frames list: two frames with one "
                    "name (which is which?); give each its own name",
                )
            if isinstance(name, str):
                seen.add(name)
    else:
        raise SheetError(data_name, '"frames" must be an object (hash) or a list (array)')
    if len(entries) > MAX_FRAMES:
        raise SheetError(data_name, f"lists {len(entries)} frames; at most {MAX_FRAMES}")
    frames = []
    try:
        for i, (name, f) in enumerate(entries):
            label = f"frame {i}" + (f" ({_name(name)})" if name is not None else "")
            if not isinstance(f, dict):
                raise ValueError(f"{label} is not an object")
            if _flag(f, "rotated", label):
                raise ValueError(
                    f"{label} is rotated in the sheet; sprite-lint does not turn frames back: "
                    "export without rotation (TexturePacker: untick Allow rotation)"
                )
            x, y, w, h = _rect(f.get("frame"), f"{label} frame")
            _within(w, h, f"{label} frame", max_pixels)
            sw = sh = ox = oy = 0
            if _flag(f, "trimmed", label) or "sourceSize" in f:
                sw, sh = _rect(f.get("sourceSize"), f"{label} sourceSize", ("w", "h"))
                _within(sw, sh, f"{label} sourceSize", max_pixels)
                ox, oy, tw, th = _rect(f.get("spriteSourceSize"), f"{label} spriteSourceSize")
                if (tw, th) != (w, h):
                    raise ValueError(
                        f"{label}: spriteSourceSize is {tw}x{th} but the frame is {w}x{h}"
                    )
                if ox + w > sw or oy + h > sh:
                    raise ValueError(
                        f"{label}: the trimmed frame at x={ox} y={oy} {w}x{h} does not fit "
                        f"its sourceSize {sw}x{sh}"
                    )
                if (sw, sh, ox, oy) == (w, h, 0, 0):
                    sw = sh = 0  # not trimmed after all
            frames.append(
                Frame(i, x, y, w, h, None if name is None else _name(name), sw, sh, ox, oy)
            )
        size = None
        if "size" in meta:
            size = tuple(_rect(meta["size"], "meta.size", ("w", "h")))
    except ValueError as exc:
        raise SheetError(where, str(exc)) from None
    if not frames:
        raise SheetError(where, "lists no frames")
    return Layout(where, tuple(frames), declared_size=size)  # type: ignore[arg-type]


def _name(name: Any) -> str:
    """A frame's name from the data file, as a report shows it."""
    return name if isinstance(name, str) else _shown(name)


_WHOLE = re.compile(r"[+-]?[0-9]{1,12}")
_HEX_COLOUR = re.compile(r"[0-9A-Fa-f]{6}")
MAX_TSX_INT = 2**31 - 1  # Tiled's own limit: it reads these attributes as int


def _attr_value(text: str) -> str:
    """An attribute's value as a message quotes it: on one line, and short."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _tsx_int(
    element: str, attrs: dict[str, str], key: str, default: int | None = None, minimum: int = 0
) -> int:
    """A whole-number attribute of a tileset, or ValueError naming the attribute and its
    value: ``<tileset> tilewidth='0' must be at least 1``."""
    if key not in attrs:
        if default is None:
            raise ValueError(f"{element} has no {key}")
        return default
    text = attrs[key]
    shown = _attr_value(text)
    if not _WHOLE.fullmatch(text.strip()):  # not int()'s 1_000, other scripts' digits, 5,000 digits
        raise ValueError(f"{element} {key}={shown} is not a whole number")
    value = int(text.strip())
    if value < minimum:
        raise ValueError(f"{element} {key}={shown} must be at least {minimum}")
    if value > MAX_TSX_INT:
        raise ValueError(f"{element} {key}={shown} must be at most {MAX_TSX_INT}")
    return value


def parse_tsx(data: bytes, data_name: str) -> Layout:
    """A Tiled tileset (``.tsx``): tilewidth, tileheight, spacing, margin, columns, tilecount
    and the image's width, height and colour key. A collection-of-images tileset (no
    single image) has no sheet to cut: refused with a message."""
    import xml.etree.ElementTree as ET  # here, not at the top: 2 ms of every hook run

    where = f"{data_name} (Tiled)"
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # no entity expansion, ever
        raise SheetError(where, "declares a DOCTYPE or entities; a Tiled tileset has none")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SheetError(where, f"is not valid XML ({exc})") from None
    if root.tag != "tileset":
        raise SheetError(where, f"the root element is <{root.tag}>, not <tileset>")
    image = root.find("image")
    if image is None:
        raise SheetError(
            where,
            "is a collection of images, not one sheet: check those images as loose sprites",
        )
    try:
        a, im = root.attrib, image.attrib
        spec = GridSpec(
            _tsx_int("<tileset>", a, "tilewidth", minimum=1),
            _tsx_int("<tileset>", a, "tileheight", minimum=1),
            _tsx_int("<tileset>", a, "margin", 0),
            _tsx_int("<tileset>", a, "spacing", 0),
        )
        size = None
        if "width" in im and "height" in im:
            size = (
                _tsx_int("<image>", im, "width", minimum=1),
                _tsx_int("<image>", im, "height", minimum=1),
            )
        trans = None
        if im.get("trans"):
            key = im["trans"].removeprefix("#")
            if not _HEX_COLOUR.fullmatch(key):
                raise ValueError(
                    f"<image> trans={_attr_value(im['trans'])} is not a colour: Tiled writes "
                    "the colour key as six hex digits, such as ff00ff"
                )
            trans = (int(key[0:2], 16), int(key[2:4], 16), int(key[4:6], 16))
        columns = _tsx_int("<tileset>", a, "columns", 0)
        count = _tsx_int("<tileset>", a, "tilecount", 0)
    except ValueError as exc:
        raise SheetError(where, str(exc)) from None
    if columns == 0 or count == 0:  # old tilesets: derived from the image, as Tiled does
        if size is None:
            raise SheetError(where, "gives neither columns and tilecount nor the image size")
        grid = grid_layout(spec, size[0], size[1], where)
        columns, count = grid.columns, len(grid.frames)
    if count > MAX_FRAMES:
        raise SheetError(where, f"has {count} tiles; at most {MAX_FRAMES}")
    step_x, step_y = spec.width + spec.spacing, spec.height + spec.spacing
    frames = tuple(
        Frame(
            i,
            spec.margin + (i % columns) * step_x,
            spec.margin + (i // columns) * step_y,
            spec.width,
            spec.height,
        )
        for i in range(count)
    )
    return Layout(where, frames, spec, columns, size, trans)


def check_layout(layout: Layout, width: int, height: int, name: str) -> None:
    """Raise :class:`SheetError` unless the layout fits a ``width`` x ``height`` image: the
    size its data file gives, every frame inside, no two frames partly overlapping (two
    frames on the same rectangle are one image shared, as packers merge duplicates)."""
    src = layout.source
    if layout.declared_size is not None and tuple(layout.declared_size) != (width, height):
        dw, dh = layout.declared_size
        raise SheetError(
            name,
            f"the image is {width}x{height} but {src} describes a {dw}x{dh} sheet: "
            "export the image and its data file together",
        )
    for f in layout.frames:
        if f.x + f.w > width or f.y + f.h > height:
            raise SheetError(
                name,
                f"{src}: frame {f.index}{_named(f)} at x={f.x} y={f.y} {f.w}x{f.h} lies outside "
                f"the {width}x{height} image",
            )
    rects = sorted({(f.x, f.y, f.w, f.h) for f in layout.frames})
    owner = {(f.x, f.y, f.w, f.h): f for f in reversed(layout.frames)}
    # sweep by x: only rectangles whose x ranges meet can overlap
    active: list[tuple[int, int, int, int]] = []
    for r in rects:
        active = [a for a in active if a[0] + a[2] > r[0]]
        for a in active:
            if a[1] < r[1] + r[3] and r[1] < a[1] + a[3]:
                fa, fb = owner[a], owner[r]
                raise SheetError(
                    name,
                    f"{src}: frames {fa.index}{_named(fa)} and {fb.index}{_named(fb)} overlap "
                    f"(x={a[0]} y={a[1]} {a[2]}x{a[3]} and x={r[0]} y={r[1]} {r[2]}x{r[3]})",
                )
        active.append(r)


def _named(f: Frame) -> str:
    return f" ({f.name})" if f.name else ""


# --------------------------------------------------------------------------- frames


def key_colour(rgba: np.ndarray, colour: tuple[int, int, int] | None) -> np.ndarray:
    """A copy with the colour key made transparent (Tiled's ``trans``), else ``rgba``."""
    if colour is None:
        return rgba
    out = rgba.copy()
    out[np.all(rgba[..., :3] == np.array(colour, np.uint8), axis=-1), 3] = 0
    return out


def crop_frame(sheet: np.ndarray, f: Frame) -> np.ndarray:
    """The frame as a sprite ``(H, W, 4)``: a trimmed frame back in its untrimmed canvas."""
    cut = sheet[f.y : f.y + f.h, f.x : f.x + f.w]
    if not f.source_w:
        return np.ascontiguousarray(cut)
    canvas = np.zeros((f.source_h, f.source_w, 4), np.uint8)
    canvas[f.offset_y : f.offset_y + f.h, f.offset_x : f.offset_x + f.w] = cut
    return canvas


def frame_images(layout: Layout, sheet: np.ndarray) -> list[tuple[Frame, np.ndarray]]:
    """Every frame with any visible pixel, as a sprite; fully transparent frames skipped."""
    sheet = key_colour(sheet, layout.transparent)
    out = []
    for f in layout.frames:
        im = crop_frame(sheet, f)
        if im[..., 3].any():
            out.append((f, im))
    return out


# --------------------------------------------------------------------------- sheet faults


def _bbox(alpha: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) inclusive of the visible pixels, or None."""
    ys, xs = np.nonzero(alpha)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def sheet_faults(layout: Layout, sheet: np.ndarray) -> list[Fault]:
    """Faults of the sheet as a whole, in frame order (see the module's docstring)."""
    sheet = key_colour(sheet, layout.transparent)
    faults = _outside_every_frame(layout, sheet[..., 3] > 0)  # any pixel in the padding
    # a frame's content, as ``craft.cut_edge`` counts it: the faint pixels a resample
    # leaves around a sprite do not touch an edge or stand on a ground line
    content = sheet[..., 3] >= CONTENT_ALPHA
    boxes: dict[int, tuple[int, int, int, int]] = {}
    for f in layout.frames:
        b = _bbox(content[f.y : f.y + f.h, f.x : f.x + f.w])
        if b is not None:
            boxes[f.index] = b
    if layout.grid is not None and layout.columns:
        faults += _edges(layout, content, boxes)
    faults += _anchors(layout, boxes)
    if not layout.allow_repeats:
        faults += _repeats(layout, sheet, boxes)
    return sorted(faults, key=lambda f: (f.frame.index, FAULT_KINDS.index(f.kind)))


def _uncovered(layout: Layout, alpha: np.ndarray) -> np.ndarray:
    """(H, W) bool: visible pixels no frame covers (``alpha``: (H, W) bool, visible)."""
    covered = np.zeros_like(alpha)
    for f in layout.frames:
        covered[f.y : f.y + f.h, f.x : f.x + f.w] = True
    return alpha & ~covered


def pixels_outside_frames(layout: Layout, sheet: np.ndarray) -> int:
    """How many visible pixels of ``sheet`` ((H, W, 4) uint8 RGBA) lie outside every frame
    of ``layout``: art a wrong frame size or a stale data file leaves uncut."""
    sheet = key_colour(sheet, layout.transparent)
    return int(np.count_nonzero(_uncovered(layout, sheet[..., 3] > 0)))


def _outside_every_frame(layout: Layout, alpha: np.ndarray) -> list[Fault]:
    """Visible pixels no frame covers: in the margin, the spacing or the packer's padding."""
    ys, xs = np.nonzero(_uncovered(layout, alpha))
    if ys.size == 0:
        return []
    rects = np.array([(f.x, f.y, f.x + f.w - 1, f.y + f.h - 1) for f in layout.frames])
    step = max(1, ys.size // 20000)  # enough pixels to say which frame they lie beside
    sy, sx = ys[::step, None], xs[::step, None]
    dx = np.maximum(np.maximum(rects[None, :, 0] - sx, sx - rects[None, :, 2]), 0)
    dy = np.maximum(np.maximum(rects[None, :, 1] - sy, sy - rects[None, :, 3]), 0)
    dist = np.maximum(dx, dy)
    nearest, far = dist.argmin(axis=1), dist.min(axis=1)
    faults = []
    for k in np.unique(nearest):
        mine = nearest == k
        px, py = sx[mine, 0], sy[mine, 0]
        x0, y0, x1, y1 = int(px.min()), int(py.min()), int(px.max()), int(py.max())
        n = int(mine.sum()) * step
        f = layout.frames[int(k)]
        where = f"x={x0} y={y0} {x1 - x0 + 1}x{y1 - y0 + 1}"
        if int(far[mine].min()) > max(2, layout.grid.spacing if layout.grid else 0):
            msg = (
                f"{n} visible pixel(s) outside every frame at {where} (sheet pixels), "
                f"nearest frame {f.index}: a frame {layout.source} does not list?"
            )
        else:
            msg = (
                f"frame {f.index}{_named(f)} bleeds out of its frame into the sheet's padding "
                f"at {where} (sheet pixels, {n} visible pixel(s))"
            )
        faults.append(Fault("bleed", f, msg, x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    return faults


_SIDES = ("left", "top", "right", "bottom")


def _gaps(b: tuple[int, int, int, int], w: int, h: int) -> tuple[int, int, int, int]:
    return b[0], b[1], w - 1 - b[2], h - 1 - b[3]


def _edges(
    layout: Layout, content: np.ndarray, boxes: dict[int, tuple[int, int, int, int]]
) -> list[Fault]:
    """Frames touching an edge of their cell that the sheet's other frames keep clear;
    two neighbours both touching their shared border run into each other (bleeding)."""
    by_index = {f.index: f for f in layout.frames}
    gaps = {i: _gaps(b, by_index[i].w, by_index[i].h) for i, b in boxes.items()}
    cols = layout.columns
    faults: list[Fault] = []
    reported: set[tuple[int, int]] = set()
    for side in range(4):
        touching = [i for i, g in gaps.items() if g[side] == 0]
        clear = [g[side] for i, g in gaps.items() if g[side] > 0]
        if len(clear) < MIN_PEERS or len(clear) < PEER_SHARE * (len(gaps) - 1):
            continue  # touching this edge is normal in this sheet (tiles, tight frames)
        keep = min(clear)
        if keep < EDGE_MIN_KEEP:
            continue  # a 1 px margin is no convention: a hat or an earring reaches the edge
        for i in touching:
            f = by_index[i]
            edge = _edge_pixels(content, f, side)
            neighbour_index = {0: i - 1, 1: i - cols, 2: i + 1, 3: i + cols}[side]
            same_row = side in (1, 3) or neighbour_index // cols == i // cols
            n = by_index.get(neighbour_index) if same_row and neighbour_index >= 0 else None
            facing = (side + 2) % 4
            if n is not None and n.index in gaps and gaps[n.index][facing] == 0:
                pair = (min(i, n.index), max(i, n.index))
                if pair in reported:
                    continue
                reported.add(pair)
                first, second = by_index[pair[0]], by_index[pair[1]]
                msg = (
                    f"frames {first.index} and {second.index} run into each other across their "
                    f"cell border at {_where(edge)} (the other frames keep {keep} px or more "
                    "clear): pixels of one bleed into its neighbour's cell"
                )
                faults.append(Fault("bleed", first, msg, *edge))
            elif gaps[i][facing] > 0:  # a gap at the other edge (touching both, it fills it)
                msg = (
                    f"frame {f.index} touches the {_SIDES[side]} edge of its cell at "
                    f"{_where(edge)}, where the other frames keep {keep} px or more clear: "
                    "cut off by its cell, or shifted out of place?"
                )
                faults.append(Fault("edge", f, msg, *edge))
    return faults


def _edge_pixels(content: np.ndarray, f: Frame, side: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) in sheet pixels of the content pixels on one edge of the frame."""
    cell = content[f.y : f.y + f.h, f.x : f.x + f.w]
    line = {0: cell[:, 0], 1: cell[0, :], 2: cell[:, -1], 3: cell[-1, :]}[side]
    idx = np.nonzero(line)[0]
    lo, hi = int(idx.min()), int(idx.max())
    if side in (0, 2):
        x = f.x if side == 0 else f.x + f.w - 1
        return x, f.y + lo, 1, hi - lo + 1
    y = f.y if side == 1 else f.y + f.h - 1
    return f.x + lo, y, hi - lo + 1, 1


def _where(r: tuple[int, int, int, int]) -> str:
    return f"x={r[0]} y={r[1]} {r[2]}x{r[3]}"


def _anchors(layout: Layout, boxes: dict[int, tuple[int, int, int, int]]) -> list[Fault]:
    """A frame whose lowest visible row is a pixel or two off the row that nearly every
    other frame of the same size shares (an animation's ground line)."""
    by_index = {f.index: f for f in layout.frames}
    sizes = {by_index[i].size for i in boxes}
    if len(sizes) != 1 or len(boxes) < MIN_PEERS + 1:
        return []
    # in the untrimmed frame's coordinates: a trimmed frame's box moves by its offset
    bottoms = {i: b[3] + by_index[i].offset_y for i, b in boxes.items()}
    values, counts = np.unique(list(bottoms.values()), return_counts=True)
    common = int(values[counts.argmax()])
    if counts.max() < PEER_SHARE * (len(boxes) - 1) or common == sizes.pop()[1] - 1:
        return []  # no shared ground line, or it is the frame's edge (tiles)
    faults = []
    for i, bottom in bottoms.items():
        shift = bottom - common
        if 0 < abs(shift) <= ANCHOR_MAX_SHIFT:
            f = by_index[i]
            b = boxes[i]
            msg = (
                f"frame {f.index}{_named(f)} sits {abs(shift)} px "
                f"{'lower' if shift > 0 else 'higher'} than the line the other frames stand on "
                f"(their lowest visible row is y={common} in the frame): an off-by-one cut or "
                "a nudged frame?"
            )
            faults.append(
                Fault("anchor", f, msg, f.x + b[0], f.y + b[1], b[2] - b[0] + 1, b[3] - b[1] + 1)
            )
    return faults


def _repeats(
    layout: Layout, sheet: np.ndarray, boxes: dict[int, tuple[int, int, int, int]]
) -> list[Fault]:
    """A frame (on its own rectangle) whose pixels repeat an earlier frame's exactly."""
    seen: dict[str, Frame] = {}
    rects: set[tuple[int, int, int, int]] = set()
    faults = []
    for f in layout.frames:
        rect = (f.x, f.y, f.w, f.h)
        if f.index not in boxes or rect in rects:
            continue  # empty, or the packer's merged duplicate: one image, two names
        rects.add(rect)
        key = pixel_digest(crop_frame(sheet, f))
        first = seen.setdefault(key, f)
        if first is not f:
            msg = (
                f"frame {f.index}{_named(f)} repeats frame {first.index}{_named(first)} exactly: "
                "a copy-paste slip? (allow-repeats in the configuration if it holds a pose)"
            )
            faults.append(Fault("repeat", f, msg, f.x, f.y, f.w, f.h))
    return faults


# --------------------------------------------------------------------------- configuration


def parse_rules(value: Any, where: str, base: Path) -> tuple[tuple[str, SheetRule], ...]:
    """``[tool.sprite-lint.sheets]``: glob -> ``"WxH"``, ``false``, or a table with
    ``grid``, ``margin``, ``spacing``, ``data`` and ``allow-repeats``."""
    if not isinstance(value, dict):
        raise UsageError(
            f"{where}: 'sheets' must map globs to a grid or a table, for example "
            '"art/tiles/*.png" = "16x16"'
        )
    rules = []
    for pattern, spec in value.items():
        here = f"{where}: sheets[{pattern!r}]"
        if spec is False:
            rules.append((pattern, SheetRule(never=True)))
            continue
        if isinstance(spec, str):
            spec = {"grid": spec}
        if not isinstance(spec, dict):
            raise UsageError(f'{here} must be "WxH", false or a table')
        unknown = set(spec) - {"grid", "margin", "spacing", "data", "allow-repeats"}
        if unknown:
            raise UsageError(f"{here}: unknown key(s) {', '.join(sorted(unknown))}")
        if ("grid" in spec) == ("data" in spec):
            raise UsageError(f'{here} needs either grid = "WxH" or data = "FILE"')
        allow = spec.get("allow-repeats", False)
        if not isinstance(allow, bool):
            raise UsageError(f"{here}: allow-repeats must be true or false")
        try:
            if "grid" in spec:
                grid = GridSpec.parse(spec["grid"], spec.get("margin", 0), spec.get("spacing", 0))
                rules.append((pattern, SheetRule(grid=grid, allow_repeats=allow)))
            else:
                if not isinstance(spec["data"], str):
                    raise UsageError("data must be a file path")
                rules.append(
                    (pattern, SheetRule(data=str(base / spec["data"]), allow_repeats=allow))
                )
        except UsageError as exc:
            raise UsageError(f"{here}: {exc}") from None
    return tuple(rules)


def describe_frames(count: int, skipped: int) -> str:
    """``12 frames look like the approved art (3 empty frames skipped)``."""
    text = f"{count} frame(s) look like the approved art"
    return text + (f" ({skipped} empty frame(s) skipped)" if skipped else "")


_FRAME_REF = re.compile(r"(.*)#(\d+)(?: \((?:.*: )?x=\d+ y=\d+ \d+x\d+\))?", re.DOTALL)


def parse_frame_ref(text: str) -> tuple[str, int | None]:
    """``hero_run.png#3``, or the label a report prints, ``hero_run.png#3 (x=96 y=0 32x32)``
    or ``hero_run.png#3 (run #3: x=96 y=0 32x32)`` -> (file, 3); anything else -> (text, None)."""
    m = _FRAME_REF.fullmatch(text)
    if m is None:
        return text, None
    return m.group(1), int(m.group(2))
