"""UpdateInfo-Rearm.xml: UpdateInfo.xml the other way round (issue 18, item 1).

Reset-DrServer.ps1 feeds it to UpdateRegistry.vbs to point a DR server's registry
back at production after a drill. Checked here on the rendered files of both example
inventories: every database's old and new location swapped (and nothing else
changed), the warning against UpdateDatabase.vbs on top, the hash the server
scripts carry, and that what it moves back to is what the scripts compare the
registry with afterwards (Test-DrServer's Dormant, Initialize's "configured for
another group" refusal). Its names are the catalogue's:
tests/catalogue/test_xml_names.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath

import pytest

from generator.plan.databases import UpdateInfo
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from tests.support.evaluator import holds
from tests.support.paths import EXAMPLES
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    artifact,
    function,
    scripts,
    top_assignment,
    top_string,
)
from tests.support.tree import condition, records, variables

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]

_ADDRESS = ("oldDBName", "oldDBServer", "newDBName", "newDBServer")


def _documents(rendered: Rendered, stem: str) -> tuple[ET.Element, ET.Element]:
    info = ET.fromstring(artifact(rendered, stem, "UpdateInfo.xml").text)
    rearm = ET.fromstring(artifact(rendered, stem, "UpdateInfo-Rearm.xml").text)
    return info, rearm


def without_bam(document: ET.Element) -> ET.Element:
    """A copy without the BAM section (the rearm file has none)."""
    copy = ET.fromstring(ET.tostring(document))
    for bam in copy.findall("BAM"):
        copy.remove(bam)
    return copy


def check_swapped(info: ET.Element, rearm: ET.Element) -> int:
    """The same elements in the same order but BAM; each database's old and new
    location (server and name) swapped, every other attribute and text the same.
    Returns the databases seen."""
    assert rearm.find("BAM") is None
    forward, back = list(without_bam(info).iter()), list(rearm.iter())
    assert [e.tag for e in forward] == [e.tag for e in back]
    moved = 0
    for one, other in zip(forward, back, strict=True):
        assert set(one.attrib) == set(other.attrib), one.tag
        if set(_ADDRESS) <= set(one.attrib):
            moved += 1
            assert other.get("oldDBServer") == one.get("newDBServer"), one.attrib
            assert other.get("oldDBName") == one.get("newDBName"), one.attrib
            assert other.get("newDBServer") == one.get("oldDBServer"), one.attrib
            assert other.get("newDBName") == one.get("oldDBName"), one.attrib
            assert other.get("oldDBServer") != other.get("newDBServer"), one.attrib
        for name in set(one.attrib) - set(_ADDRESS):
            assert other.get(name) == one.get(name), (one.tag, name)
        if one.tag != "Property":
            assert (one.text or "").strip() == (other.text or "").strip(), one.tag
    return moved


def test_rearm_swaps_every_database(rendered: Rendered) -> None:
    for stem in EXAMPLES:
        info, rearm = _documents(rendered, stem)
        moved = check_swapped(info, rearm)
        # MessageBoxes, tracking, management, SSO at least.
        assert moved >= 4, stem
        assert rearm.find("ManagementDB") is not None, stem


def test_rearm_file_has_no_bam_section(rendered: Rendered) -> None:
    """No BAM location is kept in the registry, and the public restore scripts
    hand a <BAM> section to a BAM restore against the "new" management database,
    production's in this file (review finding, issue 18): the section is left out."""
    info, rearm = _documents(rendered, "consolidated")
    assert info.find("BAM") is not None
    assert rearm.find("BAM") is None
    assert list(rearm.iter("DeploymentUnit")) == []


def test_checker_catches_an_unswapped_file(rendered: Rendered) -> None:
    """Counter-test: UpdateInfo.xml itself, or one swap left out, fails the check."""
    info, rearm = _documents(rendered, "example")
    with pytest.raises(AssertionError):
        check_swapped(info, ET.fromstring(ET.tostring(info)))
    half = ET.fromstring(ET.tostring(rearm))
    management = half.find("ManagementDB")
    assert management is not None
    management.set("newDBServer", management.get("oldDBServer", ""))
    with pytest.raises(AssertionError):
        check_swapped(info, half)


