"""The command line: thin Typer commands over the core modules.

Exit codes: 0 all pass, 1 any anomaly, 2 any error or usage problem.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from sprite_lint import __version__
from sprite_lint.errors import EXIT_ERROR, SpriteLintError

T = TypeVar("T")

app = typer.Typer(
    name="sprite-lint",
    help="Lint game sprites against what your approved art looks like.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _console(stderr: bool = False) -> Console:
    """80 columns inside pre-commit; rich itself honours NO_COLOR and FORCE_COLOR."""
    width = 80 if os.environ.get("PRE_COMMIT") else None
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """The one place expected failures become a message and exit code 2."""
    try:
        yield
    except SpriteLintError as exc:
        _console(stderr=True).print(
            Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True
        )
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        _console(stderr=True).print("interrupted; nothing was written")
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise  # typer.Exit carries our exit code; usage errors are click's to print
    except BrokenPipeError:
        _quiet_stdout()
        raise typer.Exit(EXIT_ERROR) from None
    except StdoutError as exc:
        _output_failed(f"cannot write to standard output ({exc.strerror})")
    except Exception as exc:  # a bug or an unforeseen input: one line, exit 2, no traceback
        _report_internal_error(exc)
        raise typer.Exit(EXIT_ERROR) from None


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


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sprite-lint {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Lint game sprites against what your approved art looks like."""


BaselineOpt = Annotated[
    Path | None,
    typer.Option("--baseline", "-b", help="Baseline directory [default: baselines/default]."),
]
GridOpt = Annotated[
    str | None,
    typer.Option(
        "--grid",
        metavar="WxH",
        help="Judge every PNG as a sheet of WxH frames (overrides the configuration's sheets "
        "and data files beside the PNGs).",
    ),
]


def _sheet_settings(s: Any, grid: str | None, project: Path | None) -> Any:
    """Which PNGs are sheets: ``--grid``, else the configuration's sheets and data files."""
    from sprite_lint.sheets import GridSpec, SheetSettings

    return SheetSettings(
        GridSpec.parse(grid) if grid is not None else None,
        s.sheets,
        str(project) if project is not None else s.project_dir,
    )


@app.command()
def calibrate(
    paths: Annotated[list[Path], typer.Argument(help="Approved sprites: PNG files or folders.")],
    baseline: BaselineOpt = None,
    alpha: Annotated[
        float | None, typer.Option(help="Target false-alarm rate [default: 0.01].")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs [default: auto].")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed [default: 0].")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda [default: auto].")] = None,
    grid: GridOpt = None,
) -> None:
    """Train on approved sprites and write a baseline (needs sprite-lint[train])."""
    with handle_errors():
        from sprite_lint.calibrate import CalibrateOptions
        from sprite_lint.calibrate import calibrate as run_calibrate
        from sprite_lint.config import load_settings

        s = load_settings(
            warn=_warn,
            baseline=str(baseline) if baseline else None,
            alpha=alpha,
            epochs=epochs,
            seed=seed,
            device=device,
        )
        opts = CalibrateOptions(
            alpha=s.alpha,
            epochs=s.epochs,
            seed=s.seed,
            device=s.device,
            max_pixels=s.max_pixels,
            exclude=s.exclude,
            exclude_root=s.project_dir,
            sheets=_sheet_settings(s, grid, None),
        )
        console = _console(stderr=True)
        result = _with_progress(
            console,
            lambda on_phase, on_step: run_calibrate(
                paths, Path(s.baseline), opts, on_phase=on_phase, on_step=on_step
            ),
        )
        _report_calibration(result, s.baseline, console)


def _with_progress(console: Console, run: Callable[..., T]) -> T:
    """Run a calibration with progress: rich bars with the loss and the time left on a
    terminal; plain lines (each phase's start, then about every tenth of it, with the time
    left) when stderr is a log, so a CI job shows it moving."""
    if int(os.environ.get("RANK", "0")) > 0:
        return run(lambda _label: None, lambda _s, _t, _l: None)  # torchrun: rank 0 reports
    if not console.is_terminal:
        return _with_log_lines(console, run)
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}
        current: list[str] = []

        def on_phase(label: str) -> None:
            tasks[label] = progress.add_task(label, total=None, loss=0.0)
            current[:] = [label]

        def on_step(step: int, total: int, loss: float) -> None:
            progress.update(tasks[current[0]], completed=step, total=total, loss=loss)

        return run(on_phase, on_step)


