"""The BizTalk registry references: UpdateRegistry.vbs runs again while any
value does not name DR, its output is searched, and each value is checked
between the update and the WMI restart.

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
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import reachable, should_process_clauses
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    ADMIN_KEY,
    ENABLE,
    RULES_KEY,
    SSO_SQL_KEY,
    Checker,
    Script,
    commands_in,
    counter,
    function,
    main_body,
    mutated,
    scripts,
    scripts_with,
    server_plans,
    top_assignment,
    top_string,
)
from tests.support.tree import (
    ancestors,
    argument_text,
    assigned_variable,
    before,
    branch_block,
    canonical,
    command_nodes,
    first_line,
    key,
    keyword_statements,
    loop_body,
    loop_variable,
    loops_over,
    match_comparisons,
    member_accesses,
    records,
    throws,
    variables,
)

pytestmark = pytest.mark.oracle


# =========================================== UpdateRegistry.vbs while any value is old


def check_registry_pending(script: Script) -> None:
    """UpdateRegistry.vbs runs again while any checked value does not name DR."""
    fn = function(script, "Update-DrRegistryReferences")
    assert not command_nodes(fn, "Get-DrRegistryValue"), script
    assert not command_nodes(fn, "Get-ItemProperty"), script
    (pending_call,) = command_nodes(fn, "Get-DrPendingRegistryReferences")
    variable = next(
        key(a.named_children[0])
        for a in ancestors(pending_call)
        if a.type == "assignment_expression"
    )
    (clause,) = should_process_clauses(fn)
    for count in (0, 1, 3):
        env = {f"{variable}.count": count, "shouldprocess()": True}
        assert reachable(clause, env, fn) is (count > 0), (script, count)
    pending = function(script, "Get-DrPendingRegistryReferences")
    (loop,) = loops_over(pending, "$RegistryChecks")
    item = loop_variable(loop)
    outputs = [
        s
        for s in nodes(loop_body(loop), "pipeline")
        if s.parent is not None
        and s.parent.type == "statement_list"
        and not nodes(s, "assignment_expression")
    ]
    assert len(outputs) == 1, script
    (read,) = command_nodes(loop, "Get-DrRegistryValue")
    assert argument_text(read, "-Path").casefold() == f"{item}.key", script
    assert argument_text(read, "-Name").casefold() == f"{item}.value", script
    cases = [
        ("SQLPROD01", False, True),
        ("SQLDR01", False, False),
        ("OTHER", False, True),
        ("", False, True),
        ("", True, False),
        ("SQLPROD01", True, True),
    ]
    for value, optional, wanted in cases:
        case: dict[str, object] = {
            "$value": value,
            f"{item}.optional": optional,
            f"{item}.dr": "SQLDR01",
            f"{item}.production": "SQLPROD01",
        }
        assert reachable(outputs[0], case, loop_body(loop)) is wanted, (script, case)


def test_update_registry_reruns_while_any_value_is_not_dr(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A half-done UpdateRegistry.vbs run must not be taken for a finished one."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_registry_pending(script)


# ========================================================= registry references checked


def test_registry_checks_name_production_and_dr(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """Management, SSO and (rules servers only) Rules Engine values are checked."""
    planned = server_plans(plans)
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        site = plans[script.stem].site
        server = planned[(script.stem, script.server)]
        rows = records(top_assignment(script, "RegistryChecks"))
        found = {(r["Key"], r["Value"]): (r["Production"], r["Dr"]) for r in rows}
        expected = {
            (ADMIN_KEY, "MgmtDBServer"): (
                site.production_mgmt.server,
                site.dr_mgmt.server,
            ),
            (SSO_SQL_KEY, "Server"): (site.production_sso.server, site.dr_sso.server),
        }
        if server.rules_engine:
            rules = site.update_info.rule_engine
            assert rules is not None
            expected[(RULES_KEY, "DatabaseServer")] = (
                rules.old_server,
                rules.new_server,
            )
        for reference, values in expected.items():
            assert found.get(reference) == values, (script, reference)
            (row,) = [r for r in rows if (r["Key"], r["Value"]) == reference]
            assert row["Optional"] == "$false", (script, reference)
        if not server.rules_engine:
            assert not [r for r in rows if "BusinessRules" in r["Key"]], script


def test_registry_is_checked_between_update_and_wmi_restart(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Values are read back after UpdateRegistry.vbs; drgen never writes them."""
    writers = {"set-itemproperty", "new-itemproperty", "remove-itemproperty"}
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        body = main_body(script)
        update = first_line(body, "Update-DrRegistryReferences")
        check = first_line(body, "Assert-DrRegistryReferences")
        restart = first_line(body, "Restart-DrWmi")
        assert update < check < restart, script
        assertion = function(script, "Assert-DrRegistryReferences")
        assert not [
            c for c in commands_in(script, assertion) if canonical(c) in writers
        ], script
        assert not [c for c in ps.commands(script.data) if canonical(c) in writers]
        assert any(
            "$registrychecks" in variables(loop.named_children[1])
            for loop in nodes(assertion, "foreach_statement")
        ), script
        assert throws(assertion), script


