"""Rules that hold under Set-StrictMode -Version Latest: .Count of what may be
one object, members of a query that may return nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Final

from tree_sitter import Node

from tests.support.ps51.core import (
    Finding,
    Script,
    _assignments_by_scope,
    _descendants,
    _first,
    _normal,
    _scope,
    _unwrap,
    _variable_name,
    canonical,
    parameter_value,
    text,
)
from tests.support.ps51.culture import _comparison_parts
from tests.support.ps51.native import _function_of
from tests.support.pwsh_oracle import (
    line_col,
)


def _pipeline_commands(node: Node) -> list[Node]:
    """The commands of a pipeline expression (not those nested deeper)."""
    inner = _unwrap(node)
    if inner.type == "command":
        return [inner]
    if inner.type == "pipeline_chain":
        return [child for child in inner.named_children if child.type == "command"]
    return []


def _returns_intact(function: Node) -> bool:
    """Tell whether every ``return`` of a function writes one object with the
    unary comma (``return ,$rows``), so the caller gets the collection itself."""
    returns = [
        statement
        for statement in _descendants(function, "flow_control_statement")
        if statement.children and statement.children[0].type.casefold() == "return"
    ]
    return bool(returns) and all(
        _normal(text(statement)).startswith("return,") for statement in returns
    )


def _may_be_scalar(script: Script, value: Node) -> bool:
    """Tell whether a value is the bare output of a command: one object or none.

    ``@(...)`` and casts are expressions, not bare output. ``New-Object`` returns
    exactly the object it makes, and a script function whose every ``return`` uses
    the unary comma returns its collection intact: neither counts.
    """
    inner = _unwrap(value)
    if inner.type == "parenthesized_expression" and inner.named_children:
        inner = _unwrap(inner.named_children[0])
    commands = _pipeline_commands(inner)
    if not commands:
        return False
    last = commands[-1]
    name = canonical(last)
    if name == "new-object" and len(commands) == 1:
        return False
    function = script.functions.get(name)
    return not (
        function is not None and len(commands) == 1 and _returns_intact(function)
    )


def _pipeline_assignments(script: Script, scope: Node) -> dict[str, list[Node]]:
    """Untyped variables assigned bare command output in ``scope``."""
    assigned: dict[str, list[Node]] = defaultdict(list)
    for assignment in _assignments_by_scope(script).get(scope, ()):
        left = assignment.named_children[0] if assignment.named_children else None
        value = assignment.child_by_field_name("value")
        if left is None or value is None or any(_descendants(left, "type_literal")):
            continue
        inner = _unwrap(left)
        if inner.type != "variable":
            continue
        if _may_be_scalar(script, value):
            assigned[_variable_name(inner)].append(assignment)
    return assigned


def strict_count(script: Script) -> list[Finding]:
    """``.Count`` only on something that is surely a collection.

    SOURCE: engine src/System.Management.Automation/engine/runtime/Binding/Binders.cs
    (``PSGetMemberBinder.PropertyDoesntExist``: the intrinsic ``Count``/``Length``
    of a scalar or ``$null`` throws PropertyNotFoundStrict when strict mode is 2 or
    later); PowerShell/PowerShell#16427 (``(Get-ChildItem x).Count`` with one file
    under ``Set-StrictMode -Version Latest``);
    reference/5.1/Microsoft.PowerShell.Core/Set-StrictMode.md.

    A command's bare output is one object or none when one or none comes out. The
    rule flags ``(<pipeline>).Count`` and ``$v.Count`` where ``$v`` is assigned
    bare command output in the same function (untyped). Wrap in ``@()``. Not
    flagged: ``New-Object`` (one object of the named type), a script function
    whose every ``return`` is ``return ,$x``.
    """
    findings: list[Finding] = []
    assignments: dict[Node, dict[str, list[Node]]] = {}
    for access in script.of("member_access"):
        name = _first(access, "member_name")
        if name is None or text(name).casefold() != "count":
            continue
        target = access.named_children[0]
        if target.type == "parenthesized_expression":
            if _may_be_scalar(script, target):
                findings.append(
                    script.at(
                        access,
                        "strict-count",
                        f"'{text(access)[:60]}': .Count of command output that may"
                        " be one object or none throws under StrictMode; use @()",
                    )
                )
            continue
        if target.type != "variable":
            continue
        scope = _scope(access)
        if scope not in assignments:
            assignments[scope] = _pipeline_assignments(script, scope)
        variable = _variable_name(target)
        earlier = [
            node
            for node in assignments[scope].get(variable, [])
            if node.start_byte < access.start_byte
        ]
        if earlier:
            line, _ = line_col(script.data, earlier[-1].start_byte)
            findings.append(
                script.at(
                    access,
                    "strict-count",
                    f"${variable}.Count: ${variable} holds bare command output"
                    f" (line {line}), one object or none; StrictMode throws; use @()",
                )
            )
    return findings


#: Commands whose output may be nothing without any error: a property read on
#: it meets $null.
_MAYBE_NOTHING: Final = frozenset(
    {
        "get-wmiobject",
        "get-ciminstance",
        "get-childitem",
        "where-object",
        "select-string",
    }
)


def _is_quiet_query(command: Node) -> bool:
    """A cmdlet of :data:`_MAYBE_NOTHING`, or any command told to be silent."""
    if canonical(command) in _MAYBE_NOTHING:
        return True
    action = parameter_value(command, "ErrorAction", 2)
    return action is not None and text(action).strip("'\" ").casefold() in {
        "silentlycontinue",
        "ignore",
    }


@lru_cache(maxsize=256)
def _nothing_functions(script: Script) -> frozenset[str]:
    """Functions of the script that may return nothing: a ``return $null`` or a
    ``return`` of a quiet query (or of such a function), to a fixed point."""
    returns: dict[str, list[Node]] = defaultdict(list)
    for statement in script.of("flow_control_statement"):
        if not statement.children or statement.children[0].type.casefold() != "return":
            continue
        function = _function_of(statement)
        label = _first(function, "function_name") if function is not None else None
        if label is not None:
            returns[text(label).casefold()].append(statement)
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, statements in returns.items():
            if name in found:
                continue
            for statement in statements:
                value = (
                    statement.named_children[0] if statement.named_children else None
                )
                commands = _pipeline_commands(value) if value is not None else []
                if (value is not None and _normal(text(value)) == "$null") or (
                    commands
                    and (
                        _is_quiet_query(commands[-1])
                        or canonical(commands[-1]) in found
                    )
                ):
                    found.add(name)
                    changed = True
                    break
    return frozenset(found)


def _may_be_nothing(command: Node, script: Script) -> bool:
    """Tell whether a command may output nothing without an error: a quiet
    query, or a function of the script that may return nothing."""
    return _is_quiet_query(command) or canonical(command) in _nothing_functions(script)


def strict_member_on_query(script: Script) -> list[Finding]:
    """A property of a query result that may be nothing is read only after a check.

    SOURCE: engine src/System.Management.Automation/engine/runtime/Binding/Binders.cs
    (``PSGetMemberBinder.FallbackGetMember``: a ``$null`` target goes to
    ``PropertyDoesntExist``, which throws PropertyNotFoundStrict under strict mode
    2 or later; a method call on ``$null`` throws InvokeMethodOnNull, "You cannot
    call a method on a null-valued expression", in any mode);
    reference/5.1/Microsoft.PowerShell.Core/Set-StrictMode.md ("references to
    non-existent properties").

    Queries that may return nothing: ``Get-WmiObject``, ``Get-CimInstance``,
    ``Get-ChildItem``, ``Where-Object``, ``Select-String``, any command with
    ``-ErrorAction SilentlyContinue``/``Ignore``, and a function of the script with
    a ``return $null`` or a ``return`` of such a query. Flagged:
    ``(<query>).Property`` and ``(<query>).Method()``; ``$v.Property`` or
    ``$v.Method()`` where ``$v = <query>`` in the same function and neither an
    ``if``/``elseif``/``while`` condition mentioning ``$v`` nor a comparison of
    ``$v`` with ``$null`` comes between the assignment and the use. ``.Count`` is
    left to :func:`strict_count`.
    """
    findings: list[Finding] = []
    for access in script.of("member_access", "invocation_expression"):
        name = _first(access, "member_name")
        target = access.named_children[0] if access.named_children else None
        if name is None or target is None or text(name).casefold() == "count":
            continue
        if target.type == "parenthesized_expression" and target.named_children:
            commands = _pipeline_commands(target.named_children[0])
            if commands and _may_be_nothing(commands[-1], script):
                findings.append(
                    script.at(
                        access,
                        "strict-member-on-query",
                        f"'{text(access)[:60]}': the query may return nothing, and"
                        " a member of $null throws under StrictMode",
                    )
                )
    findings.extend(_unchecked_query_variables(script))
    return sorted(findings)


@lru_cache(maxsize=256)
def _variable_uses(script: Script) -> Mapping[tuple[Node, str], tuple[Node, ...]]:
    """``$v.Member`` and ``$v.Method()`` by (scope, variable), in order."""
    uses: dict[tuple[Node, str], list[Node]] = defaultdict(list)
    for access in script.of("member_access", "invocation_expression"):
        target = access.named_children[0] if access.named_children else None
        if target is not None and target.type == "variable":
            uses[(_scope(access), _variable_name(target))].append(access)
    return {key: tuple(found) for key, found in uses.items()}


@lru_cache(maxsize=256)
def _null_checks(script: Script) -> Mapping[tuple[Node, str], tuple[int, ...]]:
    """Where a variable is checked, by (scope, variable): the start of each
    if/elseif/while condition that mentions it and of each comparison of it
    with ``$null`` (``($null -ne $v) -and $v.X`` counts)."""
    checks: dict[tuple[Node, str], list[int]] = defaultdict(list)
    for clause in script.of("if_statement", "elseif_clause", "while_statement"):
        condition = clause.child_by_field_name("condition")
        if condition is None:
            continue
        scope = _scope(clause)
        for name in {_variable_name(v) for v in _descendants(condition, "variable")}:
            checks[(scope, name)].append(condition.start_byte)
    for comparison in script.of("comparison_expression"):
        parts = _comparison_parts(comparison)
        if parts is None:
            continue
        sides = {_normal(text(parts[0])), _normal(text(parts[2]))}
        if "$null" in sides and len(sides) == 2:
            (other,) = sides - {"$null"}
            name = other.lstrip("$").strip("{}")
            name = name.split(":", 1)[-1] if ":" in name else name
            checks[(_scope(comparison), name)].append(comparison.start_byte)
    return {key: tuple(sorted(found)) for key, found in checks.items()}


def _unchecked_query_variables(script: Script) -> Iterator[Finding]:
    """``$v = <query>`` then ``$v.Property`` with no check of ``$v`` between."""
    uses = _variable_uses(script)
    checks = _null_checks(script)
    for assignment in script.of("assignment_expression"):
        left = assignment.named_children[0] if assignment.named_children else None
        value = assignment.child_by_field_name("value")
        if left is None or value is None or _unwrap(left).type != "variable":
            continue
        commands = _pipeline_commands(value)
        if not commands or not _may_be_nothing(commands[-1], script):
            continue
        variable = _variable_name(_unwrap(left))
        key = (_scope(assignment), variable)
        for access in uses.get(key, ()):
            member = _first(access, "member_name")
            if access.start_byte < assignment.end_byte or member is None:
                continue
            if text(member).casefold() == "count":
                continue
            if any(
                assignment.end_byte <= check < access.start_byte
                for check in checks.get(key, ())
            ):
                continue
            yield script.at(
                access,
                "strict-member-on-query",
                f"${variable}.{text(member)}: ${variable} may be $null (the query can"
                " return nothing) and StrictMode throws; check it first",
            )
            break
