"""The parsed script every rule reads, and the tree and command helpers the
rules share (tests/support/ps51/__init__.py says what the rules are for)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple

from tree_sitter import Node

from tests.support.pwsh_oracle import (
    NATIVE_STATE_CHANGING,
    ancestors,
    canonical_command_name,
    line_col,
    node_text,
    parse,
    walk,
)


class Finding(NamedTuple):
    """One rule violation: 1-based line and column, rule id, message."""

    line: int
    col: int
    rule: str
    message: str


@dataclass(frozen=True, eq=False)
class Script:
    """A parsed script and an index of its nodes, shared by every rule.

    Attributes:
        data: The script's bytes as given (BOM, CRLF and signature block allowed).
        root: The root node of the tree-sitter-pwsh parse.
        by_type: Every node by type, each list in document order.
        functions: Each ``function`` statement by lower-case name.
    """

    data: bytes
    root: Node
    by_type: Mapping[str, tuple[Node, ...]]
    functions: Mapping[str, Node]

    def of(self, *kinds: str) -> list[Node]:
        """Every node of the given types, in document order."""
        found = [node for kind in kinds for node in self.by_type.get(kind, ())]
        if len(kinds) > 1:
            found.sort(key=lambda node: node.start_byte)
        return found

    def at(self, node: Node, rule: str, message: str) -> Finding:
        """A finding located at the start of ``node``."""
        line, col = line_col(self.data, node.start_byte)
        return Finding(line, col, rule, message)


@lru_cache(maxsize=256)
def load(data: bytes) -> Script:
    """Parse ``data`` once and index it; cached by content."""
    root = parse(data).root_node
    by_type: dict[str, list[Node]] = defaultdict(list)
    for node in walk(root):
        by_type[node.type].append(node)
    functions: dict[str, Node] = {}
    for node in by_type.get("function_statement", []):
        name = node.child_by_field_name("function_name") or _first(
            node, "function_name"
        )
        if name is not None:
            functions.setdefault(text(name).casefold(), node)
    return Script(
        data=data,
        root=root,
        by_type={kind: tuple(found) for kind, found in by_type.items()},
        functions=functions,
    )


RuleFunction = Callable[[Script], list[Finding]]


class Rule(NamedTuple):
    """A rule id and the function that applies it."""

    id: str
    apply: RuleFunction


# --------------------------------------------------------------------- tree helpers


def text(node: Node) -> str:
    """The node's source text."""
    return node_text(node)


def _first(node: Node, kind: str) -> Node | None:
    """The first direct child of type ``kind``."""
    return next((child for child in node.children if child.type == kind), None)


def _descendants(node: Node, kind: str) -> Iterator[Node]:
    """Every node of type ``kind`` below ``node`` (itself included)."""
    return (found for found in walk(node) if found.type == kind)


def _normal(source: str) -> str:
    """Lower-case text without any whitespace: ``-not  $X`` -> ``-not$x``."""
    return re.sub(r"\s+", "", source).casefold()


def _variable_name(node: Node) -> str:
    """``$script:Foo`` / ``${Foo}`` -> ``foo``."""
    name = text(node).strip().lstrip("$").strip("{}").casefold()
    for scope in ("script:", "global:", "local:", "private:"):
        name = name.removeprefix(scope)
    return name


def _is_variable(node: Node, name: str) -> bool:
    """Tell whether ``node`` is the variable ``$name`` (any scope prefix)."""
    return node.type == "variable" and _variable_name(node) == name.casefold()


def _unwrap(node: Node) -> Node:
    """Skip ``unary_expression`` / ``pipeline`` / ``pipeline_chain`` wrappers
    that hold exactly one named child."""
    current = node
    while (
        current.type
        in {
            "unary_expression",
            "pipeline",
            "pipeline_chain",
            "assignment_value",
            "left_assignment_expression",
            "argument_expression",
        }
        and len(current.named_children) == 1
    ):
        current = current.named_children[0]
    return current


def _scope(node: Node) -> Node:
    """The body a node runs in: its function's ``script_block`` or the root."""
    for parent in ancestors(node):
        if parent.type == "function_statement":
            body = _first(parent, "script_block")
            return body if body is not None else parent
        if parent.parent is None:
            return parent
    return node


def _in_scope(node: Node, scope: Node) -> bool:
    """Tell whether ``node`` runs in ``scope`` (not in a function nested in it)."""
    return _scope(node) == scope


