"""Turning a :class:`CheckReport` into what people read: a rich table, or stable JSON."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sprite_lint import __version__
from sprite_lint.check import BaselineInfo, CheckReport, FileResult, Notice
from sprite_lint.discovery import printable
from sprite_lint.errors import UsageError
from sprite_lint.scoring import Region
from sprite_lint.sheets import Frame

JSON_VERSION = 1
MAX_ROWS = 50  # a larger scan lists only its failing and unreadable files...
# ...up to this many, each with its reason: every one a commit or a pull request brings,
# where a hook or a CI log is all an artist sees; a scan with thousands (a wrong baseline)
# is not drawn row by row (rich takes about 0.5 ms a failing file, its row and reason)
MAX_PROBLEMS = 200
_ORDER = {"fail": 0, "error": 1, "pass": 2}
_STYLE = {"pass": "green", "fail": "bold red", "error": "bold yellow"}
STATUS_LABEL = {"pass": "pass", "fail": "FAIL", "error": "ERROR"}


def fmt_num(v: float | None, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if v != 0 and (abs(v) >= 1e4 or abs(v) < 1e-3):
        return f"{v:.1e}"
    return (
        f"{v:.{digits}g}" if abs(v) < 1 else f"{v:.{max(1, digits - 1)}f}".rstrip("0").rstrip(".")
    )


def fmt_signed(v: float | None) -> str:
    return "-" if v is None else ("+" if v > 0 else "") + fmt_num(v)


def fmt_p(v: float | None) -> str:
    if v is None:
        return "-"
    if v < 1e-6:
        return "<1e-6"  # beyond what any calibration set can tell apart
    return f"{v:.0e}" if v < 1e-3 else f"{v:.3f}"


def sorted_results(report: CheckReport) -> list[FileResult]:
    """Failing rows first, then errors, then passes; worst score first within each."""
    return sorted(
        report.results,
        key=lambda r: (
            _ORDER[r.status],
            -(r.score if r.score is not None else 0.0),
            r.path,
            r.frame.index if r.frame is not None else -1,
        ),
    )


def summary_line(report: CheckReport) -> str:
    c = report.counts
    n = len(report.results)
    parts = [f"{c['fail']} failed", f"{c['error']} error(s)", f"{c['pass']} passed"]
    head = f"{n} sprite(s): {', '.join(parts)}"
    if any(r.frame is not None for r in report.results):
        # a sheet is a row per failing frame and per sheet fault, so rows are not sprites
        files = len({r.path for r in report.results})
        head = f"{files} file(s) in {n} row(s), of which {', '.join(parts)}"
    if not report.baselines:
        return f"{head} · no baseline matched"
    if len(report.baselines) > 1:
        limits = ", ".join(f"{Path(b.path).name} {fmt_num(b.threshold)}" for b in report.baselines)
        return f"{head} · {len(report.baselines)} baselines, limits: {limits}"
    how = f"threshold {fmt_num(report.threshold)} from {report.n_calibration} approved sprites" + (
        ", tail-extrapolated" if report.calibration_method == "tail" else ""
    )
    return f"{head} · alpha {report.alpha} · {how}"


def _short(path: str, width: int) -> str:
    """Keep the end of a long path: the file name is what an artist recognises. Widths are
    terminal cells (an emoji or a CJK letter takes two), so the end is never cropped."""
    from rich.cells import cell_len

    if cell_len(path) <= width:
        return path
    kept = ""
    for ch in reversed(path):
        if cell_len(ch + kept) > width - 1:
            break
        kept = ch + kept
    return "…" + kept


# Columns give way in this order when the terminal is narrow (the file name shrinks
# first, down to MIN_FILE cells); below what File, Result and Score need, one record per
# file. Numbers and verdicts are never cut.
DROP_ORDER = ("p", "Limit", "Was", "Change", "Signal", "Margin", "Δ")
MIN_FILE = 12
GAP = 3  # cells between columns (padding of one on each side and the box's divider)


def _table_columns(report: CheckReport, rows: list[FileResult]) -> list[tuple[str, list[Text]]]:
    """Every column (header, one cell per row) of the table, before fitting the width."""
    diff = any(r.change is not None for r in report.results)
    cols: dict[str, list[Text]] = {"File": [Text(r.label) for r in rows]}
    if diff:  # --changed-since: how the edit moved the score, too
        cols["Change"] = [Text(r.change or "") for r in rows]
    cols["Result"] = [Text(STATUS_LABEL[r.status], style=_STYLE[r.status]) for r in rows]
    # the signal behind a failing score: what is wrong, in one word
    cols["Signal"] = [Text(r.driver if r.status == "fail" and r.driver else "") for r in rows]
    if diff:
        cols["Was"] = [Text(fmt_num(r.previous_score)) for r in rows]
    cols["Score"] = [Text(fmt_num(r.score)) for r in rows]
    if diff:
        cols["Δ"] = [Text(fmt_signed(r.score_change)) for r in rows]
    cols["Limit"] = [Text(fmt_num(r.threshold)) for r in rows]
    cols["p"] = [Text(fmt_p(r.p_value)) for r in rows]
    # an approved file is over the limit by choice: its margin is not a failure
    cols["Margin"] = [
        Text("approved", style="dim") if r.approved else Text(fmt_signed(r.margin)) for r in rows
    ]
    return list(cols.items())


# after the failure lines of a table: what a pre-commit user can do about a failure; on
# one line where it fits, else broken between its two commands (80 columns: two lines)
NEXT_STEP = (
    'hint: fix the file, or if it is right: sprite-lint approve FILE --reason "..."',
    "(sprite-lint explain FILE shows why it failed)",
)


def next_step(report: CheckReport) -> tuple[str, str]:
    """:data:`NEXT_STEP` with commands that work when pasted: the failing file's name
    where one file failed (and can be named from here), and ``-b DIR`` where the baseline
    was given on the command line (without it both commands would look for the default)."""
    import shlex

    failing = [r for r in report.results if r.status == "fail" and not r.approved]
    paths = {r.path for r in failing}
    approve_arg = explain_arg = "FILE"
    if len(paths) == 1:
        (path,) = paths
        if printable(path) == path and os.path.exists(path):
            if path.startswith("-"):  # never read as an option once pasted
                path = f"./{path}"
            approve_arg = shlex.quote(path)
            frames = {r.frame.index for r in failing if r.frame is not None}
            ref = f"{path}#{min(frames)}" if len(frames) == 1 else path
            explain_arg = shlex.quote(ref)
    b = f" -b {shlex.quote(report.baseline_option)}" if report.baseline_option else ""
    return (
        f'hint: fix the file, or if it is right: sprite-lint approve {approve_arg}{b} --reason "..."',
        f"(sprite-lint explain {explain_arg}{b} shows why it failed)",
    )


def render_table(report: CheckReport, console: Console) -> None:
    """One row per file, failing first; then what is wrong with each, and where, and (when
    one failed) what to do next: fix it, or approve it.

    Fits the console's width without cutting a number or a verdict: the file name is
    shortened first (keeping its end), then columns drop in DROP_ORDER, and below that one
    record per file is printed instead of a table.
    """
    from rich.cells import cell_len

    for notice in report.notices:  # above everything: the baseline itself is in question
        _print_wrapped(console, notice_text(notice))
    rows = sorted_results(report)
    shown = rows if len(rows) <= MAX_ROWS else [r for r in rows if r.status != "pass"]
    shown = shown[:MAX_PROBLEMS] if len(shown) > MAX_ROWS else shown
    columns = _table_columns(report, shown)

    def width_of(name: str, cells: list[Text]) -> int:
        return max([cell_len(name), *(c.cell_len for c in cells)])

    def needed(cols: list[tuple[str, list[Text]]]) -> int:
        return sum(width_of(n, c) for n, c in cols[1:]) + GAP * (len(cols) - 1)

    drop = list(DROP_ORDER)
    while needed(columns) + MIN_FILE > console.width and drop:
        name = drop.pop(0)
        columns = [(n, c) for n, c in columns if n != name]
    if shown and needed(columns) + MIN_FILE <= console.width:
        file_width = min(width_of(*columns[0]), console.width - needed(columns))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False, show_edge=False)
        for k, (name, cells) in enumerate(columns):
            right = name in ("Score", "Limit", "p", "Margin", "Was", "Δ")
            width = file_width if k == 0 else width_of(name, cells)
            table.add_column(
                name, justify="right" if right else "left", no_wrap=True, min_width=width
            )
        for i, r in enumerate(shown):
            label = r.label
            if r.frame is not None and cell_len(label) > file_width:
                # a frame's coordinates give way before its file's name: "hero.png#3"
                label = printable(f"{r.path}#{r.frame.index}")
            cells = [Text(_short(label, file_width))] + [c[i] for _, c in columns[1:]]
            table.add_row(*cells)
        console.print(table)
    elif shown:  # too narrow for any table: one record per file
        for i, r in enumerate(shown):
            head = Text(f"{STATUS_LABEL[r.status]} ", style=_STYLE[r.status])
            head.append(r.label)
            _print_wrapped(console, head)
            detail = "  ".join(
                f"{name.lower()} {c[i].plain}"
                for name, c in _table_columns(report, shown)[2:]
                if c[i].plain and name not in ("Result",)
            )
            _print_wrapped(console, Text(f"- {detail}"))  # no indent: pre-commit strips it
    if len(shown) < len(rows):
        ids = {id(r) for r in shown}
        passing = sum(r.status == "pass" and id(r) not in ids for r in rows)
        other = len(rows) - len(shown) - passing
        parts = [f"{passing} passing"] if passing else []
        parts += [f"{other} more failing or unreadable"] if other else []
        console.print(
            Text(
                f"{' and '.join(parts)} file(s) not listed; --format json lists every file",
                style="dim",
            )
        )
    for r in shown:
        if r.status == "pass":
            # damage libpng reads past, in a passing file: said, or only JSON would say it
            warned = r.message.split("; warning: ")[1:] if not r.approved else []
            if warned:
                line = Text("warning ", style="yellow")
                line.append(f"{r.label}: ", style="bold")
                line.append("; ".join(warned))
                _print_wrapped(console, line)
            continue
        line = Text(f"{STATUS_LABEL[r.status]} ", style=_STYLE[r.status])
        line.append(f"{r.label}: ", style="bold")
        line.append(r.message)
        if r.status == "fail" and r.score is not None and r.threshold is not None:
            line.append(f" (score {fmt_num(r.score)} > limit {fmt_num(r.threshold)})", style="dim")
        _print_wrapped(console, line)
    if report.counts["fail"]:  # what to do next; an unreadable file has its own advice
        steps = next_step(report)
        whole = " ".join(steps)
        for part in [whole] if cell_len(whole) <= console.width else steps:
            _print_wrapped(console, Text(part, style="dim"))
    style = "red" if report.counts["fail"] or report.counts["error"] else "green"
    _print_wrapped(console, Text(summary_line(report), style=style))


def notice_text(notice: Notice) -> Text:
    """``FAIL: ...`` (with --fail-on-baseline-change) or ``warning: ...``, for the terminal."""
    label = ("FAIL: ", "bold red") if notice.fails else ("warning: ", "bold yellow")
    return Text.assemble(label, notice.message)


def print_trimmed(console: Console, renderable: Any) -> None:
    """Print a rich renderable (a table) line by line with no trailing spaces: rich pads
    every line to the table's width, and a centred title or a folded cell leaves lines
    of spaces that logs, files and pre-commit show."""
    for line in console.render_lines(renderable, console.options, pad=False):
        text = Text()
        for seg in line:
            if not seg.control:
                text.append(seg.text, seg.style)
        text.rstrip()
        console.print(text, soft_wrap=True, highlight=False)


def print_wrapped(console: Console, message: str) -> None:
    """A plain message, word-wrapped with no trailing spaces (see ``_print_wrapped``)."""
    _print_wrapped(console, Text(message))


def _print_wrapped(console: Console, text: Text) -> None:
    """Word-wrapped to the console's width with no trailing spaces on any line (rich keeps
    the space it broke at; logs and pre-commit show it)."""
    for line in text.wrap(console, console.width, overflow="fold"):
        line.rstrip()
        console.print(line, soft_wrap=True)


def result_dict(r: FileResult) -> dict[str, Any]:
    return {
        "path": r.path,
        "status": r.status,
        "score": r.score,
        "threshold": r.threshold,
        "margin": r.margin,
        "p_value": r.p_value,
        "recon_error": r.recon_error,
        "kde_log_density": r.kde_log_density,
        "colour_rarity": r.colour_rarity,
        "signals": r.signals,
        "signal": r.driver,
        "change": r.change,
        "previous_score": r.previous_score,
        "region": None if r.region is None else r.region.to_dict(),
        "message": r.message,
        "approved": r.approved,
        "baseline": r.baseline,
        "frame": None if r.frame is None else r.frame.to_dict(),
    }


def to_json(report: CheckReport) -> str:
    """The documented, stable JSON report (see README, "JSON report")."""
    doc = {
        "version": JSON_VERSION,
        "tool_version": __version__,
        "notices": [n.to_dict() for n in report.notices],
        "baseline": report.baseline,
        "alpha": report.alpha,
        "threshold": report.threshold,
        "calibration": {"method": report.calibration_method, "n": report.n_calibration},
        "baselines": [b.to_dict() for b in report.baselines],
        "summary": report.counts,
    }
    head = json.dumps(doc, indent=2, sort_keys=False, allow_nan=False)
    # one file a line: as readable in a diff, and json's C encoder writes a line (its
    # pure-Python indenting encoder took 12% of a 5,000-sprite scan's time)
    rows = [json.dumps(result_dict(r), allow_nan=False) for r in sorted_results(report)]
    files = "[\n" + ",\n".join("    " + row for row in rows) + "\n  ]" if rows else "[]"
    return head[: head.rindex("\n}")] + f',\n  "files": {files}\n}}\n'


def from_json(text: str, name: str = "<report>") -> CheckReport:
    """Read a report written by :func:`to_json` back."""
    try:
        doc = json.loads(text)
        results = []
        for f in doc["files"]:
            reg = f.get("region")
            results.append(
                FileResult(
                    path=f["path"],
                    status=f["status"],
                    message=f.get("message", ""),
                    score=f.get("score"),
                    threshold=f.get("threshold"),
                    p_value=f.get("p_value"),
                    recon_error=f.get("recon_error"),
                    kde_log_density=f.get("kde_log_density"),
                    colour_rarity=f.get("colour_rarity"),
                    signals=f.get("signals"),
                    driver=f.get("signal"),
                    change=f.get("change"),
                    previous_score=f.get("previous_score"),
                    region=None if reg is None else Region(reg["x"], reg["y"], reg["w"], reg["h"]),
                    baseline=f.get("baseline"),
                    approved=f.get("approved") is True,
                    frame=None if f.get("frame") is None else Frame.from_dict(f["frame"]),
                )
            )
            if results[-1].status not in _ORDER:
                raise ValueError(f"unknown status {results[-1].status!r}")
        report = CheckReport(
            baseline=doc["baseline"],
            alpha=float(doc["alpha"]),
            threshold=float(doc["threshold"]),
            calibration_method=doc["calibration"]["method"],
            n_calibration=int(doc["calibration"]["n"]),
            results=results,
        )
        report.notices = [
            Notice(str(n["message"]), bool(n["fails"]), n.get("path"))
            for n in doc.get("notices", [])
        ]
        if "baselines" in doc:
            report.baselines = [
                BaselineInfo(
                    b["path"],
                    float(b["alpha"]),
                    float(b["threshold"]),
                    b["calibration"]["method"],
                    int(b["calibration"]["n"]),
                )
                for b in doc["baselines"]
            ]
        return report
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{name}: not a sprite-lint JSON report ({exc})") from None


def merge_reports(texts: list[tuple[Path, str]]) -> CheckReport:
    """One report from several (shards of one check, each ``(path, JSON text)`` as
    ``merging.validate_report`` read and checked it); they must share a baseline."""
    paths = [p for p, _ in texts]
    reports = [from_json(text, str(p)) for p, text in texts]
    first = reports[0]
    for p, r in zip(paths, reports):
        if r.baselines != first.baselines:
            raise UsageError(f"{p}: made with other baselines or alpha than {paths[0]}")
    seen: dict[tuple[str, int | None, str | None], FileResult] = {}
    for r in reports:
        for f in r.results:  # a row per file, per frame of a sheet, per sheet fault
            fault = f.driver if f.score is None and f.status == "fail" else None
            seen[(f.path, f.frame.index if f.frame else None, fault)] = f
    merged = CheckReport(
        first.baseline,
        first.alpha,
        first.threshold,
        first.calibration_method,
        first.n_calibration,
        list(seen.values()),
    )
    merged.baselines = list(first.baselines)
    merged.notices = list(dict.fromkeys(n for r in reports for n in r.notices))
    return merged


_SHADES = " .:-=+*#%@"


def _pool(values: np.ndarray, fy: int, fx: int, how: str) -> np.ndarray:
    """Shrink ``(H, W[, C])`` by integer factors: "max" keeps hot spots, "nearest" samples."""
    if fy == 1 and fx == 1:
        return values
    if how == "nearest":
        return values[fy // 2 :: fy, fx // 2 :: fx]
    h, w = values.shape[0] // fy * fy or fy, values.shape[1] // fx * fx or fx
    v = np.pad(values, ((0, max(0, h - values.shape[0])), (0, max(0, w - values.shape[1]))))[:h, :w]
    return v.reshape(h // fy, fy, w // fx, fx).max(axis=(1, 3))


def _half_blocks(rgb: np.ndarray) -> list[Text]:
    """``(H, W, 3)`` uint8 -> lines of "▀", top pixel as foreground, bottom as background."""
    if rgb.shape[0] % 2:
        rgb = np.concatenate([rgb, np.zeros_like(rgb[:1])])
    lines = []
    for y in range(0, rgb.shape[0], 2):
        line = Text()
        for x in range(rgb.shape[1]):
            t, b = rgb[y, x], rgb[y + 1, x]
            line.append("▀", style=f"rgb({t[0]},{t[1]},{t[2]}) on rgb({b[0]},{b[1]},{b[2]})")
        lines.append(line)
    return lines


def _shaded(values: np.ndarray) -> list[Text]:
    """Without colour: two rows per line, the larger of them as an ASCII shade."""
    if values.shape[0] % 2:
        values = np.concatenate([values, np.zeros_like(values[:1])])
    pair = np.maximum(values[0::2], values[1::2])
    idx = np.clip((pair * (len(_SHADES) - 1) + 0.5).astype(int), 0, len(_SHADES) - 1)
    return [Text("".join(_SHADES[i] for i in row)) for row in idx]


def _share_of_limit(share: float) -> str:
    """``z / limit`` as a percentage: ``0%`` at or below the approved art's typical level,
    ``>999%`` beyond ten times the limit."""
    if share <= 0:
        return "0%"
    if share >= 10:
        return ">999%"
    # rounded away from the limit: 100.2% is 101% (over), 99.9% is 99% (ok), never "100% over"
    pct = share * 100
    # (1e-9: 1.1 * 100 is 110.00000000000001, which is 110%)
    return f"{math.ceil(pct - 1e-9) if share > 1 else math.floor(pct + 1e-9)}%"


# latent distance below which an approved sprite is drawn the same as the one explained
# (identical pixels give 0 up to float rounding; the nearest different emoji is over 1)
SAME_DRAWING = 0.01


def render_explain(
    detail: Any,
    console: Console,
    max_rows: int = 24,
    alpha: float | None = None,
    approve: str = "sprite-lint approve FILE",
) -> None:
    """Verdict, every signal against the limit, a sprite/heatmap preview, nearest approved
    (``alpha``: the false-alarm rate the baseline was calibrated for, said when the sprite
    is drawn like an approved one and fails all the same, with the ``approve`` command)."""
    from rich.columns import Columns

    from sprite_lint.panels import heat_colours, heat_values, on_checkerboard
    from sprite_lint.signals import SIGNAL_CHECKS

    r: FileResult = detail.result
    head = Text(f"{STATUS_LABEL[r.status]} ", style=_STYLE[r.status])
    head.append(f"{r.label}", style="bold")
    head.append(f"  {detail.rgba.shape[1]}x{detail.rgba.shape[0]}")
    console.print(head)
    console.print(
        f"score {fmt_num(r.score)} · limit {fmt_num(r.threshold)} · margin {fmt_signed(r.margin)} · "
        f"p {fmt_p(r.p_value)}",
        highlight=False,
    )
    console.print(Text(r.message))
    if r.region is not None:
        reg = r.region
        console.print(
            f"worst region: x {reg.x}..{reg.x + reg.w - 1}, y {reg.y}..{reg.y + reg.h - 1} "
            f"({reg.w}x{reg.h} px, origin top-left)",
            highlight=False,
        )
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Signal", no_wrap=True)
    table.add_column("Checks for")
    table.add_column("Of limit", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("Where", no_wrap=True)
    raw = r.raw
    limit = r.threshold if r.threshold is not None and r.threshold > 0 else None
    for name, z in sorted(detail.standardized.items(), key=lambda kv: -kv[1]):
        where = str(raw.regions[name]) if raw is not None else ""
        over = limit is not None and z > limit
        # a share of the limit, floored at 0: below the approved art's typical level
        # there is nothing to read, and raw magnitudes mean nothing to an artist
        level = "" if limit is None else _share_of_limit(z / limit)
        mark = Text("over", style="bold red") if over else Text("ok", style="green")
        table.add_row(
            name,
            SIGNAL_CHECKS[name],
            Text(level, style="bold red" if over else ""),
            mark,
            where if over else "",
        )
    console.print(table)

    h, w = detail.rgba.shape[:2]
    col = max(8, (console.width - 4) // 2)
    fx = max(1, -(-w // col))
    fy = max(1, -(-h // (2 * max_rows)))
    f = max(fx, fy)
    heat = _pool(heat_values(detail), f, f, "max")
    if console.color_system is None:
        left = _shaded(_pool(detail.rgba[..., 3] / 255.0, f, f, "nearest"))
        right = _shaded(heat)
    else:
        left = _half_blocks(on_checkerboard(_pool(detail.rgba, f, f, "nearest"), 1))
        right = _half_blocks(heat_colours(heat))
    scale = "" if f == 1 else f" (1 character = {f} px)"
    console.print(Text(f"sprite | residual heatmap, bright = over the limit{scale}", style="dim"))
    rows = [Text.assemble(a, "  ", b) for a, b in zip(left, right)]
    console.print(Columns([Text("\n").join(rows)], padding=0))
    if detail.similar:
        console.print("most similar approved sprites:", highlight=False)
        for name, dist in detail.similar:
            console.print(f"  {name}  (latent distance {dist:.2f})", highlight=False)
        name, dist = detail.similar[0]
        if r.status == "fail" and not r.approved and dist < SAME_DRAWING:
            _print_wrapped(
                console,
                Text(
                    f"It is drawn like the approved sprite {name}: calibration leaves about "
                    f"{'a few' if alpha is None else f'{alpha * 100:g}%'} of the approved sprites "
                    "themselves over the limit. "
                    f'If it is right, approve it ({approve} --reason "...").',
                    style="dim",
                ),
            )
