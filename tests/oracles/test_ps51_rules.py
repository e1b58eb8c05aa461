"""The static Windows PowerShell 5.1 run-time rules (tests/support/ps51/).

Two parts:

1. Each rule on small snippets: at least one that must be found and one that must
   not, so no rule can pass by finding nothing.
2. Every rule on every ``.ps1`` rendered from every inventory in inventories/,
   from the starter inventory ``drgen init`` writes, from the synthetic
   inventories of bench/synthetic.py, and from a handful of Hypothesis examples of
   the inventory strategies of tests/inventory/test_mutations.py: no finding allowed. A
   failure lists every finding by rule, script and line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from textwrap import dedent

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from bench.synthetic import synthetic_inventory
from generator.api import plan as plan_inventories
from generator.bundle.build import render_unsigned
from generator.errors import DrgenError
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from tests.support import ps51 as rules
from tests.support import pwsh_oracle as ps
from tests.support.examples import examples
from tests.support.inventory_mutations import mutated_data, relabelled
from tests.support.paths import INVENTORIES, ROOT

pytestmark = pytest.mark.oracle

RULE_IDS = [rule.id for rule in rules.RULES]

M = "[Parameter(Mandatory)]"


def fn(declaration: str) -> str:
    """A function with one parameter declared as given."""
    return "function F { param(" + declaration + ") }"


# --------------------------------------------------------------- unit cases

#: rule id -> (snippets it must flag, snippets it must not flag).
CASES: Mapping[str, tuple[list[str], list[str]]] = {
    "mandatory-collection": (
        [
            "function F { param([Parameter(Mandatory = $true)]"
            "[System.Collections.Generic.List[object]]$Results) }",
            fn(M + "[string[]]$Names"),
            "param([Parameter(Mandatory=$true)][object[]]$Items)",
            fn(M + "[System.Collections.ArrayList]$L"),
            fn(M + "[Collections.Generic.HashSet[int]]$S"),
        ],
        [
            "function F { param([Parameter(Mandatory)][AllowEmptyCollection()]"
            "[System.Collections.Generic.List[object]]$Results) }",
            fn(M + "[hashtable]$Map"),
            "function F { param([Parameter(Mandatory)]"
            "[System.Collections.Generic.Dictionary[string,string]]$Map) }",
            "function F { param([string[]]$Names = @()) }",
            "function F { param([Parameter(Mandatory = $false)][object[]]$X) }",
            fn(M + "$Plan"),
        ],
    ),
    "mandatory-string": (
        [
            "function F { param([Parameter(Mandatory = $true)][string]$Message) }",
            "function F { param([Parameter(Mandatory)][AllowEmptyCollection()]"
            "[System.Collections.Generic.List[string]]$Secrets) }",
            fn(M + "[string[]]$Names"),
            fn(M + "[ValidateLength(0, 5)][string]$X"),
            "param([Parameter(Mandatory)][System.String]$Name)",
        ],
        [
            fn(M + "[AllowEmptyString()][string]$A"),
            fn(M + "[ValidateSet('a', 'b')][string]$A"),
            "function F { param([Parameter(Mandatory)][ValidateNotNullOrEmpty()]"
            "[string]$A) }",
            fn(M + "[ValidatePattern('^x')][string]$A"),
            fn(M + "[ValidateLength(1, 5)][string]$A"),
            "function F { param([string]$A) }",
            fn(M + "[int]$A"),
        ],
    ),
    "stop-transcript-try": (
        [
            "function Stop-DrLog { Stop-Transcript -ErrorAction Ignore | Out-Null }",
            "try { $x = 1 } catch { Stop-Transcript }",
            "try { Stop-Transcript } finally { $x = 1 }",
        ],
        [
            "try { Stop-Transcript | Out-Null } catch { $null = $_ }",
            "try { if ($x) { Stop-Transcript } } catch [Exception] { $null = $_ }",
        ],
    ),
    "registry-64bit-guard": (
        [
            "$v = Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\X'",
            """
            function Get-V { return Get-ItemProperty -LiteralPath $Path }
            function Assert-64 { if (-not [Environment]::Is64BitProcess) { throw 'x' } }
            $v = Get-V
            Assert-64
            """,
            """
            if (-not [Environment]::Is64BitProcess) { Write-Warning 'x' }
            $v = Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\X'
            """,
            """
            $Key = 'HKLM:\\SOFTWARE\\X'
            if (Test-Path -LiteralPath $Key) { $x = 1 }
            """,
            "$v = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SOFTWARE')",
        ],
        [
            """
            function Get-V { return Get-ItemProperty -LiteralPath $Path }
            function Assert-64 { if (-not [Environment]::Is64BitProcess) { throw 'x' } }
            Assert-64
            $v = Get-V
            """,
            """
            if ([IntPtr]::Size -eq 4) { exit 3 }
            $v = Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\X'
            """,
            "$f = Get-ChildItem -LiteralPath $env:TEMP",
            "function Get-V { return Get-ItemProperty -LiteralPath 'HKLM:\\X' }",
        ],
    ),
    "should-process-declined": (
        [
            "if ($PSCmdlet.ShouldProcess('t', 'a')) { Remove-Item -LiteralPath $p }",
            "if ($PSCmdlet.ShouldProcess('t')) { $x = 1 } else { Write-Host 'no' }",
            "$ok = $PSCmdlet.ShouldProcess('t')\nif ($ok) { $x = 1 }",
            "if (-not $PSCmdlet.ShouldProcess('t')) { return }",
            "[void]$PSCmdlet.ShouldProcess('t')",
            "if ($a) { $x = 1 } elseif ($PSCmdlet.ShouldProcess('t')) { $x = 2 }"
            " elseif ($b) { throw 'x' }",
            "if ($Force -or $PSCmdlet.ShouldContinue('q', 'c')) { $x = 1 }",
            "if ($PSCmdlet.ShouldProcess('t')) { $x = 1 }"
            " else { if ($x) { Write-DrProblem -Message 'declined' } }",
        ],
        [
            "if ($PSCmdlet.ShouldProcess('t')) { $x = 1 } else { throw 'declined' }",
            "if ($PSCmdlet.ShouldProcess('t')) { $x = 1 }"
            " else { if (-not $WhatIfPreference) { Write-DrProblem -Message 'no' } }",
            "if ($a) { $x = 1 } elseif ($PSCmdlet.ShouldProcess('t')) { $x = 2 }"
            " elseif (-not $WhatIfPreference) { throw 'declined' }",
            "if (-not $PSCmdlet.ShouldProcess('t')) { throw 'declined' }",
            "if ($WhatIfPreference) { [void]$PSCmdlet.ShouldProcess('t'); return }",
            "if ($PSCmdlet.ShouldProcess('t')) { $x = 1 } else { if ($WhatIfPreference)"
            " { Write-Host 'would' } else { Write-DrProblem -Message 'declined' } }",
            "if ($PSCmdlet.ShouldProcess('t')) { $x = 1 } else { exit 1 }",
        ],
    ),
    "psscriptroot-param-default": (
        [
            "[CmdletBinding()]\nparam([string]$Path = (Join-Path $PSScriptRoot 'x'))",
            'param([string]$P = "$PSScriptRoot\\x")',
        ],
        [
            "param([string]$P = '')\n$P = Join-Path -Path $PSScriptRoot -ChildPath 'x'",
            "function F { param([string]$P = $PSScriptRoot) }",
        ],
    ),
    "native-exit-code": (
        [
            "& $tool -x",
            "& $tool -x\n& $other -y\n$c = $LASTEXITCODE",
            "cscript.exe //NoLogo x.vbs | Out-Null",
            """
            function Invoke-DrNative {
                param([string]$FilePath)
                $lines = @(& $FilePath 2>&1)
                return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Lines = $lines }
            }
            Invoke-DrNative -FilePath 'x.exe'
            """,
            """
            function Invoke-DrNative {
                param([string]$FilePath)
                $lines = @(& $FilePath 2>&1)
                return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Lines = $lines }
            }
            $run = Invoke-DrNative -FilePath 'x.exe'
            Write-Host $run.Lines
            """,
        ],
        [
            "& $tool -x\nif ($LASTEXITCODE -ne 0) { throw 'failed' }",
            """
            function Invoke-DrNative {
                param([string]$FilePath)
                $lines = @(& $FilePath 2>&1)
                $code = $LASTEXITCODE
                return [pscustomobject]@{ ExitCode = $code; Lines = $lines }
            }
            $run = Invoke-DrNative -FilePath 'x.exe'
            if ($run.ExitCode -ne 0) { throw 'failed' }
            $code = (Invoke-DrNative -FilePath 'y.exe').ExitCode
            """,
            ". $helper",
            "& { Write-Host 'block' }",
            "function F { return 1 }\n& F",
        ],
    ),
    "start-process-exit-code": (
        [
            "Start-Process -FilePath 'x.exe' -Wait",
            "$p = Start-Process -FilePath 'x.exe' -PassThru -Wait",
            "$p = Start-Process 'x.exe' -PassThru -NoNewWindow\n$p.WaitForExit()\n"
            "$c = $p.ExitCode",
        ],
        [
            "$p = Start-Process -FilePath 'x.exe' -PassThru -Wait\n"
            "if ($p.ExitCode -ne 0) { throw 'failed' }",
            "$p = Start-Process 'x.exe' -PassThru -NoNewWindow\n$null = $p.Handle\n"
            "$p.WaitForExit()\n$c = $p.ExitCode",
        ],
    ),
    "native-stderr-stop": (
        [
            "$ErrorActionPreference = 'Stop'\n"
            "function F { $o = & $tool 2>&1; $c = $LASTEXITCODE }\nF",
            "$ErrorActionPreference = 'Stop'\n$o = & $tool 2>&1\n$c = $LASTEXITCODE",
            "$ErrorActionPreference = 'Stop'\nfunction F { whoami.exe 2> $null }",
        ],
        [
            "$ErrorActionPreference = 'Stop'\nfunction F { $ErrorActionPreference ="
            " 'Continue'; $o = & $tool 2>&1; $c = $LASTEXITCODE }",
            "$ErrorActionPreference = 'Stop'\n$o = & $tool\n$c = $LASTEXITCODE",
            "$o = & $tool 2>&1\n$c = $LASTEXITCODE",
        ],
    ),
    "strict-count": (
        [
            "$n = (Get-ChildItem -LiteralPath $p).Count",
            "$items = Get-ChildItem -LiteralPath $p\nif ($items.Count -gt 0) { $x }",
            "$x = $list | Where-Object { $_ }\n$n = $x.Count",
            "function G { return @(1) }\n$r = G\n$n = $r.Count",
            "$t = Get-Content -LiteralPath $p -Raw -Encoding UTF8\n$n = $t.Count",
        ],
        [
            "$n = @(Get-ChildItem -LiteralPath $p).Count",
            "$items = @(Get-ChildItem -LiteralPath $p)\n$n = $items.Count",
            "[object[]]$items = Get-ChildItem -LiteralPath $p\n$n = $items.Count",
            "$l = New-Object -TypeName 'System.Collections.Generic.List[string]'\n"
            "$n = $l.Count",
            "function G { return ,$rows }\n$r = G\n$n = $r.Count",
            "function F {\n    param([object[]]$Results)\n    $n = $Results.Count\n}",
            "$n = $a.Count\n$a = Get-ChildItem -LiteralPath $p",
        ],
    ),
    "strict-member-on-query": (
        [
            "$m = (Get-WmiObject -Class 'Win32_Service' -Filter $f).StartMode",
            "$svc = Get-CimInstance -ClassName 'Win32_Service' -Filter $f\n"
            "$mode = $svc.StartMode",
            "$s = (Get-Service -Name 'x' -ErrorAction SilentlyContinue).Status",
            "$o = (Get-ChildItem -LiteralPath $p | Where-Object { $_.Length }).Name",
            "function Get-S { return Get-Service -Name $N -ErrorAction Ignore }"
            "\n(Get-S).Stop()",
            "function Get-H {\n    if ($x) { return $null }\n    return $h\n}\n"
            "$h = Get-H\n$h.Put()",
        ],
        [
            "$svc = Get-WmiObject -Class 'Win32_Service' -Filter $f\n"
            "if ($null -eq $svc) { return }\n$mode = $svc.StartMode",
            "$o = (Get-Acl -LiteralPath $p).Owner",
            "$n = (Get-WmiObject -Class 'X').Count",
            "$x = @(Get-WmiObject -Class 'X')\n$n = $x.Length",
            "function Get-H {\n    if ($x) { return $null }\n    return $h\n}\n"
            "$h = Get-H\nif ($null -ne $h) { $h.Put() }",
            "function Get-S { return Get-Service -Name $N }\n(Get-S).Stop()",
            "$l = Get-WmiObject -Class 'X'\n$g = ($null -ne $l) -and $l.EndsWith('$')",
        ],
    ),
    "culture-format": (
        [
            "$s = (Get-Date).ToString('yyyyMMdd')",
            "$s = '{0:yyyy-MM-dd}' -f (Get-Date)",
            "$s = Get-Date -Format 'yyyyMMdd-HHmmss'",
        ],
        [
            "$s = (Get-Date).ToString('yyyyMMdd', [cultureinfo]::InvariantCulture)",
            "$s = Get-Date -Format 'o'",
            "$s = [guid]::NewGuid().ToString('N')",
            "$s = '0x{0:X8}' -f $code",
            "$s = '{0}-{1}' -f $a, $b",
        ],
    ),
    "culture-parse": (
        [
            "$d = [datetime]::Parse($text)",
            "$ok = [double]::TryParse($s, [ref]$n)",
            "$d = Get-Date -Date '2026-01-02'",
            "$d = [System.DateTime]::Parse($text, $null)",
        ],
        [
            "$d = [datetime]::Parse($text, [cultureinfo]::InvariantCulture)",
            "$d = [datetime]::ParseExact($t, 'yyyy', [cultureinfo]::InvariantCulture)",
            "$n = [int]::Parse('1')",
            "$d = [datetime]'2026-01-02'",
            "$d = Get-Date",
        ],
    ),
    "null-on-right": (
        ["if ($x -eq $null) { $y = 1 }", "$b = $a -ne $null", "$b = $a -ceq $NULL"],
        ["if ($null -eq $x) { $y = 1 }", "$b = $x -eq $nullable"],
    ),
    "contains-operand-order": (
        [
            "$b = 'abc' -contains $list",
            "$b = 1 -notcontains $x",
            "$b = 'a' -icontains $x",
        ],
        ["$b = $list -contains 'abc'", "$b = 'a', 'b' -contains $x", "$b = 'a' -in $x"],
    ),
    "convertto-json-depth": (
        ["$j = $o | ConvertTo-Json", "$j = ConvertTo-Json -InputObject $o -Compress"],
        ["$j = $o | ConvertTo-Json -Depth 5", "$o = $j | ConvertFrom-Json"],
    ),
    "file-encoding": (
        [
            "'x' | Out-File -FilePath $p",
            "Set-Content -LiteralPath $p -Value 'x'",
            "$t = Get-Content -LiteralPath $p -Raw",
            "'x' > $p",
            "'x' >> 'log.txt'",
        ],
        [
            "Set-Content -LiteralPath $p -Value 'x' -Encoding UTF8",
            "$t = Get-Content -LiteralPath $p -Raw -Encoding UTF8",
            "& $t 2> $null\n$c = $LASTEXITCODE",
            "$x > $null",
        ],
    ),
    "convertfrom-json-pipeline": (
        ["$text | ConvertFrom-Json | ForEach-Object { $_ }"],
        [
            "$o = $text | ConvertFrom-Json",
            "($text | ConvertFrom-Json) | ForEach-Object { $_ }",
        ],
    ),
    "dotnet-relative-path": (
        [
            "$t = [System.IO.File]::ReadAllText('logs\\x.txt')",
            '[IO.File]::WriteAllText("state.json", $t)',
        ],
        [
            "$t = [System.IO.File]::ReadAllText('C:\\x.txt')",
            "$t = [System.IO.File]::ReadAllText($path)",
            '$t = [System.IO.File]::ReadAllText("$PSScriptRoot\\x.txt")',
            "$n = [System.IO.Path]::GetFileName('x')",
        ],
    ),
}

UNIT_CASES = [
    pytest.param(rule_id, expected, snippet, id=f"{rule_id}-{kind}{index}")
    for rule_id, (positives, negatives) in CASES.items()
    for kind, expected, snippets in (
        ("flags", True, positives),
        ("clean", False, negatives),
    )
    for index, snippet in enumerate(snippets)
]


def rule(rule_id: str) -> rules.Rule:
    return next(r for r in rules.RULES if r.id == rule_id)


def script_bytes(snippet: str) -> bytes:
    return dedent(snippet).strip().encode()


@pytest.mark.parametrize(("rule_id", "expected", "snippet"), UNIT_CASES)
def test_rule_on_snippet(rule_id: str, expected: bool, snippet: str) -> None:
    data = script_bytes(snippet)
    assert ps.syntax_problems(data) == [], snippet
    findings = rules.check(data, [rule(rule_id)])
    assert all(f.rule == rule_id for f in findings)
    if expected:
        assert findings, f"{rule_id} missed:\n{snippet}"
    else:
        assert findings == [], f"{rule_id} flagged:\n{snippet}\n{findings}"


def test_every_rule_has_cases_both_ways() -> None:
    assert set(CASES) == set(RULE_IDS)
    assert len(RULE_IDS) == len(set(RULE_IDS))
    for rule_id, (positives, negatives) in CASES.items():
        assert positives, rule_id
        assert negatives, rule_id


# A SOURCE line names a PowerShell-Docs page, an engine file, an issue or a
# learn.microsoft.com page.
SOURCE = re.compile(
    r"reference/(?:5\.1|docs-conceptual)/\S+\.md"
    r"|src/System\.Management\.Automation/\S+\.cs|src/Microsoft\.PowerShell\.\S+\.cs"
    r"|PowerShell/PowerShell#\d+|learn\.microsoft\.com/\S+"
)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_names_its_source(rule_id: str) -> None:
    doc = rule(rule_id).apply.__doc__ or ""
    assert "SOURCE:" in doc, rule_id
    # A long path may be broken after a slash: join it again.
    source = re.sub(r"/\s*\n\s*", "/", doc.split("SOURCE:", 1)[1])
    assert SOURCE.search(source), (rule_id, source[:200])


def test_a_finding_is_located_at_its_node() -> None:
    data = (
        b"\xef\xbb\xbf# header\r\n"
        b"function F {\r\n    param([Parameter(Mandatory)][string]$M)\r\n}\r\n"
    )
    (finding,) = rules.check(data, [rule("mandatory-string")])
    assert (finding.line, finding.col) == (3, 11)
    assert finding.rule == "mandatory-string"
    assert "function F" in finding.message
    assert "$M" in finding.message


def test_the_drgen_conventions_are_recognised() -> None:
    # The wrapper pattern of templates/_partials/helpers.ps1.jinja, found by shape:
    # a native call and an ExitCode key; a caller of a caller is a wrapper too.
    data = script_bytes(
        """
        function Get-DrNativeOutput {
            param([string]$FilePath)
            $ErrorActionPreference = 'Continue'
            $lines = @(& $FilePath 2>&1 | ForEach-Object -Process { [string]$_ })
            return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Text = $lines }
        }
        function Get-DrSsoDisplayDb {
            $result = Get-DrNativeOutput -FilePath 'ssomanage.exe'
            return [pscustomobject]@{ ExitCode = $result.ExitCode; Text = $result.Text }
        }
        $display = Get-DrSsoDisplayDb
        Write-Host $display.Text
        """
    )
    findings = rules.check(data, [rule("native-exit-code")])
    assert [f.line for f in findings] == [11]
    assert "Get-DrSsoDisplayDb" in findings[0].message
    assert "write-drproblem" in rules.PROBLEM_RECORDERS


# ------------------------------------------------------- the rendered bundles

ENV = make_environment()


def render(path: Path) -> dict[PurePosixPath, bytes]:
    """Every .ps1 rendered from one inventory file, as the bytes written."""
    (plan,) = plan_inventories([path])
    return scripts_of(render_unsigned(plan, ENV))


def scripts_of(artifacts: Iterable[RenderedArtifact]) -> dict[PurePosixPath, bytes]:
    return {
        art.path: encode_text(art.text, art.kind)
        for art in artifacts
        if art.kind is ArtifactKind.POWERSHELL
    }


@pytest.fixture(scope="module")
def bundles(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[PurePosixPath, bytes]]:
    """Every script of every inventory in inventories/, of the starter inventory
    and of two synthetic inventories, by inventory then path."""
    found = {stem: scripts_of(arts.values()) for stem, arts in rendered.items()}
    for path in sorted(INVENTORIES.glob("*.yaml")):
        if path.stem not in found:
            found[path.stem] = render(path)
    work = tmp_path_factory.mktemp("ps51-rules")
    starter = work / "starter.yaml"
    starter.write_bytes(
        (ROOT / "generator" / "inventory" / "starter" / "inventory.yaml").read_bytes()
    )
    found["starter"] = render(starter)
    for servers in (1, 3):
        synthetic = work / f"synthetic-{servers}.yaml"
        synthetic.write_text(synthetic_inventory(servers), encoding="utf-8")
        found[synthetic.stem] = render(synthetic)
    return found


def findings_report(scripts: Mapping[PurePosixPath, bytes], rule_id: str) -> str:
    """Every finding of one rule, grouped by script kind and line text."""
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, data in scripts.items():
        lines = data.decode("utf-8-sig").splitlines()
        for finding in rules.check(data, [rule(rule_id)]):
            key = (path.name, lines[finding.line - 1].strip()[:100])
            grouped[key].append(f"{path}:{finding.line}: {finding.message}")
    return "\n".join(
        f"{len(where)}x {name}: {line}\n    {where[0]}"
        for (name, line), where in sorted(grouped.items())
    )


def test_every_inventory_renders_scripts(
    bundles: dict[str, dict[PurePosixPath, bytes]],
) -> None:
    stems = {path.stem for path in INVENTORIES.glob("*.yaml")}
    assert stems <= set(bundles)
    for stem, scripts in bundles.items():
        names = {path.name for path in scripts}
        assert "Test-DrServer.ps1" in names, stem
        assert "Enable-DrServer.ps1" in names, stem
        assert len(scripts) >= 8, stem


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_no_finding_in_any_rendered_script(
    bundles: dict[str, dict[PurePosixPath, bytes]], rule_id: str
) -> None:
    scripts = {path: data for found in bundles.values() for path, data in found.items()}
    report = findings_report(scripts, rule_id)
    assert report == "", f"{rule_id}:\n{report}"


# Hypothesis: the inventory strategies of tests/inventory/test_mutations.py (free text
# relabelled, structural mutations; most mutations are rejected and only counted)
# and the synthetic generator of bench/ at a drawn size. Few examples, and no
# shrinking: a failing example renders a bundle per shrink step, and the failure
# message already shows the inventory.
GENERATED = settings(
    max_examples=examples(8, local=3),
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@GENERATED
@given(
    text=st.one_of(
        relabelled(), mutated_data(), st.integers(1, 4).map(synthetic_inventory)
    )
)
def test_no_finding_in_scripts_of_generated_inventories(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("generated") / "inv.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        scripts = render(path)
    except DrgenError:
        event("rejected")
        return
    event("rendered")
    report = "\n".join(
        f"{rule_id}:\n{found}"
        for rule_id in RULE_IDS
        if (found := findings_report(scripts, rule_id))
    )
    assert report == ""
