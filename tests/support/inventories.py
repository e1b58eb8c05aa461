"""The example inventories loaded on their own, edited, and their errors."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from generator.errors import Diagnostic, InventoryError, PlanError
from generator.inventory.load import load_inventory
from generator.inventory.model import Inventory
from generator.inventory.validation import parse_inventory
from generator.plan.site import build_plan
from tests.support.paths import INVENTORIES


@cache
def inventory(stem: str) -> Inventory:
    """An example inventory, loaded on its own (not through the plan)."""
    return parse_inventory(load_inventory(INVENTORIES / f"{stem}.yaml"))


def dr_of(inv: Inventory, server: str) -> str:
    """The DR SQL instance a production instance maps to (case-insensitive)."""
    return {k.upper(): v for k, v in inv.dr.sql.items()}[server.upper()]


def load_error(path: Path) -> InventoryError:
    """The error loading an invalid inventory raises."""
    doc = load_inventory(path)
    with pytest.raises(InventoryError) as caught:
        parse_inventory(doc)
    return caught.value


def plan_error(path: Path) -> PlanError:
    """The error planning a well-formed inventory that breaks a rule raises."""
    doc = load_inventory(path)
    inv = parse_inventory(doc)
    with pytest.raises(PlanError) as caught:
        build_plan(inv, doc, path.stem)
    return caught.value


def diagnostics_with(error: InventoryError, code: str) -> list[Diagnostic]:
    found = [d for d in error.diagnostics if d.code == code]
    assert found, [d.format() for d in error.diagnostics]
    return found


def consolidated_text() -> str:
    return (INVENTORIES / "consolidated.yaml").read_text(encoding="utf-8")


def edit(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)
