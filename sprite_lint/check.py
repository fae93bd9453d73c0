"""``check``: score sprites against a baseline and decide pass, fail or error."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sprite_lint.approvals import Approval
from sprite_lint.baseline import Baseline
from sprite_lint.cache import ResultCache
from sprite_lint.discovery import display_path
from sprite_lint.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_PASS, ImageError, UsageError
from sprite_lint.gitfiles import Changed, read_at
from sprite_lint.imageio import decode_png, decode_png_with_warnings, read_file
from sprite_lint.scoring import SIGNALS, RawScores, Region
from sprite_lint.signals import describe, explaining_signal
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
    raw: RawScores | None = field(default=None, repr=False)

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
    path: str | None = None  # the repository folder it is about

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
        return [self._verdict(name, raw) for name, raw in zip(names, raws)]

    def _verdict(self, name: str, raw: RawScores) -> FileResult:
        z = self.standardizer.transform(raw.as_vector())
        score, driver = combine(z)
        threshold = self.calibration.threshold
        failed = score > threshold
        if failed:  # name the most specific signal over the limit, not merely the largest
            driver = explaining_signal(z, threshold)
        region = raw.regions[driver]
        centre = self.standardizer.centre[SIGNALS.index(driver)]
        raw_value = float(raw.as_vector()[SIGNALS.index(driver)])
        message = (
            describe(driver, raw_value, region, centre) if failed else "looks like the approved art"
        )
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


def _from_entry(name: str, e: dict[str, object]) -> FileResult:
    region = e.get("region")
    return FileResult(
        path=name,
        region=Region(*region) if isinstance(region, list) else None,  # type: ignore[arg-type]
        **{k: e.get(k) for k in _CACHED},  # type: ignore[arg-type]
    )


class _Judge:
    """Read, decode, look up and score one chunk of files (in this process or a worker)."""

    def __init__(self, baseline: Baseline, limit: int, cache_root: Path | None, threads: int = 0):
        self.detector = Detector(baseline, threads=threads)
        self.limit = limit
        threshold = self.detector.calibration.threshold
        self.cache = (
            None
            if cache_root is None
            else ResultCache(cache_root, baseline.sha256, lambda e: valid_entry(e, threshold))
        )

    def __call__(
        self, chunk: Sequence[tuple[Path, str]], keep_maps: bool = False
    ) -> list[FileResult]:
        results: list[FileResult | None] = [None] * len(chunk)
        todo: list[tuple[int, str, np.ndarray, str, tuple[str, ...]]] = []
        for i, (path, name) in enumerate(chunk):
            try:
                data = read_file(path)
                digest = hashlib.sha256(data).hexdigest()
                hit = None if keep_maps or self.cache is None else self.cache.get(digest)
                if hit is not None:
                    results[i] = _from_entry(name, hit)
                    results[i].sha256 = digest  # type: ignore[union-attr]
                    continue
                rgba, warnings = decode_png_with_warnings(data, str(path), self.limit)
                todo.append((i, name, rgba, digest, warnings))
            except ImageError as exc:
                results[i] = FileResult(path=name, status="error", message=exc.reason)
        judged = self.detector.judge_many([t[1] for t in todo], [t[2] for t in todo], keep_maps)
        for (i, _, _, digest, warnings), r in zip(todo, judged):
            r.sha256 = digest
            if warnings:  # harmless damage libpng also reads past: scored, and said
                r.message += "; " + "; ".join(f"warning: {w}" for w in warnings)
            results[i] = r
            if self.cache is not None:
                self.cache.put(digest, _to_entry(r))
        return results  # type: ignore[return-value]


_worker: _Judge | None = None


def _init_worker(baseline: Baseline, limit: int, cache_root: Path | None) -> None:
    global _worker
    _worker = _Judge(baseline, limit, cache_root, threads=1)


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
) -> CheckReport:
    """Judge every file; unreadable ones become ``error`` rows. Never writes to ``files``.

    ``jobs`` > 1 scores chunks of files in that many worker processes; ``cache_root``
    enables the result cache there. Paths are shown relative to ``root`` (default: cwd).
    """
    limit = max_pixels or baseline.max_pixels
    items = [(p, display_path(p, root)) for p in files]
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    results: list[FileResult] = []
    if jobs > 1 and len(chunks) > 1 and not keep_maps:
        import multiprocessing  # only here: the one-file hook never pays for it
        import sys
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(baseline, limit, cache_root),
        ) as pool:
            for part in pool.map(_work, chunks):
                results.extend(part)
    else:
        judge = _Judge(baseline, limit, cache_root)
        for chunk in chunks:
            part = judge(chunk, keep_maps)
            results.extend(part)
    if approvals:
        from sprite_lint.gitfiles import project_root

        # approved.json keys are relative to the repository's top; results to ``root``
        key_root = root if root is not None else project_root()
        apply_approvals(results, approvals, [display_path(p, key_root) for p in files])
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
) -> None:
    """Mark each row new/modified/renamed and score modified files' versions at ``ref``.

    The old version is read with ``git show``, never from the working tree.
    """
    detector = Detector(baseline)
    limit = max_pixels or baseline.max_pixels
    by_name = {display_path(c.path, root): c for c in changes}
    for r in report.results:
        c = by_name.get(r.path)
        r.change = c.change if c is not None else "requested"
        if c is None or c.old_path is None or r.status == "error":
            continue
        try:
            old = decode_png(read_at(ref, c.old_path, root), f"{ref}:{c.old_path}", limit)
        except (ImageError, UsageError):
            continue  # the old version was not a readable PNG: no comparison to show
        r.previous_score = detector.judge(r.path, old).score


def apply_approvals(
    results: Sequence[FileResult],
    approvals: Mapping[str, Approval],
    keys: Sequence[str] | None = None,
) -> None:
    """A failing file passes, and says so, when its own path was approved with these exact
    bytes: approving ``art/bad.png`` does not pass an identical ``other/copy.png``.

    ``keys``: each result's path as ``approved.json`` stores it (relative to the
    repository's top); default: the results' own paths.
    """
    for r, key in zip(results, keys if keys is not None else [r.path for r in results]):
        a = approvals.get(key)
        if r.status == "fail" and a is not None and a.sha256 == r.sha256:
            r.status = "pass"
            r.approved = True
            r.message = f"approved ({a.reason})" if a.reason else "approved"


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


def join_reports(reports: Sequence[CheckReport], extra: Sequence[FileResult] = ()) -> CheckReport:
    """One report from checks against different baselines (plus rows no baseline judged)."""
    if not reports:  # every file was unmatched: a report of error rows, no baseline
        empty = CheckReport("", 0.0, 0.0, "none", 0, list(extra))
        empty.baselines = []
        return empty
    first = reports[0]
    return CheckReport(
        baseline=", ".join(r.baseline for r in reports),
        alpha=first.alpha,
        threshold=first.threshold,
        calibration_method=first.calibration_method,
        n_calibration=first.n_calibration,
        results=[row for r in reports for row in r.results] + list(extra),
        baselines=[b for r in reports for b in r.baselines],
    )


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
                )
            )
    return notices
