"""Application pools of isolated hosts: dormant, then enabled; autoStart and
state set by appcmd only when they differ, each change asked on its own;
-NoStart starts none and stops those an application MSI started.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

from typing import Final

import pytest
from tree_sitter import Node

from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import (
    Env,
    evaluate,
    reachable,
    run,
    should_process_clauses,
    statements,
)
from tests.support.inventories import (
    consolidated_text,
    diagnostics_with,
    edit,
    plan_error,
)
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    CHANGING_SERVER,
    SERVER_SCRIPTS,
    Checker,
    Script,
    commands_in,
    function,
    locate,
    main_body,
    mutated,
    scripts,
    scripts_with,
    server_plans,
    top_assignment,
)
from tests.support.tree import (
    ancestors,
    argument,
    argument_text,
    branch_block,
    clause_block,
    command_nodes,
    condition,
    first_line,
    in_function,
    key,
    keyword_statements,
    named,
    parameter_value,
    strings,
    try_of,
    variables,
    within,
)

pytestmark = pytest.mark.oracle


# =================================================================== -NoStart is Ready


def check_enable_app_pools(script: Script) -> int:
    """Set-DrAppPool -Running $true runs only without -NoStart; returns how many.

    (-NoStart's own -Running $false call: check_no_start_stops_pools below.)
    """
    calls = [
        c
        for c in command_nodes(script.root, "Set-DrAppPool")
        if argument_text(c, "-Running").casefold() == "$true"
    ]
    env = {"$whatifpreference": False, "$updated": True}
    for call in calls:
        assert not in_function(call), script
        assert argument_text(call, "-Running").casefold() == "$true", script
        loop = next(a for a in ancestors(call) if a.type == "foreach_statement")
        assert key(loop.named_children[1]) == "$apppools", script
        pools = {**env, "$apppools.count": 1}
        ready = reachable(call, {**pools, "$nostart": True}, script.root)
        active = reachable(call, {**pools, "$nostart": False}, script.root)
        none = reachable(
            call, {**env, "$apppools.count": 0, "$nostart": False}, script.root
        )
        assert ready is False, script
        assert active is True, script
        # The code is the same on every server: a server without pools skips it.
        assert none is False, script
        guards = [
            s
            for s in ancestors(call)
            if s.type == "if_statement"
            and "-not $nostart" in key(condition(s))
            and within(call, branch_block(s))
        ]
        assert guards, script
    return len(calls)


def appcmd_arguments(call: Node, env: Env) -> list[object]:
    """The values of an ``Invoke-DrNative -ArgumentList @(...)`` under ``env``."""
    value = argument(call, "-ArgumentList")
    assert value is not None, text(call)[:60]
    listed = evaluate(value, env)
    assert isinstance(listed, list), text(value)
    return listed


#: (-Running, pool state, autoStart read) -> the appcmd runs Set-DrAppPool makes.
POOL_CASES: Final[dict[tuple[bool, str, str], list[list[str]]]] = {
    (False, "Started", "true"): [
        ["set", "apppool", "Pool", "/autoStart:false"],
        ["stop", "apppool", "/apppool.name:Pool"],
    ],
    (False, "Stopped", "true"): [["set", "apppool", "Pool", "/autoStart:false"]],
    (False, "Started", "false"): [["stop", "apppool", "/apppool.name:Pool"]],
    (False, "Stopped", "false"): [],
    (True, "Stopped", "false"): [
        ["set", "apppool", "Pool", "/autoStart:true"],
        ["start", "apppool", "/apppool.name:Pool"],
    ],
    (True, "Started", "false"): [["set", "apppool", "Pool", "/autoStart:true"]],
    (True, "Stopped", "true"): [["start", "apppool", "/apppool.name:Pool"]],
    (True, "Started", "true"): [],
    (False, "missing", "missing"): [],
    (True, "no IIS", "no IIS"): [],
}


def check_app_pool_changes(script: Script) -> None:
    """Set-DrAppPool: -Running $false turns autoStart off and stops the pool, $true
    turns it on and starts it; each appcmd change asks ShouldProcess on its own and
    runs only when the pool is not that way already."""
    fn = function(script, "Set-DrAppPool")
    body = nodes(fn, "script_block_body")[0]
    natives = command_nodes(fn, "Invoke-DrNative")
    asks = should_process_clauses(fn)
    assert len(natives) == len(asks) == 2, script
    for native, ask in zip(natives, asks, strict=True):
        assert within(native, branch_block(ask)), script
    top = statements(body)
    tracked = dict.fromkeys(
        key(a.named_children[0]) for a in nodes(body, "assignment_expression")
    )
    for (running, state, auto), expected in POOL_CASES.items():
        for approve in (True, False):
            env = {
                "$running": running,
                "$name": "Pool",
                "get-drapppoolstate": state,
                "get-drapppoolautostart": auto,
                "shouldprocess()": approve,
                "$result.exitcode": 0,
            }
            ran: list[list[object]] = []
            for native in natives:
                # The variables as the statement holding the call begins.
                at = next(i for i, s in enumerate(top) if within(native, s))
                cases = [{**env, **b} for b in run(top[:at], env, tracked)]
                verdicts = {reachable(native, case, top[at]) for case in cases}
                assert len(verdicts) < 2, (script, env)
                assert None not in verdicts, (script, env)
                if True in verdicts:
                    values = [appcmd_arguments(native, case) for case in cases]
                    assert all(v == values[0] for v in values), (script, env)
                    ran.append(values[0])
            wanted = expected if approve else []
            assert ran == wanted, (script, running, state, auto, approve, ran)


def test_no_start_leaves_app_pools_stopped(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """-NoStart must not turn on or start an isolated host's application pool."""
    planned = server_plans(plans)
    seen = 0
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        assert check_enable_app_pools(script) == 1, script
        seen += bool(planned[(script.stem, script.server)].app_pools)
    assert seen >= 1


def test_app_pools_stopped_with_autostart_off_or_started_with_it_on(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """Set-DrAppPool -Running $false is autoStart off and stop, $true the
    reverse (every changing server script has it: the code is the same on every
    server; a server without pools has $AppPools = @())."""
    planned = server_plans(plans)
    seen = 0
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_app_pool_changes(script)
        seen += bool(planned[(script.stem, script.server)].app_pools)
    assert seen == 3


# ======================================================================= counter-tests


def test_counter_app_pools_started_under_no_start(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Counter-test: pools started outside `if (-not $NoStart)` must be caught."""
    with_pools = [
        s
        for s in scripts(all_artifacts, "Enable-DrServer.ps1")
        if command_nodes(s.root, "Set-DrAppPool")
    ]
    assert with_pools
    for script in with_pools:
        assert check_enable_app_pools(script) == 1
        broken = mutated(
            script,
            "        if (($AppPools.Count -gt 0) -and -not $NoStart) {\n",
            "        if ($AppPools.Count -gt 0) {\n",
        )
        with pytest.raises(AssertionError):
            check_enable_app_pools(broken)


# ======================================== -NoStart stops the pools an MSI started
#
# An application MSI installed after Initialize-DrServer.ps1 may (re)create the IIS
# application pool of an isolated host with autoStart on (issue 18, item 4).
# Enable-DrServer.ps1 -NoStart (Ready) must then stop it and turn autoStart off,
# every time it runs; Test-DrServer.ps1 -Expect Ready fails while such a pool runs
# or starts with IIS (test_state_checks.py: check_ready_report).


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


# ================================================================= isolated hosts, IIS


def test_app_pools_follow_the_isolated_hosts(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """The pools of isolated hosts are data of every server script."""
    planned = server_plans(plans)
    assert planned[("consolidated", "FABDRBTS01")].app_pools == ("FabrikamWebReceive",)
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        pools = strings(top_assignment(script, "AppPools"))
        assert pools == list(planned[(script.stem, script.server)].app_pools), script
        if (script.stem, script.server) == ("consolidated", "FABDRBTS01"):
            assert pools == ["FabrikamWebReceive"]


def test_pools_dormant_then_enabled(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """Pools are stopped with autoStart off while dormant, started at failover."""
    planned = server_plans(plans)
    with_pools = 0
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        pools = planned[(script.stem, script.server)].app_pools
        body = main_body(script)
        # The same code on every server (a server without pools has none listed):
        # $AppPools in the data block is exactly the plan's.
        assert strings(top_assignment(script, "AppPools")) == list(pools), script
        with_pools += bool(pools)
        if script.name in {"Initialize-DrServer.ps1", "Disable-DrServer.ps1"}:
            (call,) = command_nodes(script.root, "Set-DrAppPool")
            loop = next(a for a in ancestors(call) if a.type == "foreach_statement")
            assert "$apppools" in variables(loop.named_children[1]), script
            (dormant,) = named(commands_in(script, call), "Set-DrAppPool")
            assert parameter_value(dormant, "-Running") == "$false", script
            pool = function(script, "Set-DrAppPool")
            natives = named(commands_in(script, pool), "Invoke-DrNative")
            assert len(natives) == 2, script
            assert all(c.guarded for c in natives), script
            arguments = [" ".join(c.arguments) for c in natives]
            assert [a for a in arguments if "'set'" in a and "'/autoStart:'" in a]
            assert [a for a in arguments if "'/apppool.name:'" in a], script
            # The values -Running $false gives them ('/autoStart:false', 'stop'):
            # check_app_pool_changes (above) evaluates the function.
            assert "stop" in strings(pool), script
        if script.name == "Enable-DrServer.ps1":
            hosts = first_line(body, "Enable-DrHostInstance")
            # -NoStart stops them (check_no_start_stops_pools); this one starts them.
            (running,) = [
                c
                for c in named(body, "Set-DrAppPool")
                if parameter_value(c, "-Running") == "$true"
            ]
            assert running.line > hosts, script
        if script.name == "Test-DrServer.ps1":
            report = function(script, "Get-DrStateReport")
            loops = [
                loop
                for loop in nodes(report, "foreach_statement")
                if "$apppools" in variables(loop.named_children[1])
            ]
            assert len(loops) == 1, script
            inner = {c.name for c in commands_in(script, loops[0])}
            assert {"Get-DrAppPoolState", "Get-DrAppPoolAutoStart"} <= inner, script
    assert with_pools == 4


def test_isolated_host_without_pools_is_rejected(write_inventory) -> None:
    """An isolated host must name its IIS application pools."""
    source = edit(consolidated_text(), "      app_pools: [FabrikamWebReceive]\n", "")
    error = plan_error(write_inventory(source))
    (found,) = diagnostics_with(error, "isolated-without-app-pools")
    assert found.severity == "error"
    assert found.location.line == locate(source, "- name: WebReceiveHost")
    assert found.location.column > 0


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "app-pool-dormant-keeps-autostart": (
        "Disable-DrServer.ps1",
        check_app_pool_changes,
        "    $autoStart = ([string]$Running).ToLowerInvariant()\n",
        "    $autoStart = 'true'\n",
    ),
    "app-pool-dormant-starts": (
        "Initialize-DrServer.ps1",
        check_app_pool_changes,
        "        $verb = 'stop'\n",
        "        $verb = 'start'\n",
    ),
    "app-pool-stopped-unasked": (
        "Disable-DrServer.ps1",
        check_app_pool_changes,
        "    elseif ($PSCmdlet.ShouldProcess($Name, ('Set the application pool from"
        " {0} to {1}' -f $state, $wanted))) {\n",
        "    else {\n",
    ),
    "app-pool-stopped-again": (
        "Initialize-DrServer.ps1",
        check_app_pool_changes,
        "    if ($state -eq $wanted) {\n",
        "    if ($false) {\n",
    ),
    "app-pool-started-when-missing": (
        "Enable-DrServer.ps1",
        check_app_pool_changes,
        "    if (@('missing', 'no IIS') -contains $state) {\n",
        "    if (@('missing') -contains $state) {\n",
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
