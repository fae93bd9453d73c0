"""The baseline directory: a versioned, hashed, pickle-free on-disk format.

    baselines/default/
        manifest.json    settings, thresholds, calibration scores, sha256 of the files below
        model.onnx       the exported autoencoder
        reference.npz    KDE reference vectors, latent scaling, colour table (no pickle)

The manifest carries a ``manifest_sha256`` over its own canonical JSON, so a hand edit of
a threshold is detected like a swapped model file. Writes go to a temporary sibling
directory first and are swapped in with renames: an interrupted ``calibrate`` leaves the
previous baseline in place.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sprite_lint import __version__
from sprite_lint.calibration import Calibration
from sprite_lint.colour import N_BINS, N_PAIR_KEYS
from sprite_lint.errors import BaselineError, UsageError
from sprite_lint.kde import BANDWIDTH_RANGE, GaussianKDE
from sprite_lint.onnxfile import MAX_MODEL_BYTES, ModelFileError, validate_model
from sprite_lint.scoring import MIN_LATENT_STD, Scorer
from sprite_lint.signals import SIGNALS
from sprite_lint.standardize import TAIL_QUANTILE, Standardizer
from sprite_lint.style import PROFILE, StyleProfile, profile_problem

FORMAT_NAME = "sprite-lint-baseline"
FORMAT_VERSION = 10  # 6: enclosed lone pixels are detail; 7: halo; 8: outline for off_centre;
# 9: cut is the gap opposite the edge content runs into; 10: palette_shift, no colour_px
MANIFEST = "manifest.json"
MODEL = "model.onnx"
REFERENCE = "reference.npz"
REFERENCE_ARRAYS = (
    "kde_reference",
    "kde_loo",
    "latent_mean",
    "latent_std",
    "colour_bins",
    "colour_counts",
    "pair_keys",
    "pair_counts",
    "sprite_embeddings",
    "sprite_names",
    "palette",
    "profile_centre",
    "profile_scale",
    "profile_precision",
)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, fixed indentation, trailing newline."""
    return json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``.npz`` with fixed zip timestamps, so equal arrays give equal bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            member = io.BytesIO()
            np.lib.format.write_array(
                member, np.ascontiguousarray(arrays[name]), allow_pickle=False
            )
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def _seal(manifest: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return {**body, "manifest_sha256": sha256_bytes(canonical_json(body).encode())}


def write_baseline(
    directory: Path, manifest: dict[str, Any], model_bytes: bytes, arrays: dict[str, np.ndarray]
) -> None:
    """Write a complete baseline to ``directory`` atomically (temp dir + rename)."""
    import shutil  # writing only: not imported on the check path
    import tempfile

    reference = npz_bytes(arrays)
    manifest = _seal(
        {
            **manifest,
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "tool_version": __version__,
            "files": {MODEL: sha256_bytes(model_bytes), REFERENCE: sha256_bytes(reference)},
        }
    )
    directory = Path(os.path.realpath(directory))
    check_baseline_target(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        # mkdtemp's folder is private (0700); a baseline is shared with the team: the mode
        # of the one it replaces, or what mkdir would give under the umask (set once its
        # files are written: a read-only predecessor's mode would refuse them)
        mode = stat.S_IMODE(directory.stat().st_mode) if directory.is_dir() else _mkdir_mode()
        (tmp / MODEL).write_bytes(model_bytes)
        (tmp / REFERENCE).write_bytes(reference)
        (tmp / MANIFEST).write_text(canonical_json(manifest), encoding="utf-8")
        for child in tmp.iterdir():
            with open(child, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        old = directory.with_name(f".{directory.name}.old")
        if old.exists():
            if directory.exists():
                shutil.rmtree(old)
            else:  # an earlier calibrate was killed mid-swap: put the previous one back first
                os.replace(old, directory)
        if directory.exists():
            # Keep files in the old directory that are not ours (approvals, a README).
            for child in directory.iterdir():
                if (
                    child.name not in (MODEL, REFERENCE, MANIFEST)
                    and not (tmp / child.name).exists()
                ):
                    if child.is_dir():
                        shutil.copytree(child, tmp / child.name)
                    else:
                        shutil.copy2(child, tmp / child.name)
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old.exists():
            shutil.rmtree(old)
        for stale in directory.parent.glob(f".{directory.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a calibrate that was killed
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def check_baseline_target(directory: Path) -> None:
    """Raise :class:`BaselineError` unless a baseline can be written at ``directory``: not
    an existing file, and its parent (or the nearest folder above that exists) one this
    process can create a folder in. ``calibrate`` asks before training, so a wrong
    ``--baseline`` costs a second, not the whole training."""
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise BaselineError(
            f"cannot write the baseline at {directory}: it is a file, not a folder; name a "
            "folder for the baseline (--baseline DIR)"
        )
    import tempfile

    parent = Path(os.path.realpath(directory)).parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    try:
        probe = tempfile.mkdtemp(prefix=f".{directory.name}.probe-", dir=parent)
    except OSError as exc:
        raise BaselineError(
            f"cannot write the baseline at {directory}: cannot create a folder in {parent} "
            f"({exc.strerror or exc})"
        ) from None
    os.rmdir(probe)


@dataclass
class Baseline:
    """A loaded, verified baseline."""

    path: Path
    manifest: dict[str, Any]
    model_bytes: bytes
    arrays: dict[str, np.ndarray]
    sha256: str  # of the manifest: identifies this baseline (cache keys, reports)
    alpha: float | None = None  # check at this alpha instead of the calibrated one
    files: BaselineFiles | None = field(default=None, repr=False)  # where it was read from

    @property
    def calibration(self) -> Calibration:
        """The calibrated threshold, or, with ``alpha`` set, the threshold for that alpha
        recomputed from the stored calibration scores (same method as ``calibrate``:
        conformal rank where n supports it, the signals' tails otherwise)."""
        cal = Calibration.from_dict(self.manifest["calibration"])
        if self.alpha is None or self.alpha == cal.alpha:
            return cal
        from sprite_lint.calibration import fit_calibration
        from sprite_lint.signals import SIGNALS
        from sprite_lint.standardize import TAIL_QUANTILE

        return fit_calibration(cal.scores, self.alpha, len(SIGNALS), 1 - TAIL_QUANTILE)

    def with_alpha(self, alpha: float | None) -> Baseline:
        """This baseline judged at ``alpha`` (None: the calibrated alpha)."""
        if alpha is not None and not 0.0 < alpha < 1.0:
            raise UsageError(f"alpha must be between 0 and 1, got {alpha}")
        return dataclasses.replace(self, alpha=alpha)

    @property
    def standardizer(self) -> Standardizer:
        return Standardizer.from_dict(self.manifest["standardizer"])

    @property
    def max_pixels(self) -> int:
        return int(self.manifest["preprocessing"]["max_pixels"])

    def scorer(self, threads: int = 0) -> Scorer:
        """The scorer ``check`` judges with; :class:`BaselineError` naming model.onnx when
        onnxruntime refuses the model (what :func:`load_baseline` reads cannot tell)."""
        kde = GaussianKDE(float(self.manifest["kde"]["bandwidth"])).fit(
            self.arrays["kde_reference"]
        )
        try:
            return Scorer(
                self.model_bytes,
                kde,
                self.arrays["kde_loo"],
                self.arrays["latent_mean"],
                self.arrays["latent_std"],
                self.arrays["colour_bins"],
                self.arrays["colour_counts"],
                int(self.manifest["colour"]["n_images"]),
                self.arrays["pair_keys"],
                self.arrays["pair_counts"],
                palette=self.arrays["palette"],
                profile=StyleProfile(
                    self.arrays["profile_centre"],
                    self.arrays["profile_scale"],
                    self.arrays["profile_precision"],
                ),
                threads=threads,
            )
        except ModelFileError as exc:  # onnxruntime refused the model
            where = self.files.where if self.files is not None else str(self.path)
            raise BaselineError(f"{where}/{MODEL} {exc}") from None


MAX_MEMBER_BYTES = 512 * 1024 * 1024  # an array of reference.npz, uncompressed


def _check_reference_members(blob: bytes, where: str) -> None:
    """Refuse a reference.npz whose zip directory lists a member we did not write or one
    that would decompress past MAX_MEMBER_BYTES, before any of it is read."""
    expected = {f"{name}.npy" for name in REFERENCE_ARRAYS}
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BaselineError(f"{where}: {REFERENCE} is unreadable (not an archive: {exc})") from None
    for info in infos:
        if info.filename not in expected:
            raise BaselineError(
                f"{where}: {REFERENCE} holds {info.filename!r}, which calibrate never writes"
            )
        if info.file_size > MAX_MEMBER_BYTES:
            raise BaselineError(
                f"{where}: {REFERENCE} member {info.filename!r} would take "
                f"{info.file_size / 2**20:.0f} MiB (at most {MAX_MEMBER_BYTES // 2**20} MiB)"
            )


# A standardized latent cell is a z-score over the calibration cells: at most sqrt(n) of
# them from their mean, far below this; past it the KDE's squares leave float range.
MAX_STANDARDIZED = 1e6
FLOAT32_MAX = float(np.finfo(np.float32).max)  # the network's latents are float32
MAX_COLOUR_KEY = 1 << 24  # craft.colour_keys: R | G << 8 | B << 16


def _check_reference_arrays(
    arrays: dict[str, np.ndarray], numbers: ManifestNumbers, where: str
) -> None:
    """Dtypes, shapes and values as calibrate writes them, consistent with the manifest:
    every array the scorer divides by, searches or indexes, in the domain it needs
    (whole-array numpy tests: the hook loads a baseline every run)."""

    def bad(name: str, why: str) -> BaselineError:
        return BaselineError(f"{where}: {REFERENCE} array {name!r} {why}")

    for name, arr in arrays.items():
        if name == "sprite_names":
            if arr.dtype.kind != "U" or arr.ndim != 1:
                raise bad(name, "is not a list of names")
        elif arr.dtype.kind not in "fiu":
            raise bad(name, f"has dtype {arr.dtype}, not numbers")
        elif arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise bad(name, "holds NaN or infinity")
    dim = numbers.dim
    ref = arrays["kde_reference"]
    if ref.ndim != 2 or ref.shape[1] != dim or ref.shape[0] == 0:
        raise bad("kde_reference", f"has shape {ref.shape}, not (n, {dim})")
    if ref.shape[0] != numbers.n_reference:
        raise bad(
            "kde_reference",
            f"has {ref.shape[0]} rows; the manifest's kde.n_reference says {numbers.n_reference}",
        )
    if not (np.abs(ref) <= MAX_STANDARDIZED).all():
        raise bad(
            "kde_reference",
            f"holds values past {MAX_STANDARDIZED:g}, which no standardized latent cell reaches",
        )
    for name in ("latent_mean", "latent_std"):
        if arrays[name].shape != (dim,):
            raise bad(name, f"has shape {arrays[name].shape}, not ({dim},)")
        if not (np.abs(arrays[name]) <= FLOAT32_MAX).all():
            raise bad(name, "holds values past float32's range, which float32 latents never have")
    if not (arrays["latent_std"] >= MIN_LATENT_STD).all():
        raise bad(
            "latent_std",
            f"holds a spread below {MIN_LATENT_STD:g} (latent cells are "
            "divided by it; calibrate floors it there)",
        )
    if arrays["kde_loo"].shape != (ref.shape[0],):
        raise bad(
            "kde_loo",
            f"has shape {arrays['kde_loo'].shape}, not one density per "
            f"kde_reference row ({ref.shape[0]},)",
        )
    p = arrays["profile_centre"].shape
    if p != (len(PROFILE),):
        raise bad("profile_centre", f"has shape {p}, not one value per feature ({len(PROFILE)},)")
    if arrays["profile_scale"].shape != p or arrays["profile_precision"].shape != (p[0], p[0]):
        raise bad("profile_precision", "does not match the profile's centre and scale")
    problem = profile_problem(
        arrays["profile_centre"], arrays["profile_scale"], arrays["profile_precision"]
    )
    if problem:
        raise bad(*problem)
    for name in ("colour_bins", "colour_counts", "pair_keys", "pair_counts", "palette", "kde_loo"):
        if arrays[name].ndim != 1:
            raise bad(name, f"has shape {arrays[name].shape}, not a list")
    if arrays["colour_bins"].shape != arrays["colour_counts"].shape:
        raise bad("colour_counts", "does not match colour_bins")
    if arrays["pair_keys"].shape != arrays["pair_counts"].shape:
        raise bad("pair_counts", "does not match pair_keys")
    # searched with searchsorted: sorted, each once, and in the range their keys take
    for name, end in (
        ("colour_bins", N_BINS),
        ("pair_keys", N_PAIR_KEYS),
        ("palette", MAX_COLOUR_KEY),
    ):
        arr = arrays[name]
        if arr.dtype.kind not in "iu":
            raise bad(name, f"has dtype {arr.dtype}, not whole numbers")
        if arr.size and not (arr[0] >= 0 and arr[-1] < end and (arr[1:] > arr[:-1]).all()):
            raise bad(name, f"is not increasing keys between 0 and {end - 1}")
    for name in ("colour_counts", "pair_counts"):  # sprites using each colour (pair)
        arr = arrays[name]
        if arr.dtype.kind not in "iu":
            raise bad(name, f"has dtype {arr.dtype}, not whole numbers")
        if arr.size and not (arr.min() >= 1 and arr.max() <= numbers.n_images):
            raise bad(name, f"holds a count outside 1 to colour.n_images ({numbers.n_images})")
    emb, names = arrays["sprite_embeddings"], arrays["sprite_names"]
    if emb.shape != (names.shape[0], 2 * dim):
        raise bad(
            "sprite_embeddings",
            f"has shape {emb.shape}, not one ({2 * dim},) row per sprite name ({names.shape[0]})",
        )


@dataclass(frozen=True)
class ManifestNumbers:
    """The manifest's numbers the scorer uses, each checked for the domain it needs."""

    dim: int
    n_reference: int
    bandwidth: float
    n_images: int
    max_pixels: int

    @classmethod
    def read(cls, manifest: dict[str, Any], manifest_path: str) -> ManifestNumbers:
        low, high = BANDWIDTH_RANGE
        return cls(
            dim=int(_number(manifest, "kde.dim", manifest_path, True, 1)),
            n_reference=int(_number(manifest, "kde.n_reference", manifest_path, True, 1)),
            bandwidth=float(_number(manifest, "kde.bandwidth", manifest_path, False, low, high)),
            n_images=int(_number(manifest, "colour.n_images", manifest_path, True, 1)),
            max_pixels=int(_number(manifest, "preprocessing.max_pixels", manifest_path, True, 1)),
        )


def _number(
    manifest: dict[str, Any],
    field: str,
    manifest_path: str,
    whole: bool,
    low: float,
    high: float = math.inf,
) -> float:
    """``manifest[section][key]`` for ``field`` "section.key": a JSON number (``whole``:
    an integer) between ``low`` and ``high``, or a BaselineError naming the field."""
    section, key = field.split(".")
    part = manifest.get(section)
    value = part.get(key) if isinstance(part, dict) else None
    if value is None:
        raise BaselineError(f"{manifest_path}: manifest {field} is missing")
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        raise BaselineError(f"{manifest_path}: manifest {field} is {_shown(value)}, not {kind}")
    if not low <= value <= high:
        span = f"at least {low:g}" if high == math.inf else f"between {low:g} and {high:g}"
        raise BaselineError(
            f"{manifest_path}: manifest {field} is {_shown(value)}; calibrate writes {span}"
        )
    return value


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


MAX_FILE_BYTES = {  # read at most this much of each file: all of ours are far smaller
    MANIFEST: 64 * 2**20,
    MODEL: MAX_MODEL_BYTES,
    REFERENCE: 1024 * 2**20,
}


class BaselineFiles:
    """Where a baseline's files are read from: a folder in the working tree."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.where = str(directory)

    def read(self, name: str, limit: int) -> bytes | None:
        """The file's bytes; None when it is missing. Only a regular file of at most
        ``limit`` bytes is read (never a device, a pipe or a folder)."""
        path = self.directory / name
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                raise BaselineError(f"{self.where}: {name} is not a regular file")
            if st.st_size > limit:
                raise _too_large(self.where, name, st.st_size, limit)
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BaselineError(
                f"{self.where}: cannot read {name} ({exc.strerror or exc})"
            ) from None
        if len(data) > limit:
            raise _too_large(self.where, name, len(data), limit)
        return data


class GitBaselineFiles(BaselineFiles):
    """A baseline folder as commit ``ref`` holds it, read with git: never the working tree."""

    def __init__(self, directory: Path, ref: str, root: Path) -> None:
        from sprite_lint import gitfiles

        super().__init__(directory)
        folder = gitfiles.repo_relative(directory, root)
        if folder is None:
            raise BaselineError(
                f"{directory} is outside the git repository at {root}, so it cannot be read "
                f"at {ref}"
            )
        self.ref, self.root, self.folder = ref, root, folder
        self.where = f"{ref}:{self.folder}"
        gitfiles.verify_commit(ref, root, "--baseline-ref")
        self.entries = gitfiles.folder_at(ref, self.folder, root)

    def read(self, name: str, limit: int) -> bytes | None:
        from sprite_lint.gitfiles import read_object

        entry = self.entries.get(name)
        if entry is None:
            return None
        if entry.kind != "blob" or entry.mode not in ("100644", "100755"):
            raise BaselineError(
                f"{self.where}: {name} is not a regular file (git mode {entry.mode})"
            )
        if entry.size > limit:
            raise _too_large(self.where, name, entry.size, limit)
        data = read_object(entry.oid, self.root, entry.path)  # through git's filters (LFS)
        if len(data) > limit:  # a filter's output (an LFS file) is not the blob's size
            raise _too_large(self.where, name, len(data), limit)
        return data


def _too_large(where: str, name: str, size: int, limit: int) -> BaselineError:
    return BaselineError(
        f"{where}: {name} is {size / 2**20:.1f} MiB, more than a baseline's {name} may take "
        f"({limit // 2**20} MiB)"
    )


def _recalibrate_hint(manifest: dict[str, Any], files: BaselineFiles) -> str:
    """How to rewrite a baseline an older sprite-lint calibrated: the calibrate command
    for the folders its manifest records, where they can be read."""
    import shlex  # only on this error path

    sources = manifest.get("sources")
    if isinstance(files, GitBaselineFiles):
        return "Calibrate it again with this sprite-lint and commit it to that branch."
    if not (isinstance(sources, list) and sources and all(isinstance(x, str) for x in sources)):
        sources = ["PATH_TO_APPROVED_SPRITES"]
    args = " ".join(shlex.quote(x) for x in sources)
    return (
        "Calibrate it again with this sprite-lint (a new version can change what a "
        f"baseline holds): sprite-lint calibrate {args} --baseline {shlex.quote(files.where)}"
    )


def _mkdir_mode() -> int:
    """The mode ``mkdir`` gives a new folder under the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def load_baseline(
    directory: str | Path, ref: str | None = None, root: Path | None = None
) -> Baseline:
    """Read and verify a baseline; any mismatch or tampering raises :class:`BaselineError`.

    With ``ref``, the folder is read as that git commit holds it (``root``: the
    repository's top), never from the working tree: ``check --baseline-ref``.
    """
    directory = Path(directory)
    files: BaselineFiles
    if ref is not None:
        if root is None:
            raise UsageError("a baseline can be read at a git ref only inside a git repository")
        files = GitBaselineFiles(directory, ref, root)
    else:
        # calibrate was killed between its two renames: the previous baseline is whole in
        # .NAME.old (`-b .` or `-b /` has no name, and exists)
        if not directory.exists() and directory.name:
            old = directory.with_name(f".{directory.name}.old")
            if (old / MANIFEST).is_file():
                directory = old
        files = BaselineFiles(directory)
    where = files.where
    manifest_path = f"{where}/{MANIFEST}"
    raw = files.read(MANIFEST, MAX_FILE_BYTES[MANIFEST])
    if raw is None:
        if isinstance(files, GitBaselineFiles):
            raise BaselineError(
                f"{ref} has no baseline at {files.folder} ({MANIFEST} not found "
                f"there): a change cannot be judged by a baseline its target does not have. "
                "Merge the baseline first, or check without --baseline-ref."
            )
        raise BaselineError(
            f"no baseline at {where} ({MANIFEST} not found). Create one with: "
            f"sprite-lint calibrate PATH_TO_APPROVED_SPRITES --baseline {where}"
        )

    def no_constants(name: str) -> Any:  # NaN, Infinity: never written by calibrate
        raise ValueError(f"{name} is not a number JSON allows; calibrate never writes it")

    def finite_float(text: str) -> float:  # 1e999 reads as infinity
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"{text} is out of range; calibrate never writes it")
        return value

    def bounded_int(text: str) -> int:  # 10**400 is an int no float holds
        value = int(text)
        if not -(2**63) <= value < 2**63:
            shown = text if len(text) <= 24 else f"{text[:20]}... ({len(text)} digits)"
            raise ValueError(f"{shown} is out of range; calibrate never writes it")
        return value

    try:
        manifest = json.loads(
            raw.decode("utf-8"),
            parse_constant=no_constants,
            parse_float=finite_float,
            parse_int=bounded_int,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BaselineError(
            f"{manifest_path}: not a readable JSON manifest ({exc}); it was edited or damaged "
            "after calibration: restore it from git or calibrate again"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BaselineError(f"{manifest_path}: not a sprite-lint baseline manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise BaselineError(
            f"{where}: baseline format version {version!r} is not supported by sprite-lint "
            f"{__version__} (format {FORMAT_VERSION}). "
            + (
                "It was written by a newer sprite-lint: upgrade sprite-lint."
                if newer
                else _recalibrate_hint(manifest, files)
            )
        )
    if _seal(manifest).get("manifest_sha256") != manifest.get("manifest_sha256"):
        raise BaselineError(
            f"{manifest_path}: manifest was edited after calibration (its checksum does not "
            "match). Restore it from git or re-run sprite-lint calibrate."
        )
    files_sha = manifest.get("files", {})
    blobs: dict[str, bytes] = {}
    for name in (MODEL, REFERENCE):
        blob = files.read(name, MAX_FILE_BYTES[name])
        if blob is None:
            raise BaselineError(f"{where}: {name} is missing from the baseline")
        if not isinstance(files_sha, dict) or sha256_bytes(blob) != files_sha.get(name):
            raise BaselineError(
                f"{where}: {name} does not match the manifest's sha256 (changed or replaced "
                "after calibration). Restore it from git or re-run sprite-lint calibrate."
            )
        blobs[name] = blob
    try:  # before onnxruntime ever sees it: only a model our exporter could have written
        validate_model(blobs[MODEL])
    except ModelFileError as exc:
        raise BaselineError(f"{where}/{MODEL} {exc}") from None
    _check_reference_members(blobs[REFERENCE], where)
    try:
        with np.load(io.BytesIO(blobs[REFERENCE]), allow_pickle=False) as npz:
            arrays = {k: np.array(npz[k]) for k in REFERENCE_ARRAYS}
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise BaselineError(f"{where}: {REFERENCE} is unreadable ({exc})") from None
    _check_reference_arrays(arrays, ManifestNumbers.read(manifest, manifest_path), where)
    baseline = Baseline(
        files.directory, manifest, blobs[MODEL], arrays, manifest["manifest_sha256"], files=files
    )
    try:
        Calibration.from_dict(manifest["calibration"]).check_fits(len(SIGNALS), 1 - TAIL_QUANTILE)
        baseline.standardizer  # noqa: B018 - validates the section
    except BaselineError as exc:
        raise BaselineError(f"{manifest_path}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise BaselineError(f"{manifest_path}: manifest is missing a field ({exc})") from None
    _check_records(manifest, manifest_path)
    return baseline


def _check_records(manifest: dict[str, Any], manifest_path: str) -> None:
    """The sections reports read but scoring does not (``split``, ``calibration_raw``):
    as calibrate writes them, or a clear refusal instead of an error deep in a report."""
    split = manifest.get("split")
    if not (
        isinstance(split, dict)
        and split.get("method") in ("split", "cross")
        and all(
            isinstance(split.get(k), int) and not isinstance(split.get(k), bool) and split[k] > 0
            for k in ("n_approved", "n_calibration")
        )
    ):
        raise BaselineError(f"{manifest_path}: manifest split section is malformed")
    n = len(manifest["calibration"]["scores"])
    try:  # one conversion, not a Python loop over every number: this runs in the hook
        raw = np.asarray(manifest.get("calibration_raw"), dtype=np.float64)
    except (TypeError, ValueError):
        raw = np.zeros(0)
    if raw.shape != (n, len(SIGNALS)) or not np.isfinite(raw).all():
        raise BaselineError(
            f"{manifest_path}: manifest calibration_raw is not {n} rows of "
            f"{len(SIGNALS)} finite numbers"
        )
