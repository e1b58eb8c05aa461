"""Failover safety: the fixes a review of the generated scripts led to.

One section per fix (F1..F14). Every test reads the *rendered* scripts of both example
inventories through the tree-sitter-pwsh parse tree, with the node helpers of
:mod:`tests.test_fidelity` and a small three-valued evaluator below: given values for
some of a script's variables, commands and method calls, it decides which conditions
hold and which statements can run (``None`` where it cannot tell). The last section
mutates rendered scripts and shows that each checker then fails.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Final

import pytest
from tree_sitter import Node

from generator.plan.outputs import ArtifactKind
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact, encode_text
from tests import pwsh_oracle as ps
from tests.conftest import EXAMPLES
from tests.pwsh_oracle import node_text as text
from tests.pwsh_oracle import nodes
from tests.test_fidelity import (
    SERVER_SCRIPTS,
    SSO_SQL_KEY,
    Script,
    ancestors,
    artifact,
    assigned_variable,
    branch_block,
    calls_should_process,
    command_nodes,
    condition,
    function,
    help_comment,
    is_switch,
    keyword_statements,
    main_body,
    member_accesses,
    method_calls,
    named,
    records,
    script_param_block,
    script_parameters,
    scripts,
    section_tokens,
    server_plans,
    strings,
    top_assignment,
    top_string,
    variables,
    verbatim,
    within,
)

pytestmark = pytest.mark.oracle

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]

#: Server scripts that change the server.
CHANGING_SERVER = (
    "Initialize-DrServer.ps1",
    "Enable-DrServer.ps1",
    "Disable-DrServer.ps1",
)
ADMINISTRATORS = "S-1-5-32-544"
SYSTEM = "S-1-5-18"


# ======================================================= three-valued evaluator


class Null:
    """PowerShell's ``$null``; Python's ``None`` means *unknown* below."""

    def __repr__(self) -> str:
        return "$null"


NULL: Final = Null()
Env = Mapping[str, object]
Truth = bool | None

WRAPPERS: Final = frozenset(
    {
        "pipeline",
        "pipeline_chain",
        "unary_expression",
        "parenthesized_expression",
        "assignment_value",
        "argument_expression",
    }
)
FLOW: Final = frozenset({"return", "throw", "exit", "continue", "break"})
LOOPS: Final = frozenset(
    {"foreach_statement", "for_statement", "while_statement", "do_statement"}
)


def key(node: Node) -> str:
    """A node's text, whitespace collapsed, lower-case: how ``env`` names it."""
    return " ".join(text(node).split()).casefold()


def not3(value: Truth) -> Truth:
    return None if value is None else not value


def and3(*values: Truth) -> Truth:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def or3(*values: Truth) -> Truth:
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None


def truthy(value: object) -> Truth:
    """PowerShell's conversion to bool; ``None`` stays unknown."""
    if value is None:
        return None
    if value is NULL:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list | tuple):
        return len(value) > 0
    return True


def equal(left: object, right: object) -> Truth:
    """``-eq`` on scalars (strings compare case-insensitively)."""
    if left is None or right is None:
        return None
    if left is NULL or right is NULL:
        return left is right
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if isinstance(left, bool) or isinstance(right, bool):
        return truthy(left) == truthy(right)
    return left == right


def compare(operator: str, left: object, right: object) -> object:
    operator = operator.casefold()
    if operator.startswith("-i") and operator != "-in":
        operator = "-" + operator[2:]
    if operator in {"-contains", "-notcontains", "-in", "-notin"}:
        collection, item = (left, right) if "contains" in operator else (right, left)
        if collection is None or item is None:
            return None
        items = collection if isinstance(collection, list | tuple) else [collection]
        found = or3(*(equal(x, item) for x in items))
        return found if operator in {"-contains", "-in"} else not3(found)
    if left is None or right is None or isinstance(left, list | tuple):
        return None
    if operator in {"-eq", "-ne"}:
        same = equal(left, right)
        return same if operator == "-eq" else not3(same)
    if operator in {"-match", "-notmatch"}:
        if not isinstance(right, str):
            return None
        subject = "" if left is NULL else str(left)
        found = re.search(right, subject, re.IGNORECASE) is not None
        return found if operator == "-match" else not found
    if isinstance(left, int) and isinstance(right, int):
        return {
            "-gt": left > right,
            "-ge": left >= right,
            "-lt": left < right,
            "-le": left <= right,
        }.get(operator)
    return None


def as_string(value: object) -> object:
    """``[string]$value``."""
    if value is None:
        return None
    if value is NULL:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def evaluate(node: Node, env: Env) -> object:
    """The value of an expression, or ``None`` when ``env`` does not decide it.

    ``env`` maps lower-case names to values: variables (``$nostart``), member reads
    and other expressions by their text (``$view.sqlserver``,
    ``[environment]::userinteractive``), commands by name (``test-path``) and
    method calls by member (``shouldprocess()``).
    """
    name = key(node)
    if name in env:
        return env[name]
    kind = node.type
    children = [c for c in node.named_children if c.type != "comment"]
    if kind == "variable":
        return {"$null": NULL, "$true": True, "$false": False}.get(name)
    if kind == "string_literal":
        return verbatim(node)
    if kind == "integer_literal":
        return int(name) if name.isdigit() else None
    if kind == "command":
        command = node.child_by_field_name("command_name")
        return None if command is None else env.get(key(command))
    if kind == "expression_with_unary_operator":
        if node.children[0].type.casefold() in {"-not", "!"}:
            return not3(truthy(evaluate(children[-1], env)))
        # A cast is a unary operator for the grammar: [string]$x.
        return evaluate(children[0], env) if len(children) == 1 else None
    if kind == "logical_expression":
        left = truthy(evaluate(node.children[0], env))
        right = truthy(evaluate(node.children[-1], env))
        operator = node.children[1].type.casefold()
        if operator == "-and":
            return and3(left, right)
        if operator == "-or":
            return or3(left, right)
        return None
    if kind == "comparison_expression":
        sign = next(c for c in children if c.type == "comparison_operator")
        return compare(
            text(sign),
            evaluate(children[0], env),
            evaluate(children[-1], env),
        )
    if kind == "array_literal_expression":
        return [evaluate(c, env) for c in children]
    if kind == "array_expression":
        # @(...) of one statement: a comma list, or one value made an array.
        inner = statements(node)
        if len(inner) != 1:
            return [] if not inner else None
        value = evaluate(inner[0], env)
        return value if value is None or isinstance(value, list) else [value]
    if kind == "additive_expression":
        left_value = evaluate(node.children[0], env)
        right_value = evaluate(node.children[-1], env)
        if (
            node.children[1].type == "+"
            and isinstance(left_value, str)
            and isinstance(right_value, str)
        ):
            return left_value + right_value
        return None
    if kind == "bitwise_expression":
        left_value = evaluate(node.children[0], env)
        right_value = evaluate(node.children[-1], env)
        operator = node.children[1].type.casefold()
        if isinstance(left_value, int) and isinstance(right_value, int):
            if operator == "-band":
                return left_value & right_value
            if operator == "-bor":
                return left_value | right_value
        return None
    if kind == "cast_expression":
        target = key(children[0])
        value = evaluate(children[-1], env)
        if target == "[string]":
            return as_string(value)
        if target == "[bool]":
            return truthy(value)
        return None
    if kind == "invocation_expression":
        member = next((c for c in node.children if c.type == "member_name"), None)
        if member is None:
            return None
        if key(member) in {"tolowerinvariant", "tolower"}:
            value = evaluate(children[0], env)
            return value.lower() if isinstance(value, str) else None
        return env.get(f"{key(member)}()")
    if kind in WRAPPERS and len(children) == 1:
        return evaluate(children[0], env)
    return None


