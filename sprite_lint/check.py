"""``check``: score sprites against a baseline and decide pass, fail or error."""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sprite_lint.approvals import Approval, approval_key, approvals_root
from sprite_lint.baseline import Baseline
from sprite_lint.cache import ResultCache
from sprite_lint.craft import nearly_solid, stray_points
from sprite_lint.discovery import display_path, printable
from sprite_lint.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_PASS, ImageError, UsageError
from sprite_lint.gitfiles import Changed, read_at
from sprite_lint.imageio import (
    DEFAULT_MAX_PIXELS,
    decode_png,
    decode_png_with_warnings,
    pixel_digest,
    read_file,
)
from sprite_lint.palette import palette_signals
from sprite_lint.scoring import SIGNALS, RawScores, Region
from sprite_lint.sheets import (
    Fault,
    Frame,
    Layout,
    SheetSettings,
    describe_frames,
    find_layout,
    frame_images,
    sheet_faults,
)
from sprite_lint.signals import SIGNAL_SHORT, also_over, describe, explaining_signal
from sprite_lint.standardize import combine

CHUNK = 128  # files read, scored and reported together (a unit of work for --jobs)


@dataclass
class FileResult:
    """The verdict on one file. Scores are ``None`` on an error row."""

    path: str
    status: str  # "pass" | "fail" | "error"
    message: str = ""
    score: float | None = None
    threshold: float | None = None
    p_value: float | None = None
    recon_error: float | None = None
    kde_log_density: float | None = None
    colour_rarity: float | None = None
    signals: dict[str, float] | None = None  # every raw signal, by name (scoring.SIGNALS)
    driver: str | None = None  # the signal behind the combined score
    region: Region | None = None  # where that signal is worst
    change: str | None = None  # with --changed-since: "new", "modified", "renamed" or "requested"
    previous_score: float | None = None  # the score of the file's version at REF
    sha256: str | None = None  # of the file's bytes, when they could be read
    baseline: str | None = None  # the baseline that judged it
    approved: bool = False  # over the threshold, but these exact bytes were approved
    frame: Frame | None = None  # the frame of a sheet this row judges (None: the whole file)
    raw: RawScores | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """How reports name the row: the path, and the frame (``hero.png#3 (x=96 y=0 32x32)``),
        control characters escaped (``discovery.printable``). ``path`` keeps the name as it is."""
        label = self.path if self.frame is None else f"{self.path}{self.frame.label}"
        return printable(label)

    @property
    def score_change(self) -> float | None:
        """New score minus the score at REF: negative means more like the approved art."""
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score

    @property
    def margin(self) -> float | None:
        """``score - threshold``: positive means over the threshold by that much."""
        if self.score is None or self.threshold is None:
            return None
        return self.score - self.threshold


@dataclass(frozen=True)
class BaselineInfo:
    """What a report says about one baseline it used."""

    path: str
    alpha: float
    threshold: float
    calibration_method: str
    n_calibration: int

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "alpha": self.alpha,
            "threshold": self.threshold,
            "calibration": {"method": self.calibration_method, "n": self.n_calibration},
        }


@dataclass(frozen=True)
class Notice:
    """Something about the whole check a reviewer must see first, above every file's row:
    with ``check --baseline-ref``, that the change under review edits a baseline."""

    message: str
    fails: bool = False  # --fail-on-baseline-change: the check fails on it (exit 1)
    path: str | None = None  # the repository folder (or settings file) it is about
    # the repository file a report points at (GitLab's location): the first file changed
    file: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {"message": self.message, "fails": self.fails, "path": self.path}


