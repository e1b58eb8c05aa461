"""Rules on JSON and files: ConvertTo-Json -Depth, file encodings,
ConvertFrom-Json of a whole file, relative paths given to .NET."""

from __future__ import annotations

import re
from typing import Final

from tests.support.ps51.core import (
    Finding,
    Script,
    _first,
    _literal_value,
    _normal,
    canonical,
    command_name,
    has_parameter,
    text,
)


def convertto_json_depth(script: Script) -> list[Finding]:
    """Every ``ConvertTo-Json`` states ``-Depth``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Utility/ConvertTo-Json.md (-Depth:
    "The default value is 2"); PowerShell/PowerShell#8393 (deeper levels are
    written as their type name, data lost without an error);
    reference/docs-conceptual/whats-new/What-s-New-in-PowerShell-72.md ("Emit
    warning if ConvertTo-Json exceeds -Depth value (#13692)": Windows PowerShell
    5.1 has no such warning, PowerShell/PowerShell#23960, although the 5.1 page
    mentions one).
    """
    return [
        script.at(
            command,
            "convertto-json-depth",
            "ConvertTo-Json without -Depth truncates below level 2 without a word"
            " in 5.1",
        )
        for command in script.of("command")
        if canonical(command) == "convertto-json"
        and not has_parameter(command, "Depth", 3)
    ]


_ENCODED_COMMANDS: Final = frozenset(
    {"out-file", "set-content", "add-content", "get-content", "export-csv"}
)


def file_encoding(script: Script) -> list[Finding]:
    """Files are read and written with an explicit ``-Encoding``.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Character_Encoding.md
    ("Out-File and the redirection operators > and >> create UTF-16LE";
    "Set-Content and Add-Content use Default encoding ... the active system
    locale's ANSI legacy code page"; "Get-Content ... uses the Default ANSI
    encoding" for a file without BOM); reference/5.1/Microsoft.PowerShell.Management/
    Set-Content.md (-Encoding default ``Default``).

    Flagged: ``Out-File``, ``Set-Content``, ``Add-Content``, ``Get-Content``,
    ``Export-Csv`` without ``-Encoding``; ``>``/``>>`` (any stream) to a file that
    is not ``$null``.
    """
    findings: list[Finding] = []
    for command in script.of("command"):
        name = canonical(command)
        if name in _ENCODED_COMMANDS and not has_parameter(command, "Encoding", 1):
            findings.append(
                script.at(
                    command,
                    "file-encoding",
                    f"{command_name(command)} without -Encoding uses the 5.1 default"
                    " (UTF-16LE for Out-File, ANSI otherwise)",
                )
            )
    for redirection in script.of("redirection"):
        operator = redirection.named_children[0] if redirection.named_children else None
        target = _first(redirection, "redirected_file_name")
        if operator is None or operator.type != "file_redirection_operator":
            continue
        if target is None or _normal(text(target)) == "$null":
            continue
        findings.append(
            script.at(
                redirection,
                "file-encoding",
                f"redirection '{text(redirection).strip()}' writes UTF-16LE in 5.1;"
                " use Set-Content/Out-File -Encoding",
            )
        )
    return sorted(findings)


def convertfrom_json_pipeline(script: Script) -> list[Finding]:
    """``ConvertFrom-Json`` ends its pipeline.

    SOURCE: PowerShell/PowerShell#3424 (Windows PowerShell's ConvertFrom-Json
    writes a JSON array as ONE object to the pipeline, so the next command gets the
    whole array as ``$_``; fixed only in PowerShell 7 and later).

    Accepted: ConvertFrom-Json as the last command of its pipeline (wrap it in
    parentheses to enumerate the array).
    """
    findings: list[Finding] = []
    for command in script.of("command"):
        if canonical(command) != "convertfrom-json":
            continue
        following = command.next_named_sibling
        while following is not None and following.type == "comment":
            following = following.next_named_sibling
        if following is not None and following.type == "command":
            findings.append(
                script.at(
                    command,
                    "convertfrom-json-pipeline",
                    "ConvertFrom-Json piped on: in 5.1 a JSON array reaches the next"
                    " command as one object; wrap ConvertFrom-Json in ( )",
                )
            )
    return findings


_DOTNET_PATH_TYPES: Final = frozenset(
    {"io.file", "io.directory", "io.fileinfo", "io.directoryinfo"}
)
_ROOTED: Final = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|//|[\\/])")


def dotnet_relative_path(script: Script) -> list[Finding]:
    """.NET file methods get rooted paths.

    SOURCE: reference/5.1/Microsoft.PowerShell.Core/About/about_Methods.md ("Using
    .NET methods that take filesystem paths": ".NET methods use the process working
    directory. PowerShell cmdlets use the Runspace location");
    reference/5.1/Microsoft.PowerShell.Management/Set-Location.md (not the same as
    ``[System.Environment]::CurrentDirectory``).

    Flagged: ``[System.IO.File|Directory|FileInfo|DirectoryInfo]::Method(`` whose
    first argument is a string literal that is not rooted (no drive, UNC or leading
    slash). Paths in variables are not followed (module docstring).
    """
    findings: list[Finding] = []
    for call in script.of("invocation_expression"):
        target = call.named_children[0] if call.named_children else None
        if target is None or target.type != "type_literal":
            continue
        type_name = _normal(text(target)).strip("[]").removeprefix("system.")
        if type_name not in _DOTNET_PATH_TYPES:
            continue
        listed = _first(
            _first(call, "argument_list") or call, "argument_expression_list"
        )
        if listed is None or not listed.named_children:
            continue
        literal = _literal_value(listed.named_children[0])
        if literal is not None and not _ROOTED.match(literal):
            findings.append(
                script.at(
                    call,
                    "dotnet-relative-path",
                    f"relative path '{literal}' given to .NET resolves against the"
                    " process folder, not the PowerShell location",
                )
            )
    return findings
