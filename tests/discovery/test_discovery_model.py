"""The discovery-v1 model: its committed JSON Schema, ``discover --simulate``
(deterministic, valid), and every malformed discovery file refused where it is
wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator import api
from generator.catalogue import CATALOGUE as N
from generator.cli.app import app
from generator.discovery.load import parse_discovery_text
from generator.discovery.model import (
    SCHEMA_FILE,
    Discovery,
    json_schema,
)
from generator.discovery.simulate import PRODUCT, SIMULATED_AT, simulate
from generator.errors import DiscoveryError, ExitCode
from generator.inventory.load import load_inventory
from generator.inventory.model import schema_text
from generator.inventory.validation import parse_inventory
from tests.support.discoveries import simulated
from tests.support.discovery_files import REAL, dump, located, write_json
from tests.support.golden import REGEN, stale
from tests.support.paths import EXAMPLES, INVENTORIES, ROOT

SCHEMA_PATH = ROOT / "schema" / SCHEMA_FILE

# ------------------------------------------------------------ the model and its schema


def test_committed_discovery_schema_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(json_schema()), stale(
        f"schema/{SCHEMA_FILE}"
    )


def test_a_stale_discovery_schema_fails_naming_regen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale_copy = tmp_path / SCHEMA_FILE
    stale_copy.write_text(SCHEMA_PATH.read_text(encoding="utf-8") + "\n", "utf-8")
    monkeypatch.setattr(f"{__name__}.SCHEMA_PATH", stale_copy)
    with pytest.raises(AssertionError, match=re.escape(REGEN)):
        test_committed_discovery_schema_matches_the_model()


def test_schema_pins_the_schema_id_and_tolerates_unknown_keys() -> None:
    schema = json_schema()
    assert schema["properties"]["schema"]["const"] == "drgen/discovery-v1"
    assert "additionalProperties" not in schema
    assert all("additionalProperties" not in d for d in schema["$defs"].values())


@pytest.mark.parametrize("name", EXAMPLES)
def test_simulate_is_deterministic_and_models(name: str) -> None:
    text = simulate(INVENTORIES / f"{name}.yaml")
    assert text == simulate(INVENTORIES / f"{name}.yaml")
    assert text.endswith("}\n")
    doc = parse_discovery_text(text, "sim.json")
    assert doc.discovery.collected.at.isoformat() == "1970-01-01T00:00:00+00:00"
    assert SIMULATED_AT.startswith("1970-01-01")
    inv = parse_inventory(load_inventory(INVENTORIES / f"{name}.yaml"))
    assert doc.discovery.group.name == inv.group.name
    assert [h.name for h in doc.discovery.hosts] == [h.name for h in inv.group.hosts]


def test_simulated_builds_carry_the_catalogue_prefix() -> None:
    for version, (build, _) in PRODUCT.items():
        assert build.startswith(N[f"ver:{version}"]), version


def test_simulate_refuses_an_invalid_inventory(
    tmp_path: Path, example_text: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(example_text.replace("[Send]", "[Nope]"), encoding="utf-8")
    result = CliRunner().invoke(app, ["drift", str(path), str(path)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    with pytest.raises(Exception, match="invalid inventory"):
        simulate(path)


# ---------------------------------------------------------------------- located errors


def test_malformed_json_is_located(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{\n  "schema": "drgen/discovery-v1",\n  "x": [1, 2,]\n}\n')
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    (line,) = located(result, path)
    assert f"{path}:3:14: error[json-syntax]" in line
    assert "Traceback" not in result.output


def test_another_schema_version_is_refused_where_it_is(tmp_path: Path) -> None:
    data = simulated("example")
    data["schema"] = "drgen/discovery-v2"
    path = write_json(tmp_path, data)
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    (line,) = located(result, path)
    assert line.startswith(f"{path}:2:3: error[discovery-schema]: ")
    assert "'drgen/discovery-v2'" in line


def test_model_errors_are_located_at_their_key(tmp_path: Path) -> None:
    data = simulated("example")
    data["hosts"][1]["host_type"] = 3
    del data["group"]["management"]
    path = write_json(tmp_path, data)
    with pytest.raises(DiscoveryError) as found:
        api.import_discovery(path)
    lines = found.value.lines()
    text = path.read_text()
    type_line = text.splitlines().index('      "host_type": 3,') + 1
    assert any(
        f":{type_line}:7: error[invalid-value]: hosts[1].host_type" in x for x in lines
    )
    assert any(
        "error[missing-key]: group: required key 'management'" in x for x in lines
    )


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    text = dump(simulated("example")).replace(
        '"schema": "drgen/discovery-v1",',
        '"schema": "drgen/discovery-v1",\n  "servers": [],',
    )
    path = tmp_path / "d.json"
    path.write_text(text)
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert "error[duplicate-key]" in located(result, path)[0]


def test_unknown_product_version_is_located(tmp_path: Path) -> None:
    data = simulated("example")
    data["group"]["product_version"] = "3.14.1.0"
    path = write_json(tmp_path, data)
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert "error[unknown-version]" in located(result, path)[0]


def test_unknown_keys_are_ignored_but_bom_and_crlf_read() -> None:
    doc = parse_discovery_text(REAL.read_bytes().decode("utf-8-sig"), "real.json")
    assert isinstance(doc.discovery, Discovery)
    assert REAL.read_bytes().startswith(b"\xef\xbb\xbf")