@dataclass
class CheckReport:
    """Verdicts on files. The scalar fields describe the (first) baseline; with several
    baselines mapped by glob, ``baselines`` lists each and every row names its own."""

    baseline: str
    alpha: float
    threshold: float
    calibration_method: str
    n_calibration: int
    results: list[FileResult]
    baselines: list[BaselineInfo] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    elapsed: float | None = None  # seconds the whole check took, when measured (JUnit's time)
    # ``--baseline`` as typed on the command line, for the next-step hint's commands
    baseline_option: str | None = None

    def __post_init__(self) -> None:
        if not self.baselines:
            self.baselines = [
                BaselineInfo(
                    self.baseline,
                    self.alpha,
                    self.threshold,
                    self.calibration_method,
                    self.n_calibration,
                )
            ]

    @property
    def counts(self) -> dict[str, int]:
        c = {"pass": 0, "fail": 0, "error": 0}
        for r in self.results:
            c[r.status] += 1
        return c

    @property
    def exit_code(self) -> int:
        c = self.counts
        if c["error"]:
            return EXIT_ERROR
        failing_notice = any(n.fails for n in self.notices)
        return EXIT_FINDINGS if c["fail"] or failing_notice else EXIT_PASS


class Detector:
    """A baseline made ready to judge sprites."""

    def __init__(self, baseline: Baseline, threads: int = 0) -> None:
        self.baseline = baseline
        self.scorer = baseline.scorer(threads=threads)
        self.standardizer = baseline.standardizer
        self.calibration = baseline.calibration

    def judge(self, name: str, rgba: np.ndarray, keep_maps: bool = False) -> FileResult:
        return self.judge_many([name], [rgba], keep_maps)[0]

    def judge_many(
        self, names: Sequence[str], images: Sequence[np.ndarray], keep_maps: bool = False
    ) -> list[FileResult]:
        raws = self.scorer.score_many(images, keep_maps=keep_maps)
        return [self._verdict(n, raw, im) for n, raw, im in zip(names, raws, images)]

    def _verdict(self, name: str, raw: RawScores, image: np.ndarray | None = None) -> FileResult:
        z = self.standardizer.transform(raw.as_vector())
        score, driver = combine(z)
        threshold = self.calibration.threshold
        failed = score > threshold
        empty = image is not None and not image[..., 3].any()
        if failed:  # name the most specific signal over the limit, not merely the largest
            # nothing visible: no colour at all, whichever signal the set's style raises
            driver = "few_colours" if empty else explaining_signal(z, threshold)
        region = raw.regions[driver]
        centre = self.standardizer.centre[SIGNALS.index(driver)]
        raw_value = float(raw.as_vector()[SIGNALS.index(driver)])
        # stray pixels are named one by one (their box can span the whole sprite)
        points = stray_points(image) if failed and driver == "stray" and image is not None else ()
        shift, unseen, nearly = "", None, 0
        if failed and driver == "palette_shift" and image is not None:
            unseen, _, shift = palette_signals(self.scorer.palette, image)
        top = 0
        if failed and driver == "soft" and image is not None:
            n_nearly, share = nearly_solid(image)  # most of the soft pixels: say so
            nearly = n_nearly if share >= 0.5 else 0
            top = int(image[..., 3].max())  # below 250: a layer left at partial opacity
        message = "looks like the approved art"
        if failed:
            message = describe(
                driver, raw_value, region, centre, points, shift, unseen, nearly, top
            )
            others = [] if empty else also_over(z, threshold, driver)
            if others:
                message += "; also: " + ", ".join(SIGNAL_SHORT[s] for s in others)
        return FileResult(
            path=name,
            status="fail" if failed else "pass",
            message=message,
            score=score,
            threshold=threshold,
            p_value=self.calibration.p_value(score),
            recon_error=raw.recon,
            kde_log_density=raw.kde_log_density,
            colour_rarity=raw.colour,
            signals=dict(zip(SIGNALS, (float(v) for v in raw.as_vector()))),
            driver=driver,
            region=region,
            raw=raw,
        )


_CACHED = (
    "status",
    "message",
    "score",
    "threshold",
    "p_value",
    "recon_error",
    "kde_log_density",
    "colour_rarity",
    "signals",
    "driver",
)


