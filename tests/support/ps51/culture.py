"""Rules on values that depend on the culture or on operand order: date
patterns, parsing, $null on the right of a comparison, -contains."""

from __future__ import annotations

import re
from typing import Final

from tree_sitter import Node

from tests.support.ps51.core import (
    Finding,
    Script,
    _first,
    _literal_value,
    _normal,
    _unwrap,
    canonical,
    parameter_value,
    text,
)

_DATE_PATTERN: Final = re.compile(r"yy|MM|dd|HH|hh|mm|ss|fff|tt")
_INVARIANT_FORMATS: Final = frozenset({"o", "O", "r", "R", "s", "u"})


def culture_format(script: Script) -> list[Finding]:
    """Dates are formatted with an explicit culture.

    SOURCE: reference/5.1/Microsoft.PowerShell.Utility/Get-Date.md ("Get-Date uses
    the current culture settings"; example 9: ``ToString()`` "converts a DateTime
    object to a String using the current culture setting"); engine
    src/System.Management.Automation/engine/runtime/Operations/StringOps.cs
    (``FormatOperator``, the ``-f`` operator) and
    src/System.Management.Automation/utils/StringUtil.cs (``string.Format(
    CultureInfo.CurrentCulture, ...)``). A Thai or Saudi culture writes another
    calendar's year.

    Flagged: ``.ToString('<date pattern>')`` with no second argument; ``-f`` whose
    literal format holds an item ``{n:<date pattern>}``; ``Get-Date -Format`` other
    than the invariant ``o``, ``r``, ``s``, ``u``. A date pattern contains
    ``yy``, ``MM``, ``dd``, ``HH``, ``hh``, ``mm``, ``ss``, ``fff`` or ``tt``.
    """
    findings: list[Finding] = []
    for call in script.of("invocation_expression"):
        member = _first(call, "member_name")
        arguments = _first(call, "argument_list")
        if member is None or text(member).casefold() != "tostring" or not arguments:
            continue
        listed = _first(arguments, "argument_expression_list")
        values = listed.named_children if listed is not None else []
        values = [value for value in values if value.type == "argument_expression"]
        if len(values) == 1:
            literal = _literal_value(values[0])
            if literal is not None and _DATE_PATTERN.search(literal):
                findings.append(
                    script.at(
                        call,
                        "culture-format",
                        f".ToString('{literal}') formats with the current culture;"
                        " pass [cultureinfo]::InvariantCulture",
                    )
                )
    for expression in script.of("format_expression"):
        literal = _literal_value(expression.named_children[0])
        if literal is None:
            continue
        for item in re.findall(r"\{\d+(?:,-?\d+)?:([^}]*)\}", literal):
            if _DATE_PATTERN.search(item):
                findings.append(
                    script.at(
                        expression,
                        "culture-format",
                        f"-f with '{{...:{item}}}' formats the date with the current"
                        " culture; use .ToString(format, InvariantCulture)",
                    )
                )
                break
    for command in script.of("command"):
        if canonical(command) != "get-date":
            continue
        value = parameter_value(command, "Format", 1)
        if value is None:
            continue
        literal = _literal_value(value)
        if literal is None or literal not in _INVARIANT_FORMATS:
            findings.append(
                script.at(
                    command,
                    "culture-format",
                    "Get-Date -Format uses the current culture; use"
                    " .ToString(format, [cultureinfo]::InvariantCulture)",
                )
            )
    return sorted(findings)


_CULTURE_TYPES: Final = frozenset(
    {"datetime", "datetimeoffset", "double", "decimal", "single", "float"}
)


