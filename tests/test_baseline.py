from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sprite_lint import baseline as bl
from sprite_lint.baseline import load_baseline, npz_bytes, write_baseline
from sprite_lint.errors import BaselineError


@pytest.fixture
def copy(tiny_baseline: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "baseline"
    shutil.copytree(tiny_baseline, dst)
    return dst


def test_loads_and_verifies(copy: Path) -> None:
    b = load_baseline(copy)
    assert b.manifest["format_version"] == bl.FORMAT_VERSION
    assert set(b.arrays) == set(bl.REFERENCE_ARRAYS)
    assert b.calibration.threshold > 0


def test_manifest_is_deterministic_json(copy: Path) -> None:
    text = (copy / "manifest.json").read_text()
    doc = json.loads(text)
    assert text == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert "time" not in text.lower()


def test_npz_bytes_are_deterministic() -> None:
    arrays = {"a": np.arange(5.0), "b": np.ones((2, 2), dtype=np.int64)}
    assert npz_bytes(arrays) == npz_bytes(dict(reversed(list(arrays.items()))))


def test_edited_threshold_is_refused(copy: Path) -> None:
    doc = json.loads((copy / "manifest.json").read_text())
    doc["calibration"]["threshold"] = 1e9
    (copy / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(BaselineError, match="edited after calibration"):
        load_baseline(copy)


def test_swapped_model_is_refused(copy: Path) -> None:
    (copy / "model.onnx").write_bytes((copy / "model.onnx").read_bytes() + b"\0")
    with pytest.raises(BaselineError, match="model.onnx does not match"):
        load_baseline(copy)


def test_pickle_payload_is_refused(copy: Path) -> None:
    (copy / "reference.npz").write_bytes(pickle.dumps({"kde_reference": [1, 2, 3]}))
    with pytest.raises(BaselineError, match="reference.npz"):
        load_baseline(copy)


def test_pickle_payload_with_matching_hash_is_still_refused(copy: Path) -> None:
    # An attacker who also rewrites the manifest's hashes still cannot smuggle in a pickle.
    payload = pickle.dumps(np.array([object()], dtype=object))
    (copy / "reference.npz").write_bytes(payload)
    doc = json.loads((copy / "manifest.json").read_text())
    doc["files"]["reference.npz"] = bl.sha256_bytes(payload)
    (copy / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))
    with pytest.raises(BaselineError, match="unreadable"):
        load_baseline(copy)


def test_future_format_version_is_refused(copy: Path) -> None:
    doc = json.loads((copy / "manifest.json").read_text())
    doc["format_version"] = bl.FORMAT_VERSION + 1
    (copy / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))
    with pytest.raises(BaselineError, match="written by a newer sprite-lint: upgrade sprite-lint"):
        load_baseline(copy)


def test_older_format_version_gives_the_calibrate_command(copy: Path) -> None:
    """The command to rewrite it, with the folders the manifest records (quoted for a
    shell), not only "recalibrate"."""
    doc = json.loads((copy / "manifest.json").read_text())
    doc["format_version"] = bl.FORMAT_VERSION - 1
    doc["sources"] = ["art/approved", "art/new sprites"]
    (copy / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))
    with pytest.raises(BaselineError) as err:
        load_baseline(copy)
    assert str(err.value).endswith(
        f"sprite-lint calibrate art/approved 'art/new sprites' --baseline {copy}"
    )
    doc["sources"] = "not a list"
    (copy / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))
    with pytest.raises(BaselineError, match="calibrate PATH_TO_APPROVED_SPRITES --baseline"):
        load_baseline(copy)


def test_missing_baseline_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="sprite-lint calibrate"):
        load_baseline(tmp_path / "nowhere")


