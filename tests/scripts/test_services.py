"""Windows services: stopped with their dependents and pending states waited
out, the stop order a reversed copy, no Restart-Service, bounded waits.

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
    NULL,
    reachable,
    reached_throws,
    should_process_clauses,
)
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    CHANGING_SERVER,
    ENABLE,
    Checker,
    Script,
    counter,
    function,
    mutated,
    scripts,
    scripts_with,
)
from tests.support.tree import (
    ancestors,
    argument,
    argument_text,
    assigned_variable,
    before,
    branch_block,
    call_arguments,
    calls,
    canonical,
    command_nodes,
    condition,
    has_parameter,
    key,
    keyword_statements,
    line,
    loop_body,
    loop_variable,
    member_accesses,
    method_calls,
    one,
    only_assignment,
    variables,
    verbatim,
    within,
)

pytestmark = pytest.mark.oracle


# ===================================================================== the WMI restart


def check_no_restart_service(script: Script) -> None:
    """No Restart-Service: it ends at the first failing dependent, waits unbounded."""
    found = [
        c
        for c in ps.commands(script.data)
        if ps.ALIAS_TARGETS.get(c.name.casefold(), c.name).casefold()
        == "restart-service"
    ]
    assert not found, (script, [c.line for c in found])


def test_no_restart_service_anywhere(all_artifacts: list[RenderedArtifact]) -> None:
    """Restart-Service must not be used (unbounded wait, first failure ends it)."""
    for script in scripts(all_artifacts):
        check_no_restart_service(script)


# ================================================================ PowerShell 5.1 traps


def test_no_restart_service_and_bounded_waits(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Restart-Service and one-argument WaitForStatus wait without a bound."""
    for script in scripts(all_artifacts):
        assert not [
            c for c in ps.commands(script.data) if canonical(c) == "restart-service"
        ], script
        for method, _, arguments, call in method_calls(script.root):
            if method.casefold() == "waitforstatus":
                assert len(arguments) == 2, (script, line(call))


# ====================================================== the stop order reverses a copy


def check_reverse_copy(script: Script) -> None:
    """Restart-DrWmi reverses an explicit copy of $Services, never $Services."""
    fn = function(script, "Restart-DrWmi")
    reversals = [
        (arguments, call)
        for method, target, arguments, call in method_calls(fn)
        if method == "Reverse" and target.casefold() == "[array]"
    ]
    assert len(reversals) == 1, script
    ((argument_node,), call) = reversals[0]
    reversed_variable = key(argument_node)
    assert reversed_variable != "$services", script
    values = [
        a.child_by_field_name("value")
        for a in nodes(fn, "assignment_expression")
        if key(a.named_children[0]) == reversed_variable
    ]
    assert len(values) == 1, script
    assert values[0] is not None, script
    copies = [
        c
        for method, target, arguments, c in method_calls(values[0])
        if method == "Clone" and target.casefold() == "$services" and not arguments
    ]
    assert copies, (script, text(values[0]))
    assert before(values[0], call), script


def test_stop_order_reverses_a_copy(all_artifacts: list[RenderedArtifact]) -> None:
    """$Services keeps the start order for the steps after the WMI restart."""
    for script in scripts(all_artifacts, ENABLE):
        check_reverse_copy(script)


def test_reverse_copy_checker_catches_its_mutation(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Counter-test: @($Services) relied on to copy."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(
            script,
            check_reverse_copy,
            "$ordered = $Services.Clone()",
            "$ordered = @($Services)",
        )


# ========================================== Stop-DrService: dependents, pending states


#: A dependent's status -> whether Stop-DrService stops it first.
DEPENDENT_CASES: Final = {
    "Running": True,
    "Paused": True,
    "StopPending": True,
    "StartPending": True,
    "ContinuePending": True,
    "Stopped": False,
}


