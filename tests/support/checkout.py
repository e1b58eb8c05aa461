"""The files of the checkout, to prove that no test (and no command) writes there."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.paths import ROOT

# Not the checkout's: caches of tools and of the test run itself.
_NOT_OUTPUT = frozenset(
    {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    | {".hypothesis", "drgen.egg-info", ".import_linter_cache"}
)


def checkout_files(root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """Every file of the checkout (but caches) with its size and mtime."""
    found: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _NOT_OUTPUT]
        for name in files:
            stat = Path(folder, name).stat()
            found[os.path.relpath(Path(folder, name), root)] = (
                stat.st_size,
                stat.st_mtime_ns,
            )
    return found