def test_interrupted_write_leaves_previous_baseline(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    b = load_baseline(copy)
    real_replace = bl.os.replace

    def crash(src: object, dst: object) -> None:
        if Path(str(dst)) == copy.resolve():
            raise KeyboardInterrupt  # killed between writing the new files and swapping them in
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(bl.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_baseline(
            copy, {k: v for k, v in b.manifest.items() if k != "files"}, b"junk", b.arrays
        )
    monkeypatch.setattr(bl.os, "replace", real_replace)
    old = copy.with_name(f".{copy.name}.old")
    assert not copy.exists()  # killed after moving the old one aside...
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before  # ...it is still whole
    assert load_baseline(copy).sha256 == b.sha256  # and still what `check` loads
    assert not list(copy.parent.glob(".baseline.tmp-*"))


def test_a_written_baseline_folder_has_the_umask_s_mode_or_its_predecessor_s(
    copy: Path, tmp_path: Path
) -> None:
    """Not the 0700 of the temporary folder it is written in: a baseline is shared."""
    b = load_baseline(copy)
    manifest = {k: v for k, v in b.manifest.items() if k != "files"}
    old_umask = os.umask(0o022)
    try:
        write_baseline(tmp_path / "new", manifest, b.model_bytes, b.arrays)
        assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o755
        os.chmod(copy, 0o750)
        write_baseline(copy, manifest, b.model_bytes, b.arrays)
        assert stat.S_IMODE(copy.stat().st_mode) == 0o750
    finally:
        os.umask(old_umask)


def _replace_reference(copy: Path, arrays: dict) -> None:
    """Rewrite reference.npz and re-seal the manifest, as an attacker with write access could."""
    blob = bl.npz_bytes(arrays)
    (copy / "reference.npz").write_bytes(blob)
    doc = json.loads((copy / "manifest.json").read_text())
    doc["files"]["reference.npz"] = bl.sha256_bytes(blob)
    (copy / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))


def test_reference_members_we_never_write_or_too_large_are_refused_before_reading(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays = dict(load_baseline(copy).arrays)
    _replace_reference(copy, {**arrays, "extra": np.zeros(3)})
    with pytest.raises(BaselineError, match="'extra.npy', which calibrate never writes"):
        load_baseline(copy)
    _replace_reference(copy, arrays)
    assert load_baseline(copy).arrays["kde_reference"].shape == arrays["kde_reference"].shape
    monkeypatch.setattr(bl, "MAX_MEMBER_BYTES", 64)
    with pytest.raises(BaselineError, match="would take"):
        load_baseline(copy)


@pytest.mark.parametrize(
    "name, value",
    [
        ("kde_reference", np.zeros((4, 3))),  # wrong latent dimension
        ("latent_std", np.ones(2)),
        ("profile_precision", np.eye(2)),
        ("palette", np.zeros((2, 2), np.uint32)),
        ("colour_counts", np.zeros(1, np.int64)),
        ("kde_loo", np.array([np.nan])),
    ],
)
def test_reference_arrays_must_have_the_shapes_calibrate_writes(
    copy: Path, name: str, value: np.ndarray
) -> None:
    arrays = dict(load_baseline(copy).arrays)
    arrays[name] = value
    _replace_reference(copy, arrays)
    with pytest.raises(BaselineError, match=name):
        load_baseline(copy)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_number_json_does_not_allow_is_a_tamper_message(copy: Path, number: str) -> None:
    import re

    text = (copy / "manifest.json").read_text()
    text = re.sub(r'"threshold": [-0-9.e+]+', f'"threshold": {number}', text, count=1)
    (copy / "manifest.json").write_text(text)
    with pytest.raises(BaselineError, match="edited or damaged after calibration"):
        load_baseline(copy)


def _edit(copy: Path, edit: Callable[[dict], None]) -> None:
    doc = json.loads((copy / "manifest.json").read_text())
    edit(doc)
    (copy / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda d: d["calibration"].update(threshold=1e308), "does not follow from its own"),
        (lambda d: d["calibration"].update(threshold=True), "threshold is not a number"),
        (lambda d: d["calibration"].update(alpha=0), "alpha 0.0 is not between 0 and 1"),
        (lambda d: d["calibration"].update(alpha=2), "alpha 2.0 is not between 0 and 1"),
        (lambda d: d["calibration"].update(scores=[]), "tail or scores is malformed"),
        (lambda d: d["calibration"].pop("method"), "method is missing"),
        (lambda d: d.update(calibration_raw=None), "calibration_raw is not"),
        (lambda d: d["calibration_raw"].pop(), "calibration_raw is not"),
        (lambda d: d.update(split=None), "split section is malformed"),
        (lambda d: d["split"].update(n_approved=True), "split section is malformed"),
    ],
)
def test_a_resealed_manifest_edit_is_refused_with_its_field(
    copy: Path, edit: Callable[[dict], None], says: str
) -> None:
    """The checksum only catches accidents: anyone can recompute it. What the sections
    hold is checked too, so a hand edit is a clear refusal (exit 2), not a threshold
    nothing reaches or an error deep inside a report (a new user's trial found both)."""
    _edit(copy, edit)
    with pytest.raises(BaselineError, match=re.escape(says)) as err:
        load_baseline(copy)
    assert str(err.value).startswith(f"{copy}/manifest.json: ")
    assert "Error(" not in str(err.value)  # no Python exception text


def _edit_arrays(copy: Path, edit: Callable[[dict], None]) -> None:
    arrays = dict(load_baseline(copy).arrays)
    edit(arrays)
    _replace_reference(copy, arrays)


def _raw_threshold(copy: Path, number: str) -> None:
    """A JSON number no float holds, with the checksum recomputed over it."""
    text = (copy / "manifest.json").read_text()
    text = re.sub(r'"threshold": [-0-9.e+]+', f'"threshold": {number}', text, count=1)
    doc = json.loads(text)
    body = {k: v for k, v in doc.items() if k != "manifest_sha256"}
    sealed = bl.sha256_bytes(bl.canonical_json(body).encode())
    (copy / "manifest.json").write_text(
        re.sub(r'"manifest_sha256": "[0-9a-f]+"', f'"manifest_sha256": "{sealed}"', text)
    )


