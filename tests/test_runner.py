"""The hook's fast path: ``runner.parse_check`` reads ``check``'s options exactly as the
Typer command does, and leaves everything else to it."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from sprite_lint import cli, runner

SAMPLES = [
    ["a.png"],
    ["--", "a.png", "-odd-name.png", "--", "--all"],  # after "--": file names, verbatim
    ["-odd-name.png"],  # before it: -o with the value "dd-name.png", to click as well
    ["-b", "base", "--", "a.png"],  # pre-commit's entry
    ["a.png", "art/", "-b", "base", "--alpha", "0.05", "-f", "json", "-o", "out.json"],
    ["-fjson", "-j2", "--shard", "1/3", "--no-cache", "a.png"],
    [
        "--changed-since",
        "origin/main",
        "--baseline-ref",
        "origin/main",
        "--fail-on-baseline-change",
    ],
    ["--all", "--report-dir", "panels", "--html", "r.html", "--grid", "16x16"],
    ["--staged"],
    ["a.png", "--jobs", "0", "b.png"],  # an option between files
    ["--format=sarif", "--output=x.sarif", "a.png"],
    ["a.png", "--jobs", "-1"],  # a bad value, but a value: run_check refuses it
    ["-bbase", "-fjson", "-", "a.png"],
    ["a.png", "-f", "table", "-f", "json"],  # the last one counts
    [],
]


def _typer_reads(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> runner.CheckOptions:
    seen: list[runner.CheckOptions] = []
    monkeypatch.setattr(cli, "run_check", lambda o: seen.append(o) or 0)
    result = CliRunner().invoke(cli.app, ["check", *argv])
    assert seen, result.output
    return seen[0]


@pytest.mark.parametrize("argv", SAMPLES)
def test_the_fast_parser_reads_check_as_typer_does(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.parse_check(argv) == _typer_reads(argv, monkeypatch)


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["a.png", "--help"],
        ["-h"],
        ["--version"],
        ["-b", "base", "--help", "--", "a.png"],
        ["--bogus"],
        ["--base", "b"],  # an abbreviation: click takes none
        ["--jobs", "x"],
        ["--alpha", "high"],
        ["--staged=1"],
        ["--alpha"],
        ["-f=json", "a.png"],  # click keeps "=json" as the value; argparse drops the "="
        ["-b=base", "a.png"],
        ["-1"],  # click: an unknown option; argparse: a file named -1
        ["-x y.png"],
        ["--x y.png"],
        ["-b", "-base-", "a.png"],  # argparse takes no dash-led value; typer reads it
    ],
)
def test_what_the_fast_parser_does_not_take_goes_to_typer(argv: list[str]) -> None:
    assert runner.parse_check(argv) is None


def test_both_parsers_declare_the_same_options() -> None:
    check = get_command(cli.app).commands["check"]  # type: ignore[attr-defined]
    declared = {
        tuple(sorted(p.opts)): (p.name, p.is_flag)
        for p in check.params
        if p.param_type_name == "option"
    }
    fast = {
        tuple(sorted(flags)): (dest, kind is bool) for flags, dest, kind in runner.CHECK_OPTIONS
    }
    assert declared == fast
