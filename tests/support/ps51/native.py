"""Rules on native tools: their exit code read, Start-Process waited for, and
stderr not turned into a terminating error."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache, partial

from tree_sitter import Node

from tests.support.ps51.core import (
    Finding,
    Script,
    _assignments_by_scope,
    _descendants,
    _first,
    _is_variable,
    _native_set,
    _normal,
    _scope,
    _statement,
    _unwrap,
    _variable_name,
    canonical,
    command_name,
    has_parameter,
    native_calls,
    parameters,
    text,
)
from tests.support.pwsh_oracle import (
    ancestors,
)


def _reads_after(
    script: Script, statement: Node, scope: Node, wanted: Callable[[Node], bool]
) -> Node | None:
    """The first node after ``statement`` in ``scope`` (document order, nested
    functions skipped) for which ``wanted`` holds, or a native call or wrapper call
    that comes first; None when neither follows."""
    stack = list(reversed(scope.children))
    while stack:
        node = stack.pop()
        if node.type == "function_statement" and node != scope:
            continue
        if node.end_byte <= statement.end_byte:
            continue
        if node.start_byte >= statement.end_byte:
            if wanted(node):
                return node
            if node.type == "command" and (
                node in _native_set(script) or canonical(node) in _wrappers(script)
            ):
                return node
        stack.extend(reversed(node.children))
    return None


def _function_of(node: Node) -> Node | None:
    """The nearest ``function`` statement around ``node``."""
    return next(
        (parent for parent in ancestors(node) if parent.type == "function_statement"),
        None,
    )


@lru_cache(maxsize=256)
def _wrappers_of(script: Script) -> frozenset[str]:
    """Functions that run a native tool (or a wrapper) and return its exit code as
    an ``ExitCode`` property: found to a fixed point."""
    calls: dict[Node, set[str]] = defaultdict(set)
    runs_native: set[Node] = set()
    natives = _native_set(script)
    for command in script.of("command"):
        function = _function_of(command)
        if function is None:
            continue
        if command in natives:
            runs_native.add(function)
        calls[function].add(canonical(command))
    returns_code = {
        function
        for entry in script.of("hash_entry")
        if entry.named_children
        and _normal(text(entry.named_children[0])) == "exitcode"
        and (function := _function_of(entry)) is not None
    }
    wrappers: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, function in script.functions.items():
            if name in wrappers or function not in returns_code:
                continue
            if function in runs_native or calls[function] & wrappers:
                wrappers.add(name)
                changed = True
    return frozenset(wrappers)


def _wrappers(script: Script) -> frozenset[str]:
    return _wrappers_of(script)


def _assigned_variable(command: Node) -> str | None:
    """The variable a command's output is assigned to (``$v = cmd ...``)."""
    for parent in ancestors(command):
        if parent.type == "assignment_expression":
            value = parent.child_by_field_name("value")
            if value is None or _unwrap(value) != command:
                inner = _unwrap(value) if value is not None else None
                if inner is None or inner.type != "parenthesized_expression":
                    return None
                if _unwrap(inner.named_children[0]) != command:
                    return None
            variables = list(_descendants(parent.named_children[0], "variable"))
            return _variable_name(variables[-1]) if variables else None
        if parent.type in {"statement_list", "statement_block", "script_block"}:
            return None
    return None


def _member_of_result(command: Node, member: str) -> bool:
    """``(cmd ...).Member``: the command's parenthesised output is accessed."""
    for parent in ancestors(command):
        if parent.type == "parenthesized_expression":
            access = parent.parent
            name = _first(access, "member_name") if access is not None else None
            return (
                access is not None
                and access.type in {"member_access", "invocation_expression"}
                and name is not None
                and text(name).casefold() == member.casefold()
                and _unwrap(parent.named_children[0]) == command
            )
        if parent.type in {"statement_list", "statement_block"}:
            return False
    return False


def _is_member_read(node: Node, variable: str, member: str) -> bool:
    """``$variable.member``."""
    if node.type != "member_access" or not node.named_children:
        return False
    name = _first(node, "member_name")
    return (
        _is_variable(node.named_children[0], variable)
        and name is not None
        and text(name).casefold() == member.casefold()
    )


def native_exit_code(script: Script) -> list[Finding]:
    """(g) Every native call's exit code is read.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Automatic_Variables.md
    ($LASTEXITCODE: "Contains the exit code of the last native program or
    PowerShell script that ran"); a native tool's failure is no PowerShell error,
    so an unread exit code is a silent failure. Rule of this project.

    Accepted:

    * a native call (``& $tool ...``, ``& 'C:\\x\\y.exe'``, ``tool.exe ...``, see
      :func:`is_native`) followed, later in the same function (or script body),
      by a read of ``$LASTEXITCODE`` before any other native call or wrapper call;
    * a call of a wrapper (a function of the script that runs a native tool and
      returns an object with an ``ExitCode`` key, found to a fixed point, e.g.
      ``Invoke-DrNative``, ``Get-DrNativeOutput``) whose result is assigned to a
      variable whose ``.ExitCode`` is read later in the same function, or read as
      ``(Wrapper ...).ExitCode``.
    """
    findings: list[Finding] = []
    wrappers = _wrappers(script)
    natives = _native_set(script)
    for command in script.of("command"):
        name = command_name(command)
        if command in natives:
            statement = _statement(command)
            found = _reads_after(
                script,
                statement,
                _scope(command),
                lambda node: _is_variable(node, "lastexitcode"),
            )
            if found is None or not _is_variable(found, "lastexitcode"):
                findings.append(
                    script.at(
                        command,
                        "native-exit-code",
                        f"native call '{name}' is not followed by a read of"
                        " $LASTEXITCODE before the next native call",
                    )
                )
        elif canonical(command) in wrappers:
            if _member_of_result(command, "ExitCode"):
                continue
            variable = _assigned_variable(command)
            if variable is not None:
                found = _reads_after(
                    script,
                    _statement(command),
                    _scope(command),
                    partial(_is_member_read, variable=variable, member="ExitCode"),
                )
                if found is not None and found.type == "member_access":
                    continue
            findings.append(
                script.at(
                    command,
                    "native-exit-code",
                    f"the ExitCode that '{name}' returns is not read",
                )
            )
    return findings


