"""The one error family. Core code raises these; ``cli`` maps them to exit codes."""

from __future__ import annotations

EXIT_PASS = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class SpriteLintError(Exception):
    """Base class: an expected failure with a message the user can act on."""

    exit_code = EXIT_ERROR


class UsageError(SpriteLintError):
    """Bad options or arguments."""


class ImageError(SpriteLintError):
    """One input image cannot be read. Reported as a per-file ``error`` row."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class SheetError(ImageError):
    """A sheet's frame data is malformed or does not fit its image (an ``error`` row)."""


class BaselineError(SpriteLintError):
    """The baseline is missing, from another version, or has been tampered with."""


class MissingExtraError(SpriteLintError):
    """A command needs the ``[train]`` extra (torch, scikit-learn) that is not installed."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} needs the training extra, which is not installed. "
            "Install it with: pip install 'sprite-lint[train]'"
        )


class CalibrationError(SpriteLintError):
    """Calibration cannot go ahead (for example: too few approved sprites)."""
