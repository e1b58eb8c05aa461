"""The names a rendered script uses, read from its parse tree, and the check
that each is in the catalogue.

:func:`name_uses` finds every WMI class and property, registry key and value,
service, executable, SQL table and column, appcmd verb and environment variable a
script names (in literals, in the arguments of the commands that take them, in
its data tables and member reads); :func:`name_problems` says which of them the
catalogue does not hold."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tree_sitter import Node

from generator.catalogue import CATALOGUE, Catalogue, Kind
from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import node_text as _text
from tests.support.pwsh_oracle import walk as _walk


def _key(node: Node) -> tuple[int, int, str]:
    return (node.start_byte, node.end_byte, node.type)


def _line(node: Node) -> int:
    return node.start_point[0] + 1


def _string_value(literal: Node) -> str:
    """The contents of a ``string_literal`` node; single quotes un-doubled."""
    inner = literal.children[0] if literal.children else literal
    text = _text(inner)
    if inner.type == "verbatim_string_characters":
        return text[1:-1].replace("''", "'")
    if inner.type in {
        "verbatim_here_string_characters",
        "expandable_here_string_literal",
    }:
        return text[2:-2].strip("\r\n")
    return text[1:-1]  # "...": raw contents, escapes and $variables as written


# Nodes a value passes through unchanged on its way to where it is used:
# 'a', @('a', 'b'), @( 'a' <newline> 'b' ), $x = 'a'. A literal inside
# (...), a -f format or a + concatenation is not itself the value.
_TRANSPARENT = frozenset(
    {
        "unary_expression",
        "array_expression",
        "statement_list",
        "pipeline",
        "pipeline_chain",
        "array_literal_expression",
        "assignment_value",
    }
)


def _direct_literals(node: Node) -> list[Node]:
    """String literals that are the value of ``node`` (alone or as array elements)."""
    if node.type == "string_literal":
        return [node]
    if node.type not in _TRANSPARENT:
        return []
    return [lit for child in node.children for lit in _direct_literals(child)]


def _all_literals(node: Node) -> list[Node]:
    return [n for n in _walk(node) if n.type == "string_literal"]


def _scope(node: Node) -> Node:
    """The function a node is in, or the whole script."""
    current = node.parent
    while current is not None:
        if current.type == "function_statement" or current.parent is None:
            return current
        current = current.parent
    return node


def _assignments(root: Node) -> Iterator[tuple[str, Node, Node]]:
    """Every ``$var = ...`` / ``$var += ...``: (lower-case variable, value, node)."""
    for node in _walk(root):
        if node.type != "assignment_expression":
            continue
        value = node.child_by_field_name("value")
        if value is None or not node.children:
            continue
        yield _text(node.children[0]).strip().lower(), value, node


def _bound_values(variable: Node) -> list[Node]:
    """The expressions a variable can hold where it is used.

    Inside ``foreach ($v in <collection>) { ... }`` the loop's collection;
    otherwise every value assigned (``=`` or ``+=``) to it in the same function, or
    at script level when the function assigns none.
    """
    name = _text(variable).lower()
    current = variable.parent
    while current is not None:
        if current.type == "foreach_statement":
            loop_variable = next(
                (c for c in current.children if c.type == "variable"), None
            )
            body = next(
                (c for c in current.children if c.type == "statement_block"), None
            )
            if (
                loop_variable is not None
                and body is not None
                and _text(loop_variable).lower() == name
                and body.start_byte <= variable.start_byte < body.end_byte
            ):
                return [c for c in current.children if c.type == "pipeline"]
        current = current.parent
    scope = _scope(variable)
    root = scope
    while root.parent is not None:
        root = root.parent
    for where in (scope, root):
        found = [
            value
            for var, value, node in _assignments(where)
            if var == name and _key(_scope(node)) == _key(where)
        ]
        if found:
            return found
    return []


def _values(argument: Node) -> list[Node]:
    """What an argument passes: itself, or what its variable was given."""
    inner = argument
    while inner.type == "unary_expression" and inner.named_child_count == 1:
        inner = inner.named_children[0]
    return _bound_values(inner) if inner.type == "variable" else [argument]


def _value_literals(argument: Node) -> list[Node]:
    """The literals that are the argument's value (or its variable's)."""
    return [lit for value in _values(argument) for lit in _direct_literals(value)]


@dataclass(frozen=True)
class CommandCall:
    name: str  # lower case; '' for `& $tool`
    invocation: str  # '&', '.' or ''
    arguments: tuple[tuple[str, Node], ...]  # (lower-case -Parameter or '', value)


def _command_calls(root: Node) -> Iterator[CommandCall]:
    for node in _walk(root):
        if node.type != "command":
            continue
        name_node = node.child_by_field_name("command_name")
        elements = node.child_by_field_name("command_elements")
        invocation = next(
            (
                _text(c)
                for c in node.children
                if c.type == "command_invocation_operator"
            ),
            "",
        )
        name = _text(name_node).lower() if name_node is not None else ""
        if invocation:
            name = ""
        pairs: list[tuple[str, Node]] = []
        pending = ""
        for element in elements.named_children if elements is not None else []:
            if element.type in {"comment", "command_argument_sep"}:
                continue
            if element.type == "command_parameter":
                pending = _text(element).lower().rstrip(":")
                continue
            pairs.append((pending, element))
            pending = ""
        yield CommandCall(name, invocation, tuple(pairs))


_WMI_CLASS = re.compile(r"^(MSBTS|Win32)_\w+$")


_REGISTRY = re.compile(r"^HKLM:", re.IGNORECASE)


_EXECUTABLE = re.compile(r"\.(exe|vbs)$", re.IGNORECASE)


_SELECT = re.compile(r"^\s*SELECT\b", re.IGNORECASE)


_BARE_WORD = re.compile(r"^[a-z]+$")  # appcmd verbs and object types: list, apppool


_SERVICE_COMMANDS = (
    "get-service",
    "set-service",
    "get-drservice",
    "set-drservicedormant",
    "enable-drservice",
    "start-drservice",
    "stop-drservice",
    "wait-drservicestatus",
)


# (command, parameter) -> what its value names.
_SINKS: dict[tuple[str, str], str] = {
    **{(c, "-name"): "service" for c in _SERVICE_COMMANDS},
    ("get-drregistryvalue", "-name"): "registry-value",
    ("get-wmiobject", "-class"): "wmi-class",
    ("get-drwmiinstances", "-class"): "wmi-class",
    ("get-ciminstance", "-classname"): "wmi-class",
    ("get-cimclass", "-classname"): "wmi-class",
    ("invoke-drnative", "-argumentlist"): "argument",
    ("get-drnativeoutput", "-argumentlist"): "argument",
    ("start-process", "-argumentlist"): "argument",
}


# Data tables of the scripts: every string in them names a service ...
_SERVICE_ARRAYS = ("$services", "$roleservices", "$optionalservices")


# ... or the named key of each row does.
_TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "$hostinstances": {"service": "service"},
    "$registrychecks": {"key": "registry-key", "value": "registry-value"},
    "$answerfileservices": {"id": "answer-value"},
}


_WMI_METHOD_CALLS = frozenset({"InvokeMethod", "GetMethodParameters"})


# SQL words that are not BizTalk names (keywords, INFORMATION_SCHEMA views, dbo).
_SQL_WORDS = frozenset(
    {
        *("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "AS"),
        *("COUNT", "TOP", "DISTINCT", "ORDER", "BY", "DESC", "DBO"),
        "INFORMATION_SCHEMA",
        *("TABLES", "COLUMNS", "TABLE_NAME", "COLUMN_NAME"),
    }
)


_SQL_QUOTED_NAME = re.compile(
    r"\b(?:TABLE_NAME|COLUMN_NAME)\s*=\s*N'((?:[^']|'')*)'", re.IGNORECASE
)


_SQL_STRING = re.compile(r"N?'(?:[^']|'')*'")


_SQL_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


KINDS = (
    "wmi-class",
    "wmi-method",
    "member",
    "registry-key",
    "registry-value",
    "service",
    "executable",
    "switch",
    "sql",
    "answer-value",
)


@dataclass(frozen=True, order=True)
class NameUse:
    """One name a script uses on the target, found in its parse tree."""

    line: int
    kind: str
    name: str
    why: str


def sql_names(query: str) -> list[str]:
    """Table and column names a SELECT uses (N'..' labels and SQL words left out)."""
    found = [m.replace("''", "'") for m in _SQL_QUOTED_NAME.findall(query)]
    code = _SQL_STRING.sub(" ", query)
    found += [t for t in _SQL_TOKEN.findall(code) if t.upper() not in _SQL_WORDS]
    return found


def _literal_uses(literal: Node) -> Iterator[NameUse]:
    value = _string_value(literal)
    line = _line(literal)
    if _WMI_CLASS.match(value):
        yield NameUse(line, "wmi-class", value, "literal")
    if _REGISTRY.match(value):
        yield NameUse(line, "registry-key", value, "literal")
    if _EXECUTABLE.search(value):
        yield NameUse(line, "executable", value, "literal")
    if _SELECT.match(value):
        for name in sql_names(value):
            yield NameUse(line, "sql", name, "SELECT")


def _argument_uses(call: CommandCall) -> Iterator[NameUse]:
    for parameter, value in call.arguments:
        if call.invocation == "&" and not parameter:
            for literal in _direct_literals(value):
                text = _string_value(literal)
                if text[:1] in {"-", "/"}:
                    yield NameUse(_line(literal), "switch", text, "& tool argument")
            continue
        sink = _SINKS.get((call.name, parameter))
        if sink is None:
            continue
        why = f"{call.name} {parameter}"
        if sink != "argument":
            for literal in _value_literals(value):
                yield NameUse(_line(literal), sink, _string_value(literal), why)
            continue
        direct = {_key(lit) for lit in _value_literals(value)}
        for literal in (lit for v in _values(value) for lit in _all_literals(v)):
            text = _string_value(literal)
            if text[:1] in {"-", "/"} or (
                _key(literal) in direct and _BARE_WORD.match(text)
            ):
                yield NameUse(_line(literal), "switch", text, why)


def _data_uses(root: Node) -> Iterator[NameUse]:
    for variable, value, _node in _assignments(root):
        if variable in _SERVICE_ARRAYS:
            for literal in _all_literals(value):
                yield NameUse(
                    _line(literal), "service", _string_value(literal), variable
                )
        columns = _TABLE_COLUMNS.get(variable, {})
        for entry in (n for n in _walk(value) if n.type == "hash_entry"):
            kind = columns.get(_text(entry.children[0]).strip().lower())
            if kind is None:
                continue
            for literal in _direct_literals(entry.children[-1]):
                text = _string_value(literal)
                if text:  # isolated hosts have no service: ''
                    yield NameUse(_line(literal), kind, text, variable)


def _member_uses(root: Node) -> Iterator[NameUse]:
    for node in _walk(root):
        if node.type not in {"member_access", "invocation_expression"}:
            continue
        member = next((c for c in node.children if c.type == "member_name"), None)
        if member is None or member.named_child_count != 1:
            continue
        name_node = member.named_children[0]
        if name_node.type != "simple_name":
            continue  # $display.$field: a dynamic member, named by a script key
        name = _text(name_node)
        yield NameUse(_line(member), "member", name, _text(node.children[0])[:40])
        if node.type == "invocation_expression" and name in _WMI_METHOD_CALLS:
            arguments = next(
                (c for c in node.children if c.type == "argument_list"), None
            )
            first = (
                next(
                    (n for n in _walk(arguments) if n.type == "argument_expression"),
                    None,
                )
                if arguments is not None
                else None
            )
            for child in first.children if first is not None else []:
                for literal in _direct_literals(child):
                    text = _string_value(literal)
                    yield NameUse(_line(literal), "wmi-method", text, name)


def script_keys(root: Node) -> frozenset[str]:
    """Property names the script defines itself (keys of its @{ } literals).

    ``$plan.HostName`` or ``$row.Result`` read a ``[pscustomobject]`` the script
    built: not a name on the target. Matched case-sensitively, so that the script's
    own ``status`` key does not excuse ``ServiceController.Status``.
    """
    keys = set()
    for node in _walk(root):
        if node.type == "key_expression":
            literals = _all_literals(node)
            keys.add(_string_value(literals[0]) if literals else _text(node).strip())
    return frozenset(keys)


@functools.lru_cache(maxsize=64)
def name_uses(data: bytes) -> tuple[NameUse, ...]:
    """Every name on the target the script's code uses, from its parse tree.

    Cached: several tests read the same rendered scripts.
    """
    root = ps.parse(data).root_node
    uses: list[NameUse] = []
    for literal in _all_literals(root):
        uses += _literal_uses(literal)
    for call in _command_calls(root):
        uses += _argument_uses(call)
    uses += _data_uses(root)
    uses += _member_uses(root)
    return tuple(sorted(set(uses)))


def _allowed(catalogue: Catalogue) -> dict[str, Callable[[str], bool]]:
    def names(*kinds: Kind) -> Callable[[str], bool]:
        found = catalogue.names(*kinds)
        return found.__contains__

    host_prefix = catalogue["svc:BTSSvc"]
    # The prefix alone names no service: BTSSvc$<host> does.
    services = catalogue.names(Kind.SERVICE) - {host_prefix}
    return {
        "wmi-class": names(Kind.WMI_CLASS),
        "wmi-method": names(Kind.WMI_METHOD),
        "member": names(Kind.WMI_PROPERTY, Kind.WMI_METHOD, Kind.PLATFORM),
        "registry-key": names(Kind.REGISTRY_KEY),
        "registry-value": names(Kind.REGISTRY_VALUE),
        "service": lambda n: (
            n in services or (n.startswith(host_prefix) and len(n) > len(host_prefix))
        ),
        "executable": names(Kind.EXECUTABLE, Kind.FILE),
        "switch": names(Kind.SWITCH),
        "sql": names(Kind.SQL_TABLE, Kind.SQL_COLUMN),
        "answer-value": names(Kind.ANSWER_VALUE),
    }


def name_problems(
    data: bytes,
    catalogue: Catalogue = CATALOGUE,
    own_keys: frozenset[str] = frozenset(),
) -> list[str]:
    """Each name the script uses that the catalogue does not have, located.

    ``own_keys``: row properties other scripts of the bundle define; a shared
    partial may read a row its script does not build (see the rendered test).
    """
    allowed = _allowed(catalogue)
    own = script_keys(ps.parse(data).root_node) | own_keys
    problems: dict[tuple[int, str, str], str] = {}
    for use in name_uses(data):
        if allowed[use.kind](use.name) or (use.kind == "member" and use.name in own):
            continue
        problems.setdefault(
            (use.line, use.kind, use.name),
            f"line {use.line}: {use.kind} {use.name!r} is not in the catalogue "
            f"({use.why})",
        )
    return [problems[k] for k in sorted(problems)]


def names_with_prefix(prefix: str, *kinds: Kind) -> frozenset[str]:
    return frozenset(
        e.name for e in CATALOGUE if e.id.startswith(prefix) and e.kind in kinds
    )