def _with_log_lines(console: Console, run: Callable[..., T]) -> T:
    """Progress as plain lines for logs: no redrawn bar, no escape codes."""
    import time

    state = {"label": "", "start": 0.0, "next": 0, "first": 0.0, "first_step": 0}

    def on_phase(label: str) -> None:
        state.update(label=label, start=time.monotonic(), next=0, first=0.0, first_step=0)
        console.print(f"{label}: started", highlight=False)

    def on_step(step: int, total: int, loss: float) -> None:
        now = time.monotonic()
        if not state["first_step"]:  # the first step pays the warm-up: time from after it
            state.update(first=now, first_step=step)
        if step < state["next"] and step != total:
            return
        state["next"] = step + max(1, total // 10)
        spent = now - state["start"]
        done = step - state["first_step"]
        if step >= total:
            left = "0 s left"
        elif done:
            left = f"about {(now - state['first']) / done * (total - step):.0f} s left"
        else:
            left = "estimating the time left"
        console.print(
            f"{state['label']}: step {step}/{total}, loss {loss:.4f}, {spent:.0f} s so far, {left}",
            highlight=False,
        )

    return run(on_phase, on_step)


def _report_calibration(result: Any, where: str, console: Console) -> None:
    if result.rank != 0:
        return  # torchrun: rank 0 wrote the baseline and reports
    for w in result.warnings:
        _warn(w)
    cal = result.calibration
    _say(
        console,
        f"Calibrated on {result.n_sprites} approved sprites ({result.split} conformal, "
        + (f"{result.world} processes, " if result.world > 1 else "")
        + f"{cal.n} calibration scores): threshold {cal.threshold:.3f} for alpha {cal.alpha}"
        + (" (tail-extrapolated)" if cal.method == "tail" else "")
        + f".\nWrote {where}/.",
    )
    if _repo_root_or_none(Path(where)):  # on a line of its own, never broken: to copy
        console.print(Text(f"Commit it: git add {where}"), soft_wrap=True)


@app.command()
def check(
    files: Annotated[
        list[Path] | None, typer.Argument(help="PNG files or folders to check.")
    ] = None,
    baseline: BaselineOpt = None,
    alpha: Annotated[
        float | None,
        typer.Option(
            help="Judge at this false-alarm rate instead of the calibrated one (the threshold "
            "is recomputed from the baseline's calibration scores) [default: as calibrated, "
            "or alpha in the configuration]."
        ),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="table, json, sarif, junit, github, gitlab or markdown [default: table].",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Worker processes; 0 = one per core.")
    ] = 1,
    shard: Annotated[
        str | None, typer.Option(help="Check only shard K of N (K/N), for a CI matrix.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Score every file afresh.")] = False,
    changed_since: Annotated[
        str | None, typer.Option(help="Check the PNGs added or modified since this git ref.")
    ] = None,
    all_files: Annotated[
        bool, typer.Option("--all", help="Check every PNG in the git repository.")
    ] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            help="Write a PNG panel per failing file here (sprite, reconstruction, "
            "heatmap, worst region)."
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="Also write a self-contained HTML report to this file.")
    ] = None,
    staged: Annotated[
        bool,
        typer.Option(
            "--staged",
            help="Check the PNGs staged for commit as the index holds them (not the working "
            "tree): what a git pre-commit hook must judge.",
        ),
    ] = False,
    grid: GridOpt = None,
    baseline_ref: Annotated[
        str | None,
        typer.Option(
            help="Read the baselines (and approved.json) as this git ref holds them, never "
            "from the working tree: a pull request is judged by its target's baseline.",
        ),
    ] = None,
    fail_on_baseline_change: Annotated[
        bool,
        typer.Option(
            "--fail-on-baseline-change",
            help="With --baseline-ref: exit 1 when the change edits a baseline or its approvals.",
        ),
    ] = False,
) -> None:
    """Score sprites against the baseline; exit 1 if any is anomalous, 2 on any error."""
    started = time.monotonic()
    with handle_errors(), contextlib.ExitStack() as stack:
        from sprite_lint.baseline import load_baseline
        from sprite_lint.cache import DEFAULT_DIR
        from sprite_lint.check import check_files
        from sprite_lint.config import load_settings
        from sprite_lint.discovery import display_path, expand_paths, parse_shard, select_shard
        from sprite_lint.errors import UsageError

        s = load_settings(
            warn=_warn, baseline=str(baseline) if baseline else None, format=format, alpha=alpha
        )
        check_alpha = s.alpha if "alpha" in s.explicit else None
        if jobs < 0:
            raise UsageError("--jobs must be 0 (one per core) or more")
        root: Path | None = None
        changes: list = []
        shown: Path | None = None  # what paths are shown relative to (default: root)
        project: Path | None = None  # what mapped globs are relative to (default: config's)
        if sum([changed_since is not None, all_files, staged]) > 1:
            raise UsageError("give one of --changed-since, --all and --staged")
        if fail_on_baseline_change and baseline_ref is None:
            raise UsageError("--fail-on-baseline-change needs --baseline-ref REF to compare with")
        if changed_since is not None or all_files or staged:
            from sprite_lint import gitfiles

            if files:
                raise UsageError("give either FILES or --changed-since/--all/--staged, not both")
            root = gitfiles.repo_root()
            if staged:
                # the index's blobs, written under a temporary folder laid out like the
                # repository, so names, globs and reports read as in the repository
                import tempfile

                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sprite-lint-")))
                names = gitfiles.staged_pngs(root)
                for name in names:
                    dest = tmp / name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(gitfiles.read_at("", name, root))
                    for data in gitfiles.staged_siblings(name, root):  # a sheet's data file
                        (tmp / data).write_bytes(gitfiles.read_at("", data, root))
                shown = tmp
                project = tmp / _project_dir(s, root).resolve().relative_to(root.resolve())
                paths = expand_paths([tmp / n for n in names], s.exclude, project)
            elif changed_since is not None:
                gitfiles.verify_commit(changed_since, root)  # says how to fetch it if missing
                changes = gitfiles.changed_pngs(changed_since, root)
                paths = expand_paths([c.path for c in changes], s.exclude, _project_dir(s, root))
            else:
                paths = expand_paths(gitfiles.tracked_pngs(root), s.exclude, _project_dir(s, root))
        elif not files:
            raise UsageError(
                "no files given: name PNG files or folders, or use --changed-since REF"
            )
        else:
            paths = expand_paths(files, s.exclude, _project_dir(s, root))
            if not paths:  # named folders without a PNG: a wrong path must not pass forever
                raise UsageError(
                    "no PNG files found in "
                    + ", ".join(str(f) for f in files)
                    + " (folders are searched for *.png; hidden folders and excluded files "
                    "are skipped)"
                )
        _refuse_writing_inputs(paths, output=output, html=html)  # in any shard
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
        reports, loaded = [], []
        for folder, group in groups.items():
            base = load_baseline(folder, baseline_ref, ref_root).with_alpha(check_alpha)
            part = check_files(
                group,
                base,
                max_pixels=s.max_pixels,
                jobs=_effective_jobs(jobs, len(group)),
                cache_root=None if no_cache else (root or Path.cwd()) / DEFAULT_DIR,
                root=shown,
                approvals=load_approvals(base.path, base.files),
                sheets=sheets,
            )
            if changed_since is not None and root is not None:
                add_previous_scores(part, changes, changed_since, root, base, s.max_pixels, sheets)
            reports.append(part)
            loaded.append((base, group))
        extra = [unmatched_result(display_path(p, shown), s.config_file) for p in unmatched]
        extra += [outside_result(display_path(p, shown)) for p in escaped]
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
        if report_dir is not None or html is not None:
            _write_visual_reports(report, loaded, shown, s.max_pixels, report_dir, html, sheets)
        if shown is None and s.format in REPOSITORY_FORMATS:
            _repository_relative(report)
        report.elapsed = time.monotonic() - started
        _emit(report, s.format, output)
        raise typer.Exit(report.exit_code)