def _to_entry(r: FileResult) -> dict[str, object]:
    entry: dict[str, object] = {k: getattr(r, k) for k in _CACHED}
    entry["region"] = None if r.region is None else [r.region.x, r.region.y, r.region.w, r.region.h]
    return entry


def _finite(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def valid_entry(e: dict[str, object], threshold: float) -> bool:
    """A cache entry's every field has its type, and its verdict follows from its score
    and this baseline's threshold: anything else (a hand-edited entry) is a miss."""
    region, signals = e.get("region"), e.get("signals")
    score = e.get("score")
    return (
        e.get("status") in ("pass", "fail")
        and isinstance(e.get("message"), str)
        and all(
            _finite(e.get(k))
            for k in ("score", "threshold", "p_value", "recon_error", "colour_rarity")
        )
        and (e.get("kde_log_density") is None or _finite(e.get("kde_log_density")))
        and e.get("threshold") == threshold
        and (e.get("status") == "fail") == (float(score) > threshold)  # type: ignore[arg-type]
        and 0.0 <= float(e["p_value"]) <= 1.0  # type: ignore[arg-type]
        and isinstance(signals, dict)
        and set(signals) == set(SIGNALS)
        and all(_finite(v) for v in signals.values())
        and e.get("driver") in SIGNALS
        and (
            region is None
            or (
                isinstance(region, list)
                and len(region) == 4
                and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in region)
            )
        )
    )


def _from_entry(name: str, e: dict[str, object], frame: Frame | None = None) -> FileResult:
    region = e.get("region")
    r = FileResult(
        path=name,
        frame=frame,
        region=Region(*region) if isinstance(region, list) else None,  # type: ignore[arg-type]
        **{k: e.get(k) for k in _CACHED},  # type: ignore[arg-type]
    )
    if r.signals is not None:  # the entry's keys are sorted; reports list SIGNALS' order
        r.signals = {k: r.signals[k] for k in SIGNALS}
    return r


@dataclass
class _Sheet:
    """A sheet being judged: its frames' verdicts gather here, then become its rows."""

    name: str
    layout: Layout
    digest: str
    warnings: tuple[str, ...]
    skipped: int  # fully transparent frames
    faults: list[Fault]
    results: list[FileResult] = field(default_factory=list)


def sheet_rows(sheet: _Sheet) -> list[FileResult]:
    """One row per failing frame and per sheet fault; a sheet with neither is one passing
    row carrying its worst frame's scores (the sheet's verdict is its worst frame's)."""
    rows = [r for r in sheet.results if r.status == "fail"]
    # a frame cut off at its edge is one finding, not two: its own `cut` row says more
    # (which edge, the gap at the other) than the sheet's `edge` fault
    cut = {r.frame.index for r in rows if r.driver == "cut" and r.frame is not None}
    rows += [
        FileResult(
            path=sheet.name,
            status="fail",
            message=f.message,
            driver=f.kind,
            frame=f.frame,
            sha256=sheet.digest,
        )
        for f in sheet.faults
        if not (f.kind == "edge" and f.frame.index in cut)
    ]
    if not rows:
        n = len(sheet.results)
        if n == 0:
            row = FileResult(path=sheet.name, status="pass", message="every frame is empty")
        else:
            worst = max(sheet.results, key=lambda r: r.score or 0.0)
            row = dataclasses.replace(
                worst,
                frame=None,
                region=None,
                message=f"{describe_frames(n, sheet.skipped)} (worst: {worst.label})",
            )
            row.path = sheet.name
        row.sha256 = sheet.digest
        rows = [row]
    if sheet.warnings:
        for r in rows:
            r.message += "; " + "; ".join(f"warning: {w}" for w in sheet.warnings)
    return rows


def may_be_sheet(path: Path, sheets: SheetSettings | None) -> bool:
    """Whether a layout might apply to ``path`` (a rule, or a data file beside it): only
    then is a cached whole-file verdict not enough."""
    if sheets is None:
        return False
    from sprite_lint.sheets import data_file_for

    rule = sheets.rule_for(path)
    if rule is not None:
        return not rule.never
    return data_file_for(path, None) is not None


