"""Update-DrGroupDatabases.ps1: UpdateDatabase.vbs error lines fail the run,
the reference queries cover every reference, and -UseMsOleDbSql finds the
provider line by pattern.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import re
from typing import Final

import pytest

from generator.catalogue import CATALOGUE
from generator.render.artifacts import RenderedArtifact
from tests.support.evaluator import (
    always_throws,
    evaluate,
    reachable,
    should_process_clauses,
)
from tests.support.inventories import inventory
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    UPDATE,
    Script,
    counter,
    function,
    scripts,
    top_assignment,
    top_string,
)
from tests.support.tree import (
    ancestors,
    assigned_variable,
    before,
    branch_block,
    command_nodes,
    condition,
    key,
    match_comparisons,
    member_accesses,
    method_calls,
    strings,
    throws_when,
    variables,
)

pytestmark = pytest.mark.oracle


# ============================================================= Update-DrGroupDatabases


def test_error_lines_fail_the_update(all_artifacts: list[RenderedArtifact]) -> None:
    """UpdateDatabase.vbs prints 'Error: ...', exits 0; such lines fail the run."""
    for script in scripts(all_artifacts, "Update-DrGroupDatabases.ps1"):
        assert (
            top_string(script, "UpdateDatabaseErrorPattern")
            == CATALOGUE["out:updatedatabase-error"]
        )
        assert (
            top_string(script, "ScriptErrorPattern") == CATALOGUE["out:cscript-error"]
        )
        update = function(script, "Update-DrGroupDatabases")
        runs = [
            c
            for c in command_nodes(update, "Invoke-DrNative")
            if command_nodes(c, "Get-DrCscript")
        ]
        assert len(runs) == 1, script
        run = assigned_variable(runs[0])
        for pattern in ("UpdateDatabaseErrorPattern", "ScriptErrorPattern"):
            (match,) = match_comparisons(update, pattern)
            assert match.start_byte > runs[0].end_byte, script
            assignment = next(
                a for a in ancestors(match) if a.type == "assignment_expression"
            )
            assert (run, "lines") in {
                (t.casefold(), m.casefold()) for t, m in member_accesses(assignment)
            }, script
            assert throws_when(update, assigned_variable(match)), script


def test_catalogue_patterns_match_what_the_tools_print() -> None:
    """The patterns catch UpdateDatabase.vbs and cscript errors, not info lines."""

    def matches(pattern: str, sample: str) -> bool:
        # PowerShell's -match is case-insensitive.
        return re.search(pattern, sample, re.IGNORECASE) is not None

    error, script_error = (
        CATALOGUE["out:updatedatabase-error"],
        CATALOGUE["out:cscript-error"],
    )
    assert matches(error, "Error: Failed to update the BAM databases: x")
    assert matches(
        script_error,
        "C:\\x\\UpdateDatabase.vbs(120, 2) Microsoft OLE DB Provider for SQL Server: "
        "Invalid",
    )
    for info in ("Info: Updating the adm_Group table", "Updating the adm_Group table"):
        assert not matches(error, info)
        assert not matches(script_error, info)


_QUERY = re.compile(
    r"^SELECT N'[^']*'(?: \+ \w+)?, (?P<column>\w+), N'(?P<form>\w+)' "
    r"FROM dbo\.(?P<table>\w+)$"
)


def reference_queries(script: Script) -> set[tuple[str, str, str]]:
    """``(table, column, form)`` of each query in ``$ReferenceQueries``."""
    found = set()
    for query in strings(top_assignment(script, "ReferenceQueries")):
        parsed = _QUERY.match(query)
        assert parsed is not None, query
        found.add((parsed["table"], parsed["column"], parsed["form"]))
    return found


def test_reference_queries_cover_every_reference(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Every management-database reference to another database is read back."""
    for script in scripts(all_artifacts, "Update-DrGroupDatabases.ps1"):
        dbs = inventory(script.stem).group.databases
        queries = reference_queries(script)
        required = {
            ("adm_Group", "SubscriptionDBServerName", "server"),
            ("adm_Group", "TrackingDBServerName", "server"),
            ("adm_MessageBox", "DBServerName", "server"),
            ("TDDS_Destinations", "ConnectionString", "connection"),
            # UpdateDatabase.vbs rewrites a MessageBox's tracking source only WHERE
            # SourceName = '<oldServer>_<oldDB>': a miss leaves DR tracking reading
            # production MessageBoxes (public copies of UpdateDatabase.vbs).
            ("TDDS_Sources", "ConnectionString", "connection"),
            ("adm_OtherBackupDatabases", "ServerName", "server"),
            # ... and adm_OtherDatabases beside adm_OtherBackupDatabases.
            ("adm_OtherDatabases", "ServerName", "server"),
        }
        assert required <= queries, script
        rules = ("adm_Group", "RuleEngineDBServerName", "server")
        bam = ("adm_Group", "BamDBServerName", "server")
        assert (rules in queries) == (dbs.rule_engine is not None), script
        assert (bam in queries) == (dbs.bam is not None), script
        assert (bam in queries) == (script.stem == "consolidated"), script
        stale = function(script, "Get-DrStaleReferences")
        assert any(
            "$referencequeries" in variables(loop.named_children[1])
            for loop in nodes(stale, "foreach_statement")
        ), script


