from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sprite_lint.approvals import APPROVALS, load_approvals
from sprite_lint.cli import app
from sprite_lint.errors import BaselineError
from sprite_lint.synth import inject, make_family
from tests.conftest import creature_strip, write_rgba

ENV = {"COLUMNS": "100", "NO_COLOR": "1"}


@pytest.fixture
def repo(tmp_path: Path, tiny_baseline: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "game"
    shutil.copytree(tiny_baseline, repo / "baselines" / "default")
    good = make_family("creatures", 30, seed=3)[24:]
    write_rgba(repo / "art" / "boss.png", inject(good[0], "checkerboard", np.random.default_rng(0)))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo)
    return repo


def test_approve_passes_exact_bytes_until_the_file_changes(repo: Path) -> None:
    runner = CliRunner()
    manifest = (repo / "baselines/default/manifest.json").read_bytes()
    assert runner.invoke(app, ["check", "art/boss.png"], env=ENV).exit_code == 1
    r = runner.invoke(app, ["approve", "art/boss.png", "--reason", "intended retro look"], env=ENV)
    assert r.exit_code == 0, r.output
    doc = json.loads((repo / "baselines/default" / APPROVALS).read_text())
    assert (
        doc["approved"][0]["path"] == "art/boss.png"
        and doc["approved"][0]["reason"] == "intended retro look"
    )
    assert "time" not in json.dumps(doc)
    r = runner.invoke(app, ["check", "art/boss.png", "-f", "json"], env=ENV)
    assert r.exit_code == 0
    row = json.loads(r.stdout)["files"][0]
    assert row["status"] == "pass" and "approved" in row["message"]
    assert row["approved"] is True and row["margin"] > 0  # over the limit, passed by choice
    (repo / "shard.json").write_text(r.stdout)  # merge takes it as approved, by the field
    merged = runner.invoke(app, ["merge", "shard.json", "-f", "json"], env=ENV)
    assert merged.exit_code == 0 and json.loads(merged.stdout)["files"][0]["approved"] is True
    status = runner.invoke(app, ["baseline", "status"], env=ENV)
    assert status.exit_code == 0 and "art/boss.png: current" in status.output
    # a further edit: checked again, and the approval is stale
    write_rgba(
        repo / "art" / "boss.png",
        inject(make_family("creatures", 1, seed=9)[0], "foreign_blob", np.random.default_rng(1)),
    )
    assert runner.invoke(app, ["check", "art/boss.png"], env=ENV).exit_code == 1
    status = runner.invoke(app, ["baseline", "status"], env=ENV)
    assert status.exit_code == 1 and "stale: file changed" in status.output
    assert (
        repo / "baselines/default/manifest.json"
    ).read_bytes() == manifest  # check never writes it


def test_approvals_are_sorted_one_entry_per_path(repo: Path) -> None:
    write_rgba(repo / "art" / "a.png", make_family("creatures", 1, seed=2)[0])
    runner = CliRunner()
    runner.invoke(app, ["approve", "art/boss.png"], env=ENV)
    runner.invoke(app, ["approve", "art/a.png", "art/boss.png", "--reason", "again"], env=ENV)
    entries = json.loads((repo / "baselines/default" / APPROVALS).read_text())["approved"]
    assert [e["path"] for e in entries] == ["art/a.png", "art/boss.png"]
    assert entries[1]["reason"] == "again"


def test_bad_input_to_approve_and_damaged_approvals(repo: Path) -> None:
    (repo / "art" / "empty.png").write_bytes(b"")
    r = CliRunner().invoke(app, ["approve", "art/empty.png"], env=ENV)
    assert r.exit_code == 2 and "empty file" in r.output
    assert not (repo / "baselines/default" / APPROVALS).exists()
    (repo / "baselines/default" / APPROVALS).write_text("{not json")
    with pytest.raises(BaselineError):
        load_approvals(repo / "baselines/default")
    r = CliRunner().invoke(app, ["check", "art/boss.png"], env=ENV)
    assert r.exit_code == 2 and "approvals" in r.output