def _effective_jobs(jobs: int, n_files: int) -> int:
    """``--jobs`` (0 = one per core), capped at the chunks of work there are and at four
    workers per core: more processes only cost memory and start-up time."""
    from sprite_lint.check import CHUNK

    cores = os.cpu_count() or 1
    chunks = -(-n_files // CHUNK)
    return max(1, min(jobs or cores, 4 * cores, chunks))


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
    for r in report.results:  # a sheet fault has no score and no panel: its message says it
        if r.status == "fail" and r.score is not None:
            failing.setdefault(r.path, []).append(r.frame.index if r.frame else None)
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


@app.command()
def explain(
    file: Annotated[
        Path, typer.Argument(help="The PNG file to explain; FILE#N for frame N of a sheet.")
    ],
    baseline: BaselineOpt = None,
    grid: GridOpt = None,
) -> None:
    """Why a sprite passes or fails: every signal, where, a heatmap, the closest approved art."""
    with handle_errors():
        from sprite_lint.approvals import load_approvals
        from sprite_lint.baseline import load_baseline
        from sprite_lint.check import apply_approvals
        from sprite_lint.config import load_settings
        from sprite_lint.discovery import display_path
        from sprite_lint.explain import explain_files
        from sprite_lint.reporters import render_explain
        from sprite_lint.sheets import parse_frame_ref

        s = load_settings(warn=_warn, baseline=str(baseline) if baseline else None)
        root = _repo_root_or_none()
        index = None
        if not file.exists():  # hero_run.png#3: frame 3 of the sheet
            name, index = parse_frame_ref(str(file))
            file = Path(name) if index is not None else file
        base = load_baseline(_baseline_folder(s, file, root))
        detail = explain_files(
            [(file, display_path(file, root), index)],
            base,
            s.max_pixels,
            _sheet_settings(s, grid, None),
        )[0]
        apply_approvals([detail.result], load_approvals(base.path))
        render_explain(detail, _console())
        raise typer.Exit(1 if detail.result.status == "fail" else 0)


@app.command()
def merge(
    reports: Annotated[
        list[Path], typer.Argument(help="JSON reports of check (for example one per shard).")
    ],
    format: Annotated[str, typer.Option("--format", "-f", help="Any format of check.")] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the merged report here.")
    ] = None,
) -> None:
    """Merge JSON reports of sharded checks into one; exit code as if checked at once."""
    with handle_errors():
        from sprite_lint.reporters import merge_reports

        report = merge_reports(reports)
        _emit(report, format, output)
        raise typer.Exit(report.exit_code)