# =============================================== UpdateRegistry.vbs output is searched


UPDATE_REGISTRY_ERROR: Final = (
    r"C:\Program Files (x86)\Microsoft BizTalk Server\Schema\Restore\UpdateRegistry.vbs"
    "(58, 5) Microsoft VBScript runtime error: Permission denied"
)


def check_update_registry_output(script: Script) -> None:
    """An error line of cscript in UpdateRegistry.vbs's output fails the run."""
    assert top_string(script, "ScriptErrorPattern") == CATALOGUE["out:cscript-error"]
    pattern = CATALOGUE["out:cscript-error"]
    assert re.search(pattern, UPDATE_REGISTRY_ERROR, re.IGNORECASE)
    assert not re.search(pattern, "Updating registry keys ...", re.IGNORECASE)
    fn = function(script, "Update-DrRegistryReferences")
    (run,) = command_nodes(fn, "Invoke-DrNative")
    result = assigned_variable(run)
    matches = match_comparisons(fn, "ScriptErrorPattern")
    assert len(matches) == 1, script
    (match,) = matches
    assert before(run, match), script
    found = assigned_variable(match)
    assignment = next(a for a in ancestors(match) if a.type == "assignment_expression")
    assert (result, "lines") in {
        (t.casefold(), m.casefold()) for t, m in member_accesses(assignment)
    }, script
    (clause,) = should_process_clauses(fn)
    block = branch_block(clause)
    stops = [
        t
        for t in keyword_statements(block, "throw")
        if before(match, t) and found in variables(t.parent or t)
    ]
    assert stops, script
    for count, wanted in ((0, False), (1, True), (3, True)):
        env = {f"{found}.count": count, f"{result}.exitcode": 0}
        assert reachable(stops[0], env, block) is wanted, (script, count)
    (done,) = command_nodes(block, "Write-DrChanged")
    assert (
        reachable(done, {f"{found}.count": 1, f"{result}.exitcode": 0}, block) is False
    )


def test_update_registry_error_lines_fail_the_run(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Cscript may exit 0 after a VBScript error: its output decides too."""
    for script in scripts(all_artifacts, ENABLE):
        check_update_registry_output(script)


def test_update_registry_output_checker_catches_its_mutation(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Counter-test: output not searched."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(
            script,
            check_update_registry_output,
            "{ $_ -match $ScriptErrorPattern }",
            "{ $false }",
        )


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "registry-decided-by-one-value": (
        "Enable-DrServer.ps1",
        check_registry_pending,
        "    $pending = @(Get-DrPendingRegistryReferences)\n",
        "    $pending = @(Get-DrRegistryValue -Path $AdminRegistryKey"
        " -Name 'MgmtDBServer' | Where-Object { $_ -ne $DrMgmtServer })\n",
    ),
    "pending-only-when-production": (
        "Enable-DrServer.ps1",
        check_registry_pending,
        "        if ($value -ne $check.Dr) {",
        "        if ($value -eq $check.Production) {",
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
