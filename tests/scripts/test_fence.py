"""Fencing a server (Disable-DrServer.ps1, and Initialize-DrServer.ps1's
dormant start): one try per host instance, pool and service, so one failure
does not leave the others running; -WhatIf with a running instance reports
instead of failing.

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
from tests.support.evaluator import reachable, reached_throws, statements
from tests.support.pwsh_oracle import node_text as text
from tests.support.scripts import (
    CHANGING_SERVER,
    Checker,
    Script,
    function,
    mutated,
    scripts,
    scripts_with,
)
from tests.support.tree import (
    ancestors,
    argument_text,
    assignments,
    calls,
    clause_block,
    command_nodes,
    condition,
    in_function,
    key,
    keyword_statements,
    loop_body,
    loop_variable,
    one,
    statement_of,
    strings,
    try_of,
    variables,
    within,
)

pytestmark = pytest.mark.oracle


# ================================================== Disable: one try per host instance


def check_disable_per_instance(script: Script) -> None:
    """Each host instance is stopped and disabled inside its own try/catch."""
    calls = [
        c
        for name in ("Stop-DrHostInstance", "Set-DrHostInstanceDisabled")
        for c in command_nodes(script.root, name)
        if not in_function(c)
    ]
    assert len(calls) == 2, script
    for call in calls:
        statement, _ = try_of(call)
        loop = next(a for a in ancestors(statement) if a.type == "foreach_statement")
        assert loop in list(ancestors(call)), script
        collection = key(loop.named_children[1])
        sources = {
            v for a in assignments(script.root, collection) for v in variables(a)
        }
        assert "$hostinstances" in sources | {collection}, script
        assert statement in statements(loop_body(loop)), script
        catch = clause_block(statement, "catch_clause")
        assert catch is not None, script
        assert not keyword_statements(catch, "throw"), script
        assert command_nodes(catch, "Write-DrProblem"), script
    (disabled,) = command_nodes(script.root, "Set-DrHostInstanceDisabled")
    assert argument_text(disabled, "-Disabled").casefold() == "$true", script


def test_one_failing_instance_does_not_leave_others_enabled(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Disable must go on to the next host instance when one fails."""
    for script in scripts(all_artifacts, "Disable-DrServer.ps1"):
        check_disable_per_instance(script)


# ============================================= Disable -WhatIf with a running instance


def host_instance_env(**overrides: object) -> dict[str, object]:
    """Set-DrHostInstanceDisabled -Disabled $true on an enabled, running instance."""
    env: dict[str, object] = {
        "$instance": "instance",
        "$instance.isdisabled": False,
        "$disabled": True,
        "[int]$instance.servicestate": 4,
        "$whatifpreference": False,
        "shouldprocess()": True,
    }
    env.update(overrides)
    return env


def check_what_if_running_instance(script: Script) -> None:
    """-WhatIf: a running instance is reported (after the stop), never a failure."""
    fn = function(script, "Set-DrHostInstanceDisabled")
    put = one(calls(fn, "Put", "$instance"), script)
    # What -WhatIf prints: a ShouldProcess that is not an if condition, or Write-Host.
    reports = [
        c
        for c in calls(fn, "ShouldProcess", "$PSCmdlet")
        if not any(
            within(c, condition(a)) for a in ancestors(c) if a.type == "if_statement"
        )
    ] + command_nodes(fn, "Write-Host")
    what_if = host_instance_env(**{"$whatifpreference": True, "shouldprocess()": False})
    assert not reached_throws(fn, what_if), script
    assert reachable(put, what_if, fn) is False, script
    told = [r for r in reports if reachable(r, what_if, fn) is True]
    assert told, script
    # ... and what it tells is the IsDisabled change, not a failure.
    assert any("IsDisabled" in " ".join(strings(r)) for r in told), script
    # A real run must not set IsDisabled on a running instance: it stops.
    assert reached_throws(fn, host_instance_env()), script
    assert reachable(put, host_instance_env(), fn) is False, script
    # A stopped instance: Put() when approved, nothing and no error under -WhatIf.
    stopped = {"[int]$instance.servicestate": 1}
    assert reachable(put, host_instance_env(**stopped), fn) is True, script
    assert not reached_throws(fn, host_instance_env(**stopped)), script
    quiet = host_instance_env(
        **stopped, **{"$whatifpreference": True, "shouldprocess()": False}
    )
    assert reachable(put, quiet, fn) is False, script
    assert not reached_throws(fn, quiet), script
    # Stop-DrHostInstance under -WhatIf only reports: the instance stays running,
    # which is the case above.
    stop = function(script, "Stop-DrHostInstance")
    invoke = one(calls(stop, "InvokeMethod"), script)
    running = {"$instance": "instance", "[int]$instance.servicestate": 4}
    assert reachable(invoke, {**running, "shouldprocess()": False}, stop) is False
    assert reachable(invoke, {**running, "shouldprocess()": True}, stop) is True


