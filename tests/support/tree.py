"""Node helpers over the tree-sitter-pwsh parse tree of a generated script.

Small, generic questions the script tests ask of a node: the value bound to a
parameter, the method calls and member reads below it, the condition and block
of an ``if``, the ``foreach`` loops over a variable. Names are compared
case-insensitively, as PowerShell does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from tree_sitter import Node

from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes


def line(node: Node) -> int:
    """1-based line of a node (as :class:`ps.Command` counts them)."""
    return node.start_point.row + 1


def within(node: Node, scope: Node) -> bool:
    return scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte


def ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def verbatim(node: Node) -> str | None:
    """The value of a node that is exactly one single-quoted literal."""
    literals = nodes(node, "verbatim_string_characters")
    if len(literals) != 1 or text(literals[0]).strip() != text(node).strip():
        return None
    return text(literals[0])[1:-1].replace("''", "'")


def strings(node: Node) -> list[str]:
    """Every single-quoted literal value inside ``node``, in document order."""
    return [
        text(n)[1:-1].replace("''", "'")
        for n in nodes(node, "verbatim_string_characters")
    ]


def records(node: Node) -> list[dict[str, str]]:
    """``[pscustomobject]@{...}`` entries: key -> literal value (or raw text)."""
    rows = []
    for table in nodes(node, "hash_literal_expression"):
        row = {}
        for entry in nodes(table, "hash_entry"):
            key = text(entry.named_children[0])
            value_node = entry.named_children[-1]
            value = verbatim(value_node)
            row[key] = value if value is not None else text(value_node)
        rows.append(row)
    return rows


def key(node: Node) -> str:
    """A node's text, whitespace collapsed, lower-case: how ``env`` names it."""
    return " ".join(text(node).split()).casefold()


def command_nodes(node: Node, name: str) -> list[Node]:
    """``command`` nodes named ``name`` (case-insensitive) below ``node``."""
    found = []
    for command in nodes(node, "command"):
        name_node = command.child_by_field_name("command_name")
        if name_node is not None and text(name_node).casefold() == name.casefold():
            found.append(command)
    return found


def named(commands: list[ps.Command], name: str) -> list[ps.Command]:
    return [c for c in commands if c.name.casefold() == name.casefold()]


def canonical(command: ps.Command) -> str:
    """The command an alias resolves to, lower-case."""
    plain = command.name.strip("'\"").casefold()
    return ps.ALIAS_TARGETS.get(plain, plain).casefold()


def first_line(commands: list[ps.Command], name: str, *arguments: str) -> int:
    """Line of the first command ``name`` passing every one of ``arguments``."""
    lines = [
        c.line
        for c in named(commands, name)
        if all(a.casefold() in (x.casefold() for x in c.arguments) for a in arguments)
    ]
    assert lines, f"no {name} {' '.join(arguments)}"
    return lines[0]


def parameter_value(command: ps.Command, parameter: str) -> str | None:
    """The argument bound to ``parameter``: ``-P value`` or ``-P:value``."""
    for i, given in enumerate(command.arguments):
        name, colon, value = given.partition(":")
        if name.casefold() != parameter.casefold():
            continue
        if colon:
            return value
        return command.arguments[i + 1] if i + 1 < len(command.arguments) else None
    return None


def method_calls(node: Node) -> list[tuple[str, str, list[Node], Node]]:
    """``(method, target text, argument nodes, call node)`` of each method call."""
    calls = []
    for call in nodes(node, "invocation_expression"):
        member = next((c for c in call.children if c.type == "member_name"), None)
        if member is None:
            continue
        arguments = [
            a
            for lst in nodes(call, "argument_expression_list")
            if lst.parent is not None and lst.parent.parent == call
            for a in lst.named_children
            if a.type == "argument_expression"
        ]
        calls.append((text(member), text(call.named_children[0]), arguments, call))
    return calls


def member_accesses(node: Node) -> list[tuple[str, str]]:
    """``(target text, member)`` of each property read or write."""
    found = []
    for access in nodes(node, "member_access"):
        member = next((c for c in access.children if c.type == "member_name"), None)
        if member is not None:
            found.append((text(access.named_children[0]), text(member)))
    return found


def variables(node: Node) -> set[str]:
    """Lower-case names of every variable used below ``node``."""
    return {text(v).casefold() for v in nodes(node, "variable")}


def condition(statement: Node) -> Node:
    found = statement.child_by_field_name("condition")
    assert found is not None, text(statement)[:60]
    return found


def branch_block(statement: Node) -> Node:
    """The statement block of an ``if``/``elseif`` (not its else parts)."""
    return next(c for c in statement.named_children if c.type == "statement_block")


def throws(node: Node) -> bool:
    return any(
        text(f).startswith("throw") for f in nodes(node, "flow_control_statement")
    )


