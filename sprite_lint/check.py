"""``check``: score sprites against a baseline and decide pass, fail or error."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sprite_lint.baseline import Baseline
from sprite_lint.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_PASS, ImageError
from sprite_lint.imageio import load_png
from sprite_lint.scoring import SIGNAL_LABELS, RawScores, Region, combine


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
    driver: str | None = None  # the signal behind the combined score
    region: Region | None = None  # where that signal is worst
    raw: RawScores | None = field(default=None, repr=False)

    @property
    def margin(self) -> float | None:
        """``score - threshold``: positive means over the threshold by that much."""
        if self.score is None or self.threshold is None:
            return None
        return self.score - self.threshold


@dataclass
class CheckReport:
    baseline: str
    alpha: float
    threshold: float
    calibration_method: str
    n_calibration: int
    results: list[FileResult]

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
        return EXIT_FINDINGS if c["fail"] else EXIT_PASS


class Detector:
    """A baseline made ready to judge sprites."""

    def __init__(self, baseline: Baseline) -> None:
        self.baseline = baseline
        self.scorer = baseline.scorer()
        self.standardizer = baseline.standardizer
        self.calibration = baseline.calibration

    def judge(self, name: str, rgba: np.ndarray, keep_maps: bool = False) -> FileResult:
        raw = self.scorer.score(rgba, keep_maps=keep_maps)
        score, driver = combine(self.standardizer.transform(raw.as_vector()))
        threshold = self.calibration.threshold
        failed = score > threshold
        region = raw.regions[driver]
        if failed:
            message = f"{SIGNAL_LABELS[driver]} at {region}"
        else:
            message = "looks like the approved art"
        return FileResult(
            path=name,
            status="fail" if failed else "pass",
            message=message,
            score=score,
            threshold=threshold,
            p_value=self.calibration.p_value(score),
            recon_error=raw.recon,
            kde_log_density=-raw.kde,
            colour_rarity=raw.colour,
            driver=driver,
            region=region,
            raw=raw,
        )


def display_path(path: Path, root: Path | None = None) -> str:
    """Path as the user should read it: relative to ``root`` (default: cwd) when inside it."""
    root = (root or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def check_files(
    files: Sequence[Path],
    baseline: Baseline,
    max_pixels: int | None = None,
    keep_maps: bool = False,
    on_result: Callable[[FileResult], None] | None = None,
) -> CheckReport:
    """Judge every file; unreadable ones become ``error`` rows. Never writes to ``files``."""
    detector = Detector(baseline)
    limit = max_pixels or baseline.max_pixels
    results: list[FileResult] = []
    for path in files:
        name = display_path(path)
        try:
            image = load_png(path, limit)
            result = detector.judge(name, image.rgba, keep_maps=keep_maps)
        except ImageError as exc:
            result = FileResult(path=name, status="error", message=exc.reason)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return _report(baseline, detector, results)


def _report(baseline: Baseline, detector: Detector, results: Iterable[FileResult]) -> CheckReport:
    cal = detector.calibration
    return CheckReport(
        baseline=baseline.path.as_posix(),
        alpha=cal.alpha,
        threshold=cal.threshold,
        calibration_method=cal.method,
        n_calibration=cal.n,
        results=list(results),
    )
