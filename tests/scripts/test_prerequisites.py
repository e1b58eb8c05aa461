"""Prerequisites: the pre-flight finds the restore-folder script and 64-bit
cscript.exe, and a declined prerequisite stops the run.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

from typing import Final

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import (
    always_throws,
    clauses,
    holds,
    owner_if,
    reachable,
    reached_throws,
    should_process_clauses,
)
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    Checker,
    Script,
    function,
    mutated,
    scripts,
    scripts_with,
)
from tests.support.tree import (
    argument_text,
    assigned_variable,
    branch_block,
    command_nodes,
    condition,
    keyword_statements,
    strings,
    variables,
)

pytestmark = pytest.mark.oracle


# =========================================================== unattended secret restore


#: The script of the restore folder each pre-flight check looks for.
RESTORE_SCRIPTS: Final = {
    "Enable-DrServer.ps1": "UpdateRegistry.vbs",
    "Update-DrGroupDatabases.ps1": "UpdateDatabase.vbs",
}


def check_restore_script_preflight(script: Script) -> None:
    """Pre-flight stops when the restore-folder script or 64-bit cscript is missing."""
    preflight = function(script, "Assert-DrPreflight")
    calls = command_nodes(preflight, "Assert-DrRestoreScript")
    assert len(calls) == 1, script
    call = calls[0]
    assert argument_text(call, "-Name") == f"'{RESTORE_SCRIPTS[script.name]}'"
    bits64 = {"[environment]::is64bitprocess": True}
    assert reachable(call, bits64, preflight) is True, script
    helper = function(script, "Assert-DrRestoreScript")
    checks = [
        s
        for s in nodes(helper, "if_statement")
        if keyword_statements(branch_block(s), "throw")
    ]
    tested = [variables(condition(s)) for s in checks]
    for found in ("Get-DrRestoreFolder", "Get-DrCscript"):
        (lookup,) = command_nodes(helper, found)
        variable = assigned_variable(lookup)
        assert any(variable in t for t in tested), (script, found)
    assert not reached_throws(helper, {"test-path": True}), script
    assert reached_throws(helper, {"test-path": False}), script


def test_preflight_checks_restore_script_and_cscript(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Pre-flight: UpdateRegistry.vbs / UpdateDatabase.vbs and 64-bit cscript found."""
    for script in scripts(all_artifacts, *RESTORE_SCRIPTS):
        check_restore_script_preflight(script)


# =============================================== a declined prerequisite stops the run


#: (function, a literal or command inside the ShouldProcess block) per script.
DECLINES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "Enable-DrServer.ps1": (
        ("Update-DrRegistryReferences", "UpdateRegistry.vbs"),
        ("Restart-DrWmi", "Stop-DrService"),
        ("Enable-DrMasterSecretServer", "-updatedb"),
        ("Enable-DrMasterSecretServer", "-restoreSecret"),
    ),
    "Initialize-DrServer.ps1": (("Invoke-DrConfigurationJoin", "Start-Process"),),
    "Update-DrGroupDatabases.ps1": (("Update-DrGroupDatabases", "UpdateDatabase.vbs"),),
}


def check_declines(script: Script) -> None:
    """Each prerequisite's ShouldProcess is followed by elseif (-not $WhatIf) throw."""
    for function_name, marker in DECLINES[script.name]:
        fn = function(script, function_name)
        found = [
            clause
            for clause in should_process_clauses(fn)
            if marker in strings(branch_block(clause))
            or command_nodes(branch_block(clause), marker)
        ]
        assert len(found) == 1, (script, function_name, marker)
        chain = clauses(owner_if(found[0]))
        index = chain.index(found[0])
        assert index + 1 < len(chain), (script, function_name, marker)
        declined = chain[index + 1]
        assert declined.type == "elseif_clause", (script, function_name, marker)
        assert holds(declined, {"$whatifpreference": False}) is True, script
        assert holds(declined, {"$whatifpreference": True}) is False, script
        assert always_throws(branch_block(declined)), (script, function_name, marker)


def test_declined_prerequisite_stops_the_run(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Answering No to a prerequisite must not let later steps run without it."""
    for script in scripts(all_artifacts, *DECLINES):
        check_declines(script)


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "preflight-skips-restore-script": (
        "Update-DrGroupDatabases.ps1",
        check_restore_script_preflight,
        "    Assert-DrRestoreScript -Name 'UpdateDatabase.vbs'\n",
        "",
    ),
    "preflight-ignores-missing-cscript": (
        "Enable-DrServer.ps1",
        check_restore_script_preflight,
        "        throw ('64-bit cscript.exe not found at {0}.' -f $cscript)\n",
        "        Write-Warning ('64-bit cscript.exe not found at {0}.' -f $cscript)\n",
    ),
    "decline-throw-removed": (
        "Enable-DrServer.ps1",
        check_declines,
        "    elseif (-not $WhatIfPreference) {\n"
        "        throw 'UpdateRegistry.vbs was declined; nothing that needs the DR"
        " names was done.'\n"
        "    }\n",
        "",
    ),
    "decline-only-warns": (
        "Update-DrGroupDatabases.ps1",
        check_declines,
        "        throw ('UpdateDatabase.vbs was declined;",
        "        Write-Warning ('UpdateDatabase.vbs was declined;",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_counter_checker_fails_on_mutated_script(
    all_artifacts: list[RenderedArtifact], mutation: str
) -> None:
    """Counter-test: a checker that passes a rendered script must catch its mutation."""
    name, check, old, new = MUTATIONS[mutation]
    for script in scripts_with(all_artifacts, name, old):
        check(script)
        broken = mutated(script, old, new)
        assert not ps.syntax_problems(broken.data), mutation
        with pytest.raises(AssertionError):
            check(broken)
