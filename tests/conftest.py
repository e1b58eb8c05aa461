"""Shared fixtures: the example inventories rendered in memory, and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from textwrap import dedent
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from generator.render.environment import make_environment
from tests.support.checkout import checkout_files
from tests.support.examples import DEFAULT_FULL, DEFAULT_LOCAL, PROFILE
from tests.support.paths import EXAMPLES, INVENTORIES
from tests.support.scheduling import slow_first
from tests.support.tools import require_tool

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Hypothesis: the full number of examples under CI=true, fewer locally
# (tests/support/examples.py). The example database stays in .hypothesis/: it
# writes each example atomically, and a test runs on one xdist worker at a time.
settings.register_profile("ci", max_examples=DEFAULT_FULL)
settings.register_profile("thorough", max_examples=DEFAULT_FULL)
settings.register_profile("dev", max_examples=DEFAULT_LOCAL)
settings.load_profile(PROFILE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first (tests/support/scheduling.py)."""
    slow_first(items)


@pytest.fixture(scope="session", autouse=True)
def checkout_stays_untouched(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """No test writes into the checkout: renders sign with a development key kept
    in a temporary folder (DRGEN_DEV_CERT_DIR, inherited by real processes), and
    every file of the checkout is the same after the run as before it."""
    before = checkout_files()
    keys = tmp_path_factory.mktemp("dev-signing")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DRGEN_DEV_CERT_DIR", str(keys))
        yield
    after = checkout_files()
    changed = sorted(
        p for p in before.keys() | after.keys() if before.get(p) != after.get(p)
    )
    if changed:
        pytest.fail(f"tests wrote into the checkout: {changed[:20]}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium through Playwright, one for each test module.

    Per module, not per session: Playwright keeps a driver process and a thread
    waiting on it, which should not be alive while other modules' tests fork
    render workers (fork in a threaded process). Starting both costs ~0.5 s.
    Imported here: only the browser tests pay for loading Playwright.
    """
    from tests.support.browser import chromium

    with chromium(require_tool("chromium")) as running:
        yield running


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
