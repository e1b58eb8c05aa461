"""UpdateInfo.xml and SecretServer.xml checked against the inventory and the facts;
what Test-DrBundle.ps1 lists, ignores and documents."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath

from tree_sitter import Node

from generator.bundle.verify import _runtime_file
from generator.plan.outputs import BUNDLE_CHECK_NAME
from generator.render.artifacts import RenderedArtifact
from tests.support.evaluator import holds
from tests.support.paths import EXAMPLES
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import Script, function, help_comment, scripts
from tests.support.tree import ancestors, branch_block, command_nodes, strings

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


# ------------------------------------------------------------ Test-DrBundle.ps1
# Read through the tree-sitter-pwsh parse tree, with the helpers of
# tests/support/tree.py and the three-valued evaluator of tests/support/evaluator.py.


def bundle_checks(all_artifacts: list[RenderedArtifact]) -> list[Script]:
    found = scripts(all_artifacts, BUNDLE_CHECK_NAME)
    assert len(found) == len(EXAMPLES)
    return found


def listing_loop(script: Script) -> Node:
    """The ``foreach`` over every file under the bundle folder."""
    (loop,) = [
        loop
        for loop in nodes(script.root, "foreach_statement")
        if command_nodes(loop.named_children[1], "Get-ChildItem")
    ]
    return loop


def test_bundle_check_lists_hidden_files(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Without -Force, Get-ChildItem skips hidden files and hidden folders."""
    for script in bundle_checks(all_artifacts):
        (listing,) = command_nodes(listing_loop(script), "Get-ChildItem")
        arguments = text(listing).split()
        assert arguments[1:3] == ["-LiteralPath", "$PSScriptRoot"], script
        for switch in ("-Recurse", "-File", "-Force"):
            assert switch in arguments, (script, switch)


def test_bundle_check_ignores_only_logs_folders_outside_the_bundle(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """As drgen verify: a file is not the bundle's when a parent folder is named
    logs (any case) and is no folder of an expected file. Nothing else is ignored
    (the scripts keep their state in %ProgramData% since there is no state\\)."""
    for script in bundle_checks(all_artifacts):
        # What the listing loop ignores: itself, and what Test-DrRuntimeFile says.
        loop = listing_loop(script)
        rule_function = function(script, "Test-DrRuntimeFile")
        assert "logs" not in strings(loop), script
        for scope in (loop, rule_function):
            assert "state" not in [s.casefold() for s in strings(scope)], script
        (ignored,) = [
            a
            for a in nodes(loop, "assignment_expression")
            if text(a.named_children[0]).strip() == "$ignored"
        ]
        assert strings(ignored) == [BUNDLE_CHECK_NAME], script
        (call,) = command_nodes(ignored, "Test-DrRuntimeFile")
        assert text(call).split()[1:] == [
            "-Relative",
            "$relative",
            "-BundleFolders",
            "$bundleFolders",
        ], script
        # The bundle folders: every parent folder of every expected file.
        (expected,) = [
            loop
            for loop in nodes(script.root, "foreach_statement")
            if text(loop.named_children[1]).strip() == "$ExpectedFiles"
        ]
        (parents,) = command_nodes(expected, "Get-DrParentFolders")
        assert text(parents).split()[1:] == ["-Relative", "$file.Path"], script
        each = next(a for a in ancestors(parents) if a.type == "foreach_statement")
        assert text(each.named_children[0]) == "$folder", script
        fills = re.findall(
            r"\$bundleFolders\[\$folder\.ToUpperInvariant\(\)\] = \$true",
            text(each),
        )
        assert len(fills) == 1, script
        # The rule, for each parent folder of the file: the leaf is named logs, in
        # any case, and the folder is not one of the bundle's.
        (walk_parents,) = command_nodes(rule_function, "Get-DrParentFolders")
        assert text(walk_parents).split()[1:] == ["-Relative", "$Relative"], script
        assert "$name = $folder.Split('\\')[-1]" in text(rule_function), script
        (rule,) = nodes(rule_function, "if_statement")
        assert text(branch_block(rule)).split() == ["{", "return", "$true", "}"]
        for name in ("logs", "LOGS", "Logs", "log", "state", "DRserver1"):
            for in_bundle in (True, False):
                env = {"$name": name, "containskey()": in_bundle}
                wanted = name.casefold() == "logs" and not in_bundle
                assert holds(rule, env) is wanted, (script, name, in_bundle)
        # The same rule as drgen verify's, on the Python side.
        bundle = {PurePosixPath("LOGS"), PurePosixPath("DRserver1")}
        assert _runtime_file(PurePosixPath("DRserver1/logs/x.log"), bundle)
        assert _runtime_file(PurePosixPath("LOGS/Logs/x.log"), bundle)
        assert not _runtime_file(PurePosixPath("LOGS/Enable-DrServer.ps1"), bundle)


def test_bundle_check_documents_every_exit_code(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Its help names each code it can exit with, 2 (wrong computer) included."""
    for script in bundle_checks(all_artifacts):
        codes = {
            int(found.group(1))
            for statement in nodes(script.root, "flow_control_statement")
            if (found := re.fullmatch(r"exit\s+(\d+)", text(statement).strip()))
        }
        assert codes == {0, 1, 2}, script
        help_ = re.sub(r"\s+", " ", help_comment(script))
        said = help_[help_.index("Exit code") :].split(".EXAMPLE", 1)[0]
        for code in sorted(codes):
            assert re.search(rf"(?<![\w.]){code}(?![\w.])", said), (script, code)
        assert "2 (nothing checked) on a computer that is not a DR server" in said
