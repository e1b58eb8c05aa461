"""Defaults the command line shows in its options, importable without the pipeline.

Kept apart so that ``drgen --version`` and ``--help`` start without loading
Jinja, pydantic or the catalogue.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def packaged_folder(name: str) -> Path:
    """A data folder shipped with drgen: ``templates`` or ``schema``.

    An installed wheel carries them as ``generator/templates`` and
    ``generator/schema`` (pyproject.toml maps the checkout's top-level folders
    there); a checkout or an editable install reads the top-level folders.
    """
    inside = files("generator").joinpath(name)
    if inside.is_dir():
        return Path(str(inside))
    return _CHECKOUT / name


DEFAULT_TEMPLATES = packaged_folder("templates")
SCHEMA_FOLDER = packaged_folder("schema")


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
