"""Discovery files: the model and its schema, simulate, import and import --write."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from generator import api
from generator.catalogue import CATALOGUE as N
from generator.cli.app import app
from generator.discovery.importer import merge_into, new_inventory_text
from generator.discovery.load import parse_discovery_text
from generator.discovery.model import (
    READ_FROM,
    SCHEMA_FILE,
    Discovery,
    json_schema,
)
from generator.discovery.simulate import PRODUCT, SIMULATED_AT, simulate
from generator.errors import DiscoveryError, ExitCode, InventoryError
from generator.inventory.load import load_inventory, parse_inventory_text
from generator.inventory.model import Inventory, schema_text
from generator.inventory.validation import parse_inventory
from generator.plan.site import build_plan

from .conftest import EXAMPLES, INVENTORIES, ROOT

DISCOVERY_DATA = ROOT / "tests" / "data" / "discovery"
REAL = DISCOVERY_DATA / "real-wmi-shaped.json"


def simulated(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(simulate(INVENTORIES / f"{name}.yaml"))
    return data


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


# --- the model and its schema ----------------------------------------------


def test_committed_discovery_schema_matches_the_model() -> None:
    path = ROOT / "schema" / SCHEMA_FILE
    assert path.read_text(encoding="utf-8") == schema_text(json_schema()), (
        "schema/drgen-discovery-v1.schema.json is stale: regenerate it with "
        "generator.discovery.model.json_schema (see docs/discovery.md)"
    )


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


# --- round trip --------------------------------------------------------------


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


def original_doc_path(name: str) -> Path:
    return INVENTORIES / f"{name}.yaml"


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


# --- a new inventory: placeholders -------------------------------------------


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


# --- a real WMI-shaped discovery ----------------------------------------------


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


# --- located errors -------------------------------------------------------------


def located(result: Any, file: Path) -> list[str]:
    lines = [line for line in result.stderr.splitlines() if not line.startswith(" ")]
    assert lines, result.output
    pattern = re.compile(re.escape(str(file)) + r":\d+:\d+: error\[[a-z-]+\]: ")
    assert all(pattern.match(line) for line in lines), lines
    return lines


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


# --- import --inventory / --write ---------------------------------------------

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


# --- clustered and disabled host instances ----------------------------------------


def clustered_and_disabled(name: str = "example") -> dict[str, Any]:
    """Send clustered (its node type 1, a virtual instance type 2 on the cluster's
    network name), Receive's instance on server2 disabled."""
    data = simulated(name)
    send = next(i for i in data["host_instances"] if i["host"] == "Send")
    send["cluster_instance_type"] = 1
    data["host_instances"].append(
        {**send, "server": "BTSCLUSTER01", "cluster_instance_type": 2}
    )
    data["servers"].append("BTSCLUSTER01")  # even if MSBTS_Server listed it
    receive = next(i for i in data["host_instances"] if i["host"] == "Receive")
    receive["disabled"] = True
    return data


