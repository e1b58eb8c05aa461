"""bench/floor.py still measures what docs/performance.md reports (a smoke run on a
two-server inventory: no figure is asserted, only that every part is measured)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.floor import render_vs_floor
from bench.synthetic import synthetic_inventory


def test_render_vs_floor_measures_every_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRGEN_DEV_CERT_DIR", str(tmp_path / "dev"))
    inventory = tmp_path / "floor-2.yaml"
    inventory.write_text(synthetic_inventory(2), encoding="utf-8")
    measured = render_vs_floor(inventory, tmp_path, jobs=1, runs=1)
    # Two DR servers: six files each, the site's files and the production folder.
    assert measured["files"] == 2 * 6 + 10
    parts = {
        part: measured[part]
        for part in ("render_cpu_s", "write_s", "utf16_sha256_s", "rsa_s")
    }
    parts["library_start_s"] = measured["library_start_s"]
    seconds = {k: v for k, v in parts.items() if isinstance(v, float) and v > 0}
    assert seconds == parts
    floor = seconds["write_s"] + seconds["utf16_sha256_s"] + seconds["rsa_s"]
    assert measured["floor_s"] == pytest.approx(floor, abs=0.002)