@app.command()
def approve(
    files: Annotated[list[Path], typer.Argument(help="PNG files whose exact bytes are accepted.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in approved.json).")] = "",
    baseline: BaselineOpt = None,
    recalibrate: Annotated[
        bool,
        typer.Option(
            "--recalibrate",
            help="Then retrain the baseline on its approved sprites plus every approved file "
            "(needs sprite-lint[train]).",
        ),
    ] = False,
) -> None:
    """Accept these exact sprite bytes: check passes them until the file changes."""
    with handle_errors():
        from sprite_lint.approvals import Approval, load_approvals, save_approvals
        from sprite_lint.baseline import load_baseline
        from sprite_lint.config import load_settings
        from sprite_lint.discovery import display_path, expand_paths
        from sprite_lint.imageio import load_png

        s = load_settings(warn=_warn, baseline=str(baseline) if baseline else None)
        root = _repo_root_or_none()
        by_folder: dict[str, list[Path]] = {}
        for p in expand_paths(files, s.exclude, _project_dir(s, root)):
            by_folder.setdefault(_baseline_folder(s, p, root), []).append(p)
        plans = []
        for folder, paths in by_folder.items():
            base = load_baseline(folder)  # approve only against a valid baseline
            approvals = load_approvals(base.path)
            for p in paths:
                image = load_png(p, s.max_pixels)  # refuses unreadable files, exit 2
                name = display_path(p, root)
                approvals[name] = Approval(name, image.sha256, reason)
            plans.append((base, paths, approvals))
        if recalibrate:
            from sprite_lint.calibrate import recalibrate as run_recalibrate
            from sprite_lint.calibrate import recorded_sources, require_train_extra

            require_train_extra()
            for base, _, _ in plans:
                recorded_sources(base.manifest)  # refuse before writing anything
        for base, paths, approvals in plans:
            save_approvals(base.path, approvals)
            _console().print(
                f"Approved {len(paths)} file(s) in {base.path}/approved.json", highlight=False
            )
        if not recalibrate:
            return
        top = root or Path.cwd()
        console = _console(stderr=True)
        for base, _, approvals in plans:
            extra = [top / a.path for a in approvals.values() if (top / a.path).is_file()]
            console.print(
                f"Recalibrating {base.path} with {len(extra)} approved file(s) added to its "
                "sprites ...",
                highlight=False,
            )
            result = _with_progress(
                console,
                lambda on_phase, on_step, base=base, extra=extra: run_recalibrate(
                    base.path,
                    extra,
                    s.exclude,
                    on_phase=on_phase,
                    on_step=on_step,
                    exclude_root=s.project_dir,
                    sheets=_sheet_settings(s, None, None),
                ),
            )
            _report_calibration(result, str(base.path), console)


