"""sprite-lint: a QA linter for game sprites that learns "on-style" from approved art."""

from __future__ import annotations

__version__ = "0.3.1"
