"""The command line's typer-free half: process set-up, errors, output, and ``check``.

``sprite-lint check FILES`` is what the pre-commit hook runs on every commit, so it runs
from here without importing typer (its import and command building are 23 ms of a
one-file check, measured): :func:`parse_check` reads its options with :mod:`argparse`
and :func:`run_check` does the work. Any other command, ``--help``, or ``check`` options
that parser does not take exactly as they stand go to the Typer application
(``sprite_lint.cli``), which defines every command, ``check`` included, runs the same
:func:`run_check`, and words every usage error; a test keeps both parsers' ``check``
options equal.

Exit codes: 0 all pass, 1 any anomaly, 2 any error or usage problem.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.text import Text

from sprite_lint.errors import EXIT_ERROR, SpriteLintError


@dataclass
class CheckOptions:
    """``sprite-lint check``'s options, as either parser reads them (see ``cli.check``)."""

    files: list[Path] | None = None
    baseline: Path | None = None
    alpha: float | None = None
    format: str | None = None
    output: Path | None = None
    jobs: int = 1
    shard: str | None = None
    no_cache: bool = False
    changed_since: str | None = None
    all_files: bool = False
    report_dir: Path | None = None
    html: Path | None = None
    staged: bool = False
    grid: str | None = None
    baseline_ref: str | None = None
    fail_on_baseline_change: bool = False


# (flags, destination, type) of every ``check`` option, as ``cli.check`` declares them
CHECK_OPTIONS: tuple[tuple[tuple[str, ...], str, type], ...] = (
    (("--baseline", "-b"), "baseline", Path),
    (("--alpha",), "alpha", float),
    (("--format", "-f"), "format", str),
    (("--output", "-o"), "output", Path),
    (("--jobs", "-j"), "jobs", int),
    (("--shard",), "shard", str),
    (("--no-cache",), "no_cache", bool),
    (("--changed-since",), "changed_since", str),
    (("--all",), "all_files", bool),
    (("--report-dir",), "report_dir", Path),
    (("--html",), "html", Path),
    (("--staged",), "staged", bool),
    (("--grid",), "grid", str),
    (("--baseline-ref",), "baseline_ref", str),
    (("--fail-on-baseline-change",), "fail_on_baseline_change", bool),
)


def _as_click_reads(head: Sequence[str]) -> bool:
    """Whether every dash-led argument before ``--`` is read alike by argparse and click:
    a known option, or the value of the option before it. Click takes ``-1`` or ``-x y``
    for an unknown option where argparse takes a file, and keeps the ``=`` of ``-f=json``
    in the value where argparse drops it."""
    known = {flag for flags, _, _ in CHECK_OPTIONS for flag in flags}
    takes_value = {flag for flags, _, kind in CHECK_OPTIONS if kind is not bool for flag in flags}
    value_next = False
    for arg in head:
        if value_next or not arg.startswith("-") or arg == "-":
            value_next = False
            continue
        if arg.startswith("--"):
            name = arg.split("=", 1)[0]
            value_next = name in takes_value and "=" not in arg
        else:
            name = arg[:2]
            if arg[2:3] == "=":
                return False
            value_next = name in takes_value and len(arg) == 2
        if name not in known:
            return False
    return True


class _NotTaken(Exception):
    """The arguments are not for the fast path: the Typer application takes them."""