def _statement(node: Node) -> Node:
    """The statement ``node`` belongs to: the ancestor directly in a list."""
    current = node
    for parent in ancestors(node):
        if parent.type in {"statement_list", "program", "script_block_body"}:
            return current
        current = parent
    return current


def _negations(node: Node, stop: Node) -> int:
    """How many ``-not`` / ``!`` sit between ``node`` and ``stop``."""
    count = 0
    for parent in ancestors(node):
        if parent == stop:
            break
        if (
            parent.type == "expression_with_unary_operator"
            and parent.children
            and parent.children[0].type.casefold() in {"-not", "!"}
        ):
            count += 1
    return count


def _condition_clause(node: Node) -> tuple[Node, Node] | None:
    """The ``if``/``elseif`` clause whose condition holds ``node``, and the
    condition; None when ``node`` is not in a condition."""
    child = node
    for parent in ancestors(node):
        if parent.type in {"statement_block", "script_block", "program"}:
            return None
        if parent.type in {"if_statement", "elseif_clause"}:
            condition = parent.child_by_field_name("condition")
            if condition is not None and condition == child:
                return parent, condition
            return None
        child = parent
    return None


def _block(clause: Node) -> Node | None:
    """The ``statement_block`` of an if/elseif/else clause."""
    return _first(clause, "statement_block")


def _statements(block: Node) -> list[Node]:
    """The statements directly in a ``statement_block``."""
    body = _first(block, "statement_list")
    if body is None:
        return []
    return [child for child in body.named_children if child.type != "comment"]


def _next_clause(clause: Node) -> Node | None:
    """What runs when ``clause``'s condition is false: the next elseif or else."""
    if clause.type == "if_statement":
        clauses = clause.child_by_field_name("elseif_clauses")
        if clauses is not None and clauses.named_children:
            return clauses.named_children[0]
        return clause.child_by_field_name("else_clause")
    siblings = clause.parent
    if siblings is None:
        return None
    following = clause.next_named_sibling
    while following is not None and following.type != "elseif_clause":
        following = following.next_named_sibling
    if following is not None:
        return following
    statement = siblings.parent
    return statement.child_by_field_name("else_clause") if statement else None


# ------------------------------------------------------------------ command helpers


def command_name(command: Node) -> str:
    """The command's name as written (``Set-Service``, ``$tool``, ``'x.exe'``)."""
    name = command.child_by_field_name("command_name")
    return text(name).strip() if name is not None else ""


def canonical(command: Node) -> str:
    """Lower-case command name with quotes, folder and alias removed."""
    return canonical_command_name(command_name(command))


def invocation_operator(command: Node) -> str:
    """``'&'``, ``'.'`` or ``''``."""
    operator = _first(command, "command_invocation_operator")
    return text(operator).strip() if operator is not None else ""


def _elements(command: Node) -> list[Node]:
    """The named elements after the command name (no separators or comments)."""
    elements = command.child_by_field_name("command_elements")
    if elements is None:
        return []
    return [
        element
        for element in elements.named_children
        if element.type not in {"command_argument_sep", "comment"}
    ]


def parameters(command: Node) -> list[str]:
    """The command's parameter names, lower-case, without dash or ``:value``."""
    return [
        text(element).lstrip("-\u2013\u2014\u2015").split(":", 1)[0].casefold()
        for element in _elements(command)
        if element.type == "command_parameter"
    ]


def has_parameter(command: Node, full_name: str, min_prefix: int) -> bool:
    """Tell whether the command passes ``full_name`` or a prefix of >= min_prefix."""
    full = full_name.casefold()
    return any(
        full.startswith(name) and len(name) >= min_prefix
        for name in parameters(command)
    )


def parameter_value(command: Node, full_name: str, min_prefix: int) -> Node | None:
    """The argument that follows the parameter ``full_name`` (or its prefix)."""
    full = full_name.casefold()
    elements = _elements(command)
    for index, element in enumerate(elements):
        if element.type != "command_parameter":
            continue
        name = text(element).lstrip("-").split(":", 1)[0].casefold()
        matches = full.startswith(name) and len(name) >= min_prefix
        if matches and index + 1 < len(elements):
            return elements[index + 1]
    return None