def keyword_statements(node: Node, keyword: str) -> list[Node]:
    return [
        f
        for f in nodes(node, "flow_control_statement")
        if f.children and f.children[0].type == keyword
    ]


def calls_should_process(node: Node) -> bool:
    """Whether an ``if`` condition calls $PSCmdlet.ShouldProcess, not negated."""
    for method, target, _, call in method_calls(node):
        if method.casefold() == "shouldprocess" and target.casefold() == "$pscmdlet":
            negated = any(
                a.type == "expression_with_unary_operator"
                and a.children[0].type.casefold() in {"-not", "!"}
                for a in ancestors(call)
                if a.start_byte >= node.start_byte
            )
            return not negated
    return False


def guarded(node: Node) -> bool:
    """Whether ``node`` sits in the block of ``if ($PSCmdlet.ShouldProcess(...))``."""
    child = node
    for parent in ancestors(node):
        branch = child.type == "statement_block" and parent.type in {
            "if_statement",
            "elseif_clause",
        }
        if branch and calls_should_process(condition(parent)):
            return True
        child = parent
    return False


def assigned_variable(node: Node) -> str:
    """The variable an enclosing assignment stores ``node``'s value in."""
    for parent in ancestors(node):
        if parent.type == "assignment_expression":
            return text(parent.named_children[0]).strip().casefold()
    raise AssertionError(f"not assigned: {text(node)[:60]}")


def match_comparisons(node: Node, pattern_variable: str) -> list[Node]:
    """``... -match $pattern_variable`` comparisons below ``node``."""
    found = []
    for comparison in nodes(node, "comparison_expression"):
        operator = next(
            c for c in comparison.named_children if c.type == "comparison_operator"
        )
        right = comparison.named_children[-1]
        if (
            text(operator).casefold() == "-match"
            and text(right).strip().casefold() == f"${pattern_variable}".casefold()
        ):
            found.append(comparison)
    return found


def throws_when(scope: Node, variable: str) -> bool:
    """Whether some ``if`` in ``scope`` that tests ``variable`` throws."""
    return any(
        variable in variables(condition(statement)) and throws(branch_block(statement))
        for statement in nodes(scope, "if_statement")
    )


def script_parameters(params: Node) -> dict[str, Node]:
    """Parameters of a ``param_block``, lower-case name -> declaring node.

    tree-sitter-pwsh folds a parameter that follows one with a default into that
    default (``$a = '', [switch]$b`` reads as an array); such a parameter is found
    there, as its ``cast_expression``.
    """
    found: dict[str, Node] = {}
    for parameter in nodes(params, "script_parameter"):
        variable = next(c for c in parameter.named_children if c.type == "variable")
        found[text(variable).casefold()] = parameter
        for default in parameter.named_children:
            if default.type != "script_parameter_default":
                continue
            for array in default.named_children:
                if array.type != "array_literal_expression":
                    continue
                for element in array.named_children[1:]:
                    own = nodes(element, "variable")
                    if own:
                        found[text(own[-1]).casefold()] = element
    return found


def is_switch(declaration: Node) -> bool:
    types = [text(t).casefold() for t in nodes(declaration, "type_literal")]
    return "[switch]" in types


def validate_set(declaration: Node) -> list[str]:
    for attribute in nodes(declaration, "attribute"):
        name = next((c for c in attribute.children if c.type == "attribute_name"), None)
        if name is not None and text(name).casefold() == "validateset":
            return strings(attribute)
    raise AssertionError(f"no ValidateSet on {text(declaration)[:60]}")


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


T = TypeVar("T")


def statement_of(node: Node) -> Node:
    """The statement of a statement list that holds ``node``."""
    child = node
    for parent in ancestors(node):
        if parent.type == "statement_list":
            return child
        child = parent
    raise AssertionError(text(node)[:60])


def calls(node: Node, method: str, target: str | None = None) -> list[Node]:
    """Method calls ``target.method(...)`` below ``node`` (target: any if None)."""
    return [
        call
        for name, on, _, call in method_calls(node)
        if name == method and (target is None or on.casefold() == target.casefold())
    ]


def call_arguments(call: Node) -> list[Node]:
    """The argument nodes of one method call."""
    return one([a for _, _, a, c in method_calls(call) if c == call], text(call))


def one(found: list[T], what: object) -> T:
    """The only item of ``found`` (an AssertionError, not a ValueError, otherwise)."""
    assert len(found) == 1, (what, len(found))
    return found[0]


def before(first: Node, second: Node) -> bool:
    return first.end_byte <= second.start_byte


def calls_named(scope: Node, name: str, parameter: str, value: str) -> list[Node]:
    """``name`` commands below ``scope`` whose ``parameter`` is exactly ``value``."""
    return [
        c
        for c in command_nodes(scope, name)
        if argument(c, parameter) is not None
        and argument_text(c, parameter).casefold() == value.casefold()
    ]