def _single_baseline(s: Any, root: Path | None) -> str:
    """The one baseline; inside a repository a relative path is relative to its top."""
    if root is None and not Path(s.baseline).is_absolute() and not Path(s.baseline).exists():
        root = _repo_root_or_none()  # run from a subfolder: look from the top (one git call)
    return s.baseline if root is None else str(root / s.baseline)


def _baseline_folder(s: Any, file: Path, root: Path | None) -> str:
    """The baseline that judges ``file``: the mapped one, else the single configured one."""
    from sprite_lint.check import unmatched_message
    from sprite_lint.discovery import display_path
    from sprite_lint.errors import UsageError

    if not s.baselines:
        return _single_baseline(s, root)
    relative = display_path(file, _project_dir(s, root))
    folder = s.baseline_for(relative)
    if folder is None:
        raise UsageError(f"{relative}: {unmatched_message(s.config_file)}")
    return folder


baseline_app = typer.Typer(help="Inspect the baseline.", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("status")
def baseline_status(baseline: BaselineOpt = None) -> None:
    """Verify the baseline, compare its tool version, list stale approvals (exit 1 if any)."""
    with handle_errors():
        from sprite_lint.baseline import load_baseline
        from sprite_lint.config import load_settings

        s = load_settings(warn=_warn, baseline=str(baseline) if baseline else None)
        root = _repo_root_or_none()
        folders = list(dict.fromkeys(f for _, f in s.baselines)) or [_single_baseline(s, root)]
        stale = sum(_status_of(load_baseline(f)) for f in folders)
        raise typer.Exit(1 if stale else 0)


def _status_of(base: Any) -> int:
    """Print one baseline's status; return how many of its approvals are stale."""
    import hashlib

    from sprite_lint.approvals import load_approvals
    from sprite_lint.errors import ImageError
    from sprite_lint.imageio import read_file

    m = base.manifest
    console = _console()
    made_with = m.get("tool_version")
    cal = base.calibration
    _say(
        console,
        f"{base.path}: verified (format {m['format_version']}); calibrated on "
        f"{m['split']['n_approved']} sprites, alpha {cal.alpha}, threshold {cal.threshold:.3f}"
        + (" (tail-extrapolated)" if cal.method == "tail" else ""),
    )
    if made_with == __version__:
        console.print(f"made with sprite-lint {made_with}, the installed version", highlight=False)
    else:
        _say(
            console,
            f"made with sprite-lint {made_with}; installed is {__version__}: recalibrate "
            "to use this version's model",
        )
    root = _repo_root_or_none() or Path.cwd()
    stale = 0
    for a in sorted(load_approvals(base.path).values(), key=lambda a: a.path):
        target = root / a.path
        try:
            data = read_file(target)  # regular files only: never a device, a pipe, /etc/...
        except ImageError:
            data = None
        inside = os.path.realpath(target).startswith(os.path.realpath(root) + os.sep)
        if data is None or not inside:
            state = "stale: file is gone"
        elif hashlib.sha256(data).hexdigest() != a.sha256:
            state = "stale: file changed since it was approved"
        else:
            state = "current"
        stale += state != "current"
        console.print(f"  {a.path}: {state}", highlight=False)
    return stale


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


def _emit(report: object, fmt: str, output: Path | None) -> None:
    """Print or write ``report`` in ``fmt``; the table always reaches the terminal."""
    from sprite_lint.config import FORMATS
    from sprite_lint.errors import UsageError
    from sprite_lint.reporters import render_table, to_json

    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "table" and output is None:  # the pre-commit hook's path: nothing else to load
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
        try:
            with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as fh:
                fh.write(formats.to_markdown(report))  # type: ignore[arg-type]
        except OSError as exc:
            _warn(f"cannot append to $GITHUB_STEP_SUMMARY: {exc.strerror or exc}")
    if output is not None:
        _write_output(output, text)
    else:
        sys.stdout.write(text)
    if output is not None or fmt == "github":
        render_table(report, _console())  # type: ignore[arg-type]


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
                "check never writes to the files it checks"
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


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option(help="Folder for the generated sprites and baseline.")
    ] = Path("sprite-lint-demo"),
    n: Annotated[int, typer.Option(help="Sprites per set (approved, held-out, anomalous).")] = 1000,
    epochs: Annotated[int | None, typer.Option(help="Training epochs [default: auto].")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
) -> None:
    """The article's benchmark, generated here: calibrate, check, report AUROC and rates."""
    with handle_errors():
        from sprite_lint.calibrate import require_train_extra

        require_train_extra()
        from sprite_lint.demo import run_demo

        console = _console()
        _say(console, f"Generating the dSprites-style data set in {out}/ ({n} per set) ...")
        result = _with_progress(
            _console(stderr=True),
            lambda on_phase, on_step: run_demo(
                out,
                n=n,
                epochs=epochs,
                seed=seed,
                device=device,
                on_phase=lambda p: console.print(f"  {p}"),
                on_step=on_step,
                on_training_phase=on_phase,
            ),
        )
        from sprite_lint.evalreport import render_demo

        render_demo(result, console)