# Native tools the scripts may run by bare name (lower case, with and without .exe).
_NATIVE_NAMES: Final = frozenset(NATIVE_STATE_CHANGING) | frozenset(
    {
        "appcmd",
        "appcmd.exe",
        "cmd",
        "cmd.exe",
        "icacls",
        "icacls.exe",
        "netsh",
        "netsh.exe",
        "reg",
        "reg.exe",
        "setspn",
        "setspn.exe",
        "whoami",
        "whoami.exe",
        "wevtutil",
        "wevtutil.exe",
    }
)
_NATIVE_SUFFIXES: Final = (".exe", ".com", ".bat", ".cmd")


def is_native(command: Node, script: Script) -> bool:
    """Tell whether ``command`` runs a native program.

    ``& <variable, string or path>`` (not a script block, not a script function),
    a name ending in .exe/.com/.bat/.cmd, a name with a folder, or a known tool
    name (:data:`_NATIVE_NAMES`). Dot-sourcing runs a script, not a program.
    """
    operator = invocation_operator(command)
    if operator == ".":
        return False
    name = command_name(command)
    plain = canonical(command)
    if plain in script.functions or name.startswith("{"):
        return False
    if operator == "&" and (name[:1] in {"$", "'", '"', "("} or "\\" in name):
        return True
    stripped = name.strip("'\"")
    return (
        plain.endswith(_NATIVE_SUFFIXES)
        or plain in _NATIVE_NAMES
        or "\\" in stripped
        or "/" in stripped
    )


@lru_cache(maxsize=256)
def _native_set(script: Script) -> frozenset[Node]:
    return frozenset(
        command for command in script.of("command") if is_native(command, script)
    )


def native_calls(script: Script) -> list[Node]:
    """Every command that runs a native program, in document order."""
    natives = _native_set(script)
    return [command for command in script.of("command") if command in natives]


@lru_cache(maxsize=256)
def _assignments_by_scope(script: Script) -> Mapping[Node, tuple[Node, ...]]:
    """Every assignment by the scope it runs in."""
    found: dict[Node, list[Node]] = defaultdict(list)
    for assignment in script.of("assignment_expression"):
        found[_scope(assignment)].append(assignment)
    return {scope: tuple(nodes) for scope, nodes in found.items()}


#: Commands that record a problem in the drgen scripts (a run with one ends with
#: exit code 1): the project's convention, see templates/_partials/helpers.
PROBLEM_RECORDERS: Final = frozenset({"write-drproblem"})


def _is_stop_statement(statement: Node) -> bool:
    """``throw ...``, ``exit ...`` or a call of a :data:`PROBLEM_RECORDERS`."""
    if statement.type == "flow_control_statement" and statement.children:
        return statement.children[0].type.casefold() in {"throw", "exit"}
    if statement.type == "pipeline":
        return any(
            canonical(command) in PROBLEM_RECORDERS
            for command in _descendants(statement, "command")
        )
    return False


def _condition_is(clause: Node, wanted: str) -> bool:
    """Tell whether an if/elseif condition, normalised, equals ``wanted``."""
    condition = clause.child_by_field_name("condition")
    return condition is not None and _normal(text(condition)) == wanted


_NOT_WHATIF: Final = frozenset({"-not$whatifpreference", "!$whatifpreference"})


def records(block: Node) -> bool:
    """Tell whether a block throws, exits or records a problem, outside -WhatIf.

    Accepted at the top of the block: ``throw``, ``exit``, a call of a
    :data:`PROBLEM_RECORDERS` command; ``if (-not $WhatIfPreference) { <one of
    these> }``; ``if ($WhatIfPreference) { ... } else { <one of these> }``.
    """
    for statement in _statements(block):
        if _is_stop_statement(statement):
            return True
        if statement.type != "if_statement":
            continue
        inner = _block(statement)
        if any(_condition_is(statement, form) for form in _NOT_WHATIF):
            if inner is not None and records(inner):
                return True
        elif _condition_is(statement, "$whatifpreference"):
            otherwise = statement.child_by_field_name("else_clause")
            has_elseif = statement.child_by_field_name("elseif_clauses") is not None
            other_block = _block(otherwise) if otherwise is not None else None
            if not has_elseif and other_block is not None and records(other_block):
                return True
    return False


def _literal_value(node: Node) -> str | None:
    """The text between the quotes of a string literal (None for anything else)."""
    inner = _unwrap(node)
    if inner.type != "string_literal":
        return None
    if any(
        part.type in {"variable", "sub_expression"} for part in walk(inner)
    ):  # an expandable string's value is known only at run time
        return None
    source = text(inner)
    if source.startswith(("@'", '@"')):
        return source[2:-2]
    return source[1:-1]
