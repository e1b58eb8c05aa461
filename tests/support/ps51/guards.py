"""Rules on what guards a step: a transcript stopped inside try, the 64-bit
registry view, a declined ShouldProcess, $PSScriptRoot in parameter defaults."""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from tree_sitter import Node

from tests.support.ps51.core import (
    _NOT_WHATIF,
    Finding,
    Script,
    _block,
    _condition_clause,
    _condition_is,
    _descendants,
    _elements,
    _first,
    _is_variable,
    _negations,
    _next_clause,
    _normal,
    _statement,
    _statements,
    _variable_name,
    canonical,
    command_name,
    records,
    text,
)
from tests.support.pwsh_oracle import (
    ancestors,
    line_col,
)


def stop_transcript_in_try(script: Script) -> list[Finding]:
    """(c) ``Stop-Transcript`` runs only in the body of a ``try`` that has a catch.

    SOURCE: PowerShell/PowerShell#1763 (Stop-Transcript throws "The host is not
    currently transcribing" when no transcript runs, and ``-ErrorAction
    SilentlyContinue``/``Ignore`` does not suppress it); engine
    src/Microsoft.PowerShell.ConsoleHost/host/msh/StopTranscriptCmdlet.cs.

    Accepted: the command sits, at any depth, in the ``{ }`` right after ``try`` of
    a try statement that has at least one ``catch`` (not in the catch or finally).
    """
    findings: list[Finding] = []
    for command in script.of("command"):
        if canonical(command) != "stop-transcript":
            continue
        if not _in_try_body_with_catch(command):
            findings.append(
                script.at(
                    command,
                    "stop-transcript-try",
                    "Stop-Transcript outside a try body with a catch: it throws when"
                    " no transcript runs, whatever -ErrorAction says",
                )
            )
    return findings


def _in_try_body_with_catch(node: Node) -> bool:
    """Tell whether ``node`` is in the try block of a try with a catch clause."""
    child = node
    for parent in ancestors(node):
        if (
            parent.type == "try_statement"
            and child.type == "statement_block"
            and _first(parent, "catch_clauses") is not None
        ):
            return True
        child = parent
    return False


_REGISTRY_PATH: Final = re.compile(
    r"^['\"]?(?:hklm|hkcu|hkcr|hku|hkcc):|^['\"]?registry::|^['\"]?hkey_",
    re.IGNORECASE,
)
#: Cmdlets that read the registry whatever their path (the registry is where
#: item properties live).
_REGISTRY_PROPERTY_READERS: Final = frozenset(
    {"get-itemproperty", "get-itempropertyvalue"}
)
#: Cmdlets that read the registry when given a registry path.
_PATH_READERS: Final = frozenset(
    {"get-item", "get-childitem", "test-path", "get-acl", "get-content"}
)


def _registry_variables(script: Script) -> frozenset[str]:
    """Variables assigned a value that holds a registry path literal."""
    names: set[str] = set()
    for assignment in script.of("assignment_expression"):
        value = assignment.child_by_field_name("value")
        if value is None or not any(
            _REGISTRY_PATH.match(text(literal))
            for literal in _descendants(value, "string_literal")
        ):
            continue
        for variable in _descendants(assignment.named_children[0], "variable"):
            names.add(_variable_name(variable))
    return frozenset(names)


def _reads_registry(command: Node, registry_variables: frozenset[str]) -> bool:
    """Tell whether ``command`` itself reads the registry."""
    name = canonical(command)
    if name in _REGISTRY_PROPERTY_READERS:
        return True
    if name == "reg.exe" or name == "reg":
        return True
    if name not in _PATH_READERS:
        return False
    for element in _elements(command):
        if _REGISTRY_PATH.match(text(element).strip()):
            return True
        if any(
            _variable_name(variable) in registry_variables
            for variable in _descendants(element, "variable")
        ):
            return True
    return False