def holds(node: Node, env: Env) -> Truth:
    """Whether an ``if``/``elseif`` condition is true."""
    return truthy(evaluate(condition(node), env))


def clauses(statement: Node) -> list[Node]:
    """An ``if`` statement followed by its ``elseif`` and ``else`` clauses."""
    found = [statement]
    for child in statement.named_children:
        if child.type == "elseif_clauses":
            found += [c for c in child.named_children if c.type == "elseif_clause"]
        elif child.type == "else_clause":
            found.append(child)
    return found


def owner_if(clause: Node) -> Node:
    if clause.type == "if_statement":
        return clause
    return next(a for a in ancestors(clause) if a.type == "if_statement")


def entered(clause: Node, env: Env) -> Truth:
    """Whether control enters ``clause``: earlier conditions false, its own true."""
    verdict: Truth = True
    for other in clauses(owner_if(clause)):
        if other == clause:
            if clause.type == "else_clause":
                return verdict
            return and3(verdict, holds(clause, env))
        verdict = and3(verdict, not3(holds(other, env)))
    raise AssertionError(text(clause)[:60])


def statements(block: Node) -> list[Node]:
    """The statements of a block (comments left out)."""
    found: list[Node] = []
    for child in block.named_children:
        if child.type == "statement_list":
            found += [c for c in child.named_children if c.type != "comment"]
    return found


def block_exits(block: Node, env: Env) -> Truth:
    return or3(False, *(exits(s, env) for s in statements(block)))


def exits(statement: Node, env: Env) -> Truth:
    """Whether running ``statement`` leaves its block (return, throw, continue...)."""
    if statement.type == "flow_control_statement":
        return statement.children[0].type in FLOW
    if statement.type == "if_statement":
        possible: set[Truth] = set()
        for clause in clauses(statement):
            enter = True if clause.type == "else_clause" else holds(clause, env)
            if enter is False:
                continue
            possible.add(block_exits(branch_block(clause), env))
            if enter is True:
                break
        else:
            possible.add(False)
        return possible.pop() if len(possible) == 1 else None
    if statement.type == "try_statement":
        body = next(c for c in statement.named_children if c.type == "statement_block")
        result = block_exits(body, env)
        caught = any(c.type == "catch_clauses" for c in statement.named_children)
        return None if (caught and result is not False) else result
    if statement.type in LOOPS:
        leaves = any(keyword_statements(statement, k) for k in ("return", "throw"))
        return None if leaves else False
    return False


def reachable(node: Node, env: Env, scope: Node) -> Truth:
    """Whether ``node`` runs once control is at the start of ``scope``.

    Enclosing ``if`` clauses must be entered and no earlier statement of an
    enclosing block may leave it; loops count as entered, catch blocks as unknown.
    """
    verdict: Truth = True
    child = node
    while child != scope:
        parent = child.parent
        assert parent is not None, f"{text(node)[:60]} is not within the scope"
        if parent.type == "statement_list":
            for sibling in parent.named_children:
                if sibling.start_byte >= child.start_byte:
                    break
                verdict = and3(verdict, not3(exits(sibling, env)))
        elif child.type == "statement_block" and parent.type in {
            "if_statement",
            "elseif_clause",
            "else_clause",
        }:
            verdict = and3(verdict, entered(parent, env))
        elif child.type == "statement_block" and parent.type == "catch_clause":
            verdict = and3(verdict, None)
        child = parent
    return verdict


State = dict[str, object]


def run(block_statements: list[Node], env: Env, state: State) -> list[State]:
    """Possible values of the tracked variables in ``state`` after the statements.

    Only plain assignments to tracked variables and ``if`` statements are followed;
    a path that leaves the block (``continue``, ``return``...) ends there.
    """
    states = [state]
    for statement in block_statements:
        after: list[State] = []
        for current in states:
            after += step(statement, {**env, **current}, current)
        states = after
    return states


def step(statement: Node, env: Env, state: State) -> list[State]:
    if statement.type == "flow_control_statement":
        return [] if statement.children[0].type in FLOW else [state]
    if statement.type == "if_statement":
        results: list[State] = []
        for clause in clauses(statement):
            enter = True if clause.type == "else_clause" else holds(clause, env)
            if enter is False:
                continue
            results += run(statements(branch_block(clause)), env, state)
            if enter is True:
                break
        else:
            results.append(state)
        return results
    assignment = statement.named_children[0] if statement.named_children else None
    if (
        statement.type == "pipeline"
        and assignment is not None
        and assignment.type == "assignment_expression"
        and key(assignment.named_children[0]) in state
    ):
        value = assignment.child_by_field_name("value")
        assert value is not None
        return [{**state, key(assignment.named_children[0]): evaluate(value, env)}]
    return [state]


# ================================================================ node helpers


def argument(command: Node, parameter: str) -> Node | None:
    """The value node bound to ``-parameter`` (``-P value`` or ``-P:value``)."""
    elements = command.child_by_field_name("command_elements")
    if elements is None:
        return None
    items = [c for c in elements.named_children if c.type != "command_argument_sep"]
    for i, item in enumerate(items):
        if item.type != "command_parameter":
            continue
        if text(item).rstrip(":").casefold() != parameter.casefold():
            continue
        following = items[i + 1] if i + 1 < len(items) else None
        if following is None or following.type == "command_parameter":
            return None
        return following
    return None


def argument_text(command: Node, parameter: str) -> str:
    value = argument(command, parameter)
    assert value is not None, f"{text(command)[:60]}: no {parameter}"
    return text(value).strip()


def has_parameter(command: Node, parameter: str) -> bool:
    return any(
        text(p).rstrip(":").casefold() == parameter.casefold()
        for p in nodes(command, "command_parameter")
    )


def assignments(scope: Node, variable: str) -> list[Node]:
    """The value nodes of every ``$variable = ...`` below ``scope``."""
    found = []
    for assignment in nodes(scope, "assignment_expression"):
        if key(assignment.named_children[0]) == variable.casefold():
            value = assignment.child_by_field_name("value")
            assert value is not None
            found.append(value)
    return found


def only_assignment(scope: Node, variable: str) -> Node:
    found = assignments(scope, variable)
    assert len(found) == 1, f"{variable} is assigned {len(found)} times"
    return found[0]


def should_process_clauses(scope: Node) -> list[Node]:
    """The ``if``/``elseif`` clauses whose condition calls $PSCmdlet.ShouldProcess."""
    return [
        clause
        for statement in nodes(scope, "if_statement")
        for clause in clauses(statement)
        if clause.type != "else_clause" and calls_should_process(condition(clause))
    ]


def loops_over(scope: Node, variable: str) -> list[Node]:
    """``foreach`` loops below ``scope`` whose collection is exactly ``variable``."""
    return [
        loop
        for loop in nodes(scope, "foreach_statement")
        if key(loop.named_children[1]) == variable.casefold()
    ]


def loop_variable(loop: Node) -> str:
    return key(loop.named_children[0])


def loop_body(loop: Node) -> Node:
    return next(c for c in loop.named_children if c.type == "statement_block")


def always_throws(block: Node) -> bool:
    """Whether ``block`` ends in a ``throw`` that nothing in it can skip."""
    return any(
        reachable(t, {}, block) is True for t in keyword_statements(block, "throw")
    )


