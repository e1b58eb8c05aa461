"""The house rules for Windows PowerShell 5.1 scripts, checked on the parse tree.

Owns: :func:`lint` (no alias, no ``Invoke-Expression`` or ``ConvertTo-SecureString
-AsPlainText``, no PowerShell 6+ operator, command or parameter, and every
state-changing cmdlet, native tool or method call inside
``if ($PSCmdlet.ShouldProcess(...))``), :func:`is_state_changing` and
:func:`canonical_command_name`. Why a module of its own: it is the policy, built on
the facts the other modules find (commands, guards, the tree) and the names in
:mod:`tests.support.pwsh.vocabulary`. Node types read here besides those of
:mod:`tests.support.pwsh.commands`: ``assignment_expression`` (field ``value``)
and the anonymous tokens ``??``, ``??=``, ``&&``, ``||`` and ``?`` (under
``ternary_expression``, or followed by ``.``/``[`` inside an ``ERROR``).

Parameters are matched by full name; abbreviations are recognised only where noted
(``-AsPlainText``, ``-ClientOnly``, ``-Parallel``). Splatted parameters (``@args``)
are invisible.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from tests.support.pwsh.commands import (
    Command,
    command_nodes,
    is_guarded,
    method_name_node,
)
from tests.support.pwsh.index import source_text, walk
from tests.support.pwsh.parse import line_col, of_types
from tests.support.pwsh.vocabulary import (
    ALIAS_TARGETS,
    ALIASES,
    NATIVE_STATE_CHANGING,
    NATIVE_VARIABLE_STEMS,
    PS7_ONLY_COMMANDS,
    PS7_ONLY_PARAMETERS,
    READ_ONLY_NATIVE_ARGUMENTS,
    STATE_CHANGING,
    STATE_CHANGING_METHODS,
)

_STATE_CHANGING_LOWER: Final = frozenset(name.casefold() for name in STATE_CHANGING)
_PS7_ONLY_COMMANDS_LOWER: Final = frozenset(n.casefold() for n in PS7_ONLY_COMMANDS)

# PowerShell accepts the en dash, em dash and horizontal bar wherever it accepts "-".
_DASHES: Final = "-\u2013\u2014\u2015"

_UNGUARDED: Final = "is not inside if ($PSCmdlet.ShouldProcess(...))"


def _plain_name(name: str) -> str:
    """Strip quotes and any directory from a command name; lower-case it."""
    unquoted = name.strip()
    if len(unquoted) >= 2 and unquoted[0] in "'\"" and unquoted[-1] == unquoted[0]:
        unquoted = unquoted[1:-1]
    return unquoted.replace("/", "\\").rsplit("\\", 1)[-1].casefold()


def canonical_command_name(name: str) -> str:
    """Resolve an alias; return the lower-case command name.

    The name as PowerShell resolves it: quotes, folder and alias gone.
    """
    plain = _plain_name(name)
    return ALIAS_TARGETS.get(plain, plain).casefold()


def _parameters(command: Command) -> list[tuple[str, str]]:
    """Return ``(as written, normalised)`` for each parameter of ``command``.

    The normalised form is lower-case, without the dash and any ``:value``.
    """
    names = [
        argument.split(":", 1)[0]
        for argument in command.arguments
        if len(argument) > 1 and argument[0] in _DASHES and argument[1].isalpha()
    ]
    return [(name, name[1:].casefold()) for name in names]


def _has_parameter(command: Command, full_name: str, min_prefix: int) -> bool:
    """Tell whether ``command`` passes ``full_name`` or a prefix of >= min_prefix."""
    full = full_name.casefold()
    return any(
        full.startswith(name) and len(name) >= min_prefix
        for _, name in _parameters(command)
    )


def _variable_name(text: str) -> str:
    """Normalise ``$script:Foo`` / ``${Foo}`` to ``foo``."""
    name = text.strip().lstrip("$").strip("{}").casefold()
    for scope in ("script:", "global:", "local:", "private:"):
        name = name.removeprefix(scope)
    return name


def _tool_stem(name: str) -> str:
    """Return the stem of a lower-case tool name: ``cscript.exe`` -> ``cscript``."""
    return name.removesuffix(".exe")


def _native_tool_assignments(data: bytes) -> dict[str, str]:
    """Map variables assigned a path of a native state-changing tool to its stem.

    ``$cscript = Join-Path $env:WINDIR 'System32\\cscript.exe'`` maps ``cscript``
    to ``cscript``; so does ``$tool = Get-Tool -Name 'cscript.exe'``.
    """
    variables: dict[str, str] = {}
    for node in of_types(data, "assignment_expression"):
        left = node.named_children[0] if node.named_children else None
        value = node.child_by_field_name("value")
        if left is None or value is None:
            continue
        for part in walk(value):
            if part.type not in {"string_literal", "generic_token", "command_name"}:
                continue
            plain = _plain_name(source_text(part, data))
            if plain in NATIVE_STATE_CHANGING:
                variables[_variable_name(source_text(left, data))] = _tool_stem(plain)
    return variables


def _native_tool(command: Command, tool_variables: Mapping[str, str]) -> str | None:
    """Return the stem of the native state-changing tool ``command`` runs, if any."""
    plain = _plain_name(command.name)
    if plain in NATIVE_STATE_CHANGING:
        return _tool_stem(plain)
    if command.name.startswith("$"):
        variable = _variable_name(command.name)
        if variable in tool_variables:
            return tool_variables[variable]
        for stem in sorted(NATIVE_VARIABLE_STEMS):
            if stem in variable:
                return _tool_stem(stem.removesuffix("exe"))
    return None


def _is_read_only_native(tool: str, command: Command) -> bool:
    """Tell whether a native tool call only reads (``sc.exe query``, ...)."""
    if not command.arguments:
        return False
    first = _plain_name(command.arguments[0]).lstrip("-/")
    return first in READ_ONLY_NATIVE_ARGUMENTS.get(tool, frozenset())


def is_state_changing(command: Command) -> bool:
    """Tell whether ``command`` is a cmdlet from :data:`STATE_CHANGING`.

    Aliases are resolved (``spsv`` is Stop-Service); ``New-CimInstance
    -ClientOnly`` only builds an object in memory and is not state changing. Native
    tools are checked by :func:`lint`, which also resolves ``& $variable``.
    """
    canonical = canonical_command_name(command.name)
    if canonical not in _STATE_CHANGING_LOWER:
        return False
    return not (
        canonical == "new-ciminstance" and _has_parameter(command, "ClientOnly", 3)
    )


def _ps7_operator_findings(data: bytes) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, message)`` for PowerShell 7 operators in the tree."""
    for node in of_types(data, "??", "??=", "&&", "||", "?"):
        if node.is_named or node.children:
            continue
        kind = node.type
        if kind == "??":
            yield node.start_byte, "PowerShell 7 null-coalescing operator '??'"
        elif kind == "??=":
            yield node.start_byte, "PowerShell 7 null-coalescing assignment '??='"
        elif kind in {"&&", "||"}:
            yield node.start_byte, f"PowerShell 7 pipeline chain operator '{kind}'"
        elif kind == "?":
            following = data[node.end_byte : node.end_byte + 1]
            parent = node.parent
            if following in {b".", b"["}:
                operator = "?" + following.decode()
                message = f"PowerShell 7 null-conditional operator '{operator}'"
                yield node.start_byte, message
            elif parent is not None and parent.type == "ternary_expression":
                yield node.start_byte, "PowerShell 7 ternary operator '? :'"


