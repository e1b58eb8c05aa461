"""Defaults the command line shows in its options, importable without the pipeline.

Kept apart so that ``drgen --version`` and ``--help`` start without loading
Jinja, pydantic or the catalogue.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
