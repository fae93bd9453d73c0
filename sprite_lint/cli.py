"""The command line: thin Typer commands over the core modules (``sprite_lint.runner``
holds what they share, and runs ``check`` without typer for the pre-commit hook).

Exit codes: 0 all pass, 1 any anomaly, 2 any error or usage problem.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from sprite_lint import __version__
from sprite_lint.runner import (  # noqa: F401 (main: the console script's old entry point)
    CheckOptions,
    _console,
    _effective_jobs,
    _emit,
    _project_dir,
    _refuse_writing_baselines,
    _refuse_writing_inputs,
    _repo_root_or_none,
    _say,
    _sheet_settings,
    _single_baseline,
    _warn,
    _write_output,
    commands_stopped,
    guard,
    main,
    run_check,
)

T = TypeVar("T")

app = typer.Typer(
    name="sprite-lint",
    help="Lint game sprites against what your approved art looks like.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def handle_errors() -> contextlib.AbstractContextManager[None]:
    """The one place expected failures become a message and exit code 2 (``runner.guard``);
    typer's own exits and usage errors pass through for click to print."""
    return guard(passthrough=(typer.Exit, typer.Abort, typer.TyperException))


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
            lambda on_plan, on_phase, on_step: run_calibrate(
                paths,
                Path(s.baseline),
                opts,
                on_phase=on_phase,
                on_step=on_step,
                on_plan=on_plan,
            ),
        )
        _report_calibration(result, s.baseline, console)


def _with_progress(console: Console, run: Callable[..., T]) -> T:
    """Run a calibration with progress: ``run(on_plan, on_phase, on_step)`` gets the
    callbacks ``calibrate`` takes. On a terminal, rich bars: one for the whole calibration
    with the time left in all (every fold, then the final phase: ``_TimeLeft``), one per
    phase with its loss; plain lines (each phase's start, then about every tenth of it,
    with the time left) when stderr is a log, so a CI job shows it moving."""
    if int(os.environ.get("RANK", "0")) > 0:  # torchrun: rank 0 reports
        return run(lambda _plan: None, lambda _label: None, lambda _s, _t, _l: None)
    if not console.is_terminal:
        return _with_log_lines(console, run)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    eta = _TimeLeft()
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, Any] = {}  # per phase
        whole: list[Any] = []  # the whole calibration's task, once planned

        def show_total() -> None:
            for task in whole:
                progress.update(task, completed=eta.done_steps, info=eta.text())

        def on_plan(phases: Any) -> None:
            eta.plan(phases)
            whole.append(progress.add_task("calibration", total=eta.total_steps or None, info=""))
            show_total()

        def on_phase(label: str) -> None:
            if eta.label in tasks:  # the phase before is over
                progress.update(tasks[eta.label], total=1, completed=1)
            eta.phase(label)
            tasks[label] = progress.add_task(label, total=eta.steps.get(label) or None, info="")
            show_total()

        def on_step(step: int, total: int, loss: float) -> None:
            eta.on_step(step, total)
            progress.update(tasks[eta.label], completed=step, total=total, info=f"loss {loss:.4f}")
            show_total()

        result = run(on_plan, on_phase, on_step)
        for task in whole:
            progress.update(task, total=1, completed=1, info="done")
        if eta.label in tasks:  # the final phase
            progress.update(tasks[eta.label], total=1, completed=1)
        return result