class _Judge:
    """Read, decode, look up and score one chunk of files (in this process or a worker)."""

    def __init__(
        self,
        baseline: Baseline,
        limit: int,
        cache_root: Path | None,
        threads: int = 0,
        sheets: SheetSettings | None = None,
    ):
        self.detector = Detector(baseline, threads=threads)
        self.limit = limit
        self.sheets = sheets
        threshold = self.detector.calibration.threshold
        self.cache = (
            None
            if cache_root is None
            else ResultCache(
                cache_root, baseline.sha256, lambda e: valid_entry(e, threshold), limit
            )
        )

    def __call__(
        self, chunk: Sequence[tuple[Path, str]], keep_maps: bool = False
    ) -> list[FileResult]:
        results: list[list[FileResult]] = [[] for _ in chunk]
        sheets: dict[int, _Sheet] = {}
        # (chunk index, name, image, file digest, warnings, frame, cache key)
        todo: list[tuple[int, str, np.ndarray, str, tuple[str, ...], Frame | None, str]] = []
        for i, (path, name) in enumerate(chunk):
            try:
                data = read_file(path)
                digest = hashlib.sha256(data).hexdigest()
                layout, decoded = None, None
                if self.sheets is not None and may_be_sheet(path, self.sheets):
                    decoded = decode_png_with_warnings(data, name, self.limit)
                    rgba = decoded[0]
                    layout = find_layout(
                        path, rgba.shape[1], rgba.shape[0], self.sheets, max_pixels=self.limit
                    )
                if layout is not None:
                    frames = frame_images(layout, rgba)
                    sheet = _Sheet(
                        name,
                        layout,
                        digest,
                        decoded[1] if decoded else (),
                        len(layout.frames) - len(frames),
                        sheet_faults(layout, rgba),
                    )
                    sheets[i] = sheet
                    for frame, image in frames:
                        key = pixel_digest(image)
                        hit = self._lookup(key, keep_maps)
                        if hit is None:
                            todo.append((i, name, image, digest, (), frame, key))
                        else:  # the sheet file's digest, as a frame judged afresh has
                            cached = _from_entry(name, hit, frame)
                            cached.sha256 = digest  # approvals are of the file's bytes
                            sheet.results.append(cached)
                    continue
                hit = self._lookup(digest, keep_maps)
                if hit is not None:
                    results[i] = [_from_entry(name, hit)]
                    results[i][0].sha256 = digest
                    continue
                rgba, warnings = decoded or decode_png_with_warnings(data, name, self.limit)
                todo.append((i, name, rgba, digest, warnings, None, digest))
            except ImageError as exc:
                results[i] = [FileResult(path=name, status="error", message=exc.reason)]
        judged = self.detector.judge_many([t[1] for t in todo], [t[2] for t in todo], keep_maps)
        for (i, _, _, digest, warnings, in_sheet, key), r in zip(todo, judged):
            r.sha256 = digest
            if warnings:  # harmless damage libpng also reads past: scored, and said
                r.message += "; " + "; ".join(f"warning: {w}" for w in warnings)
            if self.cache is not None:  # with its warnings: a cached row says them too
                self.cache.put(key, _to_entry(r))
            if in_sheet is not None:
                r.frame = in_sheet
                sheets[i].results.append(r)
                continue
            results[i] = [r]
        for i, sheet in sheets.items():
            sheet.results.sort(key=lambda r: r.frame.index if r.frame is not None else -1)
            results[i] = sheet_rows(sheet)
        return [r for rows in results for r in rows]

    def _lookup(self, key: str, keep_maps: bool) -> dict[str, object] | None:
        return None if keep_maps or self.cache is None else self.cache.get(key)


_worker: _Judge | None = None