def _refuses_32_bit(clause: Node) -> bool:
    """Tell whether an if/elseif throws or exits when the process is 32-bit.

    Conditions: ``-not [Environment]::Is64BitProcess`` (or ``!``),
    ``[Environment]::Is64BitProcess -eq $false``, ``[IntPtr]::Size -eq 4`` or
    ``-ne 8``; the block's first statements must include ``throw`` or ``exit``.
    """
    condition = clause.child_by_field_name("condition")
    block = _block(clause)
    if condition is None or block is None:
        return False
    normal = _normal(text(condition))
    is64 = re.search(r"\[(system\.)?environment\]::is64bitprocess", normal)
    refuses = False
    if is64:
        member = next(
            node
            for node in _descendants(condition, "member_name")
            if text(node).casefold() == "is64bitprocess"
        )
        refuses = _negations(member, condition) % 2 == 1 or bool(
            re.search(r"is64bitprocess-eq\$false|\$false-eq", normal)
        )
    elif re.search(r"\[(system\.)?intptr\]::size(-eq4|-ne8|-lt8)", normal):
        refuses = True
    if not refuses:
        return False
    return any(
        statement.type == "flow_control_statement"
        and statement.children
        and statement.children[0].type.casefold() in {"throw", "exit"}
        for statement in _statements(block)
    )


class _Event(NamedTuple):
    kind: str  # "guard" or "read"
    node: Node
    via: tuple[str, ...]


def _first_event(
    script: Script,
    start: Node,
    registry_variables: frozenset[str],
    via: tuple[str, ...],
    memo: dict[Node, _Event | None],
) -> _Event | None:
    """The first 32-bit guard or registry read run from ``start``, in document
    order, following calls of the script's functions (definitions are skipped)."""
    stack = list(reversed(start.children)) if start.type != "command" else [start]
    while stack:
        node = stack.pop()
        if node.type == "function_statement":
            continue
        if node.type in {"if_statement", "elseif_clause"} and _refuses_32_bit(node):
            return _Event("guard", node, via)
        if node.type == "member_access" and _normal(text(node)).startswith(
            "[microsoft.win32.registry]::"
        ):
            return _Event("read", node, via)
        if node.type == "command":
            if _reads_registry(node, registry_variables):
                return _Event("read", node, via)
            function = script.functions.get(canonical(node))
            if function is not None:
                name = command_name(node)
                if function not in memo:
                    memo[function] = None  # recursion guard
                    body = _first(function, "script_block") or function
                    memo[function] = _first_event(
                        script, body, registry_variables, (), memo
                    )
                found = memo[function]
                if found is not None:
                    return _Event(found.kind, found.node, (*via, name, *found.via))
        stack.extend(reversed(node.children))
    return None


def registry_64bit_guard(script: Script) -> list[Finding]:
    """(d) A script refuses a 32-bit process before it first reads the registry.

    SOURCE: learn.microsoft.com/windows/win32/winprog64/registry-redirector
    ("Registry Redirector": a 32-bit process on 64-bit Windows reads
    HKLM\\SOFTWARE through the Wow6432Node view, silently).

    Execution order is approximated by document order of the top-level statements,
    following each call of a function defined in the script into its body (function
    definitions themselves run nothing). The first of these wins:

    * a guard: an ``if``/``elseif`` whose condition is ``-not
      [Environment]::Is64BitProcess`` (or ``!``, ``-eq $false``,
      ``[IntPtr]::Size -eq 4``/``-ne 8``) and whose block throws or exits;
    * a registry read: ``Get-ItemProperty``/``Get-ItemPropertyValue`` (any path),
      ``reg.exe``, ``[Microsoft.Win32.Registry]::...``, or ``Get-Item``,
      ``Get-ChildItem``, ``Test-Path``, ``Get-Acl``, ``Get-Content`` given a
      registry path literal (``HKLM:``, ``Registry::``, ...) or a variable assigned
      one anywhere in the script.

    A read first is a finding; a script that never reads the registry needs no
    guard. A guard inside a branch counts as run (the approximation).
    """
    registry_variables = _registry_variables(script)
    event = _first_event(script, script.root, registry_variables, (), {})
    if event is None or event.kind == "guard":
        return []
    where = f" (through {' -> '.join(event.via)})" if event.via else ""
    line, _ = line_col(script.data, event.node.start_byte)
    read = text(event.node).splitlines()[0][:60]
    return [
        script.at(
            event.node,
            "registry-64bit-guard",
            f"registry read '{read}' at line {line}{where} runs before any"
            " refusal of a 32-bit process",
        )
    ]


_CONSENT_METHODS: Final = frozenset({"shouldprocess", "shouldcontinue"})


def _is_consent_call(node: Node) -> bool:
    """``$PSCmdlet.ShouldProcess(...)`` or ``$PSCmdlet.ShouldContinue(...)``."""
    if node.type != "invocation_expression" or not node.named_children:
        return False
    target = node.named_children[0]
    member = _first(node, "member_name")
    return (
        _is_variable(target, "pscmdlet")
        and member is not None
        and text(member).casefold() in _CONSENT_METHODS
    )