def test_baseline_status_reports_tool_version(repo: Path) -> None:
    r = CliRunner().invoke(app, ["baseline", "status"], env=ENV)
    assert r.exit_code == 0 and "verified" in r.output and "installed version" in r.output


def test_approve_recalibrate_retrains_with_the_approved_file(repo: Path) -> None:
    runner = CliRunner()
    before = json.loads((repo / "baselines/default/manifest.json").read_text())
    r = runner.invoke(
        app, ["approve", "art/boss.png", "--reason", "new style", "--recalibrate"], env=ENV
    )
    assert r.exit_code == 0, r.output
    assert "Recalibrating" in r.output and "Calibrated on 25 approved sprites" in r.output
    after = json.loads((repo / "baselines/default/manifest.json").read_text())
    assert after["split"]["n_approved"] == before["split"]["n_approved"] + 1 == 25
    assert after["sources"] == before["sources"]  # recorded sources, files come on top
    assert after["training"]["seed"] == before["training"]["seed"]
    assert after["calibration"]["alpha"] == before["calibration"]["alpha"]
    from sprite_lint.baseline import load_baseline

    names = [str(n) for n in load_baseline(repo / "baselines/default").arrays["sprite_names"]]
    assert "art/boss.png" in names
    assert "art/boss.png" in load_approvals(repo / "baselines/default")  # kept
    assert runner.invoke(app, ["check", "art/boss.png"], env=ENV).exit_code == 0


