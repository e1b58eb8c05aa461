"""UpdateInfo.xml: the Rules Engine database, OtherDatabases named as the
Backup job registers them, BAM deployment units in the documented order, and
the inventory errors that keep those names right.

Expected values come from the inventory, loaded on its own
(tests/support/inventories.py), not from the plan."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from generator.inventory.model import Database
from tests.support.inventories import (
    consolidated_text,
    diagnostics_with,
    dr_of,
    edit,
    inventory,
    load_error,
    plan_error,
)
from tests.support.paths import EXAMPLES
from tests.support.scripts import Rendered, locate, site_xml

pytestmark = pytest.mark.oracle


# ========================================================= UpdateInfo.xml RuleEngineDB


@pytest.mark.parametrize("stem", EXAMPLES)
def test_rule_engine_is_one_top_level_element(rendered: Rendered, stem: str) -> None:
    """UpdateDatabase.vbs reads /UpdateConfiguration/RuleEngineDB only."""
    inv = inventory(stem)
    rules = inv.group.databases.rule_engine
    assert rules is not None  # both examples configure the Rules Engine
    root = site_xml(rendered, stem, "UpdateInfo.xml")
    assert root.tag == "UpdateConfiguration"
    assert len(list(root.iter("RuleEngineDB"))) == 1
    (element,) = root.findall("RuleEngineDB")
    assert element.attrib == {
        "oldDBServer": rules.server,
        "oldDBName": rules.name,
        "newDBServer": dr_of(inv, rules.server),
        "newDBName": rules.name,
    }
    other = [d.get("Name", "") for d in root.findall("OtherDatabases/Database")]
    assert not [n for n in other if re.search(r"rule", n, re.IGNORECASE)], other


# ================================================================ OtherDatabases names


@pytest.mark.parametrize("stem", EXAMPLES)
def test_other_databases_are_named_as_registered(rendered: Rendered, stem: str) -> None:
    """SSO is 'SSO'; a custom database is its Backup job name, not a label."""
    inv = inventory(stem)
    root = site_xml(rendered, stem, "UpdateInfo.xml")
    entries = root.findall("OtherDatabases/Database")
    by_name: dict[str, list[ET.Element]] = {}
    for entry in entries:
        by_name.setdefault(entry.get("Name", ""), []).append(entry)

    def moved(db: Database) -> dict[str, str]:
        return {
            "oldDBServer": db.server,
            "oldDBName": db.name,
            "newDBServer": dr_of(inv, db.server),
            "newDBName": db.name,
        }

    (sso,) = by_name["SSO"]
    assert {k: v for k, v in sso.attrib.items() if k != "Name"} == moved(
        inv.group.databases.sso
    )
    for other in inv.group.databases.other:
        (entry,) = by_name[other.backup_name]
        assert {k: v for k, v in entry.attrib.items() if k != "Name"} == moved(other)
        if other.label and other.label != other.backup_name:
            assert other.label not in by_name
    if stem == "consolidated":
        assert [o.backup_name for o in inv.group.databases.other] == ["FabrikamOrders"]


def test_custom_database_without_backup_name_is_located(write_inventory) -> None:
    """Backup_name is required, and its absence points at the entry."""
    entry = (
        r"{backup_name: FabrikamOrders, label: Fabrikam Orders, "
        r"server: FABSQL02\BTS, name: FabrikamOrders}"
    )
    source = edit(
        consolidated_text(),
        entry,
        r"{label: Fabrikam Orders, server: FABSQL02\BTS, name: FabrikamOrders}",
    )
    error = load_error(write_inventory(source))
    (missing,) = [
        d for d in diagnostics_with(error, "missing-key") if "backup_name" in d.message
    ]
    assert missing.severity == "error"
    assert missing.location.line == locate(source, "{label: Fabrikam Orders")
    assert missing.location.column > 0


@pytest.mark.parametrize(
    "reserved",
    [
        "SSO",
        "sso",
        "RuleEngine DB",
        "BAM Alerts Application DB",
        "BAM Alerts Instance DB",
        "HWS Administration DB",
    ],
)
def test_reserved_backup_name_is_a_rule_error(write_inventory, reserved: str) -> None:
    """A custom database may not claim a name BizTalk registers itself."""
    source = edit(
        consolidated_text(),
        "backup_name: FabrikamOrders",
        f'backup_name: "{reserved}"',
    )
    error = plan_error(write_inventory(source))
    (found,) = diagnostics_with(error, "reserved-backup-name")
    assert found.severity == "error"
    assert found.location.line == locate(source, f'backup_name: "{reserved}"')
    assert found.location.column > 0


@pytest.mark.parametrize("stem", EXAMPLES)
def test_bam_deployment_units_in_documented_order(
    rendered: Rendered, stem: str
) -> None:
    """BAM units in the documented order; Old* names production, the rest DR."""
    inv = inventory(stem)
    bam = inv.group.databases.bam
    root = site_xml(rendered, stem, "UpdateInfo.xml")
    if bam is None:
        assert root.find("BAM") is None
        return
    units = root.findall("BAM/DeploymentUnit")
    names = [u.get("Name") for u in units]
    documented = [
        "OldPrimaryImportDatabase",
        "PrimaryImportDatabase",
        "ArchivingDatabase",
        "StarSchemaDatabase",
    ]
    present = {
        "ArchivingDatabase": bam.archive is not None,
        "StarSchemaDatabase": bam.star_schema is not None,
        "AnalysisDatabase": bam.analysis is not None,
        "Alert": bam.alerts_instance is not None,
    }
    assert [n for n in names if n in documented] == [
        n for n in documented if present.get(n, True)
    ]
    assert ("AnalysisDatabase" in names) == present["AnalysisDatabase"]
    assert ("Alert" in names) == present["Alert"]
    expected_db = {
        "OldPrimaryImportDatabase": bam.primary_import,
        "PrimaryImportDatabase": bam.primary_import,
        "ArchivingDatabase": bam.archive,
        "StarSchemaDatabase": bam.star_schema,
        "AnalysisDatabase": bam.analysis,
    }
    for unit in units:
        name = unit.get("Name", "")
        if name == "Alert":
            continue
        db = expected_db[name]
        assert db is not None
        properties = {p.get("Name"): p.text for p in unit.findall("Property")}
        server = db.server if name.startswith("Old") else dr_of(inv, db.server)
        assert properties == {"ServerName": server, "DatabaseName": db.name}, name
    if stem == "consolidated":
        assert names == documented