# ======================================== -UseMsOleDbSql: the provider line by pattern


VBS_SAMPLES: Final = {
    'Set conn = CreateObject("ADODB.Connection")\r\nconn.Provider = "SQLOLEDB"\r\n': (
        'Set conn = CreateObject("ADODB.Connection")\r\n'
        'conn.Provider = "MSOLEDBSQL"\r\n',
        ["SQLOLEDB"],
    ),
    '  conn.Provider="SQLOLEDB"\r\n': (
        '  conn.Provider="MSOLEDBSQL"\r\n',
        ["SQLOLEDB"],
    ),
    '\tConn.provider  =  "SQLNCLI11" \' old\r\n': (
        '\tConn.provider  =  "MSOLEDBSQL" \' old\r\n',
        ["SQLNCLI11"],
    ),
    'a.Provider = "SQLOLEDB"\r\nconn.Provider = "SQLOLEDB"\r\nx = 1\r\n': (
        'a.Provider = "SQLOLEDB"\r\nconn.Provider = "MSOLEDBSQL"\r\nx = 1\r\n',
        ["SQLOLEDB"],
    ),
    'conn.ConnectionString = "Provider=SQLOLEDB"\r\n': (
        'conn.ConnectionString = "Provider=SQLOLEDB"\r\n',
        [],
    ),
}


def dotnet_pattern(pattern: str) -> str:
    """A .NET pattern with named groups, as Python's ``re`` spells them."""
    return pattern.replace("(?<", "(?P<")


def dotnet_replacement(replacement: str) -> str:
    return re.sub(r"\$\{(\w+)\}", r"\\g<\1>", replacement)


def check_provider_copy(script: Script) -> None:
    """The copy sets MSOLEDBSQL in place of whatever provider each conn.Provider line
    names, keeps every other byte, and a script with no such line stops the run
    before anything is written or run."""
    pattern = top_string(script, "ProviderLinePattern")
    assert pattern == CATALOGUE["text:provider-line"], script
    assert (
        top_string(script, "NewProviderName")
        == CATALOGUE["text:provider-name-msoledbsql"]
    )
    assert (
        top_string(script, "OldProviderName")
        == CATALOGUE["text:provider-name-sqloledb"]
    )
    fn = function(script, "Update-DrGroupDatabases")
    replaces = [
        c
        for c in nodes(fn, "comparison_expression")
        if key(next(o for o in c.named_children if o.type == "comparison_operator"))
        == "-replace"
    ]
    assert len(replaces) == 1, script
    (replace,) = replaces
    right = replace.named_children[-1]
    pieces = [c for c in right.named_children if c.type != "comment"]
    assert len(pieces) == 2, script
    assert key(pieces[0]) == "$providerlinepattern", script
    replacement = evaluate(pieces[1], {"$newprovidername": "MSOLEDBSQL"})
    assert isinstance(replacement, str), script
    assert not [
        m
        for m, target, _, _ in method_calls(fn)
        if m in {"Contains", "Replace"} and target.casefold() == "$original"
    ], script
    # What Get-DrProviderNames returns, per line: the value group of the pattern.
    names = function(script, "Get-DrProviderNames")
    assert [c for m, _, _, c in method_calls(names) if m == "Match"], script
    assert "value" in strings(names), script
    compiled = re.compile(dotnet_pattern(pattern))
    for sample, (wanted, providers) in VBS_SAMPLES.items():
        found = [
            m.group("value")
            for line in sample.split("\n")
            if (m := compiled.search(line))
        ]
        assert found == providers, (script, sample)
        copy = compiled.sub(dotnet_replacement(replacement), sample)
        assert copy == wanted, (script, sample, copy)
    # No line: a throw before the copy is written and before cscript runs.
    (count_check,) = [
        s
        for s in nodes(fn, "if_statement")
        if key(condition(s)) == "$before.count -eq 0"
    ]
    assert always_throws(branch_block(count_check)), script
    (clause,) = should_process_clauses(fn)
    writes = [c for m, _, _, c in method_calls(fn) if m == "WriteAllText"]
    (run,) = command_nodes(fn, "Invoke-DrNative")
    assert writes, script
    assert all(before(count_check, w) for w in writes), script
    assert before(count_check, run), script
    env = {"$usemsoledbsql": True, "$before.count": 0, "shouldprocess()": True}
    assert reachable(count_check, env, branch_block(clause)) is True, script


def test_provider_matched_by_pattern(all_artifacts: list[RenderedArtifact]) -> None:
    """A spacing or provider other than the documented text still works, and a
    script without a provider line still stops the run."""
    for script in scripts(all_artifacts, UPDATE):
        check_provider_copy(script)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("('${lead}' + $NewProviderName + '${trail}')", "('' + $NewProviderName + '')"),
        (
            "$ProviderLinePattern = '(?i)(?<lead>conn\\.Provider[ \\t]*=[ \\t]*\")",
            "$ProviderLinePattern = '(?<lead>conn\\.Provider = \")",
        ),
    ],
)
def test_provider_copy_checker_catches_its_mutations(
    all_artifacts: list[RenderedArtifact], old: str, new: str
) -> None:
    """Counter-test: the whole match replaced; the documented text only."""
    for script in scripts(all_artifacts, UPDATE):
        counter(script, check_provider_copy, old, new)