def _init_worker(
    baseline: Baseline, limit: int, cache_root: Path | None, sheets: SheetSettings | None
) -> None:
    import signal

    # Ctrl-C belongs to the parent, which cancels the pool; a worker that took it too
    # would die mid-task and print a traceback. The parent blocked SIGINT across the
    # fork, so there is no window in which the default handler is still armed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    global _worker
    _worker = _Judge(baseline, limit, cache_root, threads=1, sheets=sheets)


class _sigint_blocked:
    """Block SIGINT in this thread (POSIX) for the ``with`` body; a pending one fires after."""

    def __enter__(self) -> None:
        import signal

        self._old = None
        if hasattr(signal, "pthread_sigmask"):
            self._old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._old)


class _sigint_ignored:
    """Ignore SIGINT for the ``with`` body (the main thread only: elsewhere a no-op)."""

    def __enter__(self) -> None:
        import signal
        import threading

        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, signal.SIG_IGN)

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


def _work(chunk: Sequence[tuple[Path, str]]) -> list[FileResult]:
    assert _worker is not None
    results = _worker(chunk)
    for r in results:
        r.raw = None  # the maps stay in the worker; the verdict and scores come back
    return results


def check_files(
    files: Sequence[Path],
    baseline: Baseline,
    max_pixels: int | None = None,
    keep_maps: bool = False,
    jobs: int = 1,
    cache_root: Path | None = None,
    root: Path | None = None,
    approvals: Mapping[str, Approval] | None = None,
    sheets: SheetSettings | None = None,
    pending: tuple[str, Mapping[str, Approval]] | None = None,
) -> CheckReport:
    """Judge every file; unreadable ones become ``error`` rows. Never writes to ``files``.

    ``sheets`` says which files are sheets (see :mod:`sprite_lint.sheets`): each of their
    frames is judged as a sprite, one row per failing frame and per sheet fault.

    ``jobs`` > 1 scores chunks of files in that many worker processes; ``cache_root``
    enables the result cache there. Paths are shown relative to ``root`` (default: cwd).
    ``approvals`` (``approved.json``) pass failing files by their key as ``approve``
    records it (``approvals.approval_key``): relative to ``root`` when given, else to
    the top of the repository that holds the baseline. ``pending``: ``(REF, approvals)``,
    the working tree's ``approved.json`` under ``--baseline-ref REF`` (which reads the
    approvals in effect at REF): a failing file approved there only says so.
    """
    limit = max_pixels or baseline.max_pixels
    items = [(p, display_path(p, root)) for p in files]
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    results: list[FileResult] = []
    if jobs > 1 and len(chunks) > 1 and not keep_maps:
        import multiprocessing  # only here: the one-file hook never pays for it
        import sys
        from concurrent.futures import ProcessPoolExecutor

        # a model onnxruntime refuses is a BaselineError here, once, not a broken pool:
        # the workers build their scorers in their initializer
        baseline.scorer(threads=1)
        ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(baseline, limit, cache_root, sheets),
        )
        try:
            with _sigint_blocked():  # the workers are forked inside the first submit
                parts = pool.map(_work, chunks)
            for part in parts:
                results.extend(part)
        except BaseException:
            # Ctrl-C (or any failure): drop the queued chunks instead of finishing them,
            # end the workers and the pool's thread; a second Ctrl-C must not cut that
            # short (interrupting the join of the pool's thread at exit left it hanging)
            with _sigint_ignored():
                manager = getattr(pool, "_executor_manager_thread", None)  # shutdown forgets it
                pool.shutdown(wait=False, cancel_futures=True)
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.terminate()
                if manager is not None:
                    manager.join(timeout=10)
            raise
        pool.shutdown(wait=True)
    else:
        judge = _Judge(baseline, limit, cache_root, sheets=sheets)
        for chunk in chunks:
            part = judge(chunk, keep_maps)
            results.extend(part)
    if approvals or pending:
        # approved.json keys are relative to the top of the repository holding the
        # baseline (as ``approve`` writes them); results to ``root``. Given, ``root`` is
        # the repository's top (or --staged's copy of it) and the keys' root too.
        key_root = root if root is not None else approvals_root(baseline.path)
        key_of = {name: approval_key(p, key_root) for p, name in items}
        keys = [key_of.get(r.path, r.path) for r in results]
        by_name = {n: p for p, n in items}
        apply_approvals(results, approvals or {}, keys, by_name, limit)
        if pending:
            note_pending_approvals(results, pending[1], keys, pending[0], by_name, limit)
    for r in results:
        r.baseline = baseline.path.as_posix()
    cal = baseline.calibration
    return CheckReport(
        baseline=baseline.path.as_posix(),
        alpha=cal.alpha,
        threshold=cal.threshold,
        calibration_method=cal.method,
        n_calibration=cal.n,
        results=results,
    )