def check_disable_order(script: Script) -> None:
    """Disable: each instance is stopped, then IsDisabled set, in one try."""
    stop = one(
        [
            c
            for c in command_nodes(script.root, "Stop-DrHostInstance")
            if not in_function(c)
        ],
        script,
    )
    disable = one(
        [
            c
            for c in command_nodes(script.root, "Set-DrHostInstanceDisabled")
            if not in_function(c)
        ],
        script,
    )
    assert try_of(stop) == try_of(disable), script
    assert stop.end_byte < disable.start_byte, script


def test_disable_what_if_reports_instead_of_failing(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Disable -WhatIf must not turn every running instance into a PROBLEM."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_what_if_running_instance(script)
    for script in scripts(all_artifacts, "Disable-DrServer.ps1"):
        check_disable_order(script)


# ============================================ one try per fence step (pools, services)


def check_fence_per_item(script: Script) -> int:
    """Each application pool and service fenced in its own try; a failure is a
    problem and the next one is still handled. Returns how many calls."""
    found = 0
    for name in ("Set-DrAppPool", "Set-DrServiceDormant"):
        for call in command_nodes(script.root, name):
            if in_function(call):
                continue
            if any(a.type == "finally_clause" for a in ancestors(call)):
                # Initialize: the host instance service, right after its install.
                continue
            statement, body = try_of(call)
            assert statements(body) == [statement_of(call)], (script, text(call))
            catch = clause_block(statement, "catch_clause")
            assert catch is not None, (script, text(call))
            assert not keyword_statements(catch, "throw"), (script, text(call))
            problems = command_nodes(catch, "Write-DrProblem")
            assert problems, (script, text(call))
            assert reachable(problems[0], {}, catch) is True, script
            loop = next(
                (a for a in ancestors(statement) if a.type == "foreach_statement"),
                None,
            )
            if loop is not None and within(loop, main_try(script)):
                assert statement in statements(loop_body(loop)), script
                assert argument_text(call, "-Name").casefold() == loop_variable(loop)
            found += 1
    return found


def main_try(script: Script) -> Node:
    """The body of the run's own try (run-begin.ps1)."""
    start = one(
        [
            c
            for c in command_nodes(script.root, "Protect-DrLogFolder")
            if not in_function(c)
        ],
        script,
    )
    return try_of(start)[1]


def check_initialize_fence(script: Script) -> None:
    """Initialize: pools and services one by one, ENTSSO last, all before the end
    state; the host instance loop keeps its dormant-in-finally."""
    count = check_fence_per_item(script)
    pools = [
        c for c in command_nodes(script.root, "Set-DrAppPool") if not in_function(c)
    ]
    dormant = [
        c
        for c in command_nodes(script.root, "Set-DrServiceDormant")
        if not in_function(c)
        and not any(a.type == "finally_clause" for a in ancestors(c))
    ]
    assert count == len(pools) + len(dormant), script
    assert [argument_text(c, "-Name").casefold() for c in dormant][-1] == "$ssoservice"
    end_state = one(
        [
            c
            for c in command_nodes(script.root, "Assert-DrEndState")
            if not in_function(c)
        ],
        script,
    )
    assert all(c.end_byte < end_state.start_byte for c in pools + dormant), script


def test_one_failing_fence_step_does_not_skip_the_others(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A failing appcmd must not leave the services Automatic."""
    seen_pools = 0
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_initialize_fence(script)
        seen_pools += len(
            [
                c
                for c in command_nodes(script.root, "Set-DrAppPool")
                if not in_function(c)
            ]
        )
    assert seen_pools >= 1
    for script in scripts(all_artifacts, "Disable-DrServer.ps1"):
        assert check_fence_per_item(script) >= 1, script


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "disable-instance-failure-rethrown": (
        "Disable-DrServer.ps1",
        check_disable_per_instance,
        "            Write-DrProblem -Message ('host instance {0}: {1}'",
        "            throw ('host instance {0}: {1}'",
    ),
    "what-if-throws-for-running-instance": (
        "Disable-DrServer.ps1",
        check_what_if_running_instance,
        "        if ($WhatIfPreference) {\n            # -WhatIf: the stop before",
        "        if ($false) {\n            # -WhatIf: the stop before",
    ),
    "what-if-says-nothing": (
        "Disable-DrServer.ps1",
        check_what_if_running_instance,
        "            [void]$PSCmdlet.ShouldProcess($Plan.HostName, ('Set host instance"
        " IsDisabled to {0} (once it is stopped)' -f $Disabled))\n",
        "",
    ),
    "pool-failure-ends-the-fence": (
        "Initialize-DrServer.ps1",
        check_initialize_fence,
        "            Write-DrProblem -Message ('application pool {0}: {1}' -f $pool,",
        "            throw ('application pool {0}: {1}' -f $pool,",
    ),
    "sso-outside-the-fence": (
        "Initialize-DrServer.ps1",
        check_initialize_fence,
        "    try {\n        Set-DrServiceDormant -Name $SsoService\n    }\n",
        "    Set-DrServiceDormant -Name $SsoService\n    try {\n    }\n",
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
