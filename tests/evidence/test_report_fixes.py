"""The "How to fix" table (generator/evidence/fixes.py) against the scripts:
every check id Test-DrServer.ps1 and Test-DrBundle.ps1 can write has a text
(ids read from the rendered scripts' parse tree and from the templates), no text
is kept for an id no script writes, every script a text names is in the
bundle, and the report shows the fix of every failed check (page and console).
"""

from __future__ import annotations

import re

from tree_sitter import Node

from generator.evidence.fixes import (
    CHECK_FIXES,
    EARLIER_DRILL_FIX,
    REASON_FIXES,
    UNKNOWN_CHECK_FIX,
    UNKNOWN_SERVER_FIX,
    check_fix,
    run_text,
)
from generator.evidence.readiness import KINDS, Reason
from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.paths import TEMPLATES
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.readiness import judge, loaded
from tests.support.report_page import XHTML, page, parse_page, words
from tests.support.sample_results import SAMPLE_NOW, sample_files
from tests.support.scripts import Script, scripts
from tests.support.tree import command_nodes

# What a fix text names as a script: a file name ending in .ps1.
SCRIPT_NAME = re.compile(r"[A-Za-z0-9_.-]+\.ps1\b")
# An Add-DrCheck -Id in a template: a quoted id, or the format string of one.
TEMPLATE_ID = re.compile(r"Add-DrCheck\b[^\n]*?-Id \(?'((?:[^']|'')*)'")


def _verbatim(node: Node) -> str:
    """The value of a single-quoted PowerShell string literal node."""
    raw = text(node)
    assert raw.startswith("'"), raw
    assert raw.endswith("'"), raw
    return raw[1:-1].replace("''", "'")


def written_id(call: Node) -> str:
    """The id an ``Add-DrCheck`` call writes: its -Id literal, or the format
    string of ``('...' -f ...)`` (``{0}`` where a name goes). Anything else is a
    test failure: such an id could not be held to the table."""
    (elements,) = [c for c in call.children if c.type == "command_elements"]
    parts = [c for c in elements.children if c.type != "command_argument_sep"]
    (at,) = [
        i
        for i, c in enumerate(parts)
        if c.type == "command_parameter" and text(c).casefold() == "-id"
    ]
    argument = parts[at + 1]
    literals = nodes(argument, "verbatim_string_characters")
    assert literals, text(call)
    literal = literals[0]
    formats = nodes(argument, "format_expression")
    if formats:
        (fmt,) = formats
        first = fmt.children[0]
        assert literal.start_byte >= first.start_byte
        assert literal.end_byte <= first.end_byte, text(call)
    else:
        # A plain literal: nothing else in the argument.
        assert text(argument) == text(literal), text(call)
    return _verbatim(literal)


def result_writers(all_artifacts: list[RenderedArtifact]) -> list[Script]:
    """Every rendered script that writes a drill result (calls Write-DrTestResult)."""
    found = [
        s for s in scripts(all_artifacts) if command_nodes(s.root, "Write-DrTestResult")
    ]
    assert {s.name for s in found} == {"Test-DrServer.ps1", "Test-DrBundle.ps1"}
    return found


def parse_tree_ids(all_artifacts: list[RenderedArtifact]) -> set[str]:
    ids = set()
    for script in result_writers(all_artifacts):
        calls = command_nodes(script.root, "Add-DrCheck")
        assert len(calls) >= 3, script.name
        ids |= {written_id(call) for call in calls}
    return ids


def template_ids() -> set[str]:
    """Every -Id of every Add-DrCheck in the templates, in any branch."""
    found = set()
    for path in TEMPLATES.rglob("*.jinja"):
        for match in TEMPLATE_ID.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1).replace("''", "'"))
    return found


def test_every_check_id_the_scripts_write_has_a_fix(all_artifacts) -> None:
    written = parse_tree_ids(all_artifacts)
    in_templates = template_ids()
    # The two readings agree (a check only in an unrendered branch would show).
    assert written == in_templates
    assert len(written) >= 20
    missing = sorted(written - set(CHECK_FIXES))
    assert not missing, f"no fix text in generator/evidence/fixes.py for {missing}"
    stale = sorted(set(CHECK_FIXES) - written)
    assert not stale, f"fix texts for ids no script writes: {stale}"


def test_the_id_reader_sees_each_shape() -> None:
    """The parse-tree reader above, on the two shapes and on a third it refuses."""
    source = (
        b"Add-DrCheck -Results $r -Id 'run:completed' -Check 'c' -Expected 'a' "
        b"-Actual 'b'\n"
        b"Add-DrCheck -Results $r -Id ('service:{0}:status' -f $name) -Check 'c' "
        b"-Expected 'a' -Actual 'b'\n"
        b"Add-DrCheck -Results $r -Id $computed -Check 'c' -Expected 'a' "
        b"-Actual 'b'\n"
    )
    root = ps.parse(source).root_node
    calls = command_nodes(root, "Add-DrCheck")
    assert [written_id(c) for c in calls[:2]] == [
        "run:completed",
        "service:{0}:status",
    ]
    try:
        written_id(calls[2])
    except (AssertionError, ValueError):
        pass
    else:
        raise AssertionError("an id from a variable was read as a literal")