def add_previous_scores(
    report: CheckReport,
    changes: Sequence[Changed],
    ref: str,
    root: Path,
    baseline: Baseline,
    max_pixels: int | None = None,
    sheets: SheetSettings | None = None,
) -> None:
    """Mark each row new/modified/renamed and score modified files' versions where the
    change forked from ``ref`` (``Changed.at``; ``ref`` itself for unrelated histories).

    The old version is read with git (through its filters: a Git LFS file's content),
    never from the working tree. A frame of a sheet is compared with the same frame at
    ``ref`` (cut by today's layout); a sheet's passing row with its worst frame then.
    """
    detector = Detector(baseline)
    limit = max_pixels or baseline.max_pixels
    by_name = {display_path(c.path, root): c for c in changes}
    before: dict[str, dict[int | None, float]] = {}  # path -> frame index (None: file) -> score
    for r in report.results:
        c = by_name.get(r.path)
        r.change = c.change if c is not None else "requested"
        if c is None or c.old_path is None or r.status == "error" or r.score is None:
            continue
        if r.path not in before:
            before[r.path] = _scores_at(detector, c, ref, root, limit, sheets)
        r.previous_score = before[r.path].get(r.frame.index if r.frame is not None else None)


def _scores_at(
    detector: Detector,
    c: Changed,
    ref: str,
    root: Path,
    limit: int,
    sheets: SheetSettings | None,
) -> dict[int | None, float]:
    """Scores of a file's version at ``ref``: by frame index for a sheet (None: its worst
    frame, or the whole file); empty when that version was not a readable PNG."""
    assert c.old_path is not None
    try:
        old = decode_png(read_at(c.at or ref, c.old_path, root), f"{ref}:{c.old_path}", limit)
        layout = (
            find_layout(c.path, old.shape[1], old.shape[0], sheets, max_pixels=limit)
            if sheets is not None and may_be_sheet(c.path, sheets)
            else None
        )
    except (ImageError, UsageError):
        return {}  # no comparison to show
    if layout is None:
        return {None: detector.judge(c.old_path, old).score}  # type: ignore[dict-item]
    frames = frame_images(layout, old)
    judged = detector.judge_many([c.old_path] * len(frames), [im for _, im in frames])
    scores: dict[int | None, float] = {f.index: r.score for (f, _), r in zip(frames, judged)}  # type: ignore[misc]
    if scores:
        scores[None] = max(v for v in scores.values())
    return scores


def apply_approvals(
    results: Sequence[FileResult],
    approvals: Mapping[str, Approval],
    keys: Sequence[str] | None = None,
    files: Mapping[str, Path] | None = None,
    max_pixels: int | None = None,
) -> None:
    """A failing file passes, and says so, when its own path was approved with these exact
    bytes, or (an entry with ``pixels_sha256``) these exact pixels: a lossless re-save
    stays approved; approving ``art/bad.png`` does not pass an identical ``other/copy.png``.

    ``keys``: each result's path as ``approved.json`` stores it (relative to the
    repository's top); default: the results' own paths. ``files``: the file behind each
    result's path, read again where the bytes differ and only the pixels can tell.
    """
    match = _Matcher(files, max_pixels)
    for r, key in zip(results, keys if keys is not None else [r.path for r in results]):
        a = approvals.get(key)
        how = match(r, a) if r.status == "fail" else None
        if how is not None:
            r.status = "pass"
            r.approved = True
            r.message = f"approved ({a.reason})" if a and a.reason else "approved"
            if how == "pixels":
                r.message += "; re-saved since, with the same pixels"