def culture_parse(script: Script) -> list[Finding]:
    """Dates and numbers are parsed with an explicit culture.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Type_Conversion.md
    ("[bigint]'42' is the same as [bigint]::Parse('42',
    [cultureinfo]::InvariantCulture)": a cast is culture-invariant, a ``Parse()``
    without an IFormatProvider uses the current culture; "binary cmdlets perform
    culture-sensitive conversion during parameter binding").

    Flagged: ``[datetime|datetimeoffset|double|decimal|single|float]::Parse(`` or
    ``::TryParse(`` whose arguments mention no culture or format provider (no
    argument text containing ``culture``, ``formatprovider``, ``numberformat`` or
    ``datetimeformat``); ``Get-Date -Date '<string literal>'``.
    """
    findings: list[Finding] = []
    for call in script.of("invocation_expression"):
        target = call.named_children[0] if call.named_children else None
        member = _first(call, "member_name")
        if target is None or member is None or target.type != "type_literal":
            continue
        type_name = _normal(text(target)).strip("[]").removeprefix("system.")
        method = text(member).casefold()
        if type_name not in _CULTURE_TYPES or method not in {"parse", "tryparse"}:
            continue
        arguments = _normal(text(_first(call, "argument_list") or call))
        if re.search(r"culture|formatprovider|numberformat|datetimeformat", arguments):
            continue
        findings.append(
            script.at(
                call,
                "culture-parse",
                f"[{type_name}]::{text(member)}() without a culture parses with the"
                " current culture; pass [cultureinfo]::InvariantCulture",
            )
        )
    for command in script.of("command"):
        if canonical(command) != "get-date":
            continue
        value = parameter_value(command, "Date", 1)
        if value is not None and _unwrap(value).type == "string_literal":
            findings.append(
                script.at(
                    command,
                    "culture-parse",
                    "Get-Date -Date '<text>' parses the text with the current"
                    " culture; use [datetime]::ParseExact(..., InvariantCulture)",
                )
            )
    return sorted(findings)


def _comparison_parts(node: Node) -> tuple[Node, str, Node] | None:
    """``(left, operator, right)`` of a comparison expression."""
    operator = _first(node, "comparison_operator")
    if operator is None or len(node.named_children) != 3:
        return None
    left, _, right = node.named_children
    return left, text(operator).strip().casefold(), right


def null_on_right(script: Script) -> list[Finding]:
    """``$null`` goes on the left of ``-eq`` / ``-ne``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Comparison_Operators.md
    ("if you need to determine whether a variable is $null, you must put $null on
    the left-hand side of the equality operator": with an array on the left, -eq
    filters it and returns the matching elements).
    """
    findings: list[Finding] = []
    for comparison in script.of("comparison_expression"):
        parts = _comparison_parts(comparison)
        if parts is None:
            continue
        _, operator, right = parts
        equality = {"-eq", "-ne", "-ieq", "-ine", "-ceq", "-cne"}
        if operator in equality and _normal(text(right)) == "$null":
            findings.append(
                script.at(
                    comparison,
                    "null-on-right",
                    f"'{text(comparison)[:60]}': put $null on the left of {operator}",
                )
            )
    return findings


def contains_operand_order(script: Script) -> list[Finding]:
    """``-contains`` has the collection on the left.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Comparison_Operators.md
    ("<Collection> -contains <scalar-object>"; ``'abc' -contains $list`` is
    always false unless the list's string form is 'abc': it is not a substring or
    membership test the other way round; ``-in`` is).

    Flagged: ``-contains``/``-notcontains`` (any case prefix) with a single string
    or number literal on the left.
    """
    findings: list[Finding] = []
    for comparison in script.of("comparison_expression"):
        parts = _comparison_parts(comparison)
        if parts is None:
            continue
        left, operator, _ = parts
        if not re.fullmatch(r"-[ic]?(?:not)?contains", operator):
            continue
        inner = _unwrap(left)
        if inner.type in {"string_literal", "integer_literal", "real_literal"}:
            findings.append(
                script.at(
                    comparison,
                    "contains-operand-order",
                    f"'{text(comparison)[:60]}': a scalar on the left of"
                    f" {operator}; write <value> -in <collection>",
                )
            )
    return findings