def start_process_exit_code(script: Script) -> list[Finding]:
    """(g') ``Start-Process`` hands its exit code back only through ``-PassThru``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Management/Start-Process.md
    (-PassThru: "Returns a process object ... By default, this cmdlet doesn't
    generate any output"; Start-Process does not set $LASTEXITCODE);
    PowerShell/PowerShell#5421 (with -NoNewWindow or -RedirectStandard* and no
    -Wait, ``ExitCode`` stays empty unless ``.Handle`` was read while the process
    ran).

    Accepted: ``$p = Start-Process ... -PassThru`` whose ``$p.ExitCode`` is read
    later in the same function; without ``-Wait`` and with ``-NoNewWindow`` or a
    ``-RedirectStandard*`` parameter, ``$p.Handle`` must be read too.
    """
    findings: list[Finding] = []
    for command in script.of("command"):
        if canonical(command) != "start-process":
            continue
        variable = _assigned_variable(command)
        if not has_parameter(command, "PassThru", 3) or variable is None:
            findings.append(
                script.at(
                    command,
                    "start-process-exit-code",
                    "Start-Process without -PassThru assigned to a variable: the"
                    " exit code is lost",
                )
            )
            continue
        scope = _scope(command)
        statement = _statement(command)
        members = {
            (text(_first(node, "member_name") or node)).casefold()
            for node in _descendants(scope, "member_access")
            if node.start_byte >= statement.end_byte
            and _is_variable(node.named_children[0], variable)
        }
        if "exitcode" not in members:
            findings.append(
                script.at(
                    command,
                    "start-process-exit-code",
                    f"${variable}.ExitCode is never read after Start-Process",
                )
            )
            continue
        unwaited = not has_parameter(command, "Wait", 2)
        detached = has_parameter(command, "NoNewWindow", 2) or any(
            name.startswith("redirectstandard") for name in parameters(command)
        )
        if unwaited and detached and "handle" not in members:
            findings.append(
                script.at(
                    command,
                    "start-process-exit-code",
                    f"${variable}.Handle is not read: with -NoNewWindow or"
                    " -RedirectStandard* and no -Wait, ExitCode stays empty"
                    " (PowerShell/PowerShell#5421)",
                )
            )
    return findings


def _stderr_redirected(command: Node) -> bool:
    """Tell whether the command redirects its error stream (``2>&1``, ``2>``,
    ``*>``)."""
    return any(
        _normal(text(operator)).startswith(("2>", "*>"))
        for redirection in _descendants(command, "redirection")
        for operator in redirection.named_children[:1]
    )


def _error_action_value(assignment: Node) -> str | None:
    """The lower-case value of ``$ErrorActionPreference = '<value>'``."""
    left = assignment.named_children[0] if assignment.named_children else None
    value = assignment.child_by_field_name("value")
    if left is None or value is None:
        return None
    variables = list(_descendants(left, "variable"))
    if not variables or _variable_name(variables[-1]) != "erroractionpreference":
        return None
    return text(value).strip().strip("'\"").casefold()


def native_stderr_stop(script: Script) -> list[Finding]:
    """A native call that redirects stderr runs with $ErrorActionPreference not
    'Stop'.

    SOURCE: reference/docs-conceptual/whats-new/differences-from-windows-powershell.md
    ("Make $ErrorActionPreference not affect stderr output of native commands":
    Windows PowerShell applies $ErrorActionPreference to the ErrorRecords it makes
    of a native command's stderr, so under 'Stop' the first stderr line ends the
    script, exit code unread).

    The preference in force is the last ``$ErrorActionPreference = '...'`` before
    the call in the same function, else the script body's last one, else
    'Continue' (the default).
    """
    findings: list[Finding] = []
    top_level = [
        value
        for assignment in _assignments_by_scope(script).get(script.root, ())
        if (value := _error_action_value(assignment)) is not None
    ]
    script_value = top_level[-1] if top_level else "continue"
    for command in native_calls(script):
        if not _stderr_redirected(command):
            continue
        scope = _scope(command)
        local = [
            value
            for assignment in _assignments_by_scope(script).get(scope, ())
            if assignment.start_byte < command.start_byte
            and (value := _error_action_value(assignment)) is not None
        ]
        value = local[-1] if local else script_value
        if scope == script.root:
            value = local[-1] if local else "continue"
        if value == "stop":
            findings.append(
                script.at(
                    command,
                    "native-stderr-stop",
                    f"'{command_name(command)}' redirects stderr while"
                    " $ErrorActionPreference is 'Stop': in 5.1 its first stderr"
                    " line is a terminating error",
                )
            )
    return findings