class _Matcher:
    """Whether an approval covers a result's file: ``"bytes"`` (the same sha256),
    ``"pixels"`` (re-saved: other bytes, the same decoded pixels, and a file that decodes
    without a warning, so an APNG's added frames or trailing data are never waved through)
    or None. Each file is read at most once (a sheet's frames share it)."""

    def __init__(self, files: Mapping[str, Path] | None, max_pixels: int | None) -> None:
        self.files, self.max_pixels = files or {}, max_pixels or DEFAULT_MAX_PIXELS
        self.pixels: dict[str, str | None] = {}

    def __call__(self, r: FileResult, a: Approval | None) -> str | None:
        if a is None:
            return None
        if a.sha256 == r.sha256:
            return "bytes"
        if not a.pixels or r.path not in self.files:
            return None
        if r.path not in self.pixels:
            from sprite_lint.approvals import clean_pixel_digest

            try:
                data = read_file(self.files[r.path])
            except ImageError:
                self.pixels[r.path] = None
            else:
                self.pixels[r.path] = clean_pixel_digest(data, r.path, self.max_pixels)
        return "pixels" if self.pixels[r.path] == a.pixels else None


def note_pending_approvals(
    results: Sequence[FileResult],
    pending: Mapping[str, Approval],
    keys: Sequence[str],
    ref: str,
    files: Mapping[str, Path] | None = None,
    max_pixels: int | None = None,
) -> None:
    """A file that still fails under ``--baseline-ref REF`` but that the change under
    review approves (these bytes or pixels, in the working tree's ``approved.json``) says
    so: its approval counts once it is on REF, and approving it again changes nothing."""
    match = _Matcher(files, max_pixels)
    for r, key in zip(results, keys):
        if r.status == "fail" and not r.approved and match(r, pending.get(key)) is not None:
            r.message += (
                f"; approved in this change's approved.json, which counts once it is on "
                f"{printable(ref)}: approvals are read at --baseline-ref"
            )


def route(
    paths: Sequence[Path], mapping: Callable[[str], str | None], project: Path
) -> tuple[dict[str, list[Path]], list[Path]]:
    """Group files by the baseline ``mapping`` gives their path relative to ``project``;
    files it maps to none come back separately, to be reported (never passed silently)."""
    groups: dict[str, list[Path]] = {}
    unmatched: list[Path] = []
    for p in paths:
        folder = mapping(display_path(p, project))
        if folder is None:
            unmatched.append(p)
        else:
            groups.setdefault(folder, []).append(p)
    return groups, unmatched


def unmatched_message(config: str | None) -> str:
    """What to do about a file that no baseline glob matches."""
    where = f" in {config}" if config else ""
    return (
        f"no baseline is mapped to this file: add a glob for it to the baselines "
        f"table{where}, exclude it, or pass --baseline"
    )


def unmatched_result(name: str, config: str | None) -> FileResult:
    return FileResult(path=name, status="error", message=unmatched_message(config))


def outside_result(name: str) -> FileResult:
    """The row of a file git lists that is a symbolic link leading out of the repository
    (with ``--all`` or ``--changed-since``): not read, never a walk outside."""
    return FileResult(
        path=name,
        status="error",
        message="a symbolic link that leads outside the repository; not read",
    )


def staged_link_result(name: str) -> FileResult:
    """The row of a PNG name staged as a symbolic link (``--staged``): git stores the
    link's target path, not an image, so there is nothing of it to check."""
    return FileResult(
        path=name,
        status="error",
        message=(
            "staged as a symbolic link: git stores the link, not an image; stage the "
            "PNG it points to (and check that) instead"
        ),
    )


