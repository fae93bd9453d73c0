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
