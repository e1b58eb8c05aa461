"""A small three-valued evaluator of PowerShell conditions and reachability.

Given values for some of a script's variables, commands and method calls (an
``env``), it decides which conditions hold and which statements can run:
``True``, ``False``, or ``None`` where it cannot tell. ``env`` names each value
by the text of the expression it stands for, lower-case (:func:`tests.support.
tree.key`): ``$nostart``, ``$view.sqlserver``, ``test-path`` (a command),
``shouldprocess()`` (a method call). :func:`strict` adds what
Set-StrictMode -Version Latest does to a member read on $null."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from tree_sitter import Node

from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.tree import (
    ancestors,
    branch_block,
    calls_should_process,
    condition,
    key,
    keyword_statements,
    verbatim,
)


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


def should_process_clauses(scope: Node) -> list[Node]:
    """The ``if``/``elseif`` clauses whose condition calls $PSCmdlet.ShouldProcess."""
    return [
        clause
        for statement in nodes(scope, "if_statement")
        for clause in clauses(statement)
        if clause.type != "else_clause" and calls_should_process(condition(clause))
    ]


def always_throws(block: Node) -> bool:
    """Whether ``block`` ends in a ``throw`` that nothing in it can skip."""
    return any(
        reachable(t, {}, block) is True for t in keyword_statements(block, "throw")
    )


def reached_throws(scope: Node, env: Env) -> list[Node]:
    return [t for t in keyword_statements(scope, "throw") if reachable(t, env, scope)]


def decline_clause(should_process: Node) -> Node:
    """The clause after a ShouldProcess clause: must be ``elseif (-not $WhatIf)``."""
    chain = clauses(owner_if(should_process))
    index = chain.index(should_process)
    assert index + 1 < len(chain), text(should_process)[:80]
    return chain[index + 1]


def check_decline_throws(should_process: Node) -> None:
    """Declining throws, as every other decline does; -WhatIf does not."""
    declined = decline_clause(should_process)
    assert declined.type == "elseif_clause", text(should_process)[:80]
    assert holds(declined, {"$whatifpreference": False}) is True
    assert holds(declined, {"$whatifpreference": True}) is False
    assert always_throws(branch_block(declined))


class StrictModeError(AssertionError):
    """A property read on $null: an error under Set-StrictMode -Version Latest."""


def strict(node: Node, env: Env) -> object:
    """:func:`evaluate`, but short-circuiting ``-and``/``-or`` as PowerShell does and
    raising :class:`StrictModeError` for a member read on a value known to be $null."""
    if node.type == "logical_expression":
        operator = node.children[1].type.casefold()
        left = truthy(strict(node.children[0], env))
        if (operator == "-or" and left is True) or (
            operator == "-and" and left is False
        ):
            return left
        strict(node.children[-1], env)
        return evaluate(node, env)
    if node.type == "member_access":
        if strict(node.named_children[0], env) is NULL:
            raise StrictModeError(text(node))
        return evaluate(node, env)
    for child in node.named_children:
        strict(child, env)
    return evaluate(node, env)