def join_reports(reports: Sequence[CheckReport], extra: Sequence[FileResult] = ()) -> CheckReport:
    """One report from checks against different baselines (plus rows no baseline judged)."""
    if not reports:  # every file was unmatched: a report of error rows, no baseline
        empty = CheckReport("", 0.0, 0.0, "none", 0, list(extra))
        empty.baselines = []
        return empty
    first = reports[0]
    return CheckReport(
        baseline=first.baseline,  # the first, as the other scalars: ``baselines`` lists all
        alpha=first.alpha,
        threshold=first.threshold,
        calibration_method=first.calibration_method,
        n_calibration=first.n_calibration,
        results=[row for r in reports for row in r.results] + list(extra),
        baselines=[b for r in reports for b in r.baselines],
    )


def settings_edits(ref: str, config_file: str | None, root: Path, fail: bool) -> list[Notice]:
    """A notice when the change under review edits the sprite-lint settings (the
    ``[tool.sprite-lint]`` table of pyproject.toml, or .sprite-lint.toml) against where it
    forked from ``ref``: ``alpha``, ``exclude`` or the baselines map loosen the gate as
    surely as a baseline does, and a reviewer must see it. Names the keys that differ."""
    import tomllib

    from sprite_lint.gitfiles import edited_files, fork_point, read_at, repo_relative

    if config_file is None:
        return []
    rel = repo_relative(Path(config_file), root)
    if rel is None or rel not in edited_files(ref, rel, root):
        return []

    def table(text: bytes) -> dict[str, object]:
        try:
            doc = tomllib.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return {"(unreadable)": True}
        if not rel.endswith("pyproject.toml"):
            return doc
        section = doc.get("tool", {}).get("sprite-lint", {})
        return section if isinstance(section, dict) else {"(not a table)": True}

    from sprite_lint.errors import UsageError

    try:
        before = table(read_at(fork_point(ref, root), rel, root))
    except UsageError:
        before = {}  # the file is new in this change
    after = table(Path(config_file).read_bytes())
    keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if not keys:
        return []

    def change(key: str) -> str:  # "alpha 0.01 -> 0.001" for a number or a word
        old, new = before.get(key), after.get(key)
        plain = (int, float, str, bool, type(None))
        if isinstance(old, plain) and isinstance(new, plain) and len(f"{old}{new}") <= 60:
            shown = [printable(repr(v)) if isinstance(v, str) else str(v) for v in (old, new)]
            return f"{key} {shown[0] if key in before else '(unset)'} -> " + (
                shown[1] if key in after else "(unset)"
            )
        return key

    return [
        Notice(
            f"this change edits the sprite-lint settings in {rel} "
            f"({', '.join(change(k) for k in keys)}): unlike the baselines, the settings "
            "are read from the change itself, so this check already uses them; they can "
            "loosen the gate as a baseline can, and a reviewer must approve them",
            fail,
            rel,
            file=rel,
        )
    ]


def baseline_edits(ref: str, folders: Sequence[str | Path], root: Path, fail: bool) -> list[Notice]:
    """A notice for each baseline folder the change under review edits (the working tree
    against where it forked from ``ref``: its files, ``approved.json`` included). Such a
    change is judged by ``ref``'s baseline, never its own, and says so."""
    from sprite_lint.gitfiles import edited_files, repo_relative

    notices = []
    for folder in dict.fromkeys(str(f) for f in folders):
        rel = repo_relative(Path(folder), root)
        if rel is None:
            continue  # outside the repository: --baseline-ref cannot have read it either
        edited = edited_files(ref, rel, root)
        if edited:
            names = ", ".join(e[len(rel) + 1 :] if rel != "." else e for e in edited)
            notices.append(
                Notice(
                    f"this change edits {rel}: judged against {ref}'s; a reviewer must approve "
                    f"the new baseline (changed: {names})",
                    fail,
                    rel,
                    file=edited[0],
                )
            )
    return notices