def _cli_refuses(copy: Path, tmp_path: Path, says: str) -> None:
    """check, explain and baseline status all refuse: exit 2, one line naming the file and
    what is wrong; no traceback, no "internal error", no library noise, never "verified"."""
    from typer.testing import CliRunner

    from sprite_lint.cli import app
    from sprite_lint.synth import make_family
    from tests.conftest import write_rgba

    sprite = write_rgba(tmp_path / "s.png", make_family("creatures", 1, seed=9)[0])
    runner = CliRunner()
    env = {"COLUMNS": "300", "NO_COLOR": "1"}
    for args in (
        ["check", "--no-cache", str(sprite)],
        ["explain", str(sprite)],
        ["baseline", "status"],
    ):
        r = runner.invoke(app, [*args, "-b", str(copy)], env=env)
        lines = r.output.strip().splitlines()
        assert r.exit_code == 2, (args, r.output)
        assert len(lines) == 1 and lines[0].startswith(f"error: {copy}"), (args, r.output)
        assert says in lines[0], (args, r.output)
        assert "verified" not in r.output and "internal error" not in r.output


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        # numbers the scorer divides by or counts with, out of their domain
        (
            lambda c: _edit(c, lambda d: d["kde"].update(bandwidth=1e-300)),
            "kde.bandwidth is 1e-300",
        ),
        (lambda c: _edit(c, lambda d: d["kde"].update(bandwidth=0)), "kde.bandwidth is 0"),
        (lambda c: _edit(c, lambda d: d["colour"].update(n_images=-1)), "colour.n_images is -1"),
        (
            lambda c: _edit(c, lambda d: d["colour"].update(n_images="48")),
            "colour.n_images is '48'",
        ),
        (lambda c: _edit(c, lambda d: d["preprocessing"].update(max_pixels=0)), "max_pixels is 0"),
        (lambda c: _edit(c, lambda d: d["kde"].update(n_reference=5)), "kde.n_reference says 5"),
        (lambda c: _raw_threshold(c, "1" + "0" * 400), "(401 digits) is out of range"),
        (
            lambda c: _edit(c, lambda d: d["standardizer"]["recon"].update(scale=1e-300)),
            "recon.scale 1e-300 is below",
        ),
        (
            lambda c: _edit(c, lambda d: d["standardizer"]["recon"].update(scale="0.1")),
            "recon.scale is not a number",
        ),
        # arrays: divisors, counts, sorted keys, shapes that belong together
        (
            lambda c: _edit_arrays(
                c, lambda a: a.update(latent_std=np.zeros_like(a["latent_std"]))
            ),
            "'latent_std' holds a spread below",
        ),
        (
            lambda c: _edit_arrays(
                c, lambda a: a.update(profile_scale=np.zeros_like(a["profile_scale"]))
            ),
            "'profile_scale' is below the floor",
        ),
        (
            lambda c: _edit_arrays(
                c, lambda a: a.update(profile_precision=a["profile_precision"] * 1e300)
            ),
            "'profile_precision' holds an entry above",
        ),
        (
            lambda c: _edit_arrays(c, lambda a: a.update(colour_counts=-a["colour_counts"])),
            "'colour_counts' holds a count outside 1 to colour.n_images",
        ),
        (
            lambda c: _edit_arrays(c, lambda a: a.update(pair_counts=0 * a["pair_counts"])),
            "'pair_counts' holds a count outside",
        ),
        (
            lambda c: _edit_arrays(
                c, lambda a: a.update(colour_bins=a["colour_bins"][::-1].copy())
            ),
            "'colour_bins' is not increasing keys",
        ),
        (
            lambda c: _edit_arrays(c, lambda a: a.update(pair_keys=-a["pair_keys"])),
            "'pair_keys' is not increasing keys",
        ),
        (
            lambda c: _edit_arrays(c, lambda a: a.update(kde_reference=a["kde_reference"] * 1e200)),
            "'kde_reference' holds values past",
        ),
        (
            lambda c: _edit_arrays(c, lambda a: a.update(kde_loo=a["kde_loo"][:-1].copy())),
            "'kde_loo' has shape",
        ),
        (
            lambda c: _edit_arrays(c, lambda a: a.update(sprite_names=a["sprite_names"][:0])),
            "'sprite_embeddings' has shape",
        ),
    ],
)
def test_a_resealed_value_outside_its_domain_is_refused_by_check_and_status(
    copy: Path, tmp_path: Path, edit: Callable[[Path], None], says: str
) -> None:
    """A tester edited a baseline and recomputed its checksums: every number and array
    the scorer uses is checked for the domain it needs when the baseline is loaded, so
    check refuses it as one line naming the file and field (it had been a ZeroDivisionError,
    an OverflowError, numpy warnings, or a silent pass), and baseline status, which reads
    it the same way, does not call it verified."""
    edit(copy)
    with pytest.raises(BaselineError, match=re.escape(says)):
        load_baseline(copy)
    _cli_refuses(copy, tmp_path, says)
