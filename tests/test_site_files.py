"""UpdateInfo.xml and SecretServer.xml checked against the inventory and the facts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import PurePosixPath

from generator.artifacts import RenderedArtifact

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]


def site_xml(rendered: Rendered, stem: str, name: str) -> ET.Element:
    (art,) = [a for p, a in rendered[stem].items() if p.name == name]
    assert art.path.parent.parent == PurePosixPath(stem)  # site level, not per server
    return ET.fromstring(art.text.encode())


def test_update_info_seed_example(rendered: Rendered) -> None:
    root = site_xml(rendered, "example", "UpdateInfo.xml")
    assert root.tag == "UpdateConfiguration"
    (mbox,) = root.findall("MessageBoxDB")
    assert mbox.attrib == {
        "oldDBName": "BizTalkMsgBoxDb",
        "oldDBServer": "SQLPROD01",
        "newDBName": "BizTalkMsgBoxDb",
        "newDBServer": "SQLDR01",
        "IsMaster": "1",
    }
    for tag, name in (
        ("TrackingDB", "BizTalkDTADb"),
        ("ManagementDB", "BizTalkMgmtDb"),
    ):
        (elem,) = root.findall(tag)
        assert elem.get("oldDBServer") == "SQLPROD01"
        assert elem.get("newDBServer") == "SQLDR01"
        assert elem.get("oldDBName") == elem.get("newDBName") == name
    assert root.find("BAM") is None  # no BAM in this group
    labels = [d.get("Name") for d in root.findall("OtherDatabases/Database")]
    assert labels == ["SSO"]
    # UpdateDatabase.vbs reads the Rules Engine database from a top-level element.
    (rules,) = root.findall("RuleEngineDB")
    assert rules.attrib == {
        "oldDBName": "BizTalkRuleEngineDb",
        "oldDBServer": "SQLPROD01",
        "newDBName": "BizTalkRuleEngineDb",
        "newDBServer": "SQLDR01",
    }


def test_update_info_consolidated(rendered: Rendered) -> None:
    root = site_xml(rendered, "consolidated", "UpdateInfo.xml")
    boxes = root.findall("MessageBoxDB")
    assert [(b.get("oldDBName"), b.get("IsMaster")) for b in boxes] == [
        ("BizTalkMsgBoxDb", "1"),
        ("BizTalkMsgBoxDb2", "0"),
    ]
    assert [b.get("oldDBServer") for b in boxes] == ["FABSQL01\\BTS", "FABSQL02\\BTS"]
    # Both production instances fold onto one DR instance.
    for elem in root.iter():
        if "newDBServer" in elem.attrib:
            assert elem.get("newDBServer") == "FABDRSQL01\\BTS"
    units = {
        u.get("Name"): {p.get("Name"): p.text for p in u.findall("Property")}
        for u in root.findall("BAM/DeploymentUnit")
    }
    assert units["OldPrimaryImportDatabase"] == {
        "ServerName": "FABSQL02\\BTS",
        "DatabaseName": "BAMPrimaryImport",
    }
    assert units["PrimaryImportDatabase"] == {
        "ServerName": "FABDRSQL01\\BTS",
        "DatabaseName": "BAMPrimaryImport",
    }
    assert units["ArchivingDatabase"]["DatabaseName"] == "BAMArchive"
    others = {d.get("Name"): d for d in root.findall("OtherDatabases/Database")}
    # Each name is the one the database is registered under in the Backup job.
    assert set(others) == {"SSO", "BAM Alerts Application DB", "FabrikamOrders"}
    assert others["FabrikamOrders"].get("oldDBName") == "FabrikamOrders"
    assert root.find("RuleEngineDB") is not None


def test_every_production_database_is_mapped(rendered: Rendered, plans) -> None:
    for stem, plan in plans.items():
        root = site_xml(rendered, stem, "UpdateInfo.xml")
        old = {
            (e.get("oldDBServer"), e.get("oldDBName"))
            for e in root.iter()
            if "oldDBName" in e.attrib
        }
        dbs = plans[stem].site.update_info
        expected = {(m.old_server, m.old_name) for m in dbs.all_moves}
        assert old == expected
        assert plan.site.dr_mgmt.server in {e.get("newDBServer") for e in root.iter()}


def test_secret_server_file_names_only_the_dr_master(rendered: Rendered, plans) -> None:
    for stem, plan in plans.items():
        root = site_xml(rendered, stem, "SecretServer.xml")
        assert root.tag == "sso"
        (info,) = list(root)
        assert info.tag == "globalInfo"
        assert [c.tag for c in info] == ["secretServer"]
        assert info.findtext("secretServer") == plan.site.master_secret_server
    assert plans["example"].site.master_secret_server == "DRserver1"
