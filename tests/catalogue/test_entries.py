"""The catalogue's entries: unique ids with their kind's prefix, a source and a
name each, inferred entries that say why and can be settled by the lab probe; and
``drgen facts``, which lists every entry, names where each lives and every
environment variable the scripts read."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.catalogue import CATALOGUE, PROBE_METHODS, Confidence, Kind
from generator.cli.app import app
from generator.plan.labprobe import probe_items
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.catalogue_names import (
    _all_literals,
    _string_value,
    names_with_prefix,
)
from tests.support.paths import EXAMPLES
from tests.support.poisoned import script_files
from tests.support.pwsh_oracle import node_text as _text
from tests.support.pwsh_oracle import walk as _walk

VERSIONS = ("2013R2", "2016", "2020")


# ------------------------------------------------------------- catalogue invariants


_PREFIXES: dict[Kind, tuple[str, ...]] = {
    Kind.WMI_NAMESPACE: ("wmi:",),
    Kind.WMI_CLASS: ("wmi:",),
    Kind.WMI_PROPERTY: ("wmi:",),
    Kind.WMI_METHOD: ("wmi:",),
    Kind.REGISTRY_KEY: ("reg:",),
    Kind.REGISTRY_VALUE: ("reg:",),
    Kind.SERVICE: ("svc:",),
    Kind.EXECUTABLE: ("exe:",),
    Kind.SWITCH: ("arg:",),
    Kind.FILE: ("file:",),
    Kind.FOLDER: ("folder:", "env:"),
    Kind.SQL_TABLE: ("sql:",),
    Kind.SQL_COLUMN: ("sql:",),
    Kind.XML_ELEMENT: ("xml:",),
    Kind.XML_ATTRIBUTE: ("xml:",),
    Kind.ANSWER_VALUE: ("answer:",),
    Kind.OUTPUT: ("out:", "text:"),
    Kind.VERSION: ("ver:",),
    Kind.BEHAVIOUR: ("behaviour:",),
    Kind.PLATFORM: ("net:",),
    Kind.SQL_JOB: ("job:",),
    Kind.SQL_PROCEDURE: ("proc:",),
    Kind.SSIS_PACKAGE: ("ssis:",),
    Kind.CONFIG_KEY: ("config:",),
}


def test_ids_are_unique() -> None:
    counts = Counter(e.id for e in CATALOGUE)
    assert [i for i, n in counts.items() if n > 1] == []
    assert len(counts) == len(CATALOGUE)


def test_ids_carry_the_prefix_of_their_kind() -> None:
    assert set(_PREFIXES) == set(Kind)
    wrong = [
        (e.id, str(e.kind))
        for e in CATALOGUE
        if not re.match(r"^[a-z]+:\S", e.id) or not e.id.startswith(_PREFIXES[e.kind])
    ]
    assert wrong == []


def test_every_entry_has_a_source_and_a_name() -> None:
    assert [e.id for e in CATALOGUE if not e.source.strip()] == []
    assert [e.id for e in CATALOGUE if not e.name.strip()] == []


def test_inferred_entries_say_why() -> None:
    wrong = [
        e.id
        for e in CATALOGUE
        if e.confidence is Confidence.INFERRED
        and not (e.source.startswith("inferred:") and e.source[9:].strip())
    ]
    assert wrong == []


def test_only_inferred_entries_cite_inference() -> None:
    wrong = [
        e.id
        for e in CATALOGUE
        if e.confidence is not Confidence.INFERRED and e.source.startswith("inferred")
    ]
    assert wrong == []


def test_entries_below_documented_can_be_settled() -> None:
    unsettled = [
        e.id
        for e in CATALOGUE.below_documented()
        if e.probe is None and not e.settle.strip()
    ]
    assert unsettled == []


def test_probe_methods_are_known() -> None:
    used = {e.probe.method for e in CATALOGUE if e.probe is not None}
    assert used
    assert used - set(PROBE_METHODS) == set()


def _lab_probe_cases(rendered_text: str) -> set[str]:
    """The method labels of the probe ``switch`` in a rendered Test-DrLabFacts.ps1."""
    root = ps.parse(encode_text(rendered_text, ArtifactKind.POWERSHELL)).root_node
    switches = [
        n
        for n in _walk(root)
        if n.type == "switch_statement"
        and "$Probe.Method"
        in _text(n.child_by_field_name("condition") or n.children[1])
    ]
    assert len(switches) == 1
    return {
        _string_value(literal)
        for clause in _walk(switches[0])
        if clause.type == "switch_clause_condition"
        for literal in _all_literals(clause)
    }


@pytest.mark.oracle
def test_lab_probe_handles_every_probe_method(
    all_artifacts: list[RenderedArtifact],
) -> None:
    probes = [a for a in all_artifacts if a.path.name == "Test-DrLabFacts.ps1"]
    assert len(probes) == len(EXAMPLES)
    used = {item.method for v in VERSIONS for item in probe_items(v)}
    assert used
    for art in probes:
        cases = _lab_probe_cases(art.text)
        assert used - cases == set(), art.path
        # No case for a method the catalogue does not define (a stale label).
        assert cases - set(PROBE_METHODS) == set(), art.path


@pytest.mark.oracle
def test_lab_probe_case_reader_reads_labels_not_default() -> None:
    text = (
        "switch ($Probe.Method) {\n    'wmi-class' {\n        1\n    }\n"
        "    { $_ -in @('file', 'file-mentions') } {\n        2\n    }\n"
        "    default {\n        3\n    }\n}\n"
    )
    assert _lab_probe_cases(text) == {"wmi-class", "file", "file-mentions"}


# ---------------------------------------------------------------------- drgen facts


def test_facts_text_lists_every_entry(runner: CliRunner) -> None:
    result = runner.invoke(app, ["facts"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    listed = [
        line.split("  [", 1)[0]
        for line in lines
        if "  [" in line and not line.startswith(" ")
    ]
    assert sorted(listed) == sorted(e.id for e in CATALOGUE)
    counts = Counter(e.confidence for e in CATALOGUE)
    summary = ", ".join(f"{counts[c]} {c}" for c in Confidence)
    assert f"{len(CATALOGUE)} names used on BizTalk servers ({summary})" in lines[0]
    assert sum(counts.values()) == len(CATALOGUE)


def test_facts_json_has_every_entry(runner: CliRunner) -> None:
    result = runner.invoke(app, ["facts", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    entries = document["entries"]
    assert [e["id"] for e in entries] == [e.id for e in CATALOGUE]
    for data, entry in zip(entries, CATALOGUE, strict=True):
        assert {k: data[k] for k in ("id", "kind", "name", "source", "confidence")} == {
            "id": entry.id,
            "kind": str(entry.kind),
            "name": entry.name,
            "source": entry.source,
            "confidence": str(entry.confidence),
        }
        assert ("probe" in data) == (entry.probe is not None)
    counts = document["counts"]
    assert sum(counts.values()) == len(entries) == len(CATALOGUE)
    assert counts == {
        str(c): n for c, n in Counter(e.confidence for e in CATALOGUE).items()
    }


ENV_VARIABLE = re.compile(rb"\$env:([A-Za-z0-9_]+)", re.I)


@pytest.mark.oracle
def test_every_environment_variable_is_in_the_catalogue(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """$env:X is a name on the target too: each must be a catalogued env: entry."""
    known = names_with_prefix("env:", Kind.FOLDER)
    used: set[str] = set()
    for _, data in script_files(all_artifacts):
        for node in _walk(ps.parse(data).root_node):
            if node.type == "variable":
                found = ENV_VARIABLE.fullmatch(node.text or b"")
                if found:
                    used.add(found.group(1).decode())
    assert "COMPUTERNAME" in used  # not vacuous
    assert sorted(used - known) == []
    # And the checker sees an unknown one.
    bogus = b"Write-Host $env:DRGEN_NOT_A_WINDOWS_VARIABLE\n"
    names = {
        m.group(1).decode()
        for node in _walk(ps.parse(bogus).root_node)
        if node.type == "variable" and (m := ENV_VARIABLE.fullmatch(node.text or b""))
    }
    assert names - known == {"DRGEN_NOT_A_WINDOWS_VARIABLE"}


def test_every_fix_hint_names_the_module_that_holds_the_entry() -> None:
    """An ``if_failed`` that says where to change a name must say the right file."""
    from generator import catalogue as package

    folder = Path(package.__file__).parent
    holders = {
        entry.id: module.stem
        for module in sorted(folder.glob("*.py"))
        for entry in getattr(
            __import__(f"generator.catalogue.{module.stem}", fromlist=["ENTRIES"]),
            "ENTRIES",
            (),
        )
    }
    named = 0
    for entry in CATALOGUE:
        for file in re.findall(r"generator/catalogue/(\w+)\.py", entry.if_failed or ""):
            named += 1
            assert file == holders[entry.id], (entry.id, file)
    assert named >= 3
