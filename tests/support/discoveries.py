"""Discovery files for the import and drift tests: what ``discover --simulate``
writes for an example inventory, written to a file, checked by ``drgen drift``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from generator import api
from generator.cli.app import app
from generator.discovery.drift import DriftReport
from generator.discovery.simulate import simulate
from generator.errors import Location
from generator.inventory.load import load_inventory
from tests.support.paths import INVENTORIES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


Mutation = Callable[[dict[str, Any]], None]


def simulated(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(simulate(INVENTORIES / f"{name}.yaml"))
    return data


def drift_of(name: str, data: dict[str, Any], tmp_path: Path, **kw: Any) -> DriftReport:
    path = tmp_path / "discovery.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return api.drift(INVENTORIES / f"{name}.yaml", path, **kw)


def location_of(name: str, path: tuple[str | int, ...]) -> Location:
    return load_inventory(INVENTORIES / f"{name}.yaml").locate(path)


def drift_cli(args: list[str]) -> Any:
    return CliRunner().invoke(app, ["drift", *args])