@app.command()
def evaluate(
    normal: Annotated[Path, typer.Option(help="Folder of held-out approved-like sprites.")],
    anomalous: Annotated[
        list[Path], typer.Option(help="Folder of known-bad sprites (repeatable).")
    ],
    baseline: BaselineOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write JSON here.")] = None,
    plots: Annotated[
        Path | None, typer.Option(help="Write score-distribution and ROC PNGs here.")
    ] = None,
) -> None:
    """AUROC per score and rates at the calibrated threshold, on labelled held-out sprites."""
    with handle_errors():
        import json

        from sprite_lint.baseline import load_baseline
        from sprite_lint.config import load_settings
        from sprite_lint.evalreport import evaluate_folders, render_evaluation

        s = load_settings(warn=_warn, baseline=str(baseline) if baseline else None)
        base = load_baseline(s.baseline)
        ev = evaluate_folders(base, normal, anomalous, s.max_pixels)
        doc = json.dumps(ev.to_dict(), indent=2) + "\n"
        if output is not None:
            _write_output(output, doc)
        if format == "json":
            sys.stdout.write(doc)
        else:
            render_evaluation(ev, _console())
        if plots is not None:
            from sprite_lint.plots import write_plots

            for p in write_plots(ev, plots):
                _console(stderr=True).print(f"wrote {p}")


def main() -> None:
    """Console-script entry point."""
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
        app()
    except SystemExit:
        _flush_stdout()  # what is left in the buffer: written now, or exit 2 saying why
        raise
    except KeyboardInterrupt:  # outside a command (typer maps those inside to 130 itself)
        sys.exit(130)
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(EXIT_ERROR)
    except StdoutError as exc:
        _output_failed(f"cannot write to standard output ({exc.strerror})")
    except Exception as exc:  # the last guard: never a traceback, never exit 1 for a bug
        _report_internal_error(exc)
        sys.exit(EXIT_ERROR)


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
