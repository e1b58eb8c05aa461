"""Shared fixtures: the example inventories rendered in memory, and a CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from textwrap import dedent

import pytest
from typer.testing import CliRunner

from generator.api import plan as plan_inventories
from generator.artifacts import RenderedArtifact
from generator.bundle import render_unsigned
from generator.plan import Plan
from generator.render import make_environment

ROOT = Path(__file__).resolve().parent.parent
INVENTORIES = ROOT / "inventories"
EXAMPLES = ("example", "consolidated")
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_tool(name: str) -> str:
    """Path of an external oracle; under CI=true a missing one fails, never skips."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"oracle {name} is required under CI=true but not installed")
        pytest.skip(f"{name} not installed")
    return path


@pytest.fixture(scope="session")
def plans() -> dict[str, Plan]:
    """The plan of every example inventory."""
    return {
        stem: plan_inventories([INVENTORIES / f"{stem}.yaml"])[0] for stem in EXAMPLES
    }


@pytest.fixture(scope="session")
def rendered(
    plans: dict[str, Plan],
) -> dict[str, dict[PurePosixPath, RenderedArtifact]]:
    """Every artifact of every example, keyed by inventory stem then path."""
    env = make_environment()
    return {
        stem: {art.path: art for art in render_unsigned(plan, env)}
        for stem, plan in plans.items()
    }


@pytest.fixture(scope="session")
def all_artifacts(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]],
) -> list[RenderedArtifact]:
    """Every artifact of both examples in one list."""
    return [art for arts in rendered.values() for art in arts.values()]


@pytest.fixture
def runner() -> CliRunner:
    """A typer CLI runner."""
    return CliRunner()


@pytest.fixture
def write_inventory(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write YAML text (dedented) as an inventory file and return its path."""

    def write(text: str, name: str = "inv.yaml") -> Path:
        path = tmp_path / name
        path.write_text(dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def example_text() -> str:
    """The seed example inventory's text, for tests that mutate it."""
    return (INVENTORIES / "example.yaml").read_text(encoding="utf-8")