def test_rearmed_is_the_inverse_of_the_plan(plans: dict[str, Plan]) -> None:
    for stem in EXAMPLES:
        info: UpdateInfo = plans[stem].site.update_info
        back = plans[stem].site.rearm_info
        assert back != info, stem
        assert back.bam_units == (), stem
        assert back.rearmed() == dataclasses.replace(info, bam_units=()), stem
        assert [m.new_server for m in back.all_moves] == [
            m.old_server for m in info.all_moves
        ]
        # Names and master flags travel unchanged with each database.
        assert [
            dataclasses.replace(m.reversed(), title="") for m in back.all_moves
        ] == [dataclasses.replace(m, title="") for m in info.all_moves]


def test_rearm_file_warns_against_update_database(rendered: Rendered) -> None:
    """An XML comment before the root says what the file is for, and what never."""
    for stem in EXAMPLES:
        text = artifact(rendered, stem, "UpdateInfo-Rearm.xml").text
        head = text[: text.index("<UpdateConfiguration>")]
        assert head.startswith('<?xml version="1.0" encoding="utf-8"?>\n<!--'), stem
        comment = head[head.index("<!--") : head.index("-->")]
        assert "UpdateRegistry.vbs only" in comment, stem
        assert "NEVER run UpdateDatabase.vbs" in comment, stem
        # UpdateInfo.xml, which UpdateDatabase.vbs does read, carries no such line.
        forward = artifact(rendered, stem, "UpdateInfo.xml").text
        assert "<!--" not in forward, stem


def test_server_scripts_carry_the_rearm_hash(rendered: Rendered) -> None:
    """Every server script's data block has the SHA-256 of the file as written."""
    for stem in EXAMPLES:
        arts = rendered[stem]
        (rearm,) = [a for p, a in arts.items() if p.name == "UpdateInfo-Rearm.xml"]
        # The bytes on disk: CRLF, no byte order mark (ArtifactKind.XML).
        on_disk = rearm.text.replace("\n", "\r\n").encode("utf-8")
        digest = hashlib.sha256(on_disk).hexdigest().upper()
        servers = [a for p, a in arts.items() if p.name.endswith("-DrServer.ps1")]
        assert len(servers) == 5 * len(
            {p.parent for p in arts if p.name == "Reset-DrServer.ps1"}
        )
        for art in servers:
            assert f"$RearmInfoSha256 = '{digest}'\n" in art.text, art.path


def test_rearm_moves_back_to_what_dormant_and_initialize_expect(
    rendered: Rendered, all_artifacts: list[RenderedArtifact]
) -> None:
    """After UpdateRegistry.vbs with the rearm file the registry names its new
    servers: those must be the production values Test-DrServer -Expect Dormant and
    Initialize-DrServer.ps1 compare with, or a reset server could never be dormant
    again, nor prepared again."""
    for stem in EXAMPLES:
        _, rearm = _documents(rendered, stem)
        management = rearm.find("ManagementDB")
        assert management is not None
        (sso,) = [d for d in rearm.iter("Database") if d.get("Name") == "SSO"]
        rules = rearm.find("RuleEngineDB")
        back = {
            "MgmtDBServer": management.get("newDBServer"),
            "Server": sso.get("newDBServer"),
            "DatabaseServer": None if rules is None else rules.get("newDBServer"),
        }
        for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
            if script.stem != stem:
                continue
            assert top_string(script, "ProductionMgmtServer") == back["MgmtDBServer"]
            assert top_string(script, "ProductionMgmtDatabase") == management.get(
                "newDBName"
            )
            # The refusal ("configured for ... Unconfigure it first") is skipped
            # when the registry names what the rearm file moved it back to.
            join = function(script, "Invoke-DrConfigurationJoin")
            (check,) = [
                s
                for s in nodes(join, "if_statement")
                if {"$server", "$database", "$productionmgmtserver"}
                <= variables(condition(s))
            ]
            env = {
                "$server": management.get("newDBServer"),
                "$database": management.get("newDBName"),
                "$productionmgmtserver": top_string(script, "ProductionMgmtServer"),
                "$productionmgmtdatabase": top_string(script, "ProductionMgmtDatabase"),
            }
            assert holds(check, env) is True, script
            drill = {**env, "$server": management.get("oldDBServer")}
            assert holds(check, drill) is False, script
            rows = records(top_assignment(script, "RegistryChecks"))
            assert rows, script
            for row in rows:
                assert row["Production"] == back[row["Value"]], (script, row)
