"""-WhatIf tells the truth: it reports what the real run would do (the WMI
restart, the registry update) and does not fail under StrictMode where the
real run would not.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support.evaluator import (
    NULL,
    reachable,
    should_process_clauses,
    strict,
    truthy,
)
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import ENABLE, Checker, Script, counter, function, scripts
from tests.support.tree import (
    assigned_variable,
    before,
    branch_block,
    command_nodes,
    condition,
    key,
    keyword_statements,
    variables,
)

pytestmark = pytest.mark.oracle


# ============================================================= -WhatIf tells the truth


def check_wmi_what_if(script: Script) -> None:
    """Without a pending marker, WMI is restarted only when UpdateRegistry.vbs runs:
    under -WhatIf, when a value still has to move; in a real run, never."""
    fn = function(script, "Restart-DrWmi")
    (clause,) = should_process_clauses(fn)
    (in_place,) = command_nodes(fn, "Write-DrInPlace")
    pending = "@(get-drpendingregistryreferences).count"
    for what_if, marker, count, restarts in (
        (True, False, 0, False),
        (True, False, 2, True),
        (True, True, 0, True),
        (False, False, 0, False),
        (False, False, 2, False),
        (False, True, 0, True),
    ):
        env = {
            "$whatifpreference": what_if,
            "test-path": marker,
            pending: count,
            "shouldprocess()": True,
        }
        assert reachable(clause, env, fn) is restarts, (script, env)
        assert reachable(in_place, env, fn) is (not restarts), (script, env)


def check_registry_what_if(script: Script) -> None:
    """A value still naming production stops a real run after UpdateRegistry.vbs;
    under -WhatIf it is reported (the real run would run UpdateRegistry.vbs first)."""
    fn = function(script, "Assert-DrRegistryReferences")
    (report,) = [
        s
        for s in nodes(fn, "if_statement")
        if key(condition(s)).startswith("$wrong.count")
    ]
    block = branch_block(report)
    (stop,) = keyword_statements(block, "throw")
    told = [
        w for w in command_nodes(block, "Write-Host") if "UpdateRegistry.vbs" in text(w)
    ]
    assert len(told) == 1, script
    for what_if in (False, True):
        env = {"$whatifpreference": what_if, "$wrong.count": 2}
        assert reachable(stop, env, fn) is (not what_if), script
        assert reachable(told[0], env, fn) is what_if, script
    assert reachable(stop, {"$whatifpreference": False, "$wrong.count": 0}, fn) is False


def test_what_if_reports_what_the_real_run_would_do(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """-WhatIf neither invents a WMI restart nor stops where a run would not."""
    for script in scripts(all_artifacts, ENABLE):
        check_wmi_what_if(script)
        check_registry_what_if(script)


@pytest.mark.parametrize(
    ("checker", "old", "new"),
    [
        (
            check_wmi_what_if,
            "        if (-not ($WhatIfPreference -and"
            " (@(Get-DrPendingRegistryReferences).Count -gt 0))) {",
            "        if (-not $WhatIfPreference) {",
        ),
        (
            check_registry_what_if,
            "        if ($WhatIfPreference) {\n            # Each of these values",
            "        if ($false) {\n            # Each of these values",
        ),
    ],
)
def test_what_if_checkers_catch_their_mutations(
    all_artifacts: list[RenderedArtifact], checker: Checker, old: str, new: str
) -> None:
    """Counter-test: the -WhatIf restart without a marker; the -WhatIf throw."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(script, checker, old, new)


# =============================================== no property of $null under StrictMode


def check_what_if_sso_missing(script: Script) -> None:
    """Under -WhatIf with ENTSSO not installed the promotion prints and returns,
    without reading .Status of $null; with ENTSSO running it goes on."""
    promote = function(script, "Enable-DrMasterSecretServer")
    early = [
        s
        for s in nodes(promote, "if_statement")
        if "$whatifpreference" in variables(condition(s))
        and keyword_statements(branch_block(s), "return")
    ]
    assert len(early) == 1, script
    test = condition(early[0])
    lookups = {
        assigned_variable(c)
        for c in command_nodes(promote, "Get-DrService")
        if before(c, early[0])
    }
    for found, status, what_if, returns in (
        (NULL, None, True, True),
        ("<ServiceController>", "Stopped", True, True),
        ("<ServiceController>", "Running", True, False),
        (NULL, None, False, False),
    ):
        env: dict[str, object] = {"$whatifpreference": what_if, "get-drservice": found}
        for variable in lookups:
            env[variable] = found
            if status is not None:
                env[f"[string]{variable}.status"] = status
        assert truthy(strict(test, env)) is returns, (script, env)


def test_what_if_without_entsso_is_not_a_strict_mode_error(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """(Get-DrService ENTSSO).Status of $null stops -WhatIf under StrictMode."""
    for script in scripts(all_artifacts, ENABLE):
        check_what_if_sso_missing(script)
        assert not [
            a
            for a in nodes(script.root, "member_access")
            if a.named_children[0].type == "parenthesized_expression"
            and command_nodes(a.named_children[0], "Get-DrService")
        ], script


def test_what_if_sso_missing_checker_catches_its_mutation(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Counter-test: the status read on the command's result again."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(
            script,
            check_what_if_sso_missing,
            "(($null -eq $sso) -or ([string]$sso.Status -ne 'Running'))",
            "([string](Get-DrService -Name $SsoService).Status -ne 'Running')",
        )