def _all_texts() -> list[str]:
    texts = [UNKNOWN_CHECK_FIX, UNKNOWN_SERVER_FIX, EARLIER_DRILL_FIX]
    texts += list(REASON_FIXES.values())
    for fix in CHECK_FIXES.values():
        texts += [fix.for_kind(kind) for kind in KINDS]
    return texts


def unknown_scripts(texts: list[str], bundle: set[str]) -> list[str]:
    """The .ps1 names in ``texts`` that are no file of the bundle."""
    return sorted({m for t in texts for m in SCRIPT_NAME.findall(t)} - bundle)


def test_every_script_a_fix_names_is_in_the_bundle(all_artifacts) -> None:
    bundle = {art.path.name for art in all_artifacts}
    texts = _all_texts()
    named = {m for t in texts for m in SCRIPT_NAME.findall(t)}
    assert {"Disable-DrServer.ps1", "Enable-DrServer.ps1"} <= named
    assert unknown_scripts(texts, bundle) == []
    # The check itself: a text naming a script the bundle does not have fails.
    assert unknown_scripts(["Run Repair-DrServer.ps1 on {server}."], bundle) == [
        "Repair-DrServer.ps1"
    ]


def test_every_reason_has_a_fix() -> None:
    assert set(REASON_FIXES) == set(Reason)


def _example_id(key: str) -> tuple[str, tuple[str, ...]]:
    names = tuple(f"Name{i}" for i in range(len(re.findall(r"\{\d\}", key))))
    return key.format(*names), names


def test_each_fix_is_found_for_its_own_ids_and_formats_for_every_state() -> None:
    for key, fix in CHECK_FIXES.items():
        check_id, names = _example_id(key)
        for kind in KINDS:
            expected = fix.for_kind(kind).format(
                *names, server="DRSERVER9", test=run_text(kind)
            )
            assert check_fix(check_id, kind, "DRSERVER9") == expected, (key, kind)
            assert "{" not in expected, (key, kind)
            assert "DRSERVER9" in expected, (key, kind)
            for name in names:
                assert name in expected, (key, kind, name)
    # A registry key path keeps its backslashes; the value name is the last part.
    registry = check_fix("registry:HKLM:\\SOFTWARE\\X\\SQL\\Server", "Dormant", "S")
    assert registry.startswith("HKLM:\\SOFTWARE\\X\\SQL\\Server on S ")
    # The exact id wins over the pattern it also matches.
    assert check_fix("signature:Test-DrBundle.ps1", "Bundle", "S").startswith(
        "Test-DrBundle.ps1 itself"
    )
    assert check_fix("weird:id", "Ready", "S") == UNKNOWN_CHECK_FIX.format(
        server="S", test="Test-DrServer.ps1 -Expect Ready"
    )


def test_the_state_decides_the_fix() -> None:
    dormant = check_fix("service:ENTSSO:startup-type", "Dormant", "S")
    ready = check_fix("service:ENTSSO:startup-type", "Ready", "S")
    active = check_fix("service:ENTSSO:startup-type", "Active", "S")
    assert dormant.startswith("Run Disable-DrServer.ps1 on S")
    assert ready.startswith("Run Enable-DrServer.ps1 -NoStart on S")
    assert active.startswith("Run Enable-DrServer.ps1 without -NoStart on S")


def test_every_sample_check_id_has_its_own_fix() -> None:
    import json

    for relative, body in sample_files().items():
        result = json.loads(body)
        kind = result["expected_state"] or "Bundle"
        for check in result["checks"]:
            fix = check_fix(check["id"], kind, result["computer"])
            assert not fix.startswith("No fix is known"), (relative, check["id"])


def test_the_page_shows_the_fix_of_every_failed_check(plans) -> None:
    results = loaded("example")
    root = parse_page(page(results, plans["example"]))
    (site,) = judge(results, plans["example"]).sites
    failed = [
        (cell, check)
        for cell in site.cells
        if cell.latest is not None
        for check in cell.latest.result.failed
    ]
    assert failed
    tables = [
        t
        for t in root.iter(f"{XHTML}table")
        if [words(h) for h in t.iter(f"{XHTML}th")][:6][-1:] == ["How to fix"]
    ]
    rows = [
        [words(c) for c in row]
        for table in tables
        for row in table.iter(f"{XHTML}tr")
        if row.find(f"{XHTML}td") is not None
    ]
    for cell, check in failed:
        fix = check_fix(check.id, cell.kind, cell.server)
        (row,) = [r for r in rows if r[0] == cell.server and check.id in r[2]]
        assert row[-1] == fix
    assert SAMPLE_NOW