class _TimeLeft:
    """How long a whole calibration has left, from ``calibrate``'s plan (every training
    round's steps, then the final phase): the measured time per step times the steps of
    every round still ahead, plus the measured time of the work after each round's last
    step (its scorer, its held-out scores; after the last round, the final phase) times
    the rounds whose such work is still ahead. ``clock``: seconds, monotonic."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.order: list[str] = []  # the phases' labels, in order
        self.steps: dict[str, int] = {}  # per phase, its steps (0: not a training round)
        self.label = ""  # the phase now
        self.started = clock()  # of the whole calibration
        self.phase_started = self.started
        self.step = 0  # of the phase now
        self.last: float | None = None  # when the phase's previous step ended
        self.timed = (0.0, 0)  # seconds and steps measured (each round's first step not)
        self.round_ended: float | None = None  # when the last training round's last step did
        self.after: list[float] = []  # each round's time from its last step to the next round

    def plan(self, phases: Sequence[tuple[str, int]]) -> None:
        self.order = [label for label, _ in phases]
        self.steps = dict(phases)

    @property
    def total_steps(self) -> int:
        return sum(self.steps.values())

    @property
    def done_steps(self) -> int:
        """Steps run so far, of every round."""
        before = self.order[: self.order.index(self.label)] if self.label in self.order else []
        return sum(self.steps[label] for label in before) + self.step

    def phase(self, label: str) -> None:
        now = self.clock()
        if self.round_ended is not None and self.steps.get(label, 1):  # a round follows one
            self.after.append(now - self.round_ended)
        self.round_ended = None
        self.label, self.step, self.last, self.phase_started = label, 0, None, now
        if label not in self.steps:  # no plan: a round is known as it runs
            self.order.append(label)
            self.steps[label] = 0

    def on_step(self, step: int, total: int) -> None:
        now = self.clock()
        if self.last is not None:  # a round's first step pays its warm-up: not timed
            seconds, steps = self.timed
            self.timed = (seconds + now - self.last, steps + step - self.step)
        self.step, self.last = step, now
        self.steps[self.label] = total
        if step >= total:
            self.round_ended = now

    def left(self) -> tuple[float, bool] | None:
        """(seconds left, whether that covers the whole calibration: False while no round's
        work after its last step has been measured yet, as in the first round), or None
        before a step has been timed."""
        now = self.clock()
        here = self.order.index(self.label) if self.label in self.order else -1  # -1: none yet
        training = self.steps.get(self.label, 0) > 0
        later = self.order[here + 1 :]
        steps_left = (self.steps[self.label] - self.step if training else 0) + sum(
            self.steps[label] for label in later
        )
        seconds, timed = self.timed
        if steps_left and not timed:
            return None
        left = seconds / timed * steps_left if steps_left else 0.0
        if not self.after:
            return left, False
        per_round = sum(self.after) / len(self.after)
        if training:  # this round's and each later round's work after its last step
            rounds = 1 + sum(self.steps[label] > 0 for label in later)
            return left + per_round * rounds, True
        return left + max(0.0, per_round - (now - self.phase_started)), True

    def text(self) -> str:
        """``about 120 s left in all``, for a display."""
        known = self.left()
        if known is None:
            return "estimating the time left"
        seconds, whole = known
        if whole:
            return f"about {seconds:.0f} s left in all"
        return f"about {seconds:.0f} s of training left" if seconds >= 0.5 else "training done"


def _with_log_lines(
    console: Console, run: Callable[..., T], clock: Callable[[], float] = time.monotonic
) -> T:
    """Progress as plain lines for logs: no redrawn bar, no escape codes. Each phase's
    start (the final phase's too), then about every tenth of a round, with the time so
    far and left in all (``_TimeLeft``)."""
    eta = _TimeLeft(clock)
    state = {"next": 0}

    def on_phase(label: str) -> None:
        eta.phase(label)
        state["next"] = 0
        known = eta.left()
        left = "" if known is None or not known[1] else f", {eta.text()}"
        console.print(f"{label}: started{left}", highlight=False)

    def on_step(step: int, total: int, loss: float) -> None:
        eta.on_step(step, total)
        if step < state["next"] and step != total:
            return
        state["next"] = step + max(1, total // 10)
        spent = clock() - eta.started
        console.print(
            f"{eta.label}: step {step}/{total}, loss {loss:.4f}, {spent:.0f} s so far, "
            f"{eta.text()}",
            highlight=False,
        )

    return run(eta.plan, on_phase, on_step)


def _report_calibration(result: Any, where: str, console: Console) -> None:
    if result.rank != 0:
        return  # torchrun: rank 0 wrote the baseline and reports
    for w in result.warnings:
        _warn(w)
    cal = result.calibration
    _say(
        console,
        f"Calibrated on {result.n_sprites} approved sprites"
        + (f" ({result.frames} of them frames of sheets)" if result.frames else "")
        + f" ({result.split} conformal, "
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
    options = CheckOptions(
        files=files,
        baseline=baseline,
        alpha=alpha,
        format=format,
        output=output,
        jobs=jobs,
        shard=shard,
        no_cache=no_cache,
        changed_since=changed_since,
        all_files=all_files,
        report_dir=report_dir,
        html=html,
        staged=staged,
        grid=grid,
        baseline_ref=baseline_ref,
        fail_on_baseline_change=fail_on_baseline_change,
    )
    with handle_errors():
        code = run_check(options)
    raise typer.Exit(code)


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
        from sprite_lint.approvals import approval_key, approvals_root, load_approvals
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
        key = approval_key(file, approvals_root(base.path))  # as check keys it
        apply_approvals(
            [detail.result],
            load_approvals(base.path),
            [key],
            {detail.result.path: file},
            s.max_pixels,
        )
        with commands_stopped():
            import shlex

            approve = f"sprite-lint approve {shlex.quote(str(file))}" + (
                f" -b {shlex.quote(str(baseline))}" if baseline is not None else ""
            )
            render_explain(detail, _console(), alpha=base.calibration.alpha, approve=approve)
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
        from sprite_lint.merging import validate_report
        from sprite_lint.reporters import merge_reports

        # each read once, from a regular file, whole and consistent, or exit 2
        report = merge_reports([(p, validate_report(p)) for p in reports])
        _emit(report, format, output)
        raise typer.Exit(report.exit_code)


@app.command()
def approve(
    files: Annotated[list[Path], typer.Argument(help="PNG files whose exact pixels are accepted.")],
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
    """Accept these exact sprites: check passes them until their pixels change."""
    with handle_errors():
        from sprite_lint.approvals import (
            approvals_root,
            load_approvals,
            new_approval,
            save_approvals,
        )
        from sprite_lint.baseline import load_baseline
        from sprite_lint.check import may_be_sheet
        from sprite_lint.config import load_settings
        from sprite_lint.discovery import expand_paths
        from sprite_lint.imageio import load_png, pixel_digest
        from sprite_lint.sheets import find_layout

        s = load_settings(warn=_warn, baseline=str(baseline) if baseline else None)
        root = _repo_root_or_none()
        by_folder: dict[str, list[Path]] = {}
        named = expand_paths(files, s.exclude, _project_dir(s, root))
        if not named:  # a JPEG, a folder without a PNG: nothing approved, and said so
            from sprite_lint.discovery import no_pngs_message
            from sprite_lint.errors import UsageError

            raise UsageError(no_pngs_message(files))
        for p in named:
            by_folder.setdefault(_baseline_folder(s, p, root), []).append(p)
        plans = []
        for folder, paths in by_folder.items():
            base = load_baseline(folder)  # approve only against a valid baseline
            approvals = load_approvals(base.path)
            top = approvals_root(base.path)  # what check keys approvals by
            keys: set[str] = set()  # one file named two ways (art/y.png, $PWD/art/y.png)
            sheets = _sheet_settings(s, None, None)
            for p in paths:
                image = load_png(p, s.max_pixels)  # refuses unreadable files, exit 2
                if sheets is not None and may_be_sheet(p, sheets):  # as check cuts it
                    h, w = image.rgba.shape[:2]
                    find_layout(p, w, h, sheets, max_pixels=s.max_pixels)  # exit 2 if broken
                # refuses (exit 2) what approved.json cannot name, as check would refuse it
                entry = new_approval(p, top, image.sha256, reason, pixel_digest(image.rgba))
                approvals[entry.path] = entry
                keys.add(entry.path)
            notes = _already_passing(base, paths, s)  # said, and approved all the same
            plans.append((base, paths, approvals, top, notes, len(keys)))
        if recalibrate:
            from sprite_lint.calibrate import recalibrate as run_recalibrate
            from sprite_lint.calibrate import recorded_sources, require_train_extra

            require_train_extra()
            for base, *_ in plans:
                recorded_sources(base.manifest)  # refuse before writing anything
        console = _console()
        for base, _, approvals, _, notes, count in plans:
            save_approvals(base.path, approvals)
            for note in notes:
                _say(console, note)
            console.print(f"Approved {count} file(s) in {base.path}/approved.json", highlight=False)
        if not recalibrate:
            return
        console = _console(stderr=True)
        for base, _, approvals, top, *_ in plans:
            extra, stale = [], []
            for a in approvals.values():
                if (top / a.path).is_file():
                    (extra if _still_approved(a, top / a.path, s.max_pixels) else stale).append(
                        top / a.path
                    )
            if stale:  # an approval of bytes since edited: the edit was never approved
                from sprite_lint.discovery import printable

                shown = ", ".join(printable(str(p)) for p in stale[:8])
                _warn(
                    f"{len(stale)} approved file(s) changed since they were approved and are "
                    f"not trained on: {shown}{' and more' if len(stale) > 8 else ''} "
                    "(approve them again if they are right)"
                )
            console.print(
                f"Recalibrating {base.path} with {len(extra)} approved file(s) added to its "
                "sprites ...",
                highlight=False,
            )
            result = _with_progress(
                console,
                lambda on_plan, on_phase, on_step, base=base, extra=extra: run_recalibrate(
                    base.path,
                    extra,
                    s.exclude,
                    on_phase=on_phase,
                    on_step=on_step,
                    on_plan=on_plan,
                    exclude_root=s.project_dir,
                    sheets=_sheet_settings(s, None, None),
                ),
            )
            _report_calibration(result, str(base.path), console)


def _already_passing(base: Any, paths: list[Path], s: Any) -> list[str]:
    """What ``approve`` says of the files ``check`` passes without an approval (every
    frame, for a sheet): they are approved all the same, so a later baseline (a
    recalibration, a lower alpha) cannot fail these exact bytes."""
    from sprite_lint.check import check_files
    from sprite_lint.discovery import display_path, printable
    from sprite_lint.reporters import fmt_num

    report = check_files(paths, base, s.max_pixels, sheets=_sheet_settings(s, None, None))
    rows: dict[str, list[Any]] = {}
    for r in report.results:
        rows.setdefault(r.path, []).append(r)
    out = []
    for p in paths:
        name = display_path(p)
        mine = rows.get(name, [])
        if mine and all(r.status == "pass" and r.score is not None for r in mine):
            worst = max(mine, key=lambda r: r.score)
            out.append(
                f"{printable(name)} already passes (score {fmt_num(worst.score)}, limit "
                f"{fmt_num(worst.threshold)}): approved all the same, so a later baseline "
                "cannot fail these bytes"
            )
    return out


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


def _still_approved(a: Any, path: Path, max_pixels: int) -> bool:
    """Whether ``path`` is still what approval ``a`` accepted: its bytes, or its pixels."""
    import hashlib

    from sprite_lint.approvals import clean_pixel_digest
    from sprite_lint.errors import ImageError
    from sprite_lint.imageio import read_file

    try:
        data = read_file(path)
    except ImageError:
        return False
    if hashlib.sha256(data).hexdigest() == a.sha256:
        return True
    return bool(a.pixels) and clean_pixel_digest(data, str(path), max_pixels) == a.pixels


def _status_of(base: Any) -> int:
    """Print one baseline's status; return how many of its approvals are stale. It is
    "verified" only once everything ``check`` builds from it has been built: its
    detector (the model in onnxruntime) and its approvals."""
    import hashlib

    from sprite_lint.approvals import approvals_root, clean_pixel_digest, load_approvals
    from sprite_lint.check import Detector
    from sprite_lint.errors import ImageError
    from sprite_lint.imageio import read_file

    Detector(base)  # refuses as check would: a BaselineError naming the file
    approvals = load_approvals(base.path, base.files)
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
        _say(console, _made_with_note(made_with))
    root = approvals_root(base.path)  # what the entries are relative to, as check reads them
    stale = 0
    for a in sorted(approvals.values(), key=lambda a: a.path):
        target = root / a.path
        try:
            data = read_file(target)  # regular files only: never a device, a pipe, /etc/...
        except ImageError:
            data = None
        inside = os.path.realpath(target).startswith(os.path.realpath(root) + os.sep)
        if data is None or not inside:
            state = "stale: file is gone"
        elif hashlib.sha256(data).hexdigest() == a.sha256:
            state = "current"
        elif a.pixels and clean_pixel_digest(data, str(target), base.max_pixels) == a.pixels:
            state = "current (re-saved with the same pixels)"
        else:
            state = "stale: file changed since it was approved"
        stale += not state.startswith("current")
        console.print(f"  {a.path}: {state}", highlight=False)
    return stale


def _version_key(text: object) -> tuple[int, ...] | None:
    """``"0.2.0"`` -> ``(0, 2)`` (trailing zeros dropped, so 1.0 == 1.0.0); None for what
    is not a release number (missing, not text, ``"banana"``)."""
    import re

    m = re.match(r"[0-9]{1,9}(?:\.[0-9]{1,9})*", text) if isinstance(text, str) else None
    if m is None:
        return None
    key = [int(x) for x in m.group().split(".")]
    while key and key[-1] == 0:
        key.pop()
    return tuple(key)


def _made_with_note(made_with: object) -> str:
    """What ``baseline status`` says of a baseline another sprite-lint version made.
    ``check`` reads any version's baseline of its format (``baseline.load_baseline`` looks
    at ``format_version`` only), so this is advice, not a refusal."""
    from sprite_lint.discovery import printable

    made, installed = _version_key(made_with), _version_key(__version__)
    if made is None:
        what = "has no tool_version" if made_with is None else f"says {made_with!r}"
        return (
            f"made with an unknown version of sprite-lint (its manifest {printable(what)}); "
            f"installed is {__version__}: recalibrate to use this version's model"
        )
    shown = printable(str(made_with))
    if installed is not None and made > installed:
        return (
            f"made with sprite-lint {shown}, newer than the installed {__version__}: upgrade "
            "sprite-lint to use the model it was made for (do not recalibrate with this "
            "older version)"
        )
    return (
        f"made with sprite-lint {shown}; installed is {__version__}: recalibrate to use this "
        "version's model"
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
            lambda on_plan, on_phase, on_step: run_demo(
                out,
                n=n,
                epochs=epochs,
                seed=seed,
                device=device,
                on_phase=lambda p: console.print(f"  {p}"),
                on_step=on_step,
                on_training_phase=on_phase,
                on_plan=on_plan,
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