def check_stop_service(script: Script) -> None:
    """Dependents stopped one by one through Stop-DrService (asked, recorded,
    bounded); a pending state waited out before Stop(); a declined dependent
    keeps the service running."""
    fn = function(script, "Stop-DrService")
    clause = one(should_process_clauses(fn), script)
    block = branch_block(clause)
    stop = one([c for c in calls(fn, "Stop") if not call_arguments(c)], script)
    assert within(stop, block), script
    assert not calls(fn, "WaitForStatus"), script
    # 1. The dependents, before this service is asked for.
    loop = one(
        [
            loop
            for loop in nodes(fn, "foreach_statement")
            if "DependentServices"
            in {m for _, m in member_accesses(loop.named_children[1])}
        ],
        script,
    )
    assert loop.end_byte < clause.start_byte, script
    dependent = loop_variable(loop)
    recurse = one(command_nodes(loop, "Stop-DrService"), script)
    assert argument_text(recurse, "-Name").casefold() == f"{dependent}.name", script
    assert not has_parameter(recurse, "-Confirm"), script
    body = loop_body(loop)
    fresh = [
        assigned_variable(g)
        for g in command_nodes(body, "Get-DrService")
        if g.start_byte < recurse.start_byte
    ]
    other = one(fresh, script)
    for status, stopped_first in DEPENDENT_CASES.items():
        env = {other: "service", f"{other}.status": status}
        assert reachable(recurse, env, body) is stopped_first, (script, status)
    assert reachable(recurse, {other: NULL}, body) is False, script
    # What is left running is read again after the stop, not from a cached status.
    add = one(calls(body, "Add"), script)
    left = key(add.named_children[0]).casefold()
    guard = next(a for a in ancestors(add) if a.type == "if_statement")
    reread = [
        g
        for g in command_nodes(body, "Get-DrService")
        if recurse.end_byte < g.start_byte < guard.start_byte
    ]
    assert reread, script
    assert assigned_variable(reread[0]) in variables(condition(guard)), script
    assert f"{dependent}.status" not in {key(m) for m in nodes(body, "member_access")}
    # 2. A dependent still running (declined) stops the run before Stop().
    base = {"$service": "service", "$service.status": "Running"}
    refused = reached_throws(
        fn, {**base, f"{left}.count": 1, "$whatifpreference": False}
    )
    assert refused, script
    assert all(t.end_byte < clause.start_byte for t in refused), script
    assert not reached_throws(
        fn, {**base, f"{left}.count": 0, "$whatifpreference": False}
    )
    assert not reached_throws(
        fn, {**base, f"{left}.count": 1, "$whatifpreference": True}
    )
    # 3. A pending state is waited out, with the bound, before Stop().
    settle = one(command_nodes(block, "Wait-DrServiceSettled"), script)
    assert (
        argument_text(settle, "-TimeoutSeconds").casefold() == "$servicetimeoutseconds"
    )
    assert reachable(settle, {}, block) is True, script
    assert settle.end_byte < stop.start_byte, script
    settled = assigned_variable(settle)
    # The service read again just before Stop(): gone in between stops the run.
    again = {"$current": "the service"}
    assert reachable(stop, {**again, settled: "Running"}, block) is True, script
    assert reachable(stop, {**again, settled: "Paused"}, block) is True, script
    assert reachable(stop, {**again, settled: "Stopped"}, block) is False, script
    assert reachable(stop, {"$current": NULL, settled: "Running"}, block) is False
    waits = [
        w
        for w in command_nodes(block, "Wait-DrServiceStatus")
        if stop.end_byte < w.start_byte
    ]
    assert waits, script
    assert verbatim(argument(waits[0], "-Status") or stop) == "Stopped", script
    assert argument_text(waits[0], "-TimeoutSeconds").casefold() == (
        "$servicetimeoutseconds"
    )
    check_wait_settled(script)


def check_wait_settled(script: Script) -> None:
    """Wait-DrServiceSettled: returns the first state that is not *Pending; a
    pending state past the deadline throws."""
    fn = function(script, "Wait-DrServiceSettled")
    loop = one(nodes(fn, "while_statement"), script)
    body = next(c for c in loop.named_children if c.type == "statement_block")
    returned = one(keyword_statements(body, "return"), script)
    deadline = [
        t
        for t in keyword_statements(body, "throw")
        if "$timeoutseconds" in variables(t)
    ]
    assert len(deadline) == 1, script
    assert only_assignment(fn, "$deadline") is not None, script
    for status in ("Running", "Stopped", "Paused", "StopPending", "StartPending"):
        pending = status.endswith("Pending")
        for late in (False, True):
            env = {
                "$service": "service",
                "$current": status,
                "endswith()": pending,
                "[datetime]::utcnow": 20 if late else 10,
                "$deadline": 15,
            }
            assert reachable(returned, env, body) is (not pending), (script, status)
            assert reachable(deadline[0], env, body) is (pending and late), (
                script,
                status,
                late,
            )


def test_stop_service_stops_dependents_itself_and_waits_out_pending(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """ServiceController.Stop() must not stop dependents unasked, nor meet a
    pending state."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_stop_service(script)


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "restart-service-for-wmi": (
        "Enable-DrServer.ps1",
        check_no_restart_service,
        "        Restart-DrWinmgmt -Name $name"
        " -TimeoutSeconds $WmiRestartTimeoutSeconds -Confirm:$false\n",
        "        Restart-Service -Name $name -Force\n",
    ),
    "dependents-left-to-stop": (
        "Disable-DrServer.ps1",
        check_stop_service,
        "        Stop-DrService -Name $dependent.Name\n",
        "",
    ),
    "declined-dependent-stopped-anyway": (
        "Initialize-DrServer.ps1",
        check_stop_service,
        "        throw ('Service {0} was not stopped: services",
        "        Write-Warning ('Service {0} was not stopped: services",
    ),
    "pending-not-waited-out": (
        "Enable-DrServer.ps1",
        check_stop_service,
        "        $settled = Wait-DrServiceSettled -Name $Name -TimeoutSeconds"
        " $ServiceTimeoutSeconds\n",
        "        $settled = [string]$service.Status\n",
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
