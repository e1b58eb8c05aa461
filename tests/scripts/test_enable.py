"""Enable-DrServer.ps1: host instances enabled, -NoStart ends Ready.

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

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import reachable
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    Checker,
    Script,
    function,
    functions,
    mutated,
    script_param_block,
    scripts,
    scripts_with,
)
from tests.support.tree import (
    ancestors,
    argument_text,
    branch_block,
    command_nodes,
    condition,
    is_switch,
    keyword_statements,
    method_calls,
    script_parameters,
    strings,
    variables,
    verbatim,
)

pytestmark = pytest.mark.oracle


# =================================================================== -NoStart is Ready


def check_enable_host_instance(script: Script) -> None:
    """IsDisabled false before the -NoStart return; startup type and start after."""
    fn = function(script, "Enable-DrHostInstance")
    (enable,) = command_nodes(fn, "Set-DrHostInstanceDisabled")
    assert argument_text(enable, "-Disabled").casefold() == "$false", script
    services = command_nodes(fn, "Enable-DrService")
    starts = [
        call
        for method, _, arguments, call in method_calls(fn)
        if method == "InvokeMethod" and arguments and verbatim(arguments[0]) == "Start"
    ] + command_nodes(fn, "Start-DrService")
    assert services, script
    assert starts, script
    returns = [
        s
        for s in nodes(fn, "if_statement")
        if "$nostart" in variables(condition(s))
        and keyword_statements(branch_block(s), "return")
    ]
    assert len(returns) == 1, script
    ready, active = {"$nostart": True}, {"$nostart": False}
    assert reachable(enable, ready, fn) is True, script
    assert reachable(enable, active, fn) is True, script
    assert enable.end_byte < returns[0].start_byte, script
    for change in services + starts:
        assert reachable(change, ready, fn) is False, (script, text(change))
        assert returns[0].end_byte < change.start_byte, (script, text(change))
    assert all(reachable(s, active, fn) is True for s in services), script
    assert max(s.end_byte for s in services) < min(s.start_byte for s in starts)


def test_no_start_enables_host_instances_but_starts_nothing(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """-NoStart must not restore a host instance's startup type or start it."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_enable_host_instance(script)


# ============================================================================ -NoStart


def test_enable_no_start_ends_ready(all_artifacts: list[RenderedArtifact]) -> None:
    """-NoStart enables everything but starts no host instance or pool."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        parameters = script_parameters(script_param_block(script))
        assert is_switch(parameters["$nostart"]), script
        ends = [
            s
            for s in nodes(script.root, "if_statement")
            if text(condition(s)).strip().casefold() == "$nostart"
            and command_nodes(s, "Assert-DrEndState")
        ]
        assert len(ends) == 1, script
        (ready,) = command_nodes(branch_block(ends[0]), "Assert-DrEndState")
        assert "Ready" in strings(ready), script
        (otherwise,) = [c for c in ends[0].named_children if c.type == "else_clause"]
        (active,) = command_nodes(otherwise, "Assert-DrEndState")
        assert "Active" in strings(active), script
        # Pools: started only outside -NoStart; Ready stops them again
        # (test_app_pools.py).
        if "Set-DrAppPool" in functions(script):
            (call,) = [
                c
                for c in command_nodes(script.root, "Set-DrAppPool")
                if re.search(r"-Running\s+\$true\b", text(c), re.IGNORECASE)
            ]
            guard = next(
                s
                for s in ancestors(call)
                if s.type == "if_statement"
                and "-not $nostart" in text(condition(s)).casefold()
            )
            assert guard is not None, script
        starters = {"Enable-DrHostInstance": "Start"}
        for name in starters:
            fn = function(script, name)
            returns = [
                s
                for s in nodes(fn, "if_statement")
                if text(condition(s)).strip().casefold() == "$nostart"
                and keyword_statements(branch_block(s), "return")
            ]
            assert returns, (script, name)
            starts = [
                call
                for method, _, arguments, call in method_calls(fn)
                if method == "InvokeMethod" and verbatim(arguments[0]) == "Start"
            ] + [
                c for c in command_nodes(fn, "Invoke-DrNative") if "start" in strings(c)
            ]
            assert starts, (script, name)
            assert all(returns[0].end_byte < s.start_byte for s in starts)


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "enable-service-above-no-start-return": (
        "Enable-DrServer.ps1",
        check_enable_host_instance,
        "    Set-DrHostInstanceDisabled -Plan $Plan -Disabled $false\n"
        "    if ($NoStart) {",
        "    Set-DrHostInstanceDisabled -Plan $Plan -Disabled $false\n"
        "    Enable-DrService -Name $Plan.Service\n"
        "    if ($NoStart) {",
    ),
    "is-disabled-only-without-no-start": (
        "Enable-DrServer.ps1",
        check_enable_host_instance,
        "    Set-DrHostInstanceDisabled -Plan $Plan -Disabled $false\n"
        "    if ($NoStart) {",
        "    if ($NoStart) {\n        return\n    }\n"
        "    Set-DrHostInstanceDisabled -Plan $Plan -Disabled $false\n"
        "    if ($NoStart) {",
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