def test_merging_adds_review_notes_once_and_keeps_the_virtual_name_out(
    tmp_path: Path,
) -> None:
    inventory = tmp_path / "example.yaml"
    before = original_doc_path("example").read_text(encoding="utf-8")
    inventory.write_text(before, encoding="utf-8")
    doc = parse_discovery_text(dump(clustered_and_disabled()), "d.json")
    merged = merge_into(inventory, doc)
    added = [
        line[1:]
        for line in merged.diff().splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    removed = [
        line[1:]
        for line in merged.diff().splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    # Only two lines change, each gaining its note; no server is added.
    assert len(added) == len(removed) == 2
    send, server2 = added
    assert send.startswith("    - name: Send  # REVIEW: clustered in production")
    assert "nodes server1" in send
    # A flow mapping takes it after its brace (inside, ruamel would break it).
    assert server2.startswith(
        "    - {name: server2, host_instances: [Receive]}  # REVIEW: Receive is "
        "disabled in production (IsDisabled)"
    )
    assert "BTSCLUSTER01" not in merged.after
    # Still the same inventory, just commented.
    assert yaml.safe_load(merged.after) == yaml.safe_load(before)
    # Applied, a second import adds nothing: the notes are there already.
    inventory.write_text(merged.after, encoding="utf-8")
    assert not merge_into(inventory, doc).changed


def test_a_reviewers_comment_is_not_replaced_by_a_note(tmp_path: Path) -> None:
    inventory = tmp_path / "example.yaml"
    before = original_doc_path("example").read_text(encoding="utf-8")
    mine = before.replace(
        "    - name: Send\n", "    - name: Send  # clustered on purpose: FTP\n"
    )
    assert mine != before
    inventory.write_text(mine, encoding="utf-8")
    doc = parse_discovery_text(dump(clustered_and_disabled()), "d.json")
    after = merge_into(inventory, doc).after
    assert "    - name: Send  # clustered on purpose: FTP\n" in after
    assert "REVIEW: clustered" not in after
    assert "REVIEW: Receive is disabled" in after


def test_a_file_without_cluster_instance_type_is_valid_and_unclustered() -> None:
    data = simulated("example")
    for instance in data["host_instances"]:
        del instance["cluster_instance_type"]
    doc = parse_discovery_text(dump(data), "old.json")
    assert {i.cluster_instance_type for i in doc.discovery.host_instances} == {None}
    assert "REVIEW: clustered" not in new_inventory_text(doc)
    schema = json_schema()["$defs"]["HostInstanceInfo"]
    assert "cluster_instance_type" not in schema["required"]


@pytest.mark.parametrize("value", [3, -1, True, "1", 1.5])
def test_a_cluster_instance_type_outside_the_documented_values_is_refused(
    value: Any, tmp_path: Path
) -> None:
    data = simulated("example")
    data["host_instances"][0]["cluster_instance_type"] = value
    path = write_json(tmp_path, data)
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == ExitCode.INVALID_INVENTORY, result.output
    assert "host_instances[0].cluster_instance_type" in result.stderr
    assert "Traceback" not in result.output


# --- the Backup job's databases and the BAM configuration ---------------------------

BIZTALK_ROWS = {
    N["answer:default-name/SSO"],
    N["answer:default-name/RuleEngine"],
    N["answer:default-name/BamAlertsApplication"],
}


def test_the_simulated_backup_rows_are_biztalks_and_the_custom_ones() -> None:
    """As the script reads adm_OtherBackupDatabases: every row, in name order."""
    rows = simulated("consolidated")["group"]["other_databases"]
    names = [r["backup_name"] for r in rows]
    assert names == sorted(names, key=str.casefold)
    assert set(names) == BIZTALK_ROWS | {"FabrikamOrders"}
    # BizTalk's rows name the databases the group reports elsewhere.
    group = simulated("consolidated")["group"]
    where = {
        N["answer:default-name/SSO"]: group["sso"],
        N["answer:default-name/RuleEngine"]: group["rule_engine"],
        N["answer:default-name/BamAlertsApplication"]: group["bam_alerts_application"],
    }
    for row in rows:
        if row["backup_name"] in where:
            wanted = where[row["backup_name"]]
            assert {"server": row["server"], "name": row["name"]} == wanted, row


def test_biztalks_own_backup_rows_are_not_imported_as_custom_databases() -> None:
    doc = parse_discovery_text(dump(simulated("consolidated")), "d.json")
    databases = yaml.safe_load(new_inventory_text(doc))["group"]["databases"]
    assert databases["other"] == [
        {
            "backup_name": "FabrikamOrders",
            "server": "FABSQL02\\BTS",
            "name": "FabrikamOrders",
        }
    ]
    assert databases["bam"]["alerts_application"] == {
        "server": "FABSQL02\\BTS",
        "name": "BAMAlertsApplication",
    }
    assert "alerts_instance" not in databases["bam"]


def test_a_database_production_lacks_is_removed_when_merging() -> None:
    data = simulated("consolidated")
    data["group"]["bam_archive"] = None
    data["group"]["bam_alerts_application"] = None
    data["group"]["other_databases"] = [
        r for r in data["group"]["other_databases"] if r["backup_name"] in BIZTALK_ROWS
    ]
    merged = merge_into(
        original_doc_path("consolidated"), parse_discovery_text(dump(data), "d.json")
    )
    removed = sorted(
        line[1:].strip()
        for line in difflib_lines(merged.before, merged.after)
        if line.startswith("-")
    )
    # The custom list goes, with the comment above its entry.
    assert removed == [
        "# backup_name: the name it was registered under in the Backup BizTalk "
        "Server job.",
        "- {backup_name: FabrikamOrders, label: Fabrikam Orders, "
        "server: FABSQL02\\BTS, name: FabrikamOrders}",
        "alerts_application: {server: FABSQL02\\BTS, name: BAMAlertsApplication}",
        "archive: {server: FABSQL02\\BTS, name: BAMArchive}",
        "other:",
    ]
    inv = model_of(merged.after)
    assert inv.group.databases.other == ()
    bam = inv.group.databases.bam
    assert bam is not None
    assert (bam.archive, bam.alerts_application) == (None, None)
    assert bam.star_schema is not None


@pytest.mark.parametrize(
    "unread",
    [
        # The script could not read either source: the reason, and null values.
        "reasons",
        # A file of a script that did not write the unread object.
        "older script",
        # A file that leaves the keys out.
        "keys absent",
    ],
)
def test_a_database_not_read_is_kept(unread: str) -> None:
    data = simulated("consolidated")
    group = data["group"]
    keys = [k for k in READ_FROM if k != "other_databases"]
    if unread == "reasons":
        for key in [*keys, "other_databases"]:
            group[key] = None
        group["unread"] = {
            "backup_databases": "Cannot read the databases of the Backup BizTalk "
            "Server job from BizTalkMgmtDb on FABSQL01\\BTS: SELECT permission denied",
            "bam_configuration": "Cannot read the BAM configuration from "
            "BAMPrimaryImport on FABSQL02\\BTS: Login failed",
        }
    elif unread == "older script":
        for key in [*keys, "other_databases"]:
            group[key] = None
        del group["unread"]
    else:
        for key in [*keys, "other_databases"]:
            del group[key]
    doc = parse_discovery_text(dump(data), "d.json")
    for key in READ_FROM:
        assert not doc.discovery.group.known(key), key
        assert doc.discovery.group.unread_reason(key), key
    assert not merge_into(original_doc_path("consolidated"), doc).changed
    if unread == "reasons":
        reason = doc.discovery.group.unread_reason("bam_archive")
        assert reason is not None
        assert reason.endswith("Login failed")


def test_a_null_database_is_none_only_where_its_source_was_read() -> None:
    data = simulated("consolidated")
    data["group"]["bam_archive"] = None
    data["group"]["unread"]["backup_databases"] = "Cannot read it: denied"
    data["group"]["other_databases"] = None
    group = parse_discovery_text(dump(data), "d.json").discovery.group
    # The BAM configuration was read: production has no archive.
    assert group.known("bam_archive")
    assert group.unread_reason("bam_archive") is None
    # The Backup job's rows were not: the alerts database read before is kept.
    assert not group.known("other_databases")
    assert group.unread_reason("other_databases") == "Cannot read it: denied"
    # A value wins over a reason (a script never writes both).
    assert group.known("bam_alerts_application")


def test_an_unread_reason_must_be_text() -> None:
    data = simulated("example")
    data["group"]["unread"]["bam_configuration"] = ""
    with pytest.raises(DiscoveryError) as found:
        parse_discovery_text(dump(data), "d.json")
    assert "group.unread.bam_configuration" in str(found.value.diagnostics)


def difflib_lines(before: str, after: str) -> list[str]:
    return list(
        difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    )[2:]