def test_approve_recalibrate_refuses_when_sources_are_gone(repo: Path) -> None:
    manifest = repo / "baselines/default/manifest.json"
    doc = json.loads(manifest.read_text())
    gone = Path(doc["sources"][0])
    moved = gone.with_name(gone.name + "-moved")
    gone.rename(moved)
    try:
        r = CliRunner().invoke(app, ["approve", "art/boss.png", "--recalibrate"], env=ENV)
    finally:
        moved.rename(gone)
    assert r.exit_code == 2 and "no longer exist" in r.output
    assert not (repo / "baselines/default" / APPROVALS).exists()  # nothing written
    assert (
        manifest.read_text() == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def test_an_approval_is_for_one_path_not_its_bytes_anywhere(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["approve", "art/boss.png"], env=ENV).exit_code == 0
    (repo / "other").mkdir()
    shutil.copy(repo / "art" / "boss.png", repo / "other" / "copy.png")
    r = runner.invoke(app, ["check", "art/boss.png", "other/copy.png", "-f", "json"], env=ENV)
    rows = {f["path"]: f for f in json.loads(r.stdout)["files"]}
    assert rows["art/boss.png"]["status"] == "pass"
    assert rows["other/copy.png"]["status"] == "fail"  # same bytes, never approved
    assert r.exit_code == 1
    # from a subfolder, the approval still finds its file (paths are repository-relative)
    monkeypatch.chdir(repo / "art")
    sub = runner.invoke(app, ["check", "boss.png", "-f", "json"], env=ENV)
    assert json.loads(sub.stdout)["files"][0]["status"] == "pass"


@pytest.mark.parametrize(
    "entry, words",
    [
        ({"path": "/etc/shadow", "sha256": "0" * 64}, "entry 1 has path '/etc/shadow'"),
        ({"path": "../outside.png", "sha256": "0" * 64}, "not one relative"),
        ({"path": "art/x.png", "sha256": "nothex"}, "64 hex digits"),
        ({"path": "art/x.png", "sha256": "0" * 64, "reason": 5}, "reason that is not text"),
        (
            {"path": "art/x.png", "sha256": "0" * 64, "extra": 1},
            "is not {path, sha256, reason, pixels_sha256}",
        ),
        ("art/x.png", "is not {path, sha256, reason, pixels_sha256}"),
    ],
)
def test_malformed_approvals_are_refused_naming_the_entry(
    repo: Path, entry: object, words: str
) -> None:
    target = repo / "baselines/default" / APPROVALS
    target.write_text(json.dumps({"version": 1, "approved": [entry]}))
    r = CliRunner().invoke(app, ["check", "art/boss.png"], env=ENV)
    assert r.exit_code == 2 and words in r.output.replace("\n", " ")
    with pytest.raises(BaselineError):
        load_approvals(repo / "baselines/default")


def test_baseline_status_never_reads_devices_or_files_outside(repo: Path) -> None:
    (repo / "art" / "zero.png").symlink_to("/dev/zero")
    (repo / "art" / "out.png").symlink_to("/etc/hostname")
    target = repo / "baselines/default" / APPROVALS
    target.write_text(
        json.dumps(
            {
                "version": 1,
                "approved": [
                    {"path": "art/zero.png", "sha256": "0" * 64, "reason": ""},
                    {"path": "art/out.png", "sha256": "0" * 64, "reason": ""},
                ],
            }
        )
    )
    r = CliRunner().invoke(app, ["baseline", "status"], env=ENV)
    assert r.exit_code == 1  # both stale, at once: nothing outside was hashed
    assert "art/zero.png: stale" in r.output and "art/out.png: stale" in r.output


@pytest.mark.parametrize("path", ["art/a\u0000b.png", "art/\ud800.png"])
def test_an_approved_path_no_file_can_have_is_refused_by_check_and_status(
    repo: Path, path: str
) -> None:
    """A NUL (or a lone surrogate the file system cannot encode) in an approved path:
    check had ignored it while baseline status failed with "internal error: ValueError:
    embedded null byte". Both refuse the approvals file now, naming the entry."""
    target = repo / "baselines/default" / APPROVALS
    target.write_text(json.dumps({"version": 1, "approved": [{"path": path, "sha256": "0" * 64}]}))
    runner = CliRunner()
    for args in (["check", "art/boss.png"], ["baseline", "status"]):
        r = runner.invoke(app, args, env={**ENV, "COLUMNS": "300"})
        assert r.exit_code == 2, (args, r.output)
        assert f"approved.json: entry 1 has path {path!r}, which no file can have" in r.output
        assert "verified" not in r.output and "internal error" not in r.output


def test_approve_refuses_a_file_outside_the_repository_and_writes_nothing(
    repo: Path, tmp_path: Path
) -> None:
    """A trial approved ``../art/heldout/blob_001.png`` from a game repository: "Approved 1
    file(s)", exit 0, and an entry every later check and baseline status refused, blocking
    every commit. approve refuses it now, as check would refuse the entry: one line, exit 2,
    nothing written."""
    outside = tmp_path / "art" / "heldout" / "blob_001.png"
    outside.parent.mkdir(parents=True)
    shutil.copy(repo / "art" / "boss.png", outside)
    runner = CliRunner()
    env = {**ENV, "COLUMNS": "400"}
    r = runner.invoke(app, ["approve", "../art/heldout/blob_001.png", "--reason", "x"], env=env)
    assert r.exit_code == 2, r.output
    assert r.output.count("\n") == 1 and r.output.startswith(
        "error: cannot approve ../art/heldout/blob_001.png: it lies outside "
    )
    assert "nothing was written" in r.output and "Approved" not in r.output
    assert not (repo / "baselines/default" / APPROVALS).exists()
    # one bad file among good ones: none of them is approved
    r = runner.invoke(app, ["approve", "art/boss.png", str(outside)], env=env)
    assert r.exit_code == 2 and not (repo / "baselines/default" / APPROVALS).exists()
    # and the repository's checks still run
    assert runner.invoke(app, ["check", "art/boss.png"], env=env).exit_code == 1
    assert runner.invoke(app, ["baseline", "status"], env=env).exit_code == 0


def test_approved_paths_are_relative_to_the_repository_that_holds_the_baseline(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run outside any repository with ``--baseline`` in another one, approve had stored
    the path relative to the current folder ("blob_000.png") in that repository's
    baseline. Paths are relative to the top of the repository holding the baseline, as
    check reads them; a file outside it is refused; ``..`` from a subfolder resolves."""
    loose = tmp_path / "loose"
    loose.mkdir()
    shutil.copy(repo / "art" / "boss.png", loose / "blob_000.png")
    monkeypatch.chdir(loose)
    env = {**ENV, "COLUMNS": "400", "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    folder = str(repo / "baselines" / "default")
    runner = CliRunner()
    r = runner.invoke(app, ["approve", "blob_000.png", "-b", folder], env=env)
    assert r.exit_code == 2 and f"it lies outside {repo}" in r.output, r.output
    assert not (repo / "baselines/default" / APPROVALS).exists()
    # a file of that repository, named from outside it: relative to its top
    r = runner.invoke(app, ["approve", "../game/art/boss.png", "-b", folder], env=env)
    assert r.exit_code == 0, r.output
    entries = json.loads((repo / "baselines/default" / APPROVALS).read_text())["approved"]
    assert [e["path"] for e in entries] == ["art/boss.png"]
    # check agrees, from outside and from inside the repository
    outside = runner.invoke(app, ["check", "../game/art/boss.png", "-b", folder], env=env)
    assert outside.exit_code == 0, outside.output
    monkeypatch.chdir(repo / "art")
    assert runner.invoke(app, ["check", "boss.png"], env=env).exit_code == 0
    # `..` from a subfolder of the repository: the entry names the file, not the way there
    (repo / "art" / "sub").mkdir()
    monkeypatch.chdir(repo / "art" / "sub")
    shutil.copy(repo / "art" / "boss.png", repo / "art" / "boss2.png")
    r = runner.invoke(app, ["approve", "../boss2.png"], env=env)
    assert r.exit_code == 0, r.output
    entries = json.loads((repo / "baselines/default" / APPROVALS).read_text())["approved"]
    assert [e["path"] for e in entries] == ["art/boss.png", "art/boss2.png"]
    assert runner.invoke(app, ["check", "../boss2.png"], env=env).exit_code == 0
    status = runner.invoke(app, ["baseline", "status"], env=env)
    assert status.exit_code == 0 and "art/boss2.png: current" in status.output


def test_approving_a_file_that_already_passes_says_so_and_records_it(repo: Path) -> None:
    """A file check passes anyway is approved all the same (a later baseline cannot fail
    its bytes), and approve says it already passed."""
    good = make_family("creatures", 30, seed=3)[25]
    write_rgba(repo / "art" / "fine.png", good)
    runner = CliRunner()
    assert runner.invoke(app, ["check", "art/fine.png"], env=ENV).exit_code == 0
    r = runner.invoke(
        app, ["approve", "art/fine.png", "art/boss.png"], env={**ENV, "COLUMNS": "300"}
    )
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("art/fine.png already passes (score ")
    assert "approved all the same" in lines[0]
    assert not any("boss.png already" in line for line in lines)  # it fails: no note
    assert lines[-1] == "Approved 2 file(s) in baselines/default/approved.json"
    entries = json.loads((repo / "baselines/default" / APPROVALS).read_text())["approved"]
    assert [e["path"] for e in entries] == ["art/boss.png", "art/fine.png"]


def test_an_approved_sheet_passes_whether_its_frames_are_cached_or_not(repo: Path) -> None:
    """Approving a sheet approves its bytes: its failing frames pass, judged afresh or
    read from the result cache (whose frame rows had lacked the file's digest)."""
    runner = CliRunner()
    write_rgba(repo / "art" / "strip.png", creature_strip())
    args = ["check", "art/strip.png", "--grid", "32x32", "-f", "json"]
    first = runner.invoke(app, args, env=ENV)  # fills the cache
    assert first.exit_code == 1, first.output
    approved = runner.invoke(app, ["approve", "art/strip.png", "--reason", "ok"], env=ENV)
    assert approved.exit_code == 0, approved.output
    for extra in ([], ["--no-cache"]):  # from the cache, then afresh
        r = runner.invoke(app, [*args, *extra], env=ENV)
        rows = json.loads(r.stdout)["files"]
        assert r.exit_code == 0, rows
        assert all(f["status"] == "pass" for f in rows)


def test_approve_recalibrate_names_new_unapproved_files_in_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--recalibrate`` retrains on the recorded sources as they are now: new files there
    were taken in as approved art under "1 approved file(s) added" (found by a tech
    artist's trial). They are named."""
    from sprite_lint.calibrate import CalibrateOptions, calibrate

    repo = tmp_path / "game"
    for i, im in enumerate(make_family("creatures", 24, seed=3)):  # one name holds a "#"
        write_rgba(repo / "art" / "approved" / f"c{i:02d}{'#200' if i == 5 else ''}.png", im)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo)
    calibrate(["art/approved"], repo / "baselines/default", CalibrateOptions(epochs=1, width=8))
    newcomers = make_family("creatures", 30, seed=11)[-2:]
    for name, im in zip(("new1.png", "new2.png"), newcomers):
        write_rgba(repo / "art" / "approved" / name, im)
    boss = make_family("creatures", 30, seed=3)[26]
    write_rgba(repo / "art" / "boss.png", inject(boss, "checkerboard", np.random.default_rng(0)))
    # approved, then edited: the edit was never approved, so it is not trained on either
    write_rgba(repo / "art" / "edited.png", boss)
    assert CliRunner().invoke(app, ["approve", "art/edited.png"], env=ENV).exit_code == 0
    write_rgba(repo / "art" / "edited.png", inject(boss, "blur", np.random.default_rng(0)))
    r = CliRunner().invoke(app, ["approve", "art/boss.png", "--recalibrate"], env=ENV)
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert (
        "2 file(s) in the baseline's sources were not in its last calibration and are not "
        "approved, and were trained on as approved art: art/approved/new1.png, "
        "art/approved/new2.png."
    ) in text
    assert "Calibrated on 27 approved sprites" in text
    assert "1 approved file(s) changed since they were approved and are not trained on: " in text
    assert "edited.png (approve them again if they are right)" in text


def test_an_approval_survives_a_lossless_resave_but_not_an_edit(repo: Path) -> None:
    """An optimiser pass (oxipng, pngcrush, another encoder) rewrites the bytes, not the
    pixels: the approval holds, and check and baseline status say it was re-saved (it
    had failed again as a changed file; found by a tech artist's trial)."""
    from PIL import Image

    runner = CliRunner()
    assert runner.invoke(app, ["approve", "art/boss.png", "--reason", "ok"], env=ENV).exit_code == 0
    entry = json.loads((repo / "baselines/default" / APPROVALS).read_text())["approved"][0]
    assert len(entry["pixels_sha256"]) == 64
    before = (repo / "art" / "boss.png").read_bytes()
    with Image.open(repo / "art" / "boss.png") as im:
        im.load()
        im.save(repo / "art" / "boss.png", optimize=True, compress_level=9)
    assert (repo / "art" / "boss.png").read_bytes() != before
    r = runner.invoke(app, ["check", "art/boss.png", "-f", "json"], env=ENV)
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)["files"][0]
    assert (
        row["approved"] and row["message"] == "approved (ok); re-saved since, with the same pixels"
    )
    status = runner.invoke(app, ["baseline", "status"], env=ENV)
    assert status.exit_code == 0 and "current (re-saved with the same pixels)" in status.output
    explained = runner.invoke(app, ["explain", "art/boss.png"], env=ENV)
    assert explained.exit_code == 0, explained.output
    # the same pixels with frames added (an APNG): a warning, so no longer the file approved
    with Image.open(repo / "art" / "boss.png") as im:
        im.load()
        red = Image.new("RGBA", im.size, (255, 0, 0, 255))
        im.save(repo / "art" / "anim.png", save_all=True, append_images=[red])
    shutil.copy(repo / "art" / "boss.png", repo / "art" / "still.png")
    shutil.copy(repo / "art" / "anim.png", repo / "art" / "boss.png")
    r = runner.invoke(app, ["check", "art/boss.png", "-f", "json"], env=ENV)
    assert r.exit_code == 1 and "animated PNG" in json.loads(r.stdout)["files"][0]["message"]
    shutil.copy(repo / "art" / "still.png", repo / "art" / "boss.png")
    # one pixel changed: checked again, and stale
    rgba = np.array(Image.open(repo / "art" / "boss.png").convert("RGBA"))
    rgba[0, 0] = [255, 0, 255, 255]
    write_rgba(repo / "art" / "boss.png", rgba)
    assert runner.invoke(app, ["check", "art/boss.png"], env=ENV).exit_code == 1
    status = runner.invoke(app, ["baseline", "status"], env=ENV)
    assert status.exit_code == 1 and "stale: file changed" in status.output
    # an entry written before pixels were recorded keeps to the exact bytes
    shutil.copy(repo / "art" / "still.png", repo / "art" / "boss.png")
    assert runner.invoke(app, ["approve", "art/boss.png"], env=ENV).exit_code == 0
    approved_bytes = (repo / "art" / "boss.png").read_bytes()
    with Image.open(repo / "art" / "boss.png") as im:
        im.load()
        im.save(repo / "art" / "boss.png", compress_level=0)
    assert (repo / "art" / "boss.png").read_bytes() != approved_bytes
    assert runner.invoke(app, ["check", "art/boss.png"], env=ENV).exit_code == 0
    doc = json.loads((repo / "baselines/default" / APPROVALS).read_text())
    del doc["approved"][0]["pixels_sha256"]
    (repo / "baselines/default" / APPROVALS).write_text(json.dumps(doc))
    assert load_approvals(repo / "baselines/default")["art/boss.png"].pixels == ""
    assert runner.invoke(app, ["check", "art/boss.png"], env=ENV).exit_code == 1


def test_approvals_file_versions(repo: Path) -> None:
    """Version 2 (pixels) is written; version 1 is read; a newer one says to upgrade, and
    what sprite-lint 0.3.0 says of version 2 is "unsupported version", not a damaged entry."""
    runner = CliRunner()
    assert runner.invoke(app, ["approve", "art/boss.png"], env=ENV).exit_code == 0
    target = repo / "baselines/default" / APPROVALS
    doc = json.loads(target.read_text())
    assert doc["version"] == 2
    del doc["approved"][0]["pixels_sha256"]
    target.write_text(json.dumps({**doc, "version": 1}))
    assert runner.invoke(app, ["check", "art/boss.png"], env=ENV).exit_code == 0
    for version, words in ((3, "written by a newer sprite-lint?"), (True, "unsupported version")):
        target.write_text(json.dumps({**doc, "version": version}))
        r = runner.invoke(app, ["check", "art/boss.png"], env=ENV)
        assert r.exit_code == 2 and words in r.output, r.output


def test_approve_says_when_it_approves_nothing_and_counts_files_once(repo: Path) -> None:
    """A JPEG or a folder without a PNG had approved nothing with exit 0 and no word; one
    file named two ways was counted twice (found by a new user's trial)."""
    from PIL import Image

    (repo / "jpgs").mkdir()
    Image.new("RGB", (16, 16)).save(repo / "jpgs" / "s0.jpg")
    runner = CliRunner()
    r = runner.invoke(app, ["approve", "jpgs/s0.jpg", "--reason", "x"], env=ENV)
    assert r.exit_code == 2 and "jpgs/s0.jpg: not a PNG file name (.png)" in r.output
    r = runner.invoke(app, ["approve", "jpgs", "--reason", "x"], env=ENV)
    assert r.exit_code == 2 and "no PNG files found in jpgs" in r.output
    assert not (repo / "baselines/default" / APPROVALS).exists()
    r = runner.invoke(app, ["approve", "art/boss.png", str(repo / "art" / "boss.png")], env=ENV)
    assert r.exit_code == 0 and "Approved 1 file(s)" in r.output, r.output
