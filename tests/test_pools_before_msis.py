"""Pools before MSIs, the scripts' side (issue 18, item 4).

An application MSI installed after Initialize-DrServer.ps1 may (re)create the IIS
application pool of an isolated host with autoStart on. Enable-DrServer.ps1 -NoStart
(Ready) must then stop it and turn autoStart off, every time it runs, and
Test-DrServer.ps1 -Expect Ready must fail while such a pool runs or starts with IIS.
Read on the parse tree with the evaluator of :mod:`tests.test_failover_safety`.
"""

from __future__ import annotations

import pytest

from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from tests import pwsh_oracle as ps
from tests.test_failover_safety import (
    argument_text,
    check_app_pool_changes,
    check_ready_report,
    clause_block,
    key,
    mutated,
    reachable,
    try_of,
)
from tests.test_fidelity import (
    Script,
    ancestors,
    command_nodes,
    keyword_statements,
    scripts,
    server_plans,
)

pytestmark = pytest.mark.oracle


def check_no_start_stops_pools(script: Script) -> None:
    """Set-DrAppPool -Running $false, once per pool, runs exactly under -NoStart on
    a server with pools (in the run block, past the failover steps), each pool in a
    try of its own whose failure is a problem, not the end of the run."""
    calls = [
        c
        for c in command_nodes(script.root, "Set-DrAppPool")
        if argument_text(c, "-Running").casefold() == "$false"
    ]
    assert len(calls) == 1, script
    (call,) = calls
    assert not any(a.type == "function_statement" for a in ancestors(call)), script
    loop = next(a for a in ancestors(call) if a.type == "foreach_statement")
    assert key(loop.named_children[1]) == "$apppools", script
    base = {"$whatifpreference": False, "$updated": True}
    for count, no_start, wanted in (
        (1, True, True),
        (2, True, True),
        (1, False, False),
        (0, True, False),
    ):
        env = {**base, "$apppools.count": count, "$nostart": no_start}
        assert reachable(call, env, script.root) is wanted, (script, count, no_start)
    statement, _ = try_of(call)
    catch = clause_block(statement, "catch_clause")
    assert catch is not None, script
    assert command_nodes(catch, "Write-DrProblem"), script
    assert not keyword_statements(catch, "throw"), script


def test_enable_no_start_stops_every_pool(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    planned = server_plans(plans)
    with_pools = 0
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_no_start_stops_pools(script)
        # -Running $false is autoStart off, then stopped, each only when needed
        # (so a second run changes nothing): the shared function, evaluated.
        check_app_pool_changes(script)
        with_pools += bool(planned[(script.stem, script.server)].app_pools)
    assert with_pools >= 1


def test_ready_fails_on_a_running_or_autostarting_pool(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Ready expects every pool Stopped with autoStart false (and Enable checks the
    same end state after -NoStart)."""
    for script in scripts(all_artifacts, "Test-DrServer.ps1", "Enable-DrServer.ps1"):
        check_ready_report(script)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # The -NoStart branch gone: Ready leaves the pools as an MSI left them.
        (
            "        elseif ($AppPools.Count -gt 0) {\n",
            "        elseif ($false) {\n",
        ),
        # Stopped only when it is not -NoStart.
        (
            "                    Set-DrAppPool -Name $pool -Running $false\n",
            "                    Set-DrAppPool -Name $pool -Running $true\n",
        ),
        # One failing pool ends the run (the others would stay started).
        (
            "                    Write-DrProblem -Message ('application pool {0}: {1}'",
            "                    throw ('application pool {0}: {1}'",
        ),
    ],
)
def test_counter_checker_fails_when_no_start_leaves_pools(
    all_artifacts: list[RenderedArtifact], old: str, new: str
) -> None:
    (script, *_) = [
        s
        for s in scripts(all_artifacts, "Enable-DrServer.ps1")
        if "$AppPools = @('" in s.art.text
    ]
    check_no_start_stops_pools(script)
    broken = mutated(script, old, new)
    assert not ps.syntax_problems(broken.data)
    with pytest.raises(AssertionError):
        check_no_start_stops_pools(broken)