def _command_findings(data: bytes) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, message)`` for rule violations by commands."""
    tool_variables = _native_tool_assignments(data)
    for node, command in command_nodes(data):
        offset = node.start_byte
        plain = _plain_name(command.name)
        canonical = canonical_command_name(command.name)
        if plain in ALIASES:
            target = ALIAS_TARGETS[plain]
            yield offset, f"alias '{command.name}' used as a command (write {target})"
        if canonical == "invoke-expression":
            yield offset, "Invoke-Expression is not allowed"
        if canonical == "convertto-securestring" and _has_parameter(
            command, "AsPlainText", 1
        ):
            yield offset, "ConvertTo-SecureString -AsPlainText is not allowed"
        if canonical in _PS7_ONLY_COMMANDS_LOWER:
            yield offset, f"'{command.name}' does not exist in Windows PowerShell 5.1"
        ps7_parameters = PS7_ONLY_PARAMETERS.get(canonical, frozenset())
        for written, parameter in _parameters(command):
            if parameter in ps7_parameters or (
                canonical == "foreach-object"
                and len(parameter) >= 3
                and "parallel".startswith(parameter)
            ):
                message = f"'{command.name} {written}' needs PowerShell 6 or later"
                yield offset, message
        if command.guarded:
            continue
        if is_state_changing(command):
            yield offset, f"state-changing command '{command.name}' {_UNGUARDED}"
        tool = _native_tool(command, tool_variables)
        if tool is not None and not _is_read_only_native(tool, command):
            yield offset, f"native tool '{command.name}' {_UNGUARDED}"


def _method_findings(data: bytes) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, message)`` for unguarded state-changing method calls."""
    for node in of_types(data, "invocation_expression"):
        name_node = method_name_node(node)
        if name_node is None:
            continue
        name = source_text(name_node, data)
        if name.casefold() in STATE_CHANGING_METHODS and not is_guarded(node, data):
            message = f"state-changing method call '.{name}(' {_UNGUARDED}"
            yield name_node.start_byte, message


def lint(data: bytes) -> list[str]:
    """Check a script against the house rules; return findings in document order.

    Each finding reads ``"line:col: message"``. The rules:

    * no alias used as a command (:data:`ALIASES`);
    * no ``Invoke-Expression``; no ``ConvertTo-SecureString -AsPlainText``;
    * no PowerShell 6+/7 syntax (``??``, ``??=``, ``?.``, ``?[``, ``a ? b : c``,
      ``&&``, ``||``), commands (:data:`PS7_ONLY_COMMANDS`) or parameters
      (``ForEach-Object -Parallel``, ``ConvertFrom-Json -AsHashtable``, ...);
    * every :data:`STATE_CHANGING` cmdlet, every :data:`NATIVE_STATE_CHANGING` tool
      (direct, ``& 'path\\tool.exe'``, or ``& $variable`` when the variable is
      assigned such a path or is named after the tool) unless its first argument
      is read-only (:data:`READ_ONLY_NATIVE_ARGUMENTS`), and every
      :data:`STATE_CHANGING_METHODS` call sits inside
      ``if ($PSCmdlet.ShouldProcess(...))``.

    Syntax errors are reported by :func:`syntax_problems`, not here; findings in
    a script with syntax errors may be incomplete.
    """
    findings = sorted(
        {
            *_ps7_operator_findings(data),
            *_command_findings(data),
            *_method_findings(data),
        }
    )
    result: list[str] = []
    for offset, message in findings:
        line, column = line_col(data, offset)
        result.append(f"{line}:{column}: {message}")
    return result
