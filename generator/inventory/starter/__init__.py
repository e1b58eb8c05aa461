"""``drgen init``: a commented starter inventory that validates as written.

The text is ``inventory.yaml`` beside this module (shipped as package data); its
yaml-language-server modeline points at the inventory's JSON Schema so an
editor completes and checks keys. When no schema file is near the new
inventory, one is written beside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from generator.errors import OutputError, UsageError
from generator.inventory.model import SCHEMA_FILE, json_schema

_SCHEMA_PLACEHOLDER = "{schema}"


@dataclass(frozen=True, slots=True)
class Started:
    """What ``init`` wrote: the inventory, and the schema file when it wrote one."""

    inventory: Path
    schema: Path | None


def starter_text(schema_reference: str) -> str:
    """The starter inventory with its modeline pointing at ``schema_reference``."""
    text = (
        files("generator.inventory.starter")
        .joinpath("inventory.yaml")
        .read_text("utf-8")
    )
    return text.replace(_SCHEMA_PLACEHOLDER, schema_reference, 1)


def _schema_text() -> str:
    from generator.inventory.model import schema_text

    return schema_text(json_schema())


def _schema_near(folder: Path) -> tuple[Path, bool]:
    """The schema file the modeline names, and whether it must be written.

    In a checkout (or a copy of its layout) that is ``../schema/``; anywhere else
    a copy beside the inventory.
    """
    for candidate in (folder.parent / "schema" / SCHEMA_FILE, folder / SCHEMA_FILE):
        if candidate.is_file():
            return candidate, False
    return folder / SCHEMA_FILE, True


def write_starter(path: Path) -> Started:
    """Write the starter inventory at ``path``; never replaces an existing file.

    Raises:
        UsageError: ``path`` exists, or its folder does not.
        OutputError: the file cannot be written.
    """
    if path.exists() or path.is_symlink():
        raise UsageError(f"{path}: already exists; drgen init never overwrites a file")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    schema, write_schema = _schema_near(folder)
    reference = os.path.relpath(schema, folder).replace(os.sep, "/")
    text = starter_text(reference)
    try:
        # "x": created here or not at all, even if another process races us.
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise UsageError(
            f"{path}: already exists; drgen init never overwrites a file"
        ) from None
    except OSError as exc:
        raise OutputError(f"{path}: {exc.strerror or exc}") from None
    if write_schema:
        try:
            with schema.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(_schema_text())
        except OSError as exc:
            path.unlink()  # nothing half-done: no inventory without its schema
            raise OutputError(f"{schema}: {exc.strerror or exc}") from None
    return Started(path, schema if write_schema else None)