def reached_throws(scope: Node, env: Env) -> list[Node]:
    return [t for t in keyword_statements(scope, "throw") if reachable(t, env, scope)]


def in_function(node: Node) -> bool:
    return any(a.type == "function_statement" for a in ancestors(node))


def enclosing_function(node: Node) -> Node | None:
    return next((a for a in ancestors(node) if a.type == "function_statement"), None)


def try_of(node: Node) -> tuple[Node, Node]:
    """The innermost ``try`` whose body holds ``node``, and that body."""
    for parent in ancestors(node):
        if parent.type != "try_statement":
            continue
        body = next(c for c in parent.named_children if c.type == "statement_block")
        if within(node, body):
            return parent, body
    raise AssertionError(f"{text(node)[:60]} is not inside a try block")


def clause_block(statement: Node, kind: str) -> Node | None:
    """The block of a try statement's ``catch`` or ``finally`` clause."""
    for clause in nodes(statement, kind):
        if next(a for a in ancestors(clause) if a.type == "try_statement") == statement:
            return next(c for c in clause.named_children if c.type == "statement_block")
    return None


def mutated(script: Script, old: str, new: str) -> Script:
    """``script`` with the first ``old`` of its rendered text replaced by ``new``."""
    assert old in script.art.text, f"{script}: {old!r} not found"
    changed = script.art.text.replace(old, new, 1)
    return Script(script.art, encode_text(changed, ArtifactKind.POWERSHELL))


# ====================================================== F1. -NoStart is Ready


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


def check_enable_app_pools(script: Script) -> int:
    """Set-DrAppPool -Running $true runs only without -NoStart; returns how many.

    (-NoStart's own -Running $false call: tests/test_pools_before_msis.py.)
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


def report_env(report: Node, expect: str) -> dict[str, object]:
    """$Expect, $failedOver and $running of Get-DrStateReport for one state."""
    env: dict[str, object] = {"$expect": expect}
    for variable in ("$failedOver", "$running"):
        env[variable.casefold()] = evaluate(only_assignment(report, variable), env)
    assert env["$failedover"] == (expect != "Dormant"), expect
    assert env["$running"] == (expect == "Active"), expect
    return env


def add_check(scope: Node, check: str) -> Node:
    """The one Add-DrCheck call below ``scope`` whose -Check names ``check``."""
    found = [
        c
        for c in command_nodes(scope, "Add-DrCheck")
        if any(check in s for s in strings(argument(c, "-Check") or c))
    ]
    assert len(found) == 1, check
    return found[0]


def check_ready_report(script: Script) -> None:
    """Ready: host instance services Disabled/Stopped, pools stopped, autoStart off."""
    report = function(script, "Get-DrStateReport")
    host_services = [
        r["Service"] for r in records(top_assignment(script, "HostInstances"))
    ]
    services = strings(top_assignment(script, "Services"))
    # An isolated host instance has no Windows service ('').
    assert {s for s in host_services if s} <= set(services), script
    listed = only_assignment(report, "$hostServices")
    assert "$hostinstances" in variables(listed), script
    assert ("$_", "Service") in member_accesses(listed), script
    (service_loop,) = loops_over(report, "$Services")
    (pool_loop,) = loops_over(report, "$AppPools")
    (host_loop,) = loops_over(report, "$HostInstances")
    autostart = add_check(pool_loop, "autoStart")
    disabled = add_check(host_loop, "IsDisabled")
    pool_state = add_check(pool_loop, "state")
    for expect in ("Dormant", "Ready", "Active"):
        env = report_env(report, expect)
        for name in services:
            case = {
                **env,
                "$hostservices": host_services,
                loop_variable(service_loop): name,
                "$service": "service",
            }
            start: State = {"$wantedstart": None, "$wantedstatus": None}
            outcomes = run(statements(loop_body(service_loop)), case, start)
            types = {o["$wantedstart"] for o in outcomes}
            statuses = {o["$wantedstatus"] for o in outcomes}
            on = expect == "Active" or (expect == "Ready" and name not in host_services)
            if on:
                assert types, (script, expect, name)
                assert types <= {"Automatic", "Manual"}, (script, expect, name)
                assert statuses == {"Running"}, (script, expect, name)
            else:
                assert types == {"Disabled"}, (script, expect, name, types)
                assert statuses == {"Stopped"}, (script, expect, name, statuses)
        pools = run(statements(loop_body(pool_loop)), env, {"$wantedpool": None})
        wanted_pool = "Started" if expect == "Active" else "Stopped"
        assert {p["$wantedpool"] for p in pools} == {wanted_pool}, (script, expect)
        state_value = argument(pool_state, "-Expected")
        assert state_value is not None
        assert evaluate(state_value, {**env, **pools[0]}) == wanted_pool, script
        auto_value = argument(autostart, "-Expected")
        assert auto_value is not None
        wanted_auto = "true" if expect == "Active" else "false"
        assert evaluate(auto_value, env) == wanted_auto, (script, expect)
        instances = run(
            statements(loop_body(host_loop)),
            {**env, f"{loop_variable(host_loop)}.inprocess": True, "$instance": "x"},
            {"$wantedstate": None},
        )
        wanted_state = "Running" if expect == "Active" else "Stopped"
        assert {i["$wantedstate"] for i in instances} == {wanted_state}, script
        disabled_value = argument(disabled, "-Expected")
        assert disabled_value is not None
        wanted_disabled = "True" if expect == "Dormant" else "False"
        assert evaluate(disabled_value, env) == wanted_disabled, (script, expect)


def test_f1_no_start_enables_host_instances_but_starts_nothing(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F1: -NoStart must not restore a host instance's startup type or start it."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_enable_host_instance(script)


def test_f1_no_start_leaves_app_pools_stopped(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """F1: -NoStart must not turn on or start an isolated host's application pool."""
    planned = server_plans(plans)
    seen = 0
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        assert check_enable_app_pools(script) == 1, script
        seen += bool(planned[(script.stem, script.server)].app_pools)
    assert seen >= 1


