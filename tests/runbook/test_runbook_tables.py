"""Semantic checks for Runbook.md behaviours the snapshots showed and no other test
held: the DR server table's pool and stand-in columns, the database mapping table
against UpdateInfo.xml, and the two paragraphs that send the admin to ``drgen facts``.

Each test reads the rendered text through markdown-it (tables enabled) or
ElementTree and compares it with the plan, a second artifact or the CLI; the
``mutated`` counter-tests feed each check an edited runbook and expect it to fail.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import PurePosixPath

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from typer.testing import CliRunner

from generator.catalogue import CATALOGUE
from generator.cli.app import app
from generator.cli.facts import catalogue_text
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from tests.support.paths import EXAMPLES
from tests.support.runbook import steps

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]
Row = list[tuple[str, tuple[str, ...]]]  # per cell: its text, its code spans


def site_artifact(rendered: Rendered, stem: str, name: str) -> RenderedArtifact:
    (art,) = [a for p, a in rendered[stem].items() if p.name == name]
    assert art.path.parent.parent == PurePosixPath(stem)  # site level
    return art


def tables(markdown: str) -> list[tuple[list[str], list[Row]]]:
    """Every table: its header cells and its body rows."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    found: list[tuple[list[str], list[Row]]] = []
    header: list[str] = []
    rows: list[Row] = []
    row: Row = []
    in_head = False
    for token in tokens:
        if token.type == "table_open":
            header, rows = [], []
        elif token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and in_head:
            header.append(token.content)
        elif token.type == "inline":
            code = tuple(
                c.content for c in token.children or [] if c.type == "code_inline"
            )
            row.append((token.content, code))
        elif token.type == "tr_close" and not in_head:
            rows.append(row)
        elif token.type == "table_close":
            found.append((header, rows))
    return found


def table(markdown: str, first_header: str) -> tuple[list[str], list[Row]]:
    (found,) = [t for t in tables(markdown) if t[0] and t[0][0] == first_header]
    return found


