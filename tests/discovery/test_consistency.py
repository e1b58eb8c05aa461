"""A discovery that contradicts itself is refused, located (import and drift,
exit 3); drift holds the inventory to its own rules first and says what it could
not compare and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from generator import api
from generator.cli.app import app
from generator.cli.drift import drift_json, drift_text
from generator.discovery.checks import CLOCK_TOLERANCE
from generator.discovery.load import _Positions, parse_discovery_text
from generator.discovery.simulate import simulate
from generator.errors import DiscoveryError, ExitCode, InventoryError
from tests.support.paths import INVENTORIES, ROOT

EXAMPLE = INVENTORIES / "example.yaml"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
Mutation = Callable[[dict[str, Any]], None]


def simulated() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(simulate(EXAMPLE))
    data["collected"]["at"] = "2026-12-07T11:00:00Z"
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "discovery.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
    return path


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = value

    return mutate


def _append(key: str, index: int, **update: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[key].append({**data[key][index], **update})

    return mutate


def _second_master(data: dict[str, Any]) -> None:
    box = data["group"]["messageboxes"][0]
    data["group"]["messageboxes"].append({**box, "name": "BizTalkMsgBoxDb2"})


# case: (mutation, code, the key path the error is located at)
CASES: dict[str, tuple[Mutation, str, tuple[Any, ...]]] = {
    "two master MessageBoxes": (
        _second_master,
        "master-messagebox",
        ("group", "messageboxes", 1, "master"),
    ),
    "no master MessageBox": (
        _set(("group", "messageboxes", 0, "master"), False),
        "master-messagebox",
        ("group", "messageboxes"),
    ),
    "a host listed twice, in another case": (
        _append("hosts", 1, name="RECEIVE"),
        "duplicate-host",
        ("hosts", 3, "name"),
    ),
    "servers that differ only in case": (
        lambda d: d["servers"].append(d["servers"][0].upper()),
        "duplicate-server",
        ("servers", 3),
    ),
    "an instance of a host not in hosts": (
        _set(("host_instances", 0, "host"), "Audit"),
        "unknown-host",
        ("host_instances", 0, "host"),
    ),
    "an instance listed twice": (
        _append("host_instances", 0, server="SERVER1"),
        "duplicate-instance",
        ("host_instances", 3, "host"),
    ),
    "host_type true": (
        _set(("hosts", 0, "host_type"), True),
        "invalid-value",
        ("hosts", 0, "host_type"),
    ),
    "host_type 1.0": (
        _set(("hosts", 0, "host_type"), 1.0),
        "invalid-value",
        ("hosts", 0, "host_type"),
    ),
    "a date given as a number": (
        _set(("collected", "at"), 1764000000),
        "invalid-value",
        ("collected", "at"),
    ),
    "collected in 2999": (
        _set(("collected", "at"), "2999-01-01T00:00:00Z"),
        "future-date",
        ("collected", "at"),
    ),
    "a bidi override in a host name": (
        _set(("hosts", 2, "name"), "Orche\u202estration"),
        "format-character",
        ("hosts", 2, "name"),
    ),
}


def test_the_simulated_discovery_is_consistent(tmp_path: Path) -> None:
    path = write(tmp_path, simulated())
    assert "group:" in api.import_discovery(path, now=NOW)
    assert api.drift(EXAMPLE, path, now=NOW).findings == ()


@pytest.mark.parametrize("case", CASES)
def test_each_inconsistency_is_a_located_error(tmp_path: Path, case: str) -> None:
    mutate, code, where = CASES[case]
    data = simulated()
    mutate(data)
    path = write(tmp_path, data)
    scan = _Positions(path.read_text("utf-8"))
    scan.value(0, ())
    located = scan.found[where]
    for call in (
        lambda: api.import_discovery(path, now=NOW),
        lambda: api.import_into(path, EXAMPLE, now=NOW),
        lambda: api.drift(EXAMPLE, path, now=NOW),
    ):
        with pytest.raises(DiscoveryError) as caught:
            call()
        found = [d for d in caught.value.diagnostics if d.code == code]
        assert found, caught.value.diagnostics
        assert (found[0].location.line, found[0].location.column) == located
        assert caught.value.exit_code == ExitCode.INVALID_INVENTORY


def test_the_clock_comes_from_the_caller(tmp_path: Path) -> None:
    data = simulated()
    data["collected"]["at"] = "2026-12-07T12:10:00Z"
    path = write(tmp_path, data)
    api.import_discovery(path, now=NOW)  # within the tolerance
    assert timedelta(minutes=10) == CLOCK_TOLERANCE
    later = NOW - timedelta(minutes=1)
    with pytest.raises(DiscoveryError, match="invalid discovery"):
        api.import_discovery(path, now=later)
    # No now: not judged (the library never reads the clock itself).
    api.import_discovery(path)


def test_the_command_line_refuses_with_the_place(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = simulated()
    _second_master(data)
    path = write(tmp_path, data)
    for args in (["import", str(path)], ["drift", str(EXAMPLE), str(path)]):
        result = runner.invoke(app, args)
        assert result.exit_code == ExitCode.INVALID_INVENTORY, result.output
        assert "error[master-messagebox]" in result.stderr
        assert result.stdout == ""


# --- drift: the inventory's own rules, and what was not compared --------------


def test_drift_refuses_an_inventory_that_breaks_its_rules(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Valid to the model, but a DR server is listed twice: comparing production
    # with an inventory that cannot render means nothing.
    inventory = ROOT / "tests/data/inventories/invalid/duplicate-dr-server.yaml"
    path = write(tmp_path, simulated())
    with pytest.raises(InventoryError) as caught:
        api.drift(inventory, path, now=NOW)
    assert {d.code for d in caught.value.diagnostics} == {"duplicate-server"}
    result = runner.invoke(app, ["drift", str(inventory), str(path)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert "error[duplicate-server]" in result.stderr
    assert result.stdout == ""


def _unread(data: dict[str, Any]) -> None:
    data["group"]["master_secret_server"] = None
    data["accounts"]["sso_service"] = None
    data["hosts"][1]["windows_group"] = None
    for instance in data["host_instances"]:
        if instance["host"] == "Send":
            instance["logon"] = None


def test_drift_lists_what_it_could_not_compare_and_why(tmp_path: Path) -> None:
    data = simulated()
    _unread(data)
    path = write(tmp_path, data)
    report = api.drift(EXAMPLE, path, now=NOW)
    assert report.findings == ()
    doc = parse_discovery_text(path.read_text("utf-8"), report.discovery)
    gaps = {g.codes: g for g in report.not_compared}
    assert set(gaps) == {"DRIFT030", "DRIFT031", "DRIFT005", "DRIFT004, DRIFT006"}
    assert gaps["DRIFT030"].location == doc.locate(("group", "master_secret_server"))
    assert "SSO Administrators" in gaps["DRIFT030"].why
    assert gaps["DRIFT005"].location == doc.locate(("hosts", 1, "windows_group"))
    assert "Receive" in gaps["DRIFT005"].what
    assert "Send" in gaps["DRIFT004, DRIFT006"].what
    text = drift_text(report)
    for gap in report.not_compared:
        assert f"{gap.location}: not compared: {gap.what} ({gap.codes}): " in text
    assert "no drift, 4 value(s) not compared against" in text
    listed = json.loads(drift_json(report))["not_compared"]
    assert [g["codes"] for g in listed] == [g.codes for g in report.not_compared]


def test_a_fully_read_discovery_has_nothing_uncompared(tmp_path: Path) -> None:
    report = api.drift(EXAMPLE, write(tmp_path, simulated()), now=NOW)
    assert report.not_compared == ()
    assert "not compared" not in drift_text(report)