def parse_check(argv: Sequence[str]) -> CheckOptions | None:
    """``check``'s arguments (after the word ``check``) as the Typer application reads
    them, or None for anything this parser does not take exactly as it stands (``--help``,
    an unknown or abbreviated option, a value of the wrong type): the Typer application
    then runs, and words the usage error."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise _NotTaken(message)

    parser = Parser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("files", nargs="*", type=Path)
    for flags, dest, kind in CHECK_OPTIONS:
        if kind is bool:
            parser.add_argument(*flags, dest=dest, action="store_true")
        else:
            parser.add_argument(*flags, dest=dest, type=kind)
    # what follows "--" is files, verbatim (pre-commit's entry ends in it); argparse's
    # intermixed parsing would read "-o..." there as an option
    head, tail = list(argv), []
    if "--" in head:
        k = head.index("--")
        head, tail = head[:k], head[k + 1 :]
    if "--help" in head or "--version" in head or not _as_click_reads(head):
        return None
    try:
        ns = parser.parse_intermixed_args(head)
    except (_NotTaken, argparse.ArgumentError, ValueError, TypeError):
        return None
    values = {k: v for k, v in vars(ns).items() if v is not None}
    values["files"] = [*values.get("files", []), *(Path(t) for t in tail)] or None
    return CheckOptions(**values)


@contextlib.contextmanager
def guard(passthrough: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """The one place expected failures become a message and exit code 2 (``SystemExit``);
    ``passthrough``: exceptions let through as they are (the Typer application's own)."""
    try:
        yield
    except passthrough:
        raise
    except SpriteLintError as exc:
        _console(stderr=True).print(
            Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True
        )
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        _console(stderr=True).print("interrupted; nothing was written")
        raise SystemExit(130) from None
    except BrokenPipeError:
        _quiet_stdout()
        raise SystemExit(EXIT_ERROR) from None
    except StdoutError as exc:
        _output_failed(f"cannot write to standard output ({exc.strerror})")
    except Exception as exc:  # a bug or an unforeseen input: one line, exit 2, no traceback
        _report_internal_error(exc)
        raise SystemExit(EXIT_ERROR) from None


def _ignore_further_interrupts() -> None:
    """SIGINT ignored from now on (main thread only), for a process on its way out after
    a Ctrl-C: a second one during the exit neither kills it by the signal (no exit 130)
    nor interrupts its clean-up. Only the entry point calls this, never a library path."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_check(o: CheckOptions) -> int:
    """Score sprites against the baseline and print or write the report: the exit code
    (0 all pass, 1 any anomaly, 2 any error row). Raises :class:`SpriteLintError` for a
    usage problem (the caller's ``guard`` words it)."""
    files, baseline, alpha, format, output = o.files, o.baseline, o.alpha, o.format, o.output
    jobs, shard, no_cache, changed_since, all_files = (
        o.jobs,
        o.shard,
        o.no_cache,
        o.changed_since,
        o.all_files,
    )
    report_dir, html, staged, grid = o.report_dir, o.html, o.staged, o.grid
    baseline_ref, fail_on_baseline_change = o.baseline_ref, o.fail_on_baseline_change
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        from sprite_lint.baseline import load_baseline
        from sprite_lint.cache import DEFAULT_DIR
        from sprite_lint.check import check_files
        from sprite_lint.config import load_settings
        from sprite_lint.discovery import display_path, expand_paths, parse_shard, select_shard
        from sprite_lint.errors import BaselineError, UsageError

        s = load_settings(
            warn=_warn, baseline=str(baseline) if baseline else None, format=format, alpha=alpha
        )
        check_alpha = s.alpha if "alpha" in s.explicit else None
        if jobs < 0:
            raise UsageError("--jobs must be 0 (one per core) or more")
        root: Path | None = None
        staged_links: list[str] = []  # --staged: links, whose index entry is no image
        changes: list = []
        originals: list[Path] = []  # --staged: the working-tree files its copies stand for
        shown: Path | None = None  # what paths are shown relative to (default: root)
        project: Path | None = None  # what mapped globs are relative to (default: config's)
        if sum([changed_since is not None, all_files, staged]) > 1:
            raise UsageError("give one of --changed-since, --all and --staged")
        if baseline_ref is not None:
            from sprite_lint.gitfiles import refuse_option_ref

            refuse_option_ref(baseline_ref, "--baseline-ref")
        if fail_on_baseline_change and baseline_ref is None:
            raise UsageError("--fail-on-baseline-change needs --baseline-ref REF to compare with")
        if changed_since is not None or all_files or staged:
            from sprite_lint import gitfiles

            if files:
                raise UsageError("give either FILES or --changed-since/--all/--staged, not both")
            option = "--all" if all_files else "--staged" if staged else "--changed-since"
            root = gitfiles.repo_root_for(option)
            if staged:
                # the index's blobs, written under a temporary folder laid out like the
                # repository, so names, globs and reports read as in the repository
                import tempfile

                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sprite-lint-")))
                links = gitfiles.staged_links(root)
                names = gitfiles.staged_pngs(root)  # with the sheets of staged data files
                for sub in gitfiles.staged_submodules(root):
                    _warn(gitfiles.submodule_unchecked(sub))
                staged_links = [n for n in names if n in links]
                names = [n for n in names if n not in links]
                for name in names:
                    dest = tmp / name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(gitfiles.read_at("", name, root))
                    originals.append(root / name)
                    for data in gitfiles.staged_siblings(name, root):  # a sheet's data file
                        (tmp / data).write_bytes(gitfiles.read_at("", data, root))
                        originals.append(root / data)
                shown = tmp
                project = tmp / _project_dir(s, root).resolve().relative_to(root.resolve())
                paths = expand_paths([tmp / n for n in names], s.exclude, project)
            elif changed_since is not None:
                gitfiles.verify_commit(changed_since, root)  # says how to fetch it if missing
                if (shallow := gitfiles.shallow_fork_warning(changed_since, root)) is not None:
                    _warn(shallow)
                changes = gitfiles.changed_pngs(changed_since, root)  # since the fork point
                for sub in gitfiles.changed_submodules(changed_since, root):
                    _warn(gitfiles.submodule_unchecked(sub))
                paths = expand_paths([c.path for c in changes], s.exclude, _project_dir(s, root))
            else:  # submodules' sprites included
                paths = expand_paths(gitfiles.tracked_pngs(root), s.exclude, _project_dir(s, root))
        elif not files:
            raise UsageError(
                "no files given: name PNG files or folders, or use --changed-since REF"
            )
        else:
            paths = expand_paths(files, s.exclude, _project_dir(s, root))
            if not paths:  # named folders without a PNG: a wrong path must not pass forever
                from sprite_lint.discovery import no_pngs_message

                raise UsageError(no_pngs_message(files))
        # in any shard; a staged sprite's working-tree file as much as its copy
        _refuse_writing_inputs(
            [*paths, *originals], output=output, html=html, report_dir=report_dir
        )
        _refuse_panels_among_inputs(report_dir, [*paths, *originals])
        if shard is not None:
            paths = select_shard(paths, *parse_shard(shard), root=root)
        escaped: list[Path] = []  # git's listing: links that lead out of the repository
        if root is not None and not staged:
            from sprite_lint.gitfiles import repo_relative

            escaped = [p for p in paths if repo_relative(p, root) is None]
            paths = [p for p in paths if p not in set(escaped)]
        from sprite_lint.approvals import load_approvals
        from sprite_lint.check import (
            add_previous_scores,
            join_reports,
            outside_result,
            route,
            staged_link_result,
            unmatched_result,
        )

        shown = shown or root
        sheets = _sheet_settings(s, grid, project)
        # --baseline-ref: baselines are read at that commit, relative to the repository's top
        ref_root = None if baseline_ref is None else root or _repo_root()
        if s.baselines:  # several baselines, mapped by glob
            groups, unmatched = route(paths, s.baseline_for, project or _project_dir(s, root))
        else:  # inside a repository, a relative baseline path is relative to its top
            groups = {_single_baseline(s, root or ref_root): list(paths)}
            unmatched = []
        _refuse_writing_baselines(
            [str(f) for f in groups] + [f for _, f in s.baselines],
            output=output,
            html=html,
            report_dir=report_dir,
        )
        _refuse_foreign_report_dir(report_dir)
        reports, loaded = [], []
        for folder, group in groups.items():
            try:
                base = load_baseline(folder, baseline_ref, ref_root).with_alpha(check_alpha)
            except BaselineError as exc:  # a mapped folder: say where the mapping is
                origin = s.baseline_origin(folder)
                if origin is None:
                    raise
                raise BaselineError(f"{exc} (mapped by {origin})") from None
            part = check_files(
                group,
                base,
                max_pixels=s.max_pixels,
                jobs=_effective_jobs(jobs, len(group)),
                cache_root=None if no_cache else _cache_dir(s, root) / DEFAULT_DIR,
                root=shown,
                approvals=load_approvals(base.path, base.files),
                sheets=sheets,
                pending=_pending_approvals(folder, baseline_ref),
            )
            if changed_since is not None and root is not None:
                add_previous_scores(part, changes, changed_since, root, base, s.max_pixels, sheets)
            reports.append(part)
            loaded.append((base, group))
        config_shown = (  # named as the rows are: no runner's absolute path
            display_path(Path(s.config_file), shown) if s.config_file else None
        )
        extra = [unmatched_result(display_path(p, shown), config_shown) for p in unmatched]
        extra += [outside_result(display_path(p, shown)) for p in escaped]
        extra += [staged_link_result(name) for name in staged_links]
        if changed_since is not None and root is not None:  # their Change column too
            by_name = {display_path(c.path, root): c.change for c in changes}
            for r in extra:
                r.change = by_name.get(r.path, "requested")
        report = join_reports(reports, extra)
        if baseline_ref is not None and ref_root is not None:
            from sprite_lint.check import baseline_edits, settings_edits

            folders = [f for _, f in s.baselines] or [_single_baseline(s, ref_root)]
            report.notices = baseline_edits(
                baseline_ref, folders, ref_root, fail_on_baseline_change
            ) + settings_edits(baseline_ref, s.config_file, ref_root, fail_on_baseline_change)
        _relative_baselines(report, root)
        if report_dir is not None or html is not None:
            _write_visual_reports(report, loaded, shown, s.max_pixels, report_dir, html, sheets)
        if shown is None and s.format in REPOSITORY_FORMATS:
            _repository_relative(report)
        report.elapsed = time.monotonic() - started
        report.baseline_option = str(baseline) if baseline is not None else None
        _emit(report, s.format, output)
        return report.exit_code


class _Console(Console):
    """rich's console, except that a reader gone away (``| head``, ``| true``) is left to
    sprite-lint's own handling (exit 2, as for every report format): rich's own exits 1,
    which reads as "findings" and hides the error."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


# A CI log (GitHub Actions, GitLab CI) is no terminal: rich would lay the table out in 80
# columns and cut file names to their last 30 characters, where a log viewer shows long
# lines whole
CI_WIDTH = 160


def _console(stderr: bool = False) -> Console:
    """80 columns inside pre-commit, CI_WIDTH in a CI log (unless COLUMNS says otherwise);
    rich itself honours NO_COLOR and FORCE_COLOR."""
    env = os.environ
    width = 80 if env.get("PRE_COMMIT") else None
    stream = sys.stderr if stderr else sys.stdout
    ci = env.get("GITHUB_ACTIONS") == "true" or env.get("GITLAB_CI") == "true"
    if width is None and ci and "COLUMNS" not in env and not stream.isatty():
        width = CI_WIDTH
    if width is None and env.get("COLUMNS", "").strip().isdigit() and int(env["COLUMNS"]) < 1:
        width = 80  # COLUMNS=0: rich would lay out zero columns (and fail doing it)
    return _Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


def _report_internal_error(exc: BaseException) -> None:
    """``sprite-lint: internal error, please report: Type: message`` on one stderr line."""
    message = " ".join(str(exc).split())
    line = f"sprite-lint: internal error, please report: {type(exc).__name__}: {message}"
    with contextlib.suppress(Exception):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _quiet_stdout() -> None:
    """stdout is closed (``sprite-lint check | head``): send what is left to /dev/null, so
    neither our output nor Python's flush at exit raises again or prints a traceback."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _say(console: Console, msg: str) -> None:
    """``msg`` word-wrapped to the console's width, with no trailing space on any line
    (rich keeps the space it broke at; logs and files show it)."""
    from sprite_lint.reporters import print_wrapped

    print_wrapped(console, msg)


def _warn(msg: str) -> None:
    _console(stderr=True).print(Text.assemble(("warning: ", "yellow"), msg), soft_wrap=True)


def _sheet_settings(s: Any, grid: str | None, project: Path | None) -> Any:
    """Which PNGs are sheets: ``--grid``, else the configuration's sheets and data files."""
    from sprite_lint.sheets import GridSpec, SheetSettings

    return SheetSettings(
        GridSpec.parse(grid) if grid is not None else None,
        s.sheets,
        str(project) if project is not None else s.project_dir,
    )


def _effective_jobs(jobs: int, n_files: int) -> int:
    """``--jobs`` (0 = one per core), capped at the chunks of work there are and at four
    workers per core: more processes only cost memory and start-up time."""
    from sprite_lint.check import CHUNK

    cores = os.cpu_count() or 1
    chunks = -(-n_files // CHUNK)
    return max(1, min(jobs or cores, 4 * cores, chunks))


def _cache_dir(s: Any, root: Path | None) -> Path:
    """Where the result cache lives: the repository's top under --changed-since, --all and
    --staged, else the configuration's folder (as ruff keeps its cache at the project's
    root), else the current folder. One cache for a project, wherever check runs in it."""
    return root or (Path(s.project_dir) if s.project_dir else Path.cwd())


def _project_dir(s: Any, root: Path | None) -> Path:
    """What mapped globs are relative to: the configuration's folder, else the repository."""
    return Path(s.project_dir) if s.project_dir else (root or Path.cwd())


def _write_visual_reports(
    report: Any,
    loaded: list[tuple[Any, list[Path]]],
    root: Path | None,
    max_pixels: int,
    report_dir: Path | None,
    html: Path | None,
    sheets: Any = None,
) -> None:
    """Panels for failing files and frames (``--report-dir``) and the HTML report (``--html``)."""
    from sprite_lint.discovery import display_path
    from sprite_lint.explain import explain_files

    failing: dict[str, list[int | None]] = {}
    for r in report.results:  # a frame failing on a sheet fault too: among its neighbours
        if r.status == "fail" and (r.score is not None or r.frame is not None):
            indices = failing.setdefault(r.path, [])
            index = r.frame.index if r.frame else None
            if index not in indices:  # a frame with a fault and a score: one panel
                indices.append(index)
    details = []
    for base, group in loaded:
        chosen = [(p, display_path(p, root)) for p in group]
        items = [(p, name, i) for p, name in chosen for i in failing.get(name, [])]
        details += explain_files(items, base, max_pixels, sheets)
    console = _console(stderr=True)
    if report_dir is not None:
        from sprite_lint.panels import write_panels

        try:
            written = write_panels(details, report_dir)
        except OSError as exc:
            from sprite_lint.errors import UsageError

            raise UsageError(
                f"cannot write panels to {report_dir}: {exc.strerror or exc}"
            ) from None
        console.print(f"wrote {len(written)} panel(s) to {report_dir}/", highlight=False)
    if html is not None:
        from sprite_lint.htmlreport import render_html

        _write_output(html, render_html(report, details, [b for b, _ in loaded]))
        console.print(f"wrote {html}", highlight=False)


def _pending_approvals(folder: str, baseline_ref: str | None) -> tuple[str, dict] | None:
    """Under ``--baseline-ref REF``, the working tree's ``approved.json`` of ``folder``: the
    approvals the change under review adds, which take effect once they are on REF."""
    if baseline_ref is None:
        return None
    from sprite_lint.approvals import load_approvals
    from sprite_lint.errors import BaselineError

    try:
        return baseline_ref, load_approvals(Path(folder))
    except BaselineError:  # a damaged working-tree approvals file: REF's verdict stands
        return None


def _single_baseline(s: Any, root: Path | None) -> str:
    """The one baseline: a path that exists from the current folder is that one (as
    every command reads ``-b ../baselines/x``); otherwise, inside a repository, a
    relative path is relative to its top (run from a subfolder)."""
    if Path(s.baseline).is_absolute() or Path(s.baseline).exists():
        return s.baseline
    if root is None:
        root = _repo_root_or_none()  # run from a subfolder: look from the top (one git call)
    return s.baseline if root is None else str(root / s.baseline)


def _repo_root() -> Path:
    """The repository's top, for --baseline-ref; outside a repository, a usage error."""
    from sprite_lint.errors import UsageError
    from sprite_lint.gitfiles import repo_root_or_none

    root = repo_root_or_none()
    if root is None:
        raise UsageError("--baseline-ref reads the baseline with git: run it inside a repository")
    return root


def _repo_root_or_none(start: Path | None = None) -> Path | None:
    from sprite_lint.gitfiles import repo_root_or_none

    return repo_root_or_none(start)


# formats a code host maps onto the repository's files: their paths must be relative to
# its top, even when check ran in a subfolder with file names relative to it
REPOSITORY_FORMATS = ("sarif", "gitlab", "junit", "github")


def _repository_relative(report: Any) -> None:
    """Rewrite the report's paths (relative to the working directory) relative to the top of
    the git repository it runs in, when there is one and the file lies inside it."""
    from sprite_lint.gitfiles import repo_root_or_none

    top = repo_root_or_none()
    if top is None:
        return
    prefix = os.path.realpath(top) + os.sep
    for r in report.results:
        # the folders resolved (a checkout under a linked folder), the file name kept as is
        where = os.path.join(os.getcwd(), r.path)
        absolute = os.path.join(os.path.realpath(os.path.dirname(where)), os.path.basename(where))
        if absolute.startswith(prefix):
            r.path = absolute[len(prefix) :].replace(os.sep, "/")


def _relative_baselines(report: Any, root: Path | None) -> None:
    """Absolute baseline paths named as the rows are: relative to the repository's top
    ``root`` under ``--changed-since``, ``--all`` and ``--staged``, else to the current
    folder, when they lie inside it (a CI runner's ``/home/runner/work/...`` says nothing
    to a reviewer). No git call: the one-file hook pays nothing for it."""
    import dataclasses

    from sprite_lint.gitfiles import repo_relative

    top = root or Path.cwd()

    def rel(path: str) -> str:
        if not path or not os.path.isabs(path):
            return path
        inside = repo_relative(Path(path), top)
        return path if inside is None else inside

    report.baseline = rel(report.baseline)
    report.baselines = [dataclasses.replace(b, path=rel(b.path)) for b in report.baselines]
    for r in report.results:
        if r.baseline:
            r.baseline = rel(r.baseline)


def _emit(report: object, fmt: str, output: Path | None) -> None:
    """Print or write ``report`` in ``fmt``; the table always reaches the terminal."""
    from sprite_lint.config import FORMATS
    from sprite_lint.errors import UsageError
    from sprite_lint.reporters import render_table, to_json

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "table" and output is None:  # the pre-commit hook's path: nothing else to load
        with commands_stopped():
            render_table(report, _console())  # type: ignore[arg-type]
        return
    from sprite_lint import formats

    writers = {
        "json": to_json,
        "sarif": formats.to_sarif,
        "junit": formats.to_junit,
        "github": formats.to_github,
        "gitlab": formats.to_gitlab,
        "markdown": formats.to_markdown,
        "table": _table_text,
    }
    text = writers[fmt](report)  # type: ignore[operator]
    if fmt == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        summary = os.environ["GITHUB_STEP_SUMMARY"]
        try:
            import stat

            from sprite_lint.discovery import printable

            # a regular file or a new one: a FIFO nobody reads would hang the check
            if os.path.exists(summary) and not stat.S_ISREG(os.stat(summary).st_mode):
                raise OSError(f"{printable(summary)} is not a regular file")
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(formats.to_markdown(report))  # type: ignore[arg-type]
        except OSError as exc:
            _warn(f"cannot append to $GITHUB_STEP_SUMMARY: {exc.strerror or exc}")
    if output is not None:
        _write_output(output, text)
    else:
        sys.stdout.write(text)
    if output is not None or fmt == "github":
        with commands_stopped():
            render_table(report, _console())  # type: ignore[arg-type]


@contextlib.contextmanager
def commands_stopped() -> Iterator[None]:
    """Inside GitHub Actions, what is printed in this block cannot be read as a workflow
    command: a file named ``::error::x.png`` would start a table row that the runner
    takes for an annotation of its own (or ``::add-mask::``, ``::stop-commands::``).
    GitHub's mechanism for printing untrusted text: ``::stop-commands::TOKEN`` before
    it, ``::TOKEN::`` after, with a token nobody can guess. Elsewhere, nothing."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        yield
        return
    token = os.urandom(16).hex()
    sys.stdout.write(f"::stop-commands::{token}\n")
    try:
        yield
    finally:
        sys.stdout.write(f"::{token}::\n")


def _table_text(report: object) -> str:
    from sprite_lint.reporters import render_table

    with open(os.devnull, "w") as sink:
        console = Console(width=100, record=True, file=sink, color_system=None)
        render_table(report, console)  # type: ignore[arg-type]
    return console.export_text()


def _write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file beside it, then a rename.

    Refuses (exit 2) to replace anything but a regular file: a device such as /dev/null,
    /dev/stdout (a pipe or terminal), a FIFO or a folder. Leaves no temporary file behind.
    """
    import stat

    from sprite_lint.errors import UsageError

    def refuse(what: str) -> UsageError:
        return UsageError(
            f"cannot write {path}: it is {what}; reports are written to regular files only"
        )

    target = path
    if path.is_symlink():  # replace the file it names, never the link (/dev/stdout is one)
        target = Path(os.path.realpath(path))
        if any(target.is_relative_to(top) for top in ("/dev", "/proc", "/sys")):
            raise refuse("not a regular file (a link to a device, pipe or socket)")
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    if mode is not None and target != path:
        try:
            same = os.path.samefile(path, target)
        except OSError:  # /proc/self/fd/1 of a deleted file names no file
            same = False
        if not same:
            raise refuse("a link that does not lead to a file by name")
    if mode is not None and not stat.S_ISREG(mode):
        raise refuse(
            "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device, pipe or socket)"
        )
    if mode is not None and _is_png(target):  # a sprite, not a report: never overwritten
        raise UsageError(
            f"cannot write {path}: it is a PNG image, not a report; choose another file name "
            "(a file name starting with '-' is read as an option: put -- before the files)"
        )
    path = target
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _is_png(path: Path) -> bool:
    """Whether the file starts with the PNG signature (unreadable: not known to be one)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(8) == b"\x89PNG\r\n\x1a\n"
    except OSError:
        return False


def _refuse_writing_inputs(paths: list[Path], **outputs: Path | None) -> None:
    """``check hero.png --output hero.png`` would replace a sprite with a report: refuse."""
    from sprite_lint.errors import UsageError

    def key(p: Path) -> tuple[int, int] | str:
        try:
            st = os.stat(p)
            return (st.st_dev, st.st_ino)  # the same file under any name or link
        except OSError:
            return os.path.normcase(os.path.abspath(p))

    inputs = {key(p) for p in paths}
    for option, out in outputs.items():
        if out is not None and key(out) in inputs:
            raise UsageError(
                f"--{option.replace('_', '-')} {out} is one of the files being checked; "
                "check never writes to the files it checks (a file name starting with '-' "
                "is read as an option: put -- before the files, as in check -- *.png)"
            )


def _refuse_panels_among_inputs(report_dir: Path | None, paths: list[Path]) -> None:
    """``--report-dir`` over the sprites being checked would mix panels with sprites and
    mark the folder as sprite-lint's output, which every later check skips: refuse."""
    from sprite_lint.errors import UsageError

    if report_dir is None:
        return
    top = os.path.realpath(report_dir).rstrip(os.sep) + os.sep
    for p in paths:
        if os.path.realpath(p).startswith(top):
            raise UsageError(
                f"--report-dir {report_dir} holds files being checked ({p}); panels written "
                "there would be mixed with the sprites, and the folder skipped by later "
                "checks: write them elsewhere"
            )


def _refuse_foreign_report_dir(report_dir: Path | None) -> None:
    """A folder of someone else's files: a panel could replace one of them (its name is
    the checked file's path, flattened), and the mark would hide its sprites from every
    later check. Panels go to a new or empty folder, or one --report-dir wrote before."""
    from sprite_lint.discovery import is_output, printable
    from sprite_lint.errors import UsageError

    if report_dir is not None and os.path.isdir(report_dir) and not is_output(report_dir):
        with os.scandir(report_dir) as entries:
            first = next((e.name for e in entries), None)
        if first is not None:
            raise UsageError(
                f"--report-dir {report_dir} already holds files sprite-lint did not write "
                f"({printable(first)}, ...); panels could replace them, and the folder would "
                "be skipped by later checks: name a new or empty folder"
            )


def _refuse_writing_baselines(folders: list[str], **outputs: Path | None) -> None:
    """A report written into a baseline folder would replace or litter the baseline the
    gate judges by (``--output baselines/default/manifest.json``): refuse."""
    from sprite_lint.errors import UsageError

    for folder in folders:
        top = os.path.realpath(folder)
        for option, out in outputs.items():
            if out is None:
                continue
            here = os.path.realpath(out)
            if here == top or here.startswith(top.rstrip(os.sep) + os.sep):
                raise UsageError(
                    f"--{option.replace('_', '-')} {out} is inside the baseline folder {folder}; "
                    "check never writes to the baseline it judges by: write reports elsewhere"
                )


def _stdout_fd() -> int | None:
    """stdout's file descriptor; -1 when it is closed (Python sets ``sys.stdout`` to None
    then), None for a stream without one (a test's capture)."""
    if sys.stdout is None:
        return -1
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        return None
    try:
        os.fstat(fd)
    except OSError:
        return -1
    return fd


class StdoutError(OSError):
    """Writing to standard output failed (a full disk, ``> /dev/full``)."""


class _Stdout(io.RawIOBase):
    """File descriptor 1, raising :class:`StdoutError` for what fails to be written to it
    (a vanished reader stays a BrokenPipeError), so that failure is told from others."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        try:
            return os.write(self._fd, data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(exc.errno, exc.strerror) from exc


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()  # a reader that went away (`| head`): as before, no message
        sys.exit(EXIT_ERROR)
    except StdoutError as exc:
        _output_failed(f"cannot write to standard output ({exc.strerror})")


def _output_failed(why: str) -> NoReturn:
    """stdout cannot take the report (closed, a full disk, ``> /dev/full``): say so on
    stderr and exit 2, so a gate never reads silence as success."""
    with contextlib.suppress(Exception):
        sys.stderr.write(f"sprite-lint: {why}; the report could not be written\n")
        sys.stderr.flush()
    _quiet_stdout()
    sys.exit(EXIT_ERROR)


def main() -> None:
    """Console-script entry point: ``check`` straight to :func:`run_check`, anything else
    to the Typer application."""
    # numpy's OpenBLAS would spread each small KDE product over every core: slower than one
    # thread (measured: 1.5x for a scan), and it fights --jobs workers for the same cores.
    # Set before numpy loads; a user's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    fd = _stdout_fd()
    if fd == -1:  # `>&-`: and the next file opened would take its place
        _output_failed("standard output is closed")
    if fd is not None:
        sys.stdout = io.TextIOWrapper(  # the same stream, whose write errors say they are its own
            io.BufferedWriter(_Stdout(fd)),
            encoding=sys.stdout.encoding,
            errors=sys.stdout.errors,
            line_buffering=bool(sys.stdout.line_buffering),
        )
    try:
        argv = sys.argv[1:]
        options = parse_check(argv[1:]) if argv[:1] == ["check"] else None
        if options is not None:
            with guard():
                code = run_check(options)
            sys.exit(code)
        from sprite_lint import cli

        cli.app()
    except SystemExit as exc:
        if exc.code == 130:  # interrupted: a second Ctrl-C during the exit changes nothing
            _ignore_further_interrupts()
        _flush_stdout()  # what is left in the buffer: written now, or exit 2 saying why
        raise
    except KeyboardInterrupt:  # outside a command (typer maps those inside to 130 itself)
        _ignore_further_interrupts()
        sys.exit(130)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(EXIT_ERROR)
    except StdoutError as exc:
        _output_failed(f"cannot write to standard output ({exc.strerror})")
    except Exception as exc:  # the last guard: never a traceback, never exit 1 for a bug
        _report_internal_error(exc)
        sys.exit(EXIT_ERROR)
