"""The inventory commands of the library: ``validate`` (and ``load``, one
inventory), ``plan`` (the Plan of each, what the other commands start from),
the names a bundle folder cannot have, ``init``, ``schema`` and ``catalogue``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.catalogue import CATALOGUE, Catalogue
from generator.errors import (
    Diagnostic,
    InventoryError,
    Location,
    UsageError,
    relative_display,
)
from generator.inventory.load import RawDocument, load_inventory
from generator.inventory.model import Inventory, json_schema
from generator.inventory.validation import parse_inventory
from generator.inventory.winnames import SOURCE, windows_name_problem
from generator.plan.rules import check_rules
from generator.plan.site import Plan, build_plan
from generator.text import printable

if TYPE_CHECKING:
    from generator.inventory.starter import Started


@dataclass(frozen=True, slots=True)
class Checked:
    """One inventory after loading, modelling and the domain rules."""

    path: Path
    doc: RawDocument | None
    inventory: Inventory | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that make the inventory invalid."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that do not."""
        return tuple(d for d in self.diagnostics if d.severity != "error")


def _sorted(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(diagnostics, key=Diagnostic.sort_key))


def _problems(path: Path, exc: InventoryError) -> tuple[Diagnostic, ...]:
    """An inventory error's diagnostics; one naming the file when it has none."""
    return exc.diagnostics or (
        Diagnostic(Location(relative_display(path)), "invalid", exc.message),
    )


def load(path: Path) -> Checked:
    """Load, model and check one inventory; every problem is collected, not raised."""
    doc: RawDocument | None = None
    try:
        doc = load_inventory(path)
        inventory = parse_inventory(doc)
    except InventoryError as exc:
        return Checked(path, doc, None, _sorted(_problems(path, exc)))
    return Checked(path, doc, inventory, _sorted(check_rules(inventory, doc)))


@dataclass(frozen=True, slots=True)
class Validation:
    """``drgen validate``: every inventory checked, every diagnostic kept."""

    results: tuple[Checked, ...]

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every diagnostic of every inventory, in report order."""
        return _sorted([d for r in self.results for d in r.diagnostics])

    @property
    def invalid(self) -> tuple[Checked, ...]:
        """The inventories with at least one error."""
        return tuple(r for r in self.results if r.errors)


def validate(paths: Sequence[Path], *, strict: bool = False) -> Validation:
    """Check every inventory; with ``strict`` every warning counts as an error.

    Raises:
        UsageError: an inventory's file name cannot name its bundle folder.
    """
    check_inventory_names(paths)
    results = []
    for path in paths:
        checked = load(path)
        if strict:
            promoted = tuple(
                dataclasses.replace(d, severity="error") for d in checked.diagnostics
            )
            checked = dataclasses.replace(checked, diagnostics=promoted)
        results.append(checked)
    return Validation(tuple(results))


def inventory_name_problems(paths: Sequence[Path]) -> tuple[Diagnostic, ...]:
    """Inventories whose bundle folder (``OUT/<stem>``) Windows cannot hold, that
    would be a folder drgen keeps for itself, or that share it with another
    inventory of the same run (case ignored, as on Windows)."""
    found: list[Diagnostic] = []
    stems: dict[str, Path] = {}
    for path in paths:
        where = Location(relative_display(path))
        stem = path.stem
        problem = windows_name_problem(stem)
        if problem is None and stem.startswith("."):
            problem = "starts with a dot, as drgen's own files in OUT do"
        if problem is not None:
            found.append(
                Diagnostic(
                    where,
                    "inventory-name",
                    f"the bundle folder '{printable(stem)}/' of this inventory "
                    f"{problem}",
                    hint=f"rename the inventory file; its name is the folder the "
                    f"bundle is copied to Windows in ({SOURCE})",
                )
            )
        other = stems.get(stem.casefold())
        if other is not None:
            same = "" if other.stem == stem else " on Windows (case does not count)"
            found.append(
                Diagnostic(
                    where,
                    "inventory-name",
                    f"{path} and {other} would both render into '{printable(stem)}/'"
                    f"{same}",
                    hint="rename one of them",
                )
            )
        stems.setdefault(stem.casefold(), path)
    return tuple(found)


def check_inventory_names(paths: Sequence[Path]) -> None:
    """Refuse inventory file names a bundle folder cannot have (exit 2).

    Raises:
        UsageError: one located diagnostic per problem.
    """
    problems = inventory_name_problems(paths)
    if problems:
        raise UsageError(
            f"{len(problems)} inventory file name(s) cannot name a bundle folder",
            problems,
        )


def plan(paths: Sequence[Path]) -> tuple[Plan, ...]:
    """The Plan of every inventory, each loaded and checked once.

    Raises:
        InventoryError: one error carrying every inventory's diagnostics.
    """
    check_inventory_names(paths)
    plans: list[Plan] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            doc = load_inventory(path)
            plans.append(build_plan(parse_inventory(doc), doc, path.stem))
        except InventoryError as exc:
            problems += _problems(path, exc)
    if problems:
        raise InventoryError("invalid inventory", tuple(problems))
    return tuple(plans)


def init(path: Path) -> Started:
    """Write a commented starter inventory (and its schema when none is near).

    Raises:
        UsageError: ``path`` exists or its folder does not; nothing is written.
    """
    from generator.inventory.starter import write_starter

    return write_starter(path)


def schema() -> dict[str, Any]:
    """The JSON Schema of the inventory (``drgen/v1``)."""
    return json_schema()


def catalogue() -> Catalogue:
    """Every name the generated files use on a BizTalk server, with its source."""
    return CATALOGUE
