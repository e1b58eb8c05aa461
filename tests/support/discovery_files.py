"""Discovery files for the import tests: the committed real WMI-shaped one, JSON
written to a file, an imported inventory's model, and what discovery cannot see."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from generator.inventory.load import parse_inventory_text
from generator.inventory.model import Inventory
from generator.inventory.validation import parse_inventory
from tests.support.paths import INVENTORIES, ROOT

DISCOVERY_DATA = ROOT / "tests" / "data" / "discovery"


REAL = DISCOVERY_DATA / "real-wmi-shaped.json"


def dump(data: Any) -> str:
    return json.dumps(data, indent=2)


def write_json(tmp_path: Path, data: Any, name: str = "discovery.json") -> Path:
    path = tmp_path / name
    path.write_text(dump(data), encoding="utf-8")
    return path


def model_of(text: str, file: str = "imported.yaml") -> Inventory:
    return parse_inventory(parse_inventory_text(text, file))


def undiscoverable_removed(inv: Inventory) -> dict[str, Any]:
    """group and production without what discovery cannot see (docs/discovery.md):
    IIS application pools of isolated hosts and the labels of custom databases."""
    data = inv.model_dump(by_alias=True)
    for host in data["group"]["hosts"]:
        host["app_pools"] = ()
    for other in data["group"]["databases"]["other"]:
        other["label"] = None
    return {"group": data["group"], "production": data["production"]}


def original_doc_path(name: str) -> Path:
    return INVENTORIES / f"{name}.yaml"


def located(result: Any, file: Path) -> list[str]:
    lines = [line for line in result.stderr.splitlines() if not line.startswith(" ")]
    assert lines, result.output
    pattern = re.compile(re.escape(str(file)) + r":\d+:\d+: error\[[a-z-]+\]: ")
    assert all(pattern.match(line) for line in lines), lines
    return lines
