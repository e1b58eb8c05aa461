"""The oracle's lint on hand-written PowerShell 5.1: aliases, Invoke-Expression,
plain-text secure strings, PowerShell 7 syntax, unguarded state changes (cmdlets,
native tools, methods), and a realistic generated script."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.pwsh_oracle import (
    ALIASES,
    NATIVE_STATE_CHANGING,
    STATE_CHANGING,
    commands,
    is_state_changing,
    lint,
    method_calls,
    occurrences_outside_string_literals,
    syntax_problems,
)
from tests.support.pwsh_snippets import REAL_SCRIPT, ps_bytes, unguarded, windows

pytestmark = pytest.mark.oracle


# -------------------------------------------------------------------------------- lint


def test_exports_are_frozensets() -> None:
    assert isinstance(STATE_CHANGING, frozenset)
    assert isinstance(ALIASES, frozenset)
    assert isinstance(NATIVE_STATE_CHANGING, frozenset)
    assert {"Set-Service", "Invoke-CimMethod", "Remove-Item"} <= STATE_CHANGING
    assert "Set-Content" not in STATE_CHANGING
    assert {"%", "?", "gci", "sc", "foreach", "gcim"} <= ALIASES
    assert "sc.exe" not in ALIASES


ALIAS_USES = [
    "% {\n    $_\n}",
    "? {\n    $_\n}",
    "gci -Path 'C:\\'",
    "ls",
    "dir",
    "cat 'x.txt'",
    "echo 'x'",
    "iex 'x'",
    "icm -ScriptBlock {\n    1\n}",
    "sc -Path 'x' -Value 'y'",
    "select -First 1",
    "where {\n    $_\n}",
    "foreach {\n    $_\n}",
    "gcim -ClassName 'Win32_Service'",
    "gwmi -Class 'Win32_Service'",
    "cd 'C:\\'",
    "cp 'a' 'b'",
    "mv 'a' 'b'",
    "rm 'a'",
    "del 'a'",
    "kill -Id 4",
    "ps",
    "sleep -Seconds 5",
    "write 'x'",
    "type 'x.txt'",
    "gsv",
    "sasv -Name 'x'",
    "spsv -Name 'x'",
    "set -Name 'x' -Value 1",
    "r",
    "h",
]


@pytest.mark.parametrize("use", ALIAS_USES, ids=[u.split()[0] for u in ALIAS_USES])
def test_alias_used_as_command_is_flagged(use: str) -> None:
    data = f"$items |\n    {use}\n".encode()
    alias = use.split()[0]
    assert syntax_problems(data) == []
    assert alias in ALIASES
    assert f"2:5: alias '{alias}' used as a command" in " ".join(lint(data))


def test_full_names_and_keywords_are_not_aliases() -> None:
    data = ps_bytes(
        """
        foreach ($item in $items) {
            $item | ForEach-Object {
                $_
            } | Where-Object {
                $_
            } | Select-Object -First 1
        }
        sc.exe query 'W3SVC'
        $text = 'gci ls % ?'
        $items.Where({ $_ })
        """
    )
    assert not [f for f in lint(data) if "alias" in f]


def test_alias_is_matched_case_insensitively() -> None:
    assert lint(ps_bytes("GCI -Path 'C:\\'\n")) == [
        "1:1: alias 'GCI' used as a command (write Get-ChildItem)"
    ]


def test_invoke_expression_is_flagged_by_name_and_alias() -> None:
    findings = lint(ps_bytes("Invoke-Expression -Command $c\niex $c\n"))
    assert findings == [
        "1:1: Invoke-Expression is not allowed",
        "2:1: Invoke-Expression is not allowed",
        "2:1: alias 'iex' used as a command (write Invoke-Expression)",
    ]


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("$s = ConvertTo-SecureString -String 'p' -AsPlainText -Force", True),
        ("$s = ConvertTo-SecureString 'p' -AsPlain -Force", True),
        ("$s = ConvertTo-SecureString -String $encrypted -Key $key", False),
        ("$s = Read-Host -Prompt 'Password' -AsSecureString", False),
    ],
)
def test_convertto_securestring_as_plain_text(source: str, flagged: bool) -> None:
    findings = lint(f"{source}\n".encode())
    assert bool(findings) is flagged
    if flagged:
        assert "ConvertTo-SecureString -AsPlainText" in findings[0]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("$x = $a ?? 'default'", "null-coalescing operator '??'"),
        ("$x ??= 'default'", "null-coalescing assignment '??='"),
        ("$x = ${a}?.Name", "null-conditional operator '?.'"),
        ("$x = ${a}?[0]", "null-conditional operator '?['"),
        ("$x = $c ? 'yes' : 'no'", "ternary operator '? :'"),
        ("Get-Item -Path 'x' && Write-Output 'y'", "pipeline chain operator '&&'"),
        ("Get-Item -Path 'x' || Write-Output 'y'", "pipeline chain operator '||'"),
        (
            "$items | ForEach-Object -Parallel {\n    $_\n}",
            "'ForEach-Object -Parallel' needs PowerShell 6 or later",
        ),
        (
            "$items | ForEach-Object -ThrottleLimit 5 -Par {\n    $_\n}",
            "'ForEach-Object -Par' needs PowerShell 6 or later",
        ),
        (
            "$h = $json | ConvertFrom-Json -AsHashtable",
            "'ConvertFrom-Json -AsHashtable' needs PowerShell 6 or later",
        ),
        (
            "Remove-Service -Name 'x'",
            "'Remove-Service' does not exist in Windows PowerShell 5.1",
        ),
    ],
)
def test_powershell_7_syntax_is_flagged(source: str, expected: str) -> None:
    assert expected in " ".join(lint(f"{source}\n".encode()))


@pytest.mark.parametrize(
    "source",
    [
        "Write-Output 'a ?? b && c || d ? e : f'",
        'Write-Output "a ?? b && c || d"',
        "# $a ?? $b && $c",
        "if ($?) {\n    Write-Output 'ok'\n}",
        "Get-Service -Name BTS?vc",
        "$g = $items | Group-Object -Property 'Name' -AsHashTable",
        "$items | ForEach-Object -Process {\n    $_\n}",
        "$j = $o | ConvertTo-Json -Depth 5",
    ],
)
def test_windows_powershell_51_constructs_are_not_flagged(source: str) -> None:
    data = f"{source}\n".encode()
    assert syntax_problems(data) == []
    assert lint(data) == []


@pytest.mark.parametrize("name", sorted(STATE_CHANGING))
def test_every_state_changing_cmdlet_needs_a_guard(name: str) -> None:
    data = ps_bytes(
        f"""
        {name} -Name 'x'
        if ($PSCmdlet.ShouldProcess('x', 'change')) {{
            {name} -Name 'x'
        }}
        """
    )
    assert unguarded(lint(data)) == [
        f"1:1: state-changing command '{name}' is not inside "
        "if ($PSCmdlet.ShouldProcess(...))"
    ]


def test_state_changing_aliases_and_case_are_resolved() -> None:
    data = ps_bytes("spsv -Name 'x'\nstop-service -Name 'y'\n")
    assert [is_state_changing(c) for c in commands(data)] == [True, True]


def test_new_ciminstance_client_only_is_not_state_changing() -> None:
    data = ps_bytes(
        """
        $a = New-CimInstance -ClassName 'MSBTS_Host' -ClientOnly -Property @{ N = 1 }
        $b = New-CimInstance -ClassName 'MSBTS_Host' -Property @{ N = 1 }
        """
    )
    assert [is_state_changing(c) for c in commands(data)] == [False, True]
    assert [f.split(":")[0] for f in lint(data)] == ["2"]


def test_log_writers_are_not_state_changing() -> None:
    data = ps_bytes(
        """
        Add-Content -Path $logFile -Value 'started'
        'x' | Out-File -FilePath $logFile -Append
        Set-Content -Path $stateFile -Value 'done'
        """
    )
    assert lint(data) == []


@pytest.mark.parametrize(
    "source",
    [
        "sc.exe config 'BTSSvc$App' start= disabled",
        "net stop 'BTSSvc$App'",
        "NET.EXE stop 'MSDTC'",
        "cscript //nologo 'UpdateDatabase.vbs' 'SampleUpdateInfo.xml'",
        "cscript.exe //nologo 'UpdateRegistry.vbs' 'SampleUpdateInfo.xml'",
        "ssomanage -updatedb 'x.xml'",
        "& ssoconfig.exe -restoreSecret 'SSO.bak'",
        "& 'D:\\BizTalk Server\\Configuration.exe' /s 'c.xml'",
        "& \"$env:WINDIR\\System32\\sc.exe\" stop 'W3SVC'",
        "& $ssoManage -updatedb 'x.xml'",
    ],
)
def test_native_tools_need_a_guard(source: str) -> None:
    guarded = (
        f"if ($PSCmdlet.ShouldProcess('target', 'run')) {{\n    {source}\n}}\n"
    ).encode()
    assert syntax_problems(guarded) == []
    assert lint(guarded) == []
    findings = lint(f"{source}\n".encode())
    assert len(findings) == 1
    assert findings[0].startswith("1:1: native tool ")


def test_call_operator_variable_resolved_through_assignment() -> None:
    data = ps_bytes(
        """
        $tool = Join-Path -Path $env:WINDIR -ChildPath 'System32\\cscript.exe'
        & $tool //nologo 'UpdateDatabase.vbs'
        & $other 'x'
        if ($PSCmdlet.ShouldProcess('db', 'update')) {
            & $tool //nologo 'UpdateRegistry.vbs'
        }
        """
    )
    assert lint(data) == [
        "2:1: native tool '$tool' is not inside if ($PSCmdlet.ShouldProcess(...))"
    ]


def test_read_only_native_calls_need_no_guard() -> None:
    data = ps_bytes(
        """
        $ssomanage = Get-DrSsoTool -Name 'ssomanage.exe'
        $display = (& $ssomanage '-displaydb' 2>&1 | Out-String)
        sc.exe query 'W3SVC'
        & "$env:WINDIR\\System32\\sc.exe" qc 'W3SVC'
        & $ssomanage '-updatedb' $SecretServerPath
        sc.exe config 'W3SVC' start= disabled
        cscript.exe //nologo 'query.vbs'
        """
    )
    assert [f.split(": ", 1)[1] for f in lint(data)] == [
        "native tool '$ssomanage' is not inside if ($PSCmdlet.ShouldProcess(...))",
        "native tool 'sc.exe' is not inside if ($PSCmdlet.ShouldProcess(...))",
        "native tool 'cscript.exe' is not inside if ($PSCmdlet.ShouldProcess(...))",
    ]


def test_tool_names_in_strings_are_not_invocations() -> None:
    data = ps_bytes(
        """
        Write-Output 'Run sc.exe and cscript later'
        $path = 'C:\\Windows\\System32\\net.exe'
        """
    )
    assert lint(data) == []


def test_state_changing_methods_need_a_guard() -> None:
    data = ps_bytes(
        """
        $null = $hostInstance.Stop()
        if ($PSCmdlet.ShouldProcess('host', 'Start')) {
            $null = $hostInstance.Start()
        }
        $trimmed = $name.Trim()
        """
    )
    assert lint(data) == [
        "1:23: state-changing method call '.Stop(' is not inside "
        "if ($PSCmdlet.ShouldProcess(...))"
    ]


def test_findings_are_in_document_order() -> None:
    data = ps_bytes(
        """
        Remove-Item -Path 'b'
        gci
        $x = $a ?? $b
        """
    )
    assert [f.split(":")[0] for f in lint(data)] == ["1", "2", "3"]


# -------------------------------------------------------------------- realistic script


@pytest.mark.parametrize("encode", [ps_bytes, windows], ids=["lf", "bom-crlf-signed"])
def test_realistic_script(encode: Callable[[str], bytes]) -> None:
    data = encode(REAL_SCRIPT)
    assert len(REAL_SCRIPT.splitlines()) == 60
    assert syntax_problems(data) == []
    assert lint(data) == []
    assert [(c.name, c.line, c.guarded) for c in commands(data)] == [
        ("Join-Path", 18, False),
        ("Set-StrictMode", 26, False),
        ("Get-CimInstance", 36, False),
        ("Where-Object", 37, False),
        ("Write-Verbose", 41, False),
        ("Invoke-CimMethod", 44, True),
        ("Set-CimInstance", 46, True),
        ("Write-Error", 51, False),
        ("Write-Error", 55, False),
        ("Write-Verbose", 59, False),
    ]
    assert method_calls(data) == [("ShouldProcess", 42, False)]
    for value in ("BTSAPP01", "BizTalkServerApplication", "MSBTS_HostInstance"):
        assert occurrences_outside_string_literals(data, value) == []


def test_realistic_script_without_guard_is_flagged() -> None:
    broken = REAL_SCRIPT.replace(
        "if ($PSCmdlet.ShouldProcess($instance.HostName, 'Stop host instance')) {",
        "if ($instance.HostName) {",
    )
    assert broken != REAL_SCRIPT
    assert lint(windows(broken)) == [
        "44:25: state-changing command 'Invoke-CimMethod' is not inside "
        "if ($PSCmdlet.ShouldProcess(...))",
        "46:13: state-changing command 'Set-CimInstance' is not inside "
        "if ($PSCmdlet.ShouldProcess(...))",
    ]


def test_realistic_script_with_value_in_double_quotes_is_caught() -> None:
    leaky = REAL_SCRIPT.replace(
        "$computerName = 'BTSAPP01'", '$computerName = "BTSAPP01"'
    )
    data = windows(leaky)
    offsets = occurrences_outside_string_literals(data, "BTSAPP01")
    assert len(offsets) == 1
    assert syntax_problems(data) == []
