"""Which commands and method calls a script makes, and which are under ShouldProcess.

Owns: :class:`Command` (one invocation: its name, line, arguments, whether it is
guarded, ``&``/``.``), :func:`commands` and :func:`method_calls` in document
order, and the guard (:func:`is_guarded`: inside the block of an
``if``/``elseif`` whose condition calls ``$PSCmdlet.ShouldProcess(`` without
``-not``/``!``). Why a module of its own: the lint and many script tests ask these
questions, and how the grammar spells them is read here once: ``command`` (fields
``command_name`` and ``command_elements``), ``command_invocation_operator``,
``command_argument_sep``, ``if_statement`` / ``elseif_clause`` (field
``condition``) with a direct ``statement_block`` child, ``invocation_expression``
(a method call, instance or static) with ``member_name``, and
``expression_with_unary_operator``.

The grammar parses a range such as ``1..3`` as a command named ``1..3``; such names
are dropped. ``if ($ok)`` where ``$ok`` holds the result of ``ShouldProcess`` is not
a guard: the call must be in the condition itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from tree_sitter import Node

from tests.support.pwsh.index import source_text, walk
from tests.support.pwsh.parse import line_col, of_types


@dataclass(frozen=True)
class Command:
    """One command invocation found in a script.

    Attributes:
        name: The command name exactly as written, e.g. ``Set-Service``,
            ``sc.exe``, ``$cscript`` or ``'C:\\x\\y.exe'`` (the text after ``&``).
        line: 1-based line of the command (of the ``&``/``.`` when present).
        arguments: Raw text of each element after the name: parameters
            (``-Name``; ``-Verbose:$false`` is one element), arguments and
            redirections (``2>&1``).
        guarded: True when the command sits, at any depth, inside the block of an
            ``if``/``elseif`` whose condition calls ``$PSCmdlet.ShouldProcess(``
            without negating it. The ``else`` block is not guarded.
        invocation: ``'&'``, ``'.'`` or ``''``.
    """

    name: str
    line: int
    arguments: tuple[str, ...]
    guarded: bool
    invocation: str


def _is_negated(node: Node, stop: Node) -> bool:
    """Tell whether ``node`` sits under an odd number of ``-not``/``!`` below stop."""
    negations = 0
    current = node.parent
    while current is not None and current != stop:
        if current.type == "expression_with_unary_operator" and current.children:
            operator = current.children[0]
            if operator.type.casefold() in {"-not", "!"}:
                negations += 1
        current = current.parent
    return negations % 2 == 1


def method_name_node(node: Node) -> Node | None:
    """Return the ``member_name`` child of an ``invocation_expression``."""
    return next((c for c in node.children if c.type == "member_name"), None)


def _is_should_process_call(node: Node, data: bytes) -> bool:
    """Tell whether ``node`` is the call ``$PSCmdlet.ShouldProcess(...)``."""
    if node.type != "invocation_expression" or not node.named_children:
        return False
    target = node.named_children[0]
    name_node = method_name_node(node)
    return (
        target.type == "variable"
        and source_text(target, data).casefold() == "$pscmdlet"
        and name_node is not None
        and source_text(name_node, data).casefold() == "shouldprocess"
    )


def _condition_calls_should_process(condition: Node, data: bytes) -> bool:
    """Tell whether an ``if`` condition calls ShouldProcess, not negated."""
    return any(
        _is_should_process_call(node, data) and not _is_negated(node, condition)
        for node in walk(condition)
    )


def is_guarded(node: Node, data: bytes) -> bool:
    """Tell whether ``node`` is inside a ShouldProcess ``if``/``elseif`` block."""
    child = node
    parent = node.parent
    while parent is not None:
        if child.type == "statement_block" and parent.type in {
            "if_statement",
            "elseif_clause",
        }:
            condition = parent.child_by_field_name("condition")
            if condition is not None and _condition_calls_should_process(
                condition, data
            ):
                return True
        child, parent = parent, parent.parent
    return False


def _is_range_quirk(name: str) -> bool:
    """Tell whether a command name is really a range such as ``1..3``.

    tree-sitter-pwsh parses ``1..3`` and ``0..($n - 1)`` as commands.
    """
    stripped = name.lstrip("-")
    digits = len(stripped) - len(stripped.lstrip("0123456789"))
    return digits > 0 and stripped[digits:].startswith("..")


def _arguments(elements: Node, data: bytes) -> tuple[str, ...]:
    """Return the raw text of each element of a ``command_elements`` node.

    The grammar splits ``-Verbose:$false`` into a parameter, a ``:`` separator and
    a value; PowerShell sees one element, so the three are joined again.
    """
    spans: list[tuple[int, int]] = []
    join_next = False
    for element in elements.named_children:
        if element.type == "comment":
            continue
        if element.type == "command_argument_sep":
            join_next = bool(spans) and source_text(element, data) == ":"
            continue
        if join_next:
            spans[-1] = (spans[-1][0], element.end_byte)
        else:
            spans.append((element.start_byte, element.end_byte))
        join_next = False
    return tuple(data[start:end].decode("utf-8", "replace") for start, end in spans)


def command_nodes(data: bytes) -> Iterator[tuple[Node, Command]]:
    """Yield each ``command`` node with its :class:`Command`, in document order."""
    for node in of_types(data, "command"):
        name_node = node.child_by_field_name("command_name")
        if name_node is None:
            continue
        name = source_text(name_node, data)
        if _is_range_quirk(name):
            continue
        invocation = ""
        for child in node.children:
            if child.type == "command_invocation_operator":
                invocation = source_text(child, data)
        elements_node = node.child_by_field_name("command_elements")
        arguments: tuple[str, ...] = ()
        if elements_node is not None:
            arguments = _arguments(elements_node, data)
        line, _ = line_col(data, node.start_byte)
        command = Command(
            name=name,
            line=line,
            arguments=arguments,
            guarded=is_guarded(node, data),
            invocation=invocation,
        )
        yield node, command


def commands(data: bytes) -> list[Command]:
    """List every command invocation in document order.

    Includes pipeline stages, commands in script blocks and sub-expressions,
    ``& $exe ...``, ``& 'C:\\path\\x.exe' ...`` and dot-sourcing. Method calls such
    as ``$instance.Stop()`` are not commands; see :func:`method_calls`.
    """
    return list(_commands(data))


@lru_cache(maxsize=128)
def _commands(data: bytes) -> tuple[Command, ...]:
    """:func:`commands`, computed once per script (a Command is frozen)."""
    return tuple(command for _, command in command_nodes(data))


def method_calls(data: bytes) -> list[tuple[str, int, bool]]:
    """List every method call as ``(method name, line, guarded)``.

    Covers instance calls (``$PSCmdlet.ShouldProcess(...)``, ``$svc.Start()``) and
    static calls (``[IO.File]::WriteAllText(...)``). The name is the method name as
    written, without its target. ``guarded`` is as for :class:`Command`; the
    ShouldProcess call in an ``if`` condition is itself not guarded by that ``if``.
    """
    calls: list[tuple[str, int, bool]] = []
    for node in of_types(data, "invocation_expression"):
        name_node = method_name_node(node)
        if name_node is None:
            continue
        line, _ = line_col(data, name_node.start_byte)
        calls.append((source_text(name_node, data), line, is_guarded(node, data)))
    return calls
