"""``drgen import``: a discovery of a simulated production gives back the same
group, production and plan; a new inventory's placeholders fail validation until
filled; a real WMI-shaped discovery is imported correctly; ``--inventory`` shows
a diff and ``--write`` keeps comments, order and the DR part."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from generator import api
from generator.cli.app import app
from generator.discovery.importer import merge_into, new_inventory_text
from generator.discovery.load import parse_discovery_text
from generator.discovery.simulate import simulate
from generator.errors import ExitCode, InventoryError
from generator.inventory.load import load_inventory
from generator.inventory.validation import parse_inventory
from generator.plan.site import build_plan
from tests.support.discoveries import simulated
from tests.support.discovery_files import (
    REAL,
    dump,
    located,
    model_of,
    original_doc_path,
    undiscoverable_removed,
    write_json,
)
from tests.support.paths import EXAMPLES, INVENTORIES

# -------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", EXAMPLES)
def test_import_of_simulate_gives_the_same_group_and_production(name: str) -> None:
    original_doc = load_inventory(INVENTORIES / f"{name}.yaml")
    original = parse_inventory(original_doc)
    text = new_inventory_text(
        parse_discovery_text(simulate(original_doc_path(name)), "d.json")
    )
    imported = model_of(text.replace("REPLACE-ME-", ""))
    assert undiscoverable_removed(imported) == undiscoverable_removed(original)
    # What discovery cannot see is a placeholder, never a guess.
    isolated = [h for h in imported.group.hosts if h.type == "isolated"]
    assert all(h.app_pools == ("AppPool",) for h in isolated)
    assert "REPLACE-ME-AppPool" in text or not isolated


@pytest.mark.parametrize("name", EXAMPLES)
def test_import_of_simulate_gives_the_same_plan(name: str, tmp_path: Path) -> None:
    """The imported group and production, with the example's dr section, plan the
    same mapping, roles, capacity and database updates."""
    path = original_doc_path(name)
    doc = load_inventory(path)
    original = build_plan(parse_inventory(doc), doc, name)
    text = new_inventory_text(parse_discovery_text(simulate(path), "d.json"))
    imported = yaml.safe_load(text)
    example = yaml.safe_load(path.read_text(encoding="utf-8"))
    # Keep the example's app pools and labels (discovery cannot see them).
    imported["group"]["hosts"] = [
        {**h, **({"app_pools": e["app_pools"]} if "app_pools" in e else {})}
        for h, e in zip(
            imported["group"]["hosts"], example["group"]["hosts"], strict=True
        )
    ]
    for other, known in zip(
        imported["group"]["databases"].get("other", []),
        example["group"]["databases"].get("other", []),
        strict=True,
    ):
        other["label"] = known.get("label")
    imported["dr"] = example["dr"]
    merged = tmp_path / f"{name}.yaml"
    merged.write_text(yaml.safe_dump(imported, sort_keys=False), encoding="utf-8")
    merged_doc = load_inventory(merged)
    again = build_plan(parse_inventory(merged_doc), merged_doc, name)
    assert again.mapping == original.mapping
    assert again.roles == original.roles
    assert again.capacity == original.capacity
    assert again.site.update_info == original.site.update_info
    assert again.site.reference_queries == original.site.reference_queries


@pytest.mark.parametrize("name", EXAMPLES)
def test_merging_simulate_into_its_inventory_changes_nothing(
    name: str, tmp_path: Path
) -> None:
    path = original_doc_path(name)
    merged = merge_into(path, parse_discovery_text(simulate(path), "d.json"))
    assert merged.before == path.read_text(encoding="utf-8")
    assert not merged.changed
    assert merged.diff() == ""


# ------------------------------------------------------- a new inventory: placeholders


def test_new_inventory_placeholders_fail_validation_then_validate(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    discovery = tmp_path / "d.json"
    discovery.write_text(simulate(original_doc_path("consolidated")), encoding="utf-8")
    result = runner.invoke(app, ["import", str(discovery)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# yaml-language-server: $schema=")
    assert "REVIEW" in text
    new = tmp_path / "new.yaml"
    new.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(new)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    codes = re.findall(r"error\[([a-z-]+)\]", result.stderr)
    placeholders = text.count("REPLACE-ME-") - 1  # one in the header comment
    assert codes == ["placeholder"] * placeholders
    assert "is a placeholder left by drgen import" in result.stderr
    assert "dr.servers[0].name: 'REPLACE-ME-DR1'" in result.stderr
    new.write_text(text.replace("REPLACE-ME-", ""), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(new)])
    assert result.exit_code == 0, result.stderr


def test_placeholder_check_does_not_fire_on_real_names(example_text: str) -> None:
    model_of(example_text)  # no exception
    with pytest.raises(InventoryError) as found:
        model_of(example_text.replace("site: DR-West", "site: replace-me-west"))
    (only,) = found.value.diagnostics
    assert only.code == "placeholder"
    assert str(only.location) == "imported.yaml:41:3"


# --------------------------------------------------------- a real WMI-shaped discovery


def test_real_wmi_shaped_discovery_is_imported_correctly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(REAL)])
    assert result.exit_code == 0, result.output
    inv = model_of(result.stdout.replace("REPLACE-ME-", ""))
    group = inv.group
    assert group.biztalk_version == "2020"  # ProductVersion 3.13.717.0
    assert group.biztalk_cu == "CU5"
    assert group.databases.rule_engine is None
    assert group.databases.bam is None
    assert [(m.server, m.name, m.master) for m in group.databases.messageboxes] == [
        ("sqlprd01.contoso.local\\BTS", "BizTalkMsgBoxDb", True),
        ("SQLPRD02,14330", "BizTalkMsgBoxDb2", False),
    ]
    hosts = {h.name: h for h in group.hosts}
    assert list(hosts) == [
        "BizTalkServerApplication",
        "ReceiveHost",
        "BizTalkServerIsolatedHost",
        "OrchHost",
    ]
    assert hosts["BizTalkServerIsolatedHost"].type == "isolated"  # host_type 2
    assert hosts["ReceiveHost"].trusted
    # contoso\SVC-BTS-APP on btsprd02 is the same account as CONTOSO\svc-bts-app.
    assert hosts["BizTalkServerApplication"].account == "CONTOSO\\svc-bts-app"
    # gMSA from the '$', although WMI said gmsa: false.
    assert hosts["OrchHost"].gmsa
    assert hosts["OrchHost"].account.endswith("$")
    assert group.accounts.rule_engine_service is None
    servers = {s.name: s.host_instances for s in inv.production.servers}
    # "bizTalkServerApplication" on btsprd02 is the host, in the host's spelling.
    # OrchHost is clustered on BTSPRD01 and btsprd02 (ClusterInstanceType 1); its
    # virtual instance (2) on the cluster's network name BTSCLUSTER01 is no server.
    assert servers == {
        "BTSPRD01": ("BizTalkServerApplication", "ReceiveHost", "OrchHost"),
        "btsprd02": ("BizTalkServerApplication", "OrchHost"),
        "BTSWEB01": ("BizTalkServerIsolatedHost",),
    }
    assert "BTSCLUSTER01" not in result.stdout
    # Clustered and disabled: kept, each with a REVIEW comment on its own line.
    lines = result.stdout.splitlines()
    (orch,) = [line for line in lines if line.strip().startswith("- name: OrchHost")]
    assert "# REVIEW: clustered in production" in orch
    assert "nodes btsprd02, BTSPRD01" in orch
    assert "would poll on each" in orch
    (prd01,) = [line for line in lines if line.strip().startswith("- name: BTSPRD01")]
    assert "# REVIEW: ReceiveHost is disabled in production" in prd01
    assert "DR enables every instance it runs at failover" in prd01
    # Only those two: no other host or server is clustered or disabled.
    notes = [
        line for line in lines if "REVIEW: clustered" in line or "disabled" in line
    ]
    assert notes == [orch, prd01]
    assert [s.mirrors for s in inv.dr.servers] == [
        ("BTSPRD01",),
        ("btsprd02",),
        ("BTSWEB01",),
    ]
    assert "iis" in inv.dr.servers[2].roles
    path = tmp_path / "real.yaml"
    path.write_text(result.stdout.replace("REPLACE-ME-", ""), encoding="utf-8")
    assert not api.validate([path]).invalid


# -------------------------------------------------------- import --inventory / --write


COMMENTED = "# a reviewer's note on the Send host\n"


def drifted(name: str) -> dict[str, Any]:
    data = simulated(name)
    data["hosts"].append(
        {
            "name": "Audit",
            "host_type": 1,
            "windows_group": "CONTOSO\\BizTalk Application Users",
        }
    )
    data["host_instances"].append(
        {
            "host": "Audit",
            "server": "server4",
            "logon": "CONTOSO\\svc-audit",
            "state": 4,
        }
    )
    data["servers"].append("server4")
    for instance in data["host_instances"]:
        if instance["host"] == "Send":
            instance["logon"] = "CONTOSO\\svc-bts-send2"
    data["group"]["cu"] = "CU6"
    data["group"]["tracking"]["server"] = "SQLPROD02"
    return data


def test_import_inventory_shows_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    inventory = tmp_path / "example.yaml"
    before = original_doc_path("example").read_text(encoding="utf-8")
    inventory.write_text(before, encoding="utf-8")
    path = write_json(tmp_path, drifted("example"))
    result = CliRunner().invoke(
        app, ["import", str(path), "--inventory", str(inventory)]
    )
    assert result.exit_code == 0, result.output
    diff = result.stdout
    assert diff.startswith(f"--- {inventory}\n+++ {inventory} (imported)\n")
    assert (
        "-      account: CONTOSO\\svc-bts-send\n"
        "+      account: CONTOSO\\svc-bts-send2\n" in diff
    )
    assert "+  biztalk_cu: CU6\n" in diff
    assert "+    - name: server4\n" in diff
    assert inventory.read_text(encoding="utf-8") == before


def test_import_write_keeps_comments_order_and_dr(tmp_path: Path) -> None:
    original = original_doc_path("example").read_text(encoding="utf-8")
    text = original.replace(
        "    - name: Send\n", COMMENTED.rjust(0) + "    - name: Send\n"
    )
    text = text.replace(
        "  site: DR-West\n", "  site: DR-West   # the West data centre\n"
    )
    inventory = tmp_path / "example.yaml"
    inventory.write_text(text, encoding="utf-8")
    path = write_json(tmp_path, drifted("example"))
    result = CliRunner().invoke(
        app, ["import", str(path), "--inventory", str(inventory), "--write"]
    )
    assert result.exit_code == 0, result.output
    after = inventory.read_text(encoding="utf-8")
    assert COMMENTED in after
    assert "# the West data centre" in after
    assert after.splitlines()[:5] == text.splitlines()[:5]  # header comments
    assert after[after.index("\ndr:") :] == text[text.index("\ndr:") :]
    data = yaml.safe_load(after)
    assert list(data) == ["schema", "group", "production", "dr"]
    assert list(data["group"]) == [
        "name",
        "biztalk_version",
        "biztalk_cu",
        "databases",
        "sso",
        "accounts",
        "hosts",
    ]
    assert data["group"]["hosts"][0]["account"] == "CONTOSO\\svc-bts-send2"
    assert data["group"]["hosts"][3]["name"] == "Audit"
    assert data["group"]["databases"]["tracking"] == {
        "server": "SQLPROD02",
        "name": "BizTalkDTADb",
    }
    assert data["production"]["servers"][3] == {
        "name": "server4",
        "host_instances": ["Audit"],
    }
    # Untouched lines keep their flow style and spelling.
    assert "    - {name: server1, host_instances: [Send]}\n" in after
    # The result is for review: the new server has no DR server yet.
    checked = api.validate([inventory]).results[0]
    assert {d.code for d in checked.errors} >= {"not-mirrored"}
    assert not list(tmp_path.glob(".example.yaml.*"))  # no temp file left


def test_import_write_with_another_groups_discovery_writes_nothing(
    tmp_path: Path,
) -> None:
    inventory = tmp_path / "example.yaml"
    before = original_doc_path("example").read_text(encoding="utf-8")
    inventory.write_text(before, encoding="utf-8")
    path = write_json(tmp_path, simulated("consolidated"))
    result = CliRunner().invoke(
        app, ["import", str(path), "--inventory", str(inventory), "--write"]
    )
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert "error[other-group]" in located(result, path)[0]
    assert inventory.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "discovery.json",
        "example.yaml",
    ]


def test_group_names_compare_case_insensitively(tmp_path: Path) -> None:
    data = simulated("example")
    data["group"]["name"] = "BIZTALK GROUP"
    merged = merge_into(
        original_doc_path("example"), parse_discovery_text(dump(data), "d")
    )
    assert not merged.changed  # and the inventory's spelling is kept


def test_write_needs_inventory(tmp_path: Path) -> None:
    path = write_json(tmp_path, simulated("example"))
    result = CliRunner().invoke(app, ["import", str(path), "--write"])
    assert result.exit_code == ExitCode.USAGE


def test_a_failed_write_leaves_the_inventory_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = tmp_path / "example.yaml"
    before = original_doc_path("example").read_text(encoding="utf-8")
    inventory.write_text(before, encoding="utf-8")
    path = write_json(tmp_path, drifted("example"))

    def refuse(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", refuse)
    result = CliRunner().invoke(
        app, ["import", str(path), "--inventory", str(inventory), "--write"]
    )
    assert result.exit_code == ExitCode.OUTPUT
    assert "No space left on device" in result.stderr
    assert inventory.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "discovery.json",
        "example.yaml",
    ]


def test_an_unreadable_inventory_yaml_is_located(tmp_path: Path) -> None:
    inventory = tmp_path / "bad.yaml"
    inventory.write_text("schema: drgen/v1\ngroup: {name: x\n  bad: [\n")
    path = write_json(tmp_path, simulated("example"))
    result = CliRunner().invoke(
        app, ["import", str(path), "--inventory", str(inventory)]
    )
    assert result.exit_code == ExitCode.INVALID_INVENTORY
    assert result.stderr.startswith(f"{inventory}:3:6: error[invalid]: YAML syntax")


def test_a_new_host_without_instances_gets_placeholders_when_merged() -> None:
    data = simulated("example")
    data["hosts"].append({"name": "Idle", "host_type": 2, "windows_group": None})
    doc = parse_discovery_text(dump(data), "d.json")
    merged = merge_into(original_doc_path("example"), doc)
    host = yaml.safe_load(merged.after)["group"]["hosts"][-1]
    assert host == {
        "name": "Idle",
        "type": "isolated",
        "windows_group": "REPLACE-ME-DOMAIN\\BizTalk Hosts",
        "account": "REPLACE-ME-DOMAIN\\svc-Idle",
        "app_pools": ["REPLACE-ME-AppPool"],
    }


def test_a_master_secret_server_not_read_is_kept_or_a_placeholder() -> None:
    # Only SSO Administrators may read the SSO database: the script then writes null.
    data = simulated("example")
    data["group"]["master_secret_server"] = None
    doc = parse_discovery_text(dump(data), "d.json")
    merged = merge_into(original_doc_path("example"), doc)
    assert not merged.changed
    text = new_inventory_text(doc)
    group = yaml.safe_load(text)["group"]
    assert list(group)[list(group).index("databases") + 1] == "sso"
    assert group["sso"] == {"master_secret_server": "REPLACE-ME-BTS"}
    with pytest.raises(InventoryError) as found:
        model_of(text)
    assert "group.sso.master_secret_server" in str(found.value.diagnostics)


def test_a_master_secret_server_dns_name_is_its_computer_name() -> None:
    data = simulated("example")
    secret = data["group"]["master_secret_server"]
    data["group"]["master_secret_server"] = secret.lower() + ".contoso.com"
    doc = parse_discovery_text(dump(data), "d.json")
    assert not merge_into(original_doc_path("example"), doc).changed
    group = yaml.safe_load(new_inventory_text(doc))["group"]
    assert group["sso"] == {"master_secret_server": secret.lower()}
