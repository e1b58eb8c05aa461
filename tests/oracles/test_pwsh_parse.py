"""The tree-sitter-pwsh oracle (tests/support/pwsh/) on hand-written
PowerShell 5.1: parsing, syntax problems, commands, ShouldProcess guards, method
calls and string literals."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.pwsh_oracle import (
    Command,
    commands,
    lint,
    method_calls,
    occurrences_outside_string_literals,
    parse,
    string_literal_ranges,
    syntax_problems,
)
from tests.support.pwsh_snippets import BOM, REAL_SCRIPT, ps_bytes, windows

pytestmark = pytest.mark.oracle


# ------------------------------------------------------------------------------- parse


def test_parse_returns_clean_tree() -> None:
    tree = parse(ps_bytes("Write-Output 'x'\n"))
    assert tree.root_node.type == "program"
    assert not tree.root_node.has_error


def test_parse_accepts_bom_crlf_and_signature_block() -> None:
    data = windows(
        """
        #Requires -Version 5.1
        <#
        .SYNOPSIS
            Help.
        #>
        [CmdletBinding()]
        param()
        Write-Output 'x'
        """
    )
    assert data.startswith(BOM)
    assert b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    tree = parse(data)
    assert not tree.root_node.has_error
    assert syntax_problems(data) == []
    assert [c.name for c in commands(data)] == ["Write-Output"]


def test_parse_keeps_byte_offsets_of_the_original_with_bom() -> None:
    data = windows("Write-Output 'abc'\n")
    ranges = string_literal_ranges(data)
    assert [data[start:end] for start, end in ranges] == [b"'abc'"]


# --------------------------------------------------------------------- syntax_problems


def test_syntax_problems_empty_for_valid_script() -> None:
    assert syntax_problems(ps_bytes(REAL_SCRIPT)) == []


def test_unterminated_double_quoted_string() -> None:
    problems = syntax_problems(ps_bytes('Write-Output "abc\n$x = 1\n'))
    assert problems == ["1:1: ERROR near 'Write-Output \"abc'"]


def test_unterminated_single_quoted_string() -> None:
    problems = syntax_problems(ps_bytes("Write-Output 'abc\n$x = 1\n"))
    assert problems
    assert problems[0] == "1:14: ERROR near ''abc'"


def test_missing_brace_is_reported_as_missing() -> None:
    data = ps_bytes(
        """
        if ($a) {
            Write-Output 'x'
        """
    )
    assert syntax_problems(data) == ["2:21: MISSING } near ''"]


def test_columns_ignore_the_bom_and_lines_count_crlf() -> None:
    plain = b"$b = @{ a 1 }\r\n"
    assert syntax_problems(plain) == ["1:9: ERROR near 'a 1'"]
    assert syntax_problems(BOM + plain) == ["1:9: ERROR near 'a 1'"]
    data = BOM + b"$a = 1\r\n$b = @{\r\n    a 1\r\n}\r\n"
    assert syntax_problems(data) == ["3:5: ERROR near 'a 1'"]


def test_columns_count_characters_not_bytes() -> None:
    data = "Write-Output 'é' )\n".encode()
    assert syntax_problems(data) == ["1:18: ERROR near ')'"]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("if ($a) {\n    Write-Output 'x'\n", id="unclosed-brace"),
        pytest.param("Write-Output 'x'\n}\n", id="extra-brace"),
        pytest.param("param(\n    [string] $a\n", id="unclosed-param"),
        pytest.param("<#\n.SYNOPSIS\n    x\n", id="unclosed-block-comment"),
        pytest.param('$x = "a $(Get-Date"\n', id="unclosed-subexpression"),
        pytest.param("Get-Service |\n", id="dangling-pipe"),
        pytest.param("if $a {\n}\n", id="if-without-parentheses"),
        pytest.param("Write-Output 'x')\n", id="stray-parenthesis"),
        pytest.param("$h = @{\n    a 1\n}\n", id="hashtable-without-equals"),
        pytest.param("foreach ($x $y) {\n}\n", id="foreach-without-in"),
        pytest.param("$x = @'\nabc\n  '@\n", id="indented-here-string-closer"),
        pytest.param('$x = @"\nabc\n', id="unclosed-here-string"),
        pytest.param("$a -foo $b\n", id="unknown-operator"),
    ],
)
def test_broken_snippets_stay_flagged(source: str) -> None:
    problems = syntax_problems(source.encode())
    assert problems
    assert all(p.split(":")[0].isdigit() for p in problems)


@pytest.mark.xfail(reason="grammar accepts try without catch/finally (doc §5.4)")
def test_known_miss_try_without_catch() -> None:
    assert syntax_problems(ps_bytes("try {\n    Write-Output 'x'\n}\n"))


@pytest.mark.xfail(reason="grammar rejects one-line named blocks (doc §5.3)")
def test_known_false_positive_one_line_named_blocks() -> None:
    data = ps_bytes(
        """
        function Test-It {
            param() begin {} process {} end {}
        }
        """
    )
    assert syntax_problems(data) == []


# ---------------------------------------------------------------------------- commands


def test_commands_in_document_order_with_arguments() -> None:
    data = ps_bytes(
        """
        Set-StrictMode -Version 3.0
        $services = Get-Service -Name 'BTSSvc*' |
            Where-Object {
                $_.Status -eq 'Running'
            } |
            Sort-Object -Property 'Name'
        Write-Verbose -Message "Found $($services.Count) services" -Verbose:$false
        """
    )
    assert commands(data) == [
        Command("Set-StrictMode", 1, ("-Version", "3.0"), False, ""),
        Command("Get-Service", 2, ("-Name", "'BTSSvc*'"), False, ""),
        Command(
            "Where-Object",
            3,
            ("{\n        $_.Status -eq 'Running'\n    }",),
            False,
            "",
        ),
        Command("Sort-Object", 6, ("-Property", "'Name'"), False, ""),
        Command(
            "Write-Verbose",
            7,
            ("-Message", '"Found $($services.Count) services"', "-Verbose:$false"),
            False,
            "",
        ),
    ]


def test_call_operator_with_variable() -> None:
    data = ps_bytes("& $cscript //nologo 'C:\\BTS\\UpdateDatabase.vbs' 'x.xml'\n")
    assert commands(data) == [
        Command(
            "$cscript",
            1,
            ("//nologo", "'C:\\BTS\\UpdateDatabase.vbs'", "'x.xml'"),
            False,
            "&",
        )
    ]


def test_call_operator_with_quoted_path_and_dot_sourcing() -> None:
    data = ps_bytes(
        """
        & 'D:\\BizTalk Server\\Configuration.exe' /s 'c.xml'
        . .\\Common.ps1
        """
    )
    found = commands(data)
    assert [(c.name, c.invocation) for c in found] == [
        ("'D:\\BizTalk Server\\Configuration.exe'", "&"),
        (".\\Common.ps1", "."),
    ]
    assert found[0].arguments == ("/s", "'c.xml'")


def test_commands_inside_subexpressions_and_script_blocks() -> None:
    data = ps_bytes(
        """
        $stamp = "$(Get-Date -Format 'yyyyMMdd')"
        Invoke-Command -ComputerName 'X' -ScriptBlock {
            Get-Service -Name 'W3SVC'
        }
        """
    )
    assert [c.name for c in commands(data)] == [
        "Get-Date",
        "Invoke-Command",
        "Get-Service",
    ]


def test_method_calls_and_ranges_are_not_commands() -> None:
    data = ps_bytes(
        """
        $instance = Get-CimInstance -ClassName 'Win32_Service'
        $null = $instance.StartService()
        [void][IO.Directory]::CreateDirectory('C:\\x')
        $numbers = 1..3
        foreach ($i in 0..($numbers.Count - 1)) {
            Write-Output $i
        }
        """
    )
    assert [c.name for c in commands(data)] == ["Get-CimInstance", "Write-Output"]


def test_command_is_frozen() -> None:
    command = commands(ps_bytes("Get-Service\n"))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.name = "x"  # type: ignore[misc]


# ----------------------------------------------------------------------------- guarded


def test_guarded_versus_unguarded_set_service() -> None:
    data = ps_bytes(
        """
        Set-Service -Name 'BTSSvc$App' -StartupType 'Disabled'
        if ($PSCmdlet.ShouldProcess('BTSSvc$App', 'Disable')) {
            Set-Service -Name 'BTSSvc$App' -StartupType 'Disabled'
        }
        """
    )
    assert [(c.line, c.guarded) for c in commands(data)] == [(1, False), (3, True)]
    assert lint(data) == [
        "1:1: state-changing command 'Set-Service' is not inside "
        "if ($PSCmdlet.ShouldProcess(...))"
    ]


def test_guard_reaches_any_nesting_depth() -> None:
    data = ps_bytes(
        """
        if ($PSCmdlet.ShouldProcess('BTSAPP01', 'Stop services')) {
            foreach ($name in $names) {
                if ($name -like 'BTSSvc*') {
                    try {
                        Stop-Service -Name $name
                    }
                    catch {
                        Write-Warning -Message 'failed'
                    }
                }
            }
        }
        Stop-Service -Name 'after'
        """
    )
    assert [(c.name, c.guarded) for c in commands(data)] == [
        ("Stop-Service", True),
        ("Write-Warning", True),
        ("Stop-Service", False),
    ]


def test_should_process_inside_an_outer_plain_if() -> None:
    data = ps_bytes(
        """
        if ($Force) {
            if ($PSCmdlet.ShouldProcess('svc', 'Stop')) {
                Stop-Service -Name 'svc'
            }
            Start-Service -Name 'svc'
        }
        """
    )
    assert [(c.name, c.guarded) for c in commands(data)] == [
        ("Stop-Service", True),
        ("Start-Service", False),
    ]


def test_else_is_not_guarded_but_elseif_with_should_process_is() -> None:
    data = ps_bytes(
        """
        if ($PSCmdlet.ShouldProcess('a', 'b')) {
            Restart-Service -Name 'a'
        }
        else {
            Restart-Service -Name 'b'
        }
        if ($SkipAll) {
            Write-Output 'skip'
        }
        elseif ($PSCmdlet.ShouldProcess('c', 'd')) {
            Restart-Service -Name 'c'
        }
        """
    )
    assert [(c.arguments[-1], c.guarded) for c in commands(data)] == [
        ("'a'", True),
        ("'b'", False),
        ("'skip'", False),
        ("'c'", True),
    ]


def test_negated_should_process_is_not_a_guard() -> None:
    data = ps_bytes(
        """
        if (-not $PSCmdlet.ShouldProcess('a', 'b')) {
            Remove-Item -Path 'C:\\x'
        }
        if (!$PSCmdlet.ShouldProcess('a', 'b')) {
            Remove-Item -Path 'C:\\y'
        }
        if (-not (-not $PSCmdlet.ShouldProcess('a', 'b'))) {
            Remove-Item -Path 'C:\\z'
        }
        """
    )
    assert [c.guarded for c in commands(data)] == [False, False, True]


def test_compound_condition_and_other_receivers() -> None:
    data = ps_bytes(
        """
        if ($Force -or $PSCmdlet.ShouldProcess('a', 'b')) {
            Stop-Service -Name 'a'
        }
        if ($other.ShouldProcess('a')) {
            Stop-Service -Name 'b'
        }
        if ($PSCmdlet.ShouldContinue('a', 'b')) {
            Stop-Service -Name 'c'
        }
        if ($PSCmdlet.ShouldProcess((Get-Date -Format 'u'))) {
            Write-Output 'ok'
        }
        """
    )
    assert [(c.name, c.guarded) for c in commands(data)] == [
        ("Stop-Service", True),
        ("Stop-Service", False),
        ("Stop-Service", False),
        ("Get-Date", False),
        ("Write-Output", True),
    ]


# ------------------------------------------------------------------------ method_calls


def test_method_calls_with_guard_flag() -> None:
    data = ps_bytes(
        """
        $sw = [Diagnostics.Stopwatch]::StartNew()
        if ($PSCmdlet.ShouldProcess('svc', 'Start')) {
            $null = $service.Start()
            [IO.File]::WriteAllText($path, 'x')
        }
        $name = $name.Trim()
        """
    )
    assert method_calls(data) == [
        ("StartNew", 1, False),
        ("ShouldProcess", 2, False),
        ("Start", 3, True),
        ("WriteAllText", 4, True),
        ("Trim", 6, False),
    ]


def test_chained_method_calls_are_each_listed() -> None:
    data = ps_bytes("$a.GetType().GetProperty('Name').GetValue($a)\n")
    assert sorted(name for name, _, _ in method_calls(data)) == [
        "GetProperty",
        "GetType",
        "GetValue",
    ]


# --------------------------------------------------------------------- string literals


def test_string_literal_ranges_cover_all_four_kinds() -> None:
    data = ps_bytes(
        """
        # 'not a literal'
        $a = 'verbatim'
        $b = "expandable $a"
        $c = @'
        here $a
        '@
        $d = @"
        here $b
        "@
        """
    )
    texts = [data[start:end].decode() for start, end in string_literal_ranges(data)]
    assert texts == [
        "'verbatim'",
        '"expandable $a"',
        "@'\nhere $a\n'@",
        '@"\nhere $b\n"@',
    ]


def test_string_literal_ranges_include_nested_literals() -> None:
    data = ps_bytes("$a = \"x $(Join-Path -Path 'C:\\' -ChildPath 'y')\"\n")
    texts = [data[start:end].decode() for start, end in string_literal_ranges(data)]
    assert texts == [
        "\"x $(Join-Path -Path 'C:\\' -ChildPath 'y')\"",
        "'C:\\'",
        "'y'",
    ]


def test_value_inside_single_quotes_is_not_reported() -> None:
    data = ps_bytes("$server = 'BTSAPP01'\nStop-Service -ComputerName 'BTSAPP01'\n")
    assert occurrences_outside_string_literals(data, "BTSAPP01") == []


def test_value_inside_double_quotes_is_reported() -> None:
    data = ps_bytes('$server = "BTSAPP01"\n')
    assert occurrences_outside_string_literals(data, "BTSAPP01") == [11]


def test_value_in_comment_is_reported() -> None:
    data = ps_bytes("# BTSAPP01 is primary\n$server = 'BTSAPP01'\n")
    assert occurrences_outside_string_literals(data, "BTSAPP01") == [2]


def test_value_as_bareword_argument_is_reported() -> None:
    data = ps_bytes("Get-Service -ComputerName BTSAPP01\n")
    assert occurrences_outside_string_literals(data, "BTSAPP01") == [26]


def test_value_in_here_strings() -> None:
    data = ps_bytes(
        """
        $a = @'
        BTSAPP01
        '@
        $b = @"
        BTSAPP01
        "@
        """
    )
    offsets = occurrences_outside_string_literals(data, "BTSAPP01")
    assert len(offsets) == 1
    assert data.rfind(b"BTSAPP01") == offsets[0]


def test_escaped_quote_stays_inside_and_delimiters_do_not() -> None:
    data = ps_bytes("$owner = 'O''Brien'\n")
    assert occurrences_outside_string_literals(data, "O''Brien") == []
    assert occurrences_outside_string_literals(data, "'O''Brien'") == [9]


def test_value_spanning_two_literals_is_reported() -> None:
    data = ps_bytes("$a = 'BTS' + 'APP01'\n")
    assert occurrences_outside_string_literals(data, "BTS' + 'APP01") == [6]


def test_occurrence_offsets_are_bytes_of_bom_crlf_input() -> None:
    data = windows(
        """
        # primary: BTSAPP01
        $server = 'BTSAPP01'
        Write-Output "BTSAPP01"
        """
    )
    offsets = occurrences_outside_string_literals(data, "BTSAPP01")
    assert len(offsets) == 2
    assert all(data[o : o + 8] == b"BTSAPP01" for o in offsets)


def test_non_ascii_value() -> None:
    data = ps_bytes("$site = 'Zürich'\n$other = \"Zürich\"\n")
    offsets = occurrences_outside_string_literals(data, "Zürich")
    assert offsets == [data.rfind("Zürich".encode())]


def test_empty_text_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        occurrences_outside_string_literals(b"x", "")
