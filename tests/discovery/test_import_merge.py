"""What a merge keeps and adds: clustered and disabled host instances (review
notes once, no virtual name), the Backup job's databases (BizTalk's own rows are
not custom databases), the BAM configuration, and what was not read."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from generator.catalogue import CATALOGUE as N
from generator.cli.app import app
from generator.discovery.importer import merge_into, new_inventory_text
from generator.discovery.load import parse_discovery_text
from generator.discovery.model import (
    READ_FROM,
    json_schema,
)
from generator.errors import DiscoveryError, ExitCode
from tests.support.discoveries import simulated
from tests.support.discovery_files import dump, model_of, original_doc_path, write_json

# ----------------------------------------------- clustered and disabled host instances


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


# -------------------------------- the Backup job's databases and the BAM configuration


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
