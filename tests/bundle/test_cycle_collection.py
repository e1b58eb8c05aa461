"""A render runs without the cycle collector and gives it back afterwards, also
when it fails (generator/api/bundles.py, docs/performance.md)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import api
from generator.errors import InventoryError
from tests.support.paths import INVENTORIES


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_render_stages_without_the_collector_and_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collector_on: None
) -> None:
    import generator.bundle.staging as staging

    seen: list[bool] = []
    original = staging.stage_bundle

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(staging, "stage_bundle", spy)
    api.render(
        [INVENTORIES / "example.yaml"],
        out=tmp_path / "out",
        signing=api.Signing(dev_folder=tmp_path / "dev"),
    )
    assert seen == [False]
    assert gc.isenabled()


def test_a_failed_render_restores_the_collector(
    tmp_path: Path, collector_on: None
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("group: [\n", encoding="utf-8")
    with pytest.raises(InventoryError):
        api.render([bad], out=tmp_path / "out")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(tmp_path: Path) -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        api.check([INVENTORIES / "example.yaml"], out=tmp_path / "out")
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_the_console_entry_point_freezes_what_it_built_before_the_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process's last collection skips what the command built: ``main``
    freezes the collector's objects however the command ends."""
    import generator.cli.app as cli

    frozen: list[bool] = []
    monkeypatch.setattr("gc.freeze", lambda: frozen.append(True))

    def exits(**_: object) -> None:
        raise SystemExit(8)

    monkeypatch.setattr(cli, "app", exits)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 8
    assert frozen == [True]