def _is_discarded(call: Node) -> bool:
    """Tell whether the call's value is thrown away: ``[void]``, ``$null =``,
    ``| Out-Null``."""
    statement = _statement(call)
    source = _normal(text(statement))
    return source.startswith(("[void]", "$null=")) or any(
        canonical(command) == "out-null"
        for command in _descendants(statement, "command")
    )


def _inside_whatif_only(node: Node) -> bool:
    """Tell whether ``node`` is in the block of ``if ($WhatIfPreference)``."""
    child = node
    for parent in ancestors(node):
        if (
            parent.type == "if_statement"
            and child.type == "statement_block"
            and _condition_is(parent, "$whatifpreference")
        ):
            return True
        child = parent
    return False


def should_process_declined(script: Script) -> list[Finding]:
    """(e) Every ShouldProcess/ShouldContinue has a declined path that throws or
    records a problem, unless only -WhatIf declines.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/
    about_Functions_Advanced_Methods.md ("ShouldProcess ... The function can
    continue based on the Boolean value returned"); reference/docs-conceptual/
    learn/deep-dives/everything-about-shouldprocess.md (-WhatIf makes
    ShouldProcess "return $false"; -Confirm offers "[N] No"). A declined change
    that reports success is this project's issue 16 (a stale private folder may
    hold passwords). Rule of this project.

    What counts as a consent call: ``$PSCmdlet.ShouldProcess(`` or
    ``$PSCmdlet.ShouldContinue(``. Each one must be one of:

    * in an ``if``/``elseif`` condition, not negated: the clause that runs when the
      condition is false must be an ``else`` whose block records, or an ``elseif
      (-not $WhatIfPreference)`` whose block records;
    * in an ``if``/``elseif`` condition, negated (``-not``/``!``): the clause's own
      block records;
    * its value discarded (``[void]``, ``$null =``, ``| Out-Null``) inside the block
      of ``if ($WhatIfPreference)``: a report made only under -WhatIf.

    "Records" (:func:`records`): at the top of the block, ``throw``, ``exit``, a
    call of ``Write-DrProblem`` (:data:`PROBLEM_RECORDERS`), or one of these inside
    ``if (-not $WhatIfPreference) { }`` or in the ``else`` of ``if
    ($WhatIfPreference) { } else { }``: declined by a person fails the run;
    declined by -WhatIf only reports.
    """
    findings: list[Finding] = []
    for call in script.of("invocation_expression"):
        if not _is_consent_call(call):
            continue
        method = text(_first(call, "member_name") or call)
        placed = _condition_clause(call)
        if placed is None:
            if _is_discarded(call) and _inside_whatif_only(call):
                continue
            message = f"{method}() is not an if condition: its declined case is unseen"
            findings.append(script.at(call, "should-process-declined", message))
            continue
        clause, condition = placed
        if _negations(call, condition) % 2 == 1:
            block = _block(clause)
            if block is not None and records(block):
                continue
            message = f"-not {method}(): the declined block neither throws nor records"
            findings.append(script.at(call, "should-process-declined", message))
            continue
        declined = _next_clause(clause)
        if declined is not None and (
            declined.type == "else_clause"
            or any(_condition_is(declined, form) for form in _NOT_WHATIF)
        ):
            block = _block(declined)
            if block is not None and records(block):
                continue
        message = (
            f"{method}() declined (by -Confirm 'No') falls through silently: add an"
            " else (or elseif (-not $WhatIfPreference)) that throws or records"
        )
        findings.append(script.at(call, "should-process-declined", message))
    return findings


def psscriptroot_param_default(script: Script) -> list[Finding]:
    """(f) No ``$PSScriptRoot`` in a default of the script's own parameters.

    SOURCE: PowerShell/PowerShell#4688 (Windows PowerShell 5.1, ``powershell.exe
    -File``: ``$PSScriptRoot`` is empty while an advanced script's parameter
    defaults are evaluated; the same default in a function's parameter works, so
    only the script's param block is checked).
    """
    findings: list[Finding] = []
    block = _first(script.root, "param_block")
    if block is None:
        return findings
    findings.extend(
        script.at(
            variable,
            "psscriptroot-param-default",
            "$PSScriptRoot in a script parameter default is empty"
            " under powershell.exe -File (5.1): resolve it in the body",
        )
        for default in _descendants(block, "script_parameter_default")
        for variable in _descendants(default, "variable")
        if _variable_name(variable) == "psscriptroot"
    )
    return findings