def section(markdown: str, heading: str) -> list[Token]:
    """The inline tokens of the ``##`` section whose title starts with ``heading``."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    inside = False
    out: list[Token] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            inside = tokens[i + 1].content.startswith(heading)
        elif inside and token.type == "inline" and tokens[i - 1].type != "heading_open":
            out.append(token)
    assert out, heading
    return out


def paragraph(markdown: str, heading: str, start: str) -> tuple[str, tuple[str, ...]]:
    """The paragraph of a section starting with ``start``: text and code spans."""
    (token,) = [t for t in section(markdown, heading) if t.content.startswith(start)]
    code = tuple(c.content for c in token.children or [] if c.type == "code_inline")
    return re.sub(r"\s+", " ", token.content), code


# ------------------------------------------------------------ DR servers table


def check_server_table(markdown: str, plan: Plan) -> None:
    header, rows = table(markdown, "DR server")
    assert header == [
        "DR server",
        "Roles",
        "Host instances",
        "IIS application pools",
        "Stands in for",
    ]
    assert [r[0][1] for r in rows] == [(s.name,) for s in plan.site.servers]
    for server, row in zip(plan.site.servers, rows, strict=True):
        pools, mirrors = row[3], row[4]
        assert pools[1] == server.app_pools, server.name
        assert (pools[0] == "-") is (not server.app_pools), server.name
        assert mirrors[1] == tuple(server.mirrors), server.name


def test_dr_server_table_names_each_servers_pools_and_stand_ins(
    rendered: Rendered, plans: dict[str, Plan]
) -> None:
    for stem, plan in plans.items():
        check_server_table(site_artifact(rendered, stem, "Runbook.md").text, plan)
    # Not vacuous: the consolidated site has an isolated host with a pool.
    pools = [p for s in plans["consolidated"].site.servers for p in s.app_pools]
    assert pools == ["FabrikamWebReceive"]


# ------------------------------------------------- database mapping = UpdateInfo.xml


def mapping_rows(markdown: str) -> set[tuple[str, str, str, str, bool]]:
    """(label, name, production, DR, master) of each mapping table row."""
    header, rows = table(markdown, "Database")
    assert header == ["Database", "Production", "DR"]
    out: set[tuple[str, str, str, str, bool]] = set()
    for (what, names), (_, old), (_, new) in rows:
        (name,), (production,), (dr,) = names, old, new
        label = what.split(" `", 1)[0]
        out.add((label, name, production, dr, what.endswith(" (master)")))
    assert len(out) == len(rows)
    return out


def xml_moves(root: ET.Element) -> set[tuple[str, str, str, bool]]:
    """(name, production, DR, master) of each UpdateInfo.xml database element."""
    return {
        (
            e.get("oldDBName", ""),
            e.get("oldDBServer", ""),
            e.get("newDBServer", ""),
            e.get("IsMaster") == "1",
        )
        for e in root.iter()
        if "oldDBName" in e.attrib
    }


def check_mapping(markdown: str, root: ET.Element) -> None:
    rows = mapping_rows(markdown)
    assert {r[1:] for r in rows} == xml_moves(root)
    # The top-level RuleEngineDB element (A3) is the 'Rules Engine' row.
    (rules,) = root.findall("RuleEngineDB")
    (row,) = [r for r in rows if r[1] == rules.get("oldDBName")]
    assert row[0] == "Rules Engine"
    assert row[2:4] == (rules.get("oldDBServer"), rules.get("newDBServer"))


def test_mapping_table_is_what_update_info_xml_moves(rendered: Rendered) -> None:
    for stem in EXAMPLES:
        root = ET.fromstring(site_artifact(rendered, stem, "UpdateInfo.xml").text)
        check_mapping(site_artifact(rendered, stem, "Runbook.md").text, root)


# ------------------------------------------------ paragraphs sending to drgen facts

LAB = "Settle the facts drgen could not confirm"
DRILL = "Some facts only a failover settles"


def check_lab_paragraph(markdown: str, files: set[str]) -> None:
    """The Prepare step that runs the lab probe and sends its result to drgen."""
    (step,) = [i for i in steps(markdown, "1. Prepare") if i.text.startswith(LAB)]
    assert ".\\Test-DrLabFacts.ps1" in step.code
    assert "Test-DrLabFacts.ps1" in files
    assert "drgen facts check" in step.code, step.code
    assert "It changes nothing." in step.text


def check_drill_paragraph(markdown: str) -> None:
    text, code = paragraph(markdown, "2. DR drill", DRILL)
    assert "drgen facts" in code
    assert '"settle"' in text
    assert "Enterprise SSO starts on the DR master secret server" in text


def test_lab_probe_paragraph_names_the_script_and_the_command(
    rendered: Rendered, runner: CliRunner
) -> None:
    for stem in EXAMPLES:
        files = {
            p.name for p in rendered[stem] if p.parent.parent == PurePosixPath(stem)
        }
        check_lab_paragraph(site_artifact(rendered, stem, "Runbook.md").text, files)
    result = runner.invoke(app, ["facts", "check", "--help"])
    assert result.exit_code == 0, result.output


def test_drill_paragraph_points_at_catalogue_entries_a_drill_settles(
    rendered: Rendered, runner: CliRunner
) -> None:
    for stem in EXAMPLES:
        check_drill_paragraph(site_artifact(rendered, stem, "Runbook.md").text)
    # The fact the paragraph names exists and is marked as settled by a drill.
    entry = CATALOGUE.entry("behaviour:sso-start-before-updatedb")
    assert entry.settle is not None
    assert "drill" in entry.settle
    assert f"    settle: {entry.settle}" in catalogue_text().splitlines()
    result = runner.invoke(app, ["facts"])
    assert result.exit_code == 0, result.output
    assert "settle:" in result.output


# ------------------------------------------------------------ counter-tests


def first_row_cell(markdown: str, header: str, col: int, new: str) -> str:
    """``markdown`` with column ``col`` of the first row after ``header`` replaced."""
    lines = markdown.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |")) + 2
    cells = lines[at].split(" | ")
    cells[col] = new
    lines[at] = " | ".join(cells)
    return "".join(lines)


MUTATIONS: dict[str, Callable[[str], str]] = {
    "pool dropped": lambda t: t.replace(" `FabrikamWebReceive` ", " - "),
    "stand-in dropped": lambda t: t.replace("`FABBTS01`, ", ""),
    "pool column gone": lambda t: t.replace(" IIS application pools |", ""),
    "mapping server wrong": lambda t: first_row_cell(
        t, "Database", 2, "`FABSQL09\\BTS`"
    ),
    "master mark lost": lambda t: t.replace(" (master)", ""),
    "rules label": lambda t: t.replace("| Rules Engine `", "| RuleEngineDB `"),
    "rules row gone": lambda t: re.sub(r"\| Rules Engine [^\n]*\n", "", t),
    "lab command": lambda t: t.replace("`drgen facts check`", "`drgen check`"),
    "lab script": lambda t: t.replace(
        "    .\\Test-DrLabFacts.ps1", "    .\\Test-DrLab.ps1"
    ),
    "drill command": lambda t: t.replace("(`drgen facts`,", "(drgen facts,"),
    "drill moved": lambda t: t.replace(DRILL, "Some facts only a fail-over settles"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_check_fails_on_an_edited_runbook(
    rendered: Rendered, plans: dict[str, Plan], name: str
) -> None:
    stem = "consolidated"
    original = site_artifact(rendered, stem, "Runbook.md").text
    edited = MUTATIONS[name](original)
    assert edited != original, name
    root = ET.fromstring(site_artifact(rendered, stem, "UpdateInfo.xml").text)
    files = {p.name for p in rendered[stem] if p.parent.parent == PurePosixPath(stem)}
    checks: list[Callable[[str], None]] = [
        lambda t: check_server_table(t, plans[stem]),
        lambda t: check_mapping(t, root),
        lambda t: check_lab_paragraph(t, files),
        check_drill_paragraph,
    ]
    for check in checks:
        check(original)
    failed = 0
    for check in checks:
        try:
            check(edited)
        except (AssertionError, ValueError, StopIteration):
            failed += 1
    assert failed, name


# --- time stamps in the scripts are culture-invariant ---------------------------

_DATE_TO_STRING = re.compile(
    r"\(Get-Date\)(?:\.ToUniversalTime\(\))?\.ToString\(([^)]*)\)"
)


def culture_dependent_stamps(text: str) -> list[str]:
    """Every ``(Get-Date)….ToString(…)`` whose text depends on the server's culture:
    neither the round-trip format 'o' nor the invariant culture."""
    return [
        m.group(0)
        for m in _DATE_TO_STRING.finditer(text)
        if m.group(1).strip() != "'o'" and "InvariantCulture" not in m.group(1)
    ]


def test_every_date_stamp_in_every_script_is_culture_invariant(all_artifacts) -> None:
    scripts = [a for a in all_artifacts if a.path.suffix == ".ps1"]
    stamped = [a for a in scripts if _DATE_TO_STRING.search(a.text)]
    # The log name of every script with the shared frame is such a stamp.
    assert len(stamped) >= len(scripts) - 1
    for art in scripts:
        assert culture_dependent_stamps(art.text) == [], art.path
    # The check sees a culture-dependent stamp when there is one.
    edited = stamped[0].text.replace(
        ", [System.Globalization.CultureInfo]::InvariantCulture", "", 1
    )
    assert culture_dependent_stamps(edited)