def test_f1_app_pools_stopped_with_autostart_off_or_started_with_it_on(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """F1/A12: Set-DrAppPool -Running $false is autoStart off and stop, $true the
    reverse (every changing server script has it: the code is the same on every
    server; a server without pools has $AppPools = @())."""
    planned = server_plans(plans)
    seen = 0
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_app_pool_changes(script)
        seen += bool(planned[(script.stem, script.server)].app_pools)
    assert seen == 3


def test_f1_ready_report_expects_nothing_able_to_process(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F1: Test -Expect Ready must fail on a startable host instance or pool."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_ready_report(script)


# ============================================= F2. unattended secret restore


def preflight_env(overrides: Env | None = None) -> dict[str, object]:
    """Enable's pre-flight on the master secret server, tools present, no secret."""
    env: dict[str, object] = {
        "[environment]::is64bitprocess": True,
        "test-path": True,
        "$apppools.count": 0,
        "$ismastersecretserver": True,
        "test-drsecretpresent": False,
        "$whatifpreference": False,
        # -SecretBackupFile given, and the secret is to be restored from it.
        "$given": True,
        "get-drsecretrestorereason": "no master secret on this server",
        "test-drinteractive": True,
    }
    env.update(overrides or {})
    return env


def check_secret_restore_unattended(script: Script) -> None:
    """A restore that would prompt fails fast unattended; -WhatIf only prints."""
    fn = function(script, "Assert-DrPreflight")
    assert command_nodes(fn, "Test-DrInteractive"), script

    def throws(overrides: Env) -> list[Node]:
        return reached_throws(fn, preflight_env(overrides))

    unattended: Env = {"test-drinteractive": False}
    assert not throws({}), script
    stops = throws(unattended)
    assert stops, script
    assert all(reachable(t, preflight_env(), fn) is False for t in stops), script
    # No backup file and no secret: the run cannot go on.
    assert throws({"$given": False}), script
    # A secret already here and no backup file: kept (with a warning), no prompt.
    kept = {"$given": False, "test-drsecretpresent": True}
    assert not throws({**unattended, **kept}), script
    # The backup file restored last: nothing to restore, no prompt needed.
    assert not throws(
        {**unattended, "test-drsecretpresent": True, "get-drsecretrestorereason": ""}
    ), script
    assert not throws({**unattended, "$ismastersecretserver": False}), script
    for given in (True, False):
        what_if = {**unattended, "$whatifpreference": True, "$given": given}
        assert not throws(what_if), (script, given)
    told = [
        w
        for w in command_nodes(fn, "Write-Host")
        if reachable(w, preflight_env({"$whatifpreference": True, "$given": False}), fn)
        is True
        and any("-SecretBackupFile" in s for s in strings(w))
    ]
    assert told, script
    body = [c.name for c in main_body(script)]
    assert body.index("Assert-DrPreflight") < body.index("Enable-DrMasterSecretServer")


def check_test_interactive(script: Script) -> None:
    """Test-DrInteractive: UserInteractive, no -NonInteractive, input not redirected."""
    fn = function(script, "Test-DrInteractive")
    (returned,) = keyword_statements(fn, "return")
    expression = returned.named_children[-1]
    counted = {t.casefold() for t, m in member_accesses(expression) if m == "Count"}
    assert len(counted) == 1, script
    (arguments_variable,) = counted
    value = only_assignment(fn, arguments_variable)
    assert [
        m
        for m, target, _, _ in method_calls(value)
        if m == "GetCommandLineArgs" and target.casefold() == "[environment]"
    ], script
    patterns = [
        verbatim(c.named_children[-1])
        for c in nodes(value, "comparison_expression")
        if key(next(o for o in c.named_children if o.type == "comparison_operator"))
        == "-match"
    ]
    assert len(patterns) == 1, script
    pattern = patterns[0]
    assert pattern is not None, script
    # powershell.exe takes its switches with '-' or '/' (about_PowerShell_exe).
    for flag in (
        "-NonInteractive",
        "-noninteractive",
        "-NonI",
        "/NonInteractive",
        "/noni",
    ):
        assert re.search(pattern, flag, re.IGNORECASE), (script, flag)
    for flag in (
        "-NoProfile",
        "-NoLogo",
        "-Command",
        "-ExecutionPolicy",
        "-File",
        "/NoLogo",
    ):
        assert not re.search(pattern, flag, re.IGNORECASE), (script, flag)
    for user, count, redirected in itertools.product(
        (True, False), (0, 1), (True, False)
    ):
        env = {
            "[environment]::userinteractive": user,
            f"{arguments_variable}.count": count,
            "[console]::isinputredirected": redirected,
        }
        wanted = user and count == 0 and not redirected
        assert truthy(evaluate(expression, env)) is wanted, (script, env)


def test_f2_unattended_secret_restore_fails_instead_of_hanging(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F2: an unattended Enable must not reach ssoconfig's password prompt."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_secret_restore_unattended(script)


def test_f2_interactive_means_a_console_someone_can_type_into(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F2: a service, -NonInteractive or redirected input is not a console."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_test_interactive(script)


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


def test_f2_preflight_checks_restore_script_and_cscript(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Pre-flight: UpdateRegistry.vbs / UpdateDatabase.vbs and 64-bit cscript found."""
    for script in scripts(all_artifacts, *RESTORE_SCRIPTS):
        check_restore_script_preflight(script)


# ================================== F3. UpdateRegistry.vbs while any value is old


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


def test_f3_update_registry_reruns_while_any_value_is_not_dr(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F3: a half-done UpdateRegistry.vbs run must not be taken for a finished one."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_registry_pending(script)


# ===================================== F4. a declined prerequisite stops the run

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


def test_f4_declined_prerequisite_stops_the_run(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F4: answering No to a prerequisite must not let later steps run without it."""
    for script in scripts(all_artifacts, *DECLINES):
        check_declines(script)


# ====================================================== F5. the WMI restart


def check_wmi_restart(script: Script) -> None:
    """Stop BizTalk, remember and stop dependents, restart WMI bounded, restart them.

    WMI itself is restarted by Restart-DrWinmgmt (race-safe against an on-demand
    start; tests/test_enable_review.py checks it), not Stop-DrService and Start().
    """
    fn = function(script, "Restart-DrWmi")
    (clause,) = should_process_clauses(fn)
    block = branch_block(clause)
    winmgmt = [
        key(assignment.named_children[0])
        for assignment in nodes(fn, "assignment_expression")
        if verbatim(assignment.named_children[-1]) == "Winmgmt"
    ]
    assert len(winmgmt) == 1, script
    name = winmgmt[0]
    assert not [
        s
        for s in command_nodes(block, "Stop-DrService")
        if argument_text(s, "-Name").casefold() == name
    ], script
    (stop_wmi,) = [
        s
        for s in command_nodes(block, "Restart-DrWinmgmt")
        if argument_text(s, "-Name").casefold() == name
    ]
    # Always, once the service is known to exist (a missing one stops the run).
    assert reachable(stop_wmi, {"$service": "the service"}, block) is True, script
    assert reachable(stop_wmi, {"$service": NULL}, block) is False, script
    # Every BizTalk service first, in reverse start order.
    biztalk = [
        loop
        for loop in nodes(block, "foreach_statement")
        if "$services"
        in {
            v
            for a in assignments(fn, key(loop.named_children[1]))
            for v in variables(a)
        }
    ]
    assert len(biztalk) == 1, script
    ordered = key(biztalk[0].named_children[1])
    reversals = [
        call
        for method, target, arguments, call in method_calls(block)
        if method == "Reverse"
        and target.casefold() == "[array]"
        and [key(a) for a in arguments] == [ordered]
    ]
    assert reversals, script
    assert reversals[0].end_byte < biztalk[0].start_byte, script
    assert [
        s
        for s in command_nodes(biztalk[0], "Stop-DrService")
        if argument_text(s, "-Name").casefold() == loop_variable(biztalk[0])
    ], script
    assert biztalk[0].end_byte < stop_wmi.start_byte, script
    # The running dependents are written to the marker before they are stopped.
    markers = [
        c
        for c in command_nodes(block, "Set-Content")
        if argument_text(c, "-LiteralPath").casefold() == "$wmirestartmarker"
    ]
    assert len(markers) == 1, script
    marker = markers[0]
    assert has_parameter(marker, "-Confirm"), script
    assert argument_text(marker, "-Confirm").casefold() == "$false", script
    value = argument(marker, "-Value")
    assert value is not None, script
    dependents = {
        v
        for v in variables(value)
        if any(
            "DependentServices" in {m for _, m in member_accesses(a)}
            and "Running" in strings(a)
            for a in assignments(block, v)
        )
    }
    assert len(dependents) == 1, script
    (remembered,) = dependents
    loops = loops_over(block, remembered)
    assert len(loops) == 2, script
    stop_loop, start_loop = sorted(loops, key=lambda n: n.start_byte)
    assert marker.end_byte < stop_loop.start_byte < stop_wmi.start_byte, script
    assert [
        s
        for s in command_nodes(stop_loop, "Stop-DrService")
        if argument_text(s, "-Name").casefold() == loop_variable(stop_loop)
    ], script
    # WMI is restarted with a bound, before the dependents start again.
    bound = argument_text(stop_wmi, "-TimeoutSeconds")
    seconds = int(text(top_assignment(script, bound.lstrip("$"))).strip())
    assert seconds > 0, script
    assert stop_wmi.end_byte < start_loop.start_byte, script
    for node in (marker, stop_loop, stop_wmi, start_loop):
        found = {"$service": "the service"}
        assert reachable(node, found, block) is True, (script, text(node)[:40])
    # Each dependent comes back inside its own try; a failure only warns.
    (attempt,) = statements(loop_body(start_loop))
    assert attempt.type == "try_statement", script
    body = next(c for c in attempt.named_children if c.type == "statement_block")
    assert [m for m, _, _, _ in method_calls(body) if m == "Start"], script
    catch = clause_block(attempt, "catch_clause")
    assert catch is not None, script
    assert command_nodes(catch, "Write-Warning"), script
    assert not keyword_statements(catch, "throw"), script


def check_no_restart_service(script: Script) -> None:
    """No Restart-Service: it ends at the first failing dependent, waits unbounded."""
    found = [
        c
        for c in ps.commands(script.data)
        if ps.ALIAS_TARGETS.get(c.name.casefold(), c.name).casefold()
        == "restart-service"
    ]
    assert not found, (script, [c.line for c in found])


def test_f5_wmi_restart_stops_biztalk_and_brings_dependents_back(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F5: a WMI restart must not leave BizTalk on old names or dependents stopped."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_wmi_restart(script)


def test_f5_no_restart_service_anywhere(all_artifacts: list[RenderedArtifact]) -> None:
    """F5: Restart-Service must not be used (unbounded wait, first failure ends it)."""
    for script in scripts(all_artifacts):
        check_no_restart_service(script)


# ============================================ F6. a failed install is dormant


def check_install_finally(script: Script) -> None:
    """Install-DrHostInstance in a try whose finally makes the service dormant."""
    calls = [
        c
        for c in command_nodes(script.root, "Install-DrHostInstance")
        if not in_function(c)
    ]
    assert len(calls) == 1, script
    install = calls[0]
    loop = next(a for a in ancestors(install) if a.type == "foreach_statement")
    assert key(loop.named_children[1]) == "$hostinstances", script
    plan = loop_variable(loop)
    statement, _ = try_of(install)
    assert within(statement, loop), script
    final = clause_block(statement, "finally_clause")
    assert final is not None, script
    dormant = command_nodes(final, "Set-DrServiceDormant")
    assert len(dormant) == 1, script
    assert argument_text(dormant[0], "-Name").casefold() == f"{plan}.service", script
    probes = [
        p
        for p in command_nodes(final, "Get-DrService")
        if argument_text(p, "-Name").casefold() == f"{plan}.service"
    ]
    assert probes, script
    for exists in (True, False):
        env = {
            f"{plan}.inprocess": True,
            "get-drservice": "service" if exists else NULL,
        }
        assert reachable(dormant[0], env, final) is exists, (script, exists)


def test_f6_failed_install_leaves_no_startable_instance(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F6: an install that fails after creating the service must not leave it live."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_install_finally(script)


# ============================================ F7. stale private folders first


def check_stale_first(script: Script) -> None:
    """Remove-DrStalePrivateFolders is the first step after Protect-DrLogFolder."""
    body = [c.name for c in main_body(script)]
    protect = body.index("Protect-DrLogFolder")
    assert body[protect + 1] == "Remove-DrStalePrivateFolders", (script, body[:8])
    if "Assert-DrPreflight" in body:
        assert protect + 1 < body.index("Assert-DrPreflight"), script
    calls = [
        c
        for c in command_nodes(script.root, "Remove-DrStalePrivateFolders")
        if not in_function(c)
    ]
    assert len(calls) == 1, script
    env = {"$whatifpreference": False}
    assert reachable(calls[0], env, script.root) is True, script


def check_stale_function(script: Script) -> None:
    """Only drgen-<32 hex> folders, not links, owned by Administrators or SYSTEM."""
    assert strings(top_assignment(script, "PrivilegedSids")) == [ADMINISTRATORS, SYSTEM]
    fn = function(script, "Remove-DrStalePrivateFolders")
    (listing,) = command_nodes(fn, "Get-ChildItem")
    assert argument_text(listing, "-LiteralPath").casefold() == "$env:programdata"
    (remove,) = command_nodes(fn, "Remove-Item")
    (loop,) = [loop for loop in nodes(fn, "foreach_statement") if within(remove, loop)]
    folder = loop_variable(loop)
    owners = [call for method, _, _, call in method_calls(fn) if method == "GetOwner"]
    assert len(owners) == 1, script
    owner = next(
        key(a.named_children[0])
        for a in ancestors(owners[0])
        if a.type == "assignment_expression"
    )
    sids = [ADMINISTRATORS, SYSTEM]

    def removed(name: str, attributes: int, sid: str) -> Truth:
        env = {
            f"{folder}.name": name,
            f"{folder}.attributes": attributes,
            "[system.io.fileattributes]::reparsepoint": 1024,
            "$privilegedsids": sids,
            owner: sid,
            "shouldprocess()": True,
        }
        return reachable(remove, env, loop_body(loop))

    fresh = f"drgen-{uuid.uuid4().hex}"
    assert removed(fresh, 16, ADMINISTRATORS) is True, script
    assert removed(fresh, 16, SYSTEM) is True, script
    for name in ("drgen-state", f"x{fresh}", f"{fresh}0", fresh[:-1], "drgen-"):
        assert removed(name, 16, ADMINISTRATORS) is False, (script, name)
    assert removed(fresh, 16 | 1024, ADMINISTRATORS) is False, script
    for sid in ("S-1-5-21-1004336348-1177238915-682003330-1001", "S-1-1-0", ""):
        assert removed(fresh, 16, sid) is False, (script, sid)


def test_f7_stale_private_folders_removed_first(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F7: an answer-file copy with passwords must not outlive the next changing run."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_stale_first(script)


def test_f7_only_our_own_stale_folders_are_removed(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F7: a link, another user's folder or drgen-state must never be deleted."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_stale_function(script)


# =================================== F8. state outside the bundle, trusted only

#: Commands and .NET methods that write a file or folder.
WRITERS: Final = frozenset(
    {
        "set-content",
        "add-content",
        "out-file",
        "new-item",
        "copy-item",
        "move-item",
        "export-clixml",
        "export-csv",
        "tee-object",
    }
)
WRITE_METHODS: Final = frozenset(
    {
        "writealltext",
        "writealllines",
        "writeallbytes",
        "appendalltext",
        "appendalllines",
        "create",
        "createtext",
        "createdirectory",
        "move",
        "copy",
    }
)


def state_paths(script: Script) -> set[str]:
    """$StateFolder and every variable joined onto it."""
    found = {"$statefolder"}
    changed = True
    while changed:
        changed = False
        for join in command_nodes(script.root, "Join-Path"):
            path = argument(join, "-Path")
            if path is None or key(path) not in found:
                continue
            for parent in ancestors(join):
                if parent.type == "assignment_expression":
                    target = key(parent.named_children[0])
                    if target not in found:
                        found.add(target)
                        changed = True
                    break
    return found


def state_writes(script: Script) -> list[Node]:
    paths = state_paths(script)
    found = [
        c
        for c in nodes(script.root, "command")
        if key(c.child_by_field_name("command_name") or c) in WRITERS
        and variables(c) & paths
    ]
    found += [
        call
        for method, _, arguments, call in method_calls(script.root)
        if method.casefold() in WRITE_METHODS
        and arguments
        and variables(arguments[0]) & paths
    ]
    return found


def check_state_folder(script: Script) -> None:
    """$StateFolder lives under ProgramData, not beside the (re-copied) script."""
    value = top_assignment(script, "StateFolder")
    assert "$env:programdata" in variables(value), script
    assert "$psscriptroot" not in variables(value), script


def check_state_writes(script: Script) -> None:
    """Every write to the state folder comes after Initialize-DrStateFolder."""
    writes = state_writes(script)
    assert writes, script
    for write in writes:
        scope = enclosing_function(write) or script.root
        # Called earlier in a block that holds the write: on its path.
        guards = [
            call
            for call in command_nodes(scope, "Initialize-DrStateFolder")
            if call.end_byte < write.start_byte
            and within(
                write,
                next(a for a in ancestors(call) if a.type == "statement_list"),
            )
        ]
        assert guards, (script, ps_line(write), text(write)[:80])


def ps_line(node: Node) -> int:
    return node.start_point.row + 1


StateEnv = Callable[[bool, bool], dict[str, object]]


def check_initialize_state_folder(script: Script, state: StateEnv) -> None:
    """Initialize-DrStateFolder creates it protected, refuses an untrusted one."""
    init = function(script, "Initialize-DrStateFolder")
    (create,) = command_nodes(init, "New-DrProtectedFolder")
    assert argument_text(create, "-Path").casefold() == "$statefolder", script
    for probe in command_nodes(init, "Test-Path") + command_nodes(
        init, "Test-DrTrustedFolder"
    ):
        path = argument(probe, "-LiteralPath") or argument(probe, "-Path")
        assert path is not None, script
        assert key(path) == "$statefolder", script
    assert reachable(create, state(False, False), init) is True, script
    assert reachable(create, state(True, True), init) is False, script
    assert reached_throws(init, state(True, False)), script
    assert not reached_throws(init, state(True, True)), script
    assert not reached_throws(init, state(False, False)), script


def check_state_trust(script: Script) -> None:
    """An untrusted state folder: Initialize refuses it, the reader ignores it."""

    def state(exists: bool, trusted: bool) -> dict[str, object]:
        return {"test-path": exists, "test-drtrustedfolder": trusted}

    if script.name in CHANGING_SERVER:
        check_initialize_state_folder(script, state)
    read = function(script, "Read-DrStartupState")
    (load,) = command_nodes(read, "Get-Content")
    trusts = command_nodes(read, "Test-DrTrustedFolder")
    assert trusts, script
    assert all(argument_text(t, "-Path").casefold() == "$statefolder" for t in trusts)
    assert reachable(load, state(True, True), read) is True, script
    assert reachable(load, state(True, False), read) is False, script
    trusted = function(script, "Test-DrTrustedFolder")
    returns = keyword_statements(trusted, "return")
    last = returns[-1].named_children[-1]
    owner_variables = variables(last) - {"$privilegedsids"}
    assert len(owner_variables) == 1, script
    (owner,) = owner_variables
    for sid, wanted in ((ADMINISTRATORS, True), (SYSTEM, True), ("S-1-1-0", False)):
        env = {"$privilegedsids": [ADMINISTRATORS, SYSTEM], owner: sid}
        assert truthy(evaluate(last, env)) is wanted, (script, sid)
    linked = [
        r
        for r in returns
        if key(r.named_children[-1]) == "$false"
        and any(
            "ReparsePoint" in {m for _, m in member_accesses(condition(a))}
            for a in ancestors(r)
            if a.type == "if_statement"
        )
    ]
    assert linked, script


def test_f8_state_folder_survives_a_recopied_bundle(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F8: a re-copied bundle must not forget startup types or a pending WMI restart."""
    for script in scripts(all_artifacts):
        if script.art.path.parts[1] == "production":
            continue  # Export-BizTalkGroup.ps1 keeps no state (it writes one file)
        check_state_folder(script)


def test_f8_state_writes_go_through_initialize(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F8: no write may follow a link or land in a folder another user made."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_state_writes(script)


def test_f8_checker_accepts_initialize_before_the_wmi_marker(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F8: the write check must pass once Restart-DrWmi initializes the folder."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        marker = "        Set-Content -LiteralPath $WmiRestartMarker -Value (@("
        check_state_writes(
            mutated(script, marker, f"        Initialize-DrStateFolder\n{marker}")
        )


def test_f8_untrusted_state_folder_refused_or_ignored(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F8: a planted drgen-state folder must not be written to or believed."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_state_trust(script)


# ====================================== F9. transcript paused around ssoconfig


def check_transcript_paused(script: Script) -> None:
    """Stop-DrLog before `& $ssoconfig`, Start-Transcript -Append in its finally."""
    fn = function(script, "Enable-DrMasterSecretServer")
    runs = [
        c
        for c in nodes(fn, "command")
        if any(x.type == "command_invocation_operator" for x in c.children)
        and "-restoreSecret" in strings(c)
    ]
    assert len(runs) == 1, script
    call = runs[0]
    statement, body = try_of(call)
    final = clause_block(statement, "finally_clause")
    assert final is not None, script
    restarts = command_nodes(final, "Start-Transcript")
    assert len(restarts) == 1, script
    assert has_parameter(restarts[0], "-Append"), script
    assert argument_text(restarts[0], "-LiteralPath").casefold() == "$logpath"
    assert command_nodes(top_assignment(script, "logPath"), "Start-DrLog"), script
    assert reachable(restarts[0], {}, final) is True, script
    (clause,) = [c for c in should_process_clauses(fn) if within(call, c)]
    block = branch_block(clause)
    stops = [
        s
        for s in command_nodes(block, "Stop-DrLog")
        if s.end_byte < call.start_byte and reachable(s, {}, block) is True
    ]
    assert stops, script
    between = [
        c
        for name in ("Start-Transcript", "Start-DrLog")
        for c in command_nodes(block, name)
        if stops[-1].end_byte < c.start_byte < call.start_byte
    ]
    assert not between, script
    assert reachable(call, {}, body) is True, script
    stopper = function(script, "Stop-DrLog")
    assert command_nodes(stopper, "Stop-Transcript"), script


def test_f9_transcript_paused_around_restore_secret(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F9: ssoconfig's console output must not reach the log, nor the log stay off."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_transcript_paused(script)


# ================================================ F10. signatures by literal path


def check_literal_path(script: Script) -> int:
    """Get-AuthenticodeSignature takes -LiteralPath only (no -FilePath, positional)."""
    calls = named(ps.commands(script.data), "Get-AuthenticodeSignature")
    for call in calls:
        arguments = list(call.arguments)
        lowered = [a.casefold().rstrip(":") for a in arguments]
        assert "-literalpath" in lowered, (script, call.line)
        for i, element in enumerate(lowered):
            if element.startswith("-"):
                assert not "-filepath".startswith(element), (script, call.line)
                continue
            assert i > 0, (script, call.line)
            assert lowered[i - 1] == "-literalpath", (script, call.line, element)
    return len(calls)


def test_f10_signatures_checked_by_literal_path(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F10: a bracket in a path must not be read as a wildcard by -FilePath."""
    for script in scripts(all_artifacts):
        count = check_literal_path(script)
        if script.name == "Test-DrBundle.ps1":
            assert count >= 2, script


# ======================================= F11. Disable: one try per host instance


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


def test_f11_one_failing_instance_does_not_leave_others_enabled(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F11: Disable must go on to the next host instance when one fails."""
    for script in scripts(all_artifacts, "Disable-DrServer.ps1"):
        check_disable_per_instance(script)


# =========================================== F12. -AfterDrill after stand-down


def check_after_drill(script: Script) -> None:
    """Test-DrServer -AfterDrill reaches Get-DrStateReport -AnyManagementServer."""
    parameters = script_parameters(script_param_block(script))
    assert "$afterdrill" in parameters, script
    assert is_switch(parameters["$afterdrill"]), script
    assert ".PARAMETER AfterDrill" in help_comment(script), script
    calls = [
        c for c in command_nodes(script.root, "Get-DrStateReport") if not in_function(c)
    ]
    assert len(calls) == 1, script
    assert argument_text(calls[0], "-AnyManagementServer").casefold() == "$afterdrill"
    report = function(script, "Get-DrStateReport")
    inner = script_parameters(next(iter(nodes(report, "param_block"))))
    assert is_switch(inner["$anymanagementserver"]), script
    use_dr = [
        s
        for s in nodes(report, "if_statement")
        if [
            a
            for a in assignments(branch_block(s), "$mgmtServer")
            if key(a) == "$drmgmtserver"
        ]
    ]
    assert len(use_dr) == 1, script
    for any_server, actual, wanted in (
        (True, "SQLDR01", True),
        (False, "SQLDR01", False),
        (True, "SQLPROD01", False),
    ):
        env: dict[str, object] = {
            **report_env(report, "Dormant"),
            "$anymanagementserver": any_server,
            "$actualserver": actual,
            "$drmgmtserver": "SQLDR01",
        }
        for variable in variables(condition(use_dr[0])):
            if variable not in env:
                env[variable] = evaluate(only_assignment(report, variable), env)
        assert holds(use_dr[0], env) is wanted, (script, any_server, actual)


def stand_down_code(markdown: str) -> list[str]:
    """Code spans and command lines of the runbook's stand-down section."""
    code = []
    for token in section_tokens(markdown, "4. Stand down"):
        if token.type == "code_block":
            code += [line.strip() for line in token.content.splitlines()]
        elif token.type == "inline":
            code += [
                child.content.strip()
                for child in token.children or []
                if child.type == "code_inline"
            ]
    return code


def check_runbook_stand_down(markdown: str) -> None:
    code = stand_down_code(markdown)
    assert ".\\Disable-DrServer.ps1" in code, code
    assert ".\\Test-DrServer.ps1 -AfterDrill" in code, code
    assert code.index(".\\Disable-DrServer.ps1") < code.index(
        ".\\Test-DrServer.ps1 -AfterDrill"
    )


def test_f12_test_after_drill_accepts_dr_registry(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F12: Test-DrServer after a drill must not fail on the DR registry names."""
    for script in scripts(all_artifacts, "Test-DrServer.ps1"):
        check_after_drill(script)


def test_f12_runbook_stand_down_runs_after_drill(rendered: Rendered) -> None:
    """F12: the stand-down section must check with -AfterDrill, not plain Dormant."""
    for stem in EXAMPLES:
        check_runbook_stand_down(artifact(rendered, stem, "Runbook.md").text)


# ============================================ F13. no password in the join error


def check_first_error(script: Script) -> None:
    """A log holding a password reports a fixed text as its first error line."""
    fn = function(script, "Invoke-DrConfigurationJoin")
    secret_ifs = [
        s
        for s in nodes(fn, "if_statement")
        if command_nodes(condition(s), "Test-DrTextHoldsSecret")
    ]
    assert len(secret_ifs) == 1, script
    secret = secret_ifs[0]
    hidden = assignments(branch_block(secret), "$firstError")
    assert len(hidden) == 1, script
    fixed = verbatim(hidden[0])
    assert fixed, script
    assert reachable(hidden[0], {}, branch_block(secret)) is True, script
    from_log = [
        a
        for a in assignments(fn, "$firstError")
        if "$errors" in variables(a) or "$logtext" in variables(a)
    ]
    assert from_log, script
    assert all(a.end_byte < secret.start_byte for a in from_log), script
    reports = [
        t
        for t in keyword_statements(fn, "throw")
        if "$errors" in variables(t) or "$firsterror" in variables(t)
    ]
    assert reports, script
    for report in reports:
        assert "$firsterror" in variables(report), script
        assert not [
            e for e in nodes(report, "element_access") if key(e).startswith("$errors")
        ], script
        assert "$logtext" not in variables(report), script
        assert secret.end_byte < report.start_byte, script


def test_f13_configuration_error_line_never_carries_a_password(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F13: the join's error message must not copy a password-bearing log line."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_first_error(script)


# ===================================================== F14. SSO view fallback


def check_sso_view(script: Script) -> None:
    """ssomanage -displaydb first; registry and SSODB only for an unread value."""
    assert top_string(script, "SsoSqlRegistryKey") == SSO_SQL_KEY
    assert top_string(script, "SsoSecretServerQuery").upper().startswith("SELECT ")
    fn = function(script, "Get-DrSsoView")
    (display,) = command_nodes(fn, "Get-DrSsoDisplayDb")
    assert reachable(display, {}, fn) is True, script
    reads = command_nodes(fn, "Get-DrRegistryValue")
    assert sorted(verbatim(argument(r, "-Name") or r) or "" for r in reads) == [
        "Database",
        "Server",
    ], script
    assert all(
        argument_text(r, "-Path").casefold() == "$ssosqlregistrykey" for r in reads
    ), script
    (query,) = command_nodes(fn, "Invoke-DrSqlQuery")
    assert argument_text(query, "-Query").casefold() == "$ssosecretserverquery"
    fallback = [*reads, query]
    assert all(display.end_byte < f.start_byte for f in fallback), script
    known = {
        "$display": "display",
        "$display.exitcode": 0,
        "$view.sqlserver": "SQLDR01",
        "$view.database": "SSODB",
        "$view.secretserver": "DRSERVER1",
    }
    assert all(reachable(f, known, fn) is False for f in fallback), script
    for field in ("$view.sqlserver", "$view.database", "$view.secretserver"):
        unread = {**known, field: ""}
        assert all(reachable(f, unread, fn) is True for f in fallback), field
    assert not reached_throws(fn, known), script
    failed = reached_throws(fn, {**known, "$display.exitcode": 1})
    assert failed, script
    assert reached_throws(fn, {**known, "$display": NULL}), script


def test_f14_sso_view_falls_back_only_for_unread_values(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F14: a failing ssomanage or an unreadable label must not pass unnoticed."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_sso_view(script)


# ======================================= F15. -SecretBackupFile always restores


def returned_value(fn: Node, env: Env) -> object:
    """What ``fn`` returns under ``env``: the first ``return`` that surely runs."""
    for statement in keyword_statements(fn, "return"):
        verdict = reachable(statement, env, fn)
        assert verdict is not None, (text(statement)[:60], env)
        if verdict:
            return evaluate(statement.named_children[-1], env)
    raise AssertionError("no return runs")


def restore_call(fn: Node) -> Node:
    (call,) = [
        c
        for c in nodes(fn, "command")
        if "-restoreSecret" in strings(c) and text(c).startswith("&")
    ]
    return call


def check_secret_restore_always(script: Script) -> None:
    """A given backup file is restored even over a secret already here (an earlier
    drill's), unless it is the very file restored last; none given keeps the
    secret with a warning that names its age."""
    reason = function(script, "Get-DrSecretRestoreReason")
    given: Env = {"[string]::isnullorempty($secretbackupfile)": False}
    drill_secret = {**given, "test-drsecretpresent": True}
    # A secret here, no record of which backup it came from: restore.
    assert returned_value(reason, {**drill_secret, "$record": NULL}) != "", script
    # A secret from another backup file: restore.
    recorded = {**drill_secret, "$record": "a record"}
    other = {**recorded, "$record['backupsha256']": "AA", "$sha256": "BB"}
    assert returned_value(reason, other) != "", script
    # This very backup file was restored last: nothing to do (a re-run).
    same = {**recorded, "$record['backupsha256']": "AA", "$sha256": "AA"}
    assert returned_value(reason, same) == "", script
    # No secret at all: restore.
    missing = {**given, "test-drsecretpresent": False}
    assert returned_value(reason, missing) != "", script
    # No backup file: nothing is restored (the caller warns or stops).
    none_given: Env = {"[string]::isnullorempty($secretbackupfile)": True}
    assert returned_value(reason, none_given) == "", script

    enable = function(script, "Enable-DrMasterSecretServer")
    call = restore_call(enable)
    (decision,) = [
        s
        for s in nodes(enable, "if_statement")
        if within(call, s) and "$reason" in text(condition(s))
    ]
    restore: Env = {"$reason": "x", "shouldprocess()": True, "$whatifpreference": False}
    assert reachable(call, restore, decision) is True, script
    assert reachable(call, {**restore, "$reason": ""}, decision) is False, script
    kept = {"$reason": "", "[string]::isnullorempty($secretbackupfile)": True}
    warnings = [
        w
        for w in command_nodes(decision, "Write-Warning")
        if reachable(w, kept, decision) is True
    ]
    assert warnings, script
    assert any("Get-DrSecretRecordText" in text(w) for w in warnings), script
    saves = command_nodes(enable, "Save-DrSecretRecord")
    assert saves, script
    restored = {**restore, "$code": 0, "test-drsecretpresent": True}
    assert all(reachable(w, restored, decision) is True for w in saves), script


def test_f15_secret_backup_file_always_restores(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """F15: a drill's secret never survives a real failover given its backup file."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_secret_restore_always(script)


# ============================================================ counter-tests

Checker = Callable[[Script], object]

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "existing-secret-skips-restore": (
        "Enable-DrServer.ps1",
        check_secret_restore_always,
        "return 'the secret on this server may be older than this backup'",
        "return ''",
    ),
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
    "ready-starts-host-services": (
        "Test-DrServer.ps1",
        check_ready_report,
        "if ($running -or ($failedOver -and ($hostServices -notcontains $name))) {",
        "if ($failedOver) {",
    ),
    "ready-expects-pool-autostart": (
        "Enable-DrServer.ps1",
        check_ready_report,
        "-Expected (([string]$running).ToLowerInvariant())",
        "-Expected (([string]$failedOver).ToLowerInvariant())",
    ),
    "interactive-check-skipped": (
        "Enable-DrServer.ps1",
        check_secret_restore_unattended,
        "-and -not (Test-DrInteractive)) {",
        "-and $false) {",
    ),
    "what-if-throws-for-missing-backup": (
        "Enable-DrServer.ps1",
        check_secret_restore_unattended,
        "Write-Host '   What if: the real run needs -SecretBackupFile",
        "throw '   What if: the real run needs -SecretBackupFile",
    ),
    "redirected-input-counts-as-console": (
        "Enable-DrServer.ps1",
        check_test_interactive,
        " -and -not [Console]::IsInputRedirected)",
        ")",
    ),
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
    "restart-service-for-wmi": (
        "Enable-DrServer.ps1",
        check_no_restart_service,
        "        Restart-DrWinmgmt -Name $name"
        " -TimeoutSeconds $WmiRestartTimeoutSeconds -Confirm:$false\n",
        "        Restart-Service -Name $name -Force\n",
    ),
    "dependents-left-running": (
        "Enable-DrServer.ps1",
        check_wmi_restart,
        "        foreach ($dependent in $dependents) {\n"
        "            Stop-DrService -Name $dependent -Confirm:$false\n"
        "        }\n",
        "",
    ),
    "dormant-only-on-failure": (
        "Initialize-DrServer.ps1",
        check_install_finally,
        "        finally {\n            # Per host,",
        "        catch {\n            # Per host,",
    ),
    "stale-folders-not-removed": (
        "Disable-DrServer.ps1",
        check_stale_first,
        "    Protect-DrLogFolder\n    Remove-DrStalePrivateFolders\n",
        "    Protect-DrLogFolder\n",
    ),
    "stale-pattern-too-wide": (
        "Initialize-DrServer.ps1",
        check_stale_function,
        "'^drgen-[0-9a-f]{32}$'",
        "'^drgen-'",
    ),
    "state-beside-the-script": (
        "Test-DrServer.ps1",
        check_state_folder,
        "Join-Path -Path $env:ProgramData -ChildPath 'drgen-state'",
        "Join-Path -Path $PSScriptRoot -ChildPath 'state'",
    ),
    "untrusted-state-folder-accepted": (
        "Enable-DrServer.ps1",
        check_state_trust,
        "        throw ('{0} is a link or is not owned",
        "        Write-Warning ('{0} is a link or is not owned",
    ),
    "transcript-not-paused": (
        "Enable-DrServer.ps1",
        check_transcript_paused,
        "        Stop-DrLog\n        try {",
        "        try {",
    ),
    "signature-by-file-path": (
        "Test-DrBundle.ps1",
        check_literal_path,
        "Get-AuthenticodeSignature -LiteralPath $path",
        "Get-AuthenticodeSignature -FilePath $path",
    ),
    "signature-positional": (
        "Test-DrBundle.ps1",
        check_literal_path,
        "Get-AuthenticodeSignature -LiteralPath $PSCommandPath",
        "Get-AuthenticodeSignature $PSCommandPath",
    ),
    "disable-instance-failure-rethrown": (
        "Disable-DrServer.ps1",
        check_disable_per_instance,
        "            Write-DrProblem -Message ('host instance {0}: {1}'",
        "            throw ('host instance {0}: {1}'",
    ),
    "after-drill-not-passed": (
        "Test-DrServer.ps1",
        check_after_drill,
        " -AnyManagementServer:$AfterDrill",
        "",
    ),
    "first-error-from-the-log": (
        "Initialize-DrServer.ps1",
        check_first_error,
        "-f $errors.Count, $firstError, $logHint)",
        "-f $errors.Count, $errors[0], $logHint)",
    ),
    "displaydb-failure-ignored": (
        "Enable-DrServer.ps1",
        check_sso_view,
        "        throw ('ssomanage -displaydb failed",
        "        Write-Warning ('ssomanage -displaydb failed",
    ),
}


def scripts_with(
    all_artifacts: list[RenderedArtifact], name: str, old: str
) -> list[Script]:
    found = [s for s in scripts(all_artifacts, name) if old in s.art.text]
    assert found, (name, old)
    return found


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


def test_counter_runbook_without_after_drill(rendered: Rendered) -> None:
    """Counter-test: a stand-down that tests plain Dormant must be caught."""
    for stem in EXAMPLES:
        markdown = artifact(rendered, stem, "Runbook.md").text
        check_runbook_stand_down(markdown)
        broken = markdown.replace(
            "    .\\Test-DrServer.ps1 -AfterDrill\n", "    .\\Test-DrServer.ps1\n"
        )
        assert broken != markdown
        with pytest.raises(AssertionError):
            check_runbook_stand_down(broken)
