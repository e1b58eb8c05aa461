"""Templates take every name from ``n[...]``: rendered with a poisoned catalogue
(tests/support/poisoned.py), no real name is left in a script's code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tree_sitter import Node

from generator.catalogue import CATALOGUE, Kind
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.catalogue_names import (
    _EXECUTABLE,
    _REGISTRY,
    _WMI_CLASS,
    _all_literals,
    _assignments,
    _line,
    _string_value,
)
from tests.support.poisoned import (
    mutated_templates,
    poison_marker,
    render_poisoned,
    script_files,
)
from tests.support.pwsh_oracle import walk as _walk

# -------------------------------------------- templates take every name from n[...]


_POISON_SERVICES = ("ENTSSO", "Winmgmt", "MSDTC", "RuleEngineUpdateService")


# Left out on purpose: the lab probe's $Probes table. Its arguments are the probe
# arguments stored in each catalogue entry (Entry.probe.args), not looked up by id,
# so they are real names even in a poisoned render. Comments are not code (above).
_POISON_EXEMPT_TABLES = frozenset({"$probes"})


def _poisoned_code(data: bytes) -> tuple[list[Node], str]:
    """The code's string literals, and its text with comments and literals blanked."""
    root = ps.parse(data).root_node
    exempt = [
        value
        for variable, value, _ in _assignments(root)
        if variable in _POISON_EXEMPT_TABLES
    ]
    literals = [
        lit
        for lit in _all_literals(root)
        if not any(e.start_byte <= lit.start_byte < e.end_byte for e in exempt)
    ]
    blanked = bytearray(data)
    for node in _walk(root):
        if node.type in {"comment", "string_literal"}:
            span = data[node.start_byte : node.end_byte]
            blanked[node.start_byte : node.end_byte] = re.sub(rb"[^\n]", b" ", span)
    return literals, blanked.decode("utf-8", "replace")


def poison_problems(data: bytes) -> list[str]:
    """Real names in the code of a script rendered with a poisoned catalogue."""
    services = CATALOGUE.names(Kind.SERVICE) | set(_POISON_SERVICES)
    literals, code = _poisoned_code(data)
    problems = []
    for literal in literals:
        value = _string_value(literal)
        if (
            _WMI_CLASS.match(value)
            or _REGISTRY.match(value)
            or _EXECUTABLE.search(value)
            or value in services
            or value.startswith(CATALOGUE["svc:BTSSvc"])
        ):
            problems.append(f"line {_line(literal)}: literal {value!r}")
    words = "|".join(re.escape(s) for s in _POISON_SERVICES)
    bare = re.compile(
        rf"\b(?:MSBTS|Win32)_\w+|HKLM:|\b[\w.]+\.(?:exe|vbs)\b|\b(?:{words})\b"
    )
    for match in bare.finditer(code):
        line = code.count("\n", 0, match.start()) + 1
        problems.append(f"line {line}: bare word {match.group()!r}")
    return problems


@pytest.mark.oracle
def test_templates_take_names_from_the_catalogue(
    poisoned: list[RenderedArtifact], all_artifacts: list[RenderedArtifact]
) -> None:
    scripts = script_files(poisoned)
    # Every script of both examples, the same files as the real render.
    assert sorted(p for p, _ in scripts) == sorted(
        p for p, _ in script_files(all_artifacts)
    )
    problems = [f"{path}: {p}" for path, data in scripts for p in poison_problems(data)]
    assert problems == []
    # The poison reached the scripts (else this test proves nothing).
    text = "".join(data.decode("utf-8") for _, data in scripts)
    for entry_id in (
        "svc:ENTSSO",
        "svc:Winmgmt",
        "svc:MSDTC",
        "wmi:MSBTS_HostInstance",
        "reg:biztalk-admin",
        "exe:Configuration.exe",
        "file:UpdateDatabase.vbs",
        "svc:RuleEngineUpdateService",
        "svc:BTSSvc",
    ):
        assert poison_marker(entry_id) in text, entry_id


@pytest.mark.oracle
def test_poison_check_sees_a_spelled_out_name() -> None:
    script = (
        "<# .SYNOPSIS\n    MSDTC, 'Configuration.exe', HKLM:\\x #>\n"
        "# Winmgmt in a comment is fine\n"
        "$SsoService = '⟦svc:ENTSSO⟧'\n"
        "$dtc = Get-DrService -Name 'MSDTC'\n"
        "Restart-Service Winmgmt\n"
        "$exe = Join-Path -Path $p -ChildPath 'Configuration.exe'\n"
        "$k = 'HKLM:\\SOFTWARE\\Microsoft\\ENTSSO\\SQL'\n"
        "$c = 'MSBTS_HostInstance'\n"
        "$Probes = @('MSBTS_HostInstance', 'MSDTC')\n"
    )
    key = "HKLM:\\SOFTWARE\\Microsoft\\ENTSSO\\SQL"
    assert poison_problems(encode_text(script, ArtifactKind.POWERSHELL)) == [
        "line 5: literal 'MSDTC'",
        "line 7: literal 'Configuration.exe'",
        f"line 8: literal {key!r}",
        "line 9: literal 'MSBTS_HostInstance'",
        "line 6: bare word 'Winmgmt'",
    ]


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("template", "old", "new", "problem"),
    [
        (
            "_partials/release.ps1.jinja",
            "{{ n['svc:ENTSSO']|ps_str }}",
            "'ENTSSO'",
            "literal 'ENTSSO'",
        ),
        (
            "_partials/wmi-restart.ps1.jinja",
            "{{ n['svc:Winmgmt']|ps_str }}",
            "'Winmgmt'",
            "literal 'Winmgmt'",
        ),
        (
            "server/Initialize-DrServer.ps1.jinja",
            "Get-DrService -Name {{ n['svc:MSDTC']|ps_str }}",
            "Get-DrService -Name MSDTC",
            "bare word 'MSDTC'",
        ),
        (
            "_partials/helpers.ps1.jinja",
            "{{ n['wmi:MSBTS_HostInstance']|ps_str }}",
            "'MSBTS_HostInstance'",
            "literal 'MSBTS_HostInstance'",
        ),
        (
            "_partials/release.ps1.jinja",
            "{{ n['reg:rules']|ps_str }}",
            "'HKLM:\\SOFTWARE\\Microsoft\\BusinessRules\\3.0'",
            "literal 'HKLM:",
        ),
        (
            "_partials/helpers.ps1.jinja",
            "{{ n['exe:cscript.exe']|ps_str }}",
            "'cscript.exe'",
            "literal 'cscript.exe'",
        ),
        (
            "site/Update-DrGroupDatabases.ps1.jinja",
            "$scriptName = {{ n['file:UpdateDatabase.vbs']|ps_str }}",
            "$scriptName = 'UpdateDatabase.vbs'",
            "literal 'UpdateDatabase.vbs'",
        ),
    ],
)
def test_poison_check_fails_on_a_name_spelled_in_a_template(
    tmp_path: Path, template: str, old: str, new: str, problem: str
) -> None:
    """End to end: a template that spells a name itself fails the poisoned render."""
    templates = mutated_templates(tmp_path, template, old, new)
    arts = render_poisoned(templates, ("example",))
    found = [p for _, data in script_files(arts) for p in poison_problems(data)]
    assert any(problem in p for p in found), found
