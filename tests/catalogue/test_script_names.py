"""Every name a rendered script uses is in the catalogue, and the checker that
says so fails on a wrong name of each kind (tests/support/catalogue_names.py).

What the script checks read: CODE only. Comments, including the comment-based help
block (``<# .SYNOPSIS ... #>``) and any signature block, are ``comment`` nodes of the
parse tree, so no string literal, member name or command inside them is ever seen
(``test_help_and_comments_are_comment_nodes`` pins that down).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from generator.catalogue import CATALOGUE, Confidence, Kind
from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.catalogue_names import KINDS, name_problems, name_uses, script_keys
from tests.support.poisoned import mutated_templates, render_examples, script_files
from tests.support.pwsh_oracle import node_text as _text
from tests.support.pwsh_oracle import walk as _walk

# ---------------------------------------------------- names in the rendered scripts


@pytest.mark.oracle
def test_help_and_comments_are_comment_nodes(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The exclusion of comments is by construction: help text is a comment node."""
    for path, data in script_files(all_artifacts):
        root = ps.parse(data).root_node
        comments = [n for n in _walk(root) if n.type == "comment"]
        help_blocks = [c for c in comments if ".SYNOPSIS" in _text(c)]
        assert len(help_blocks) == 1, path
        assert _text(help_blocks[0]).startswith("<#"), path
        # Nothing the checks read lies inside a comment.
        ranges = [(c.start_byte, c.end_byte) for c in comments]
        for node in _walk(root):
            if node.type in {"string_literal", "member_access", "command"}:
                assert not any(s <= node.start_byte < e for s, e in ranges), path


@pytest.mark.oracle
def test_every_name_in_the_scripts_is_in_the_catalogue(
    all_artifacts: list[RenderedArtifact],
) -> None:
    scripts = script_files(all_artifacts)
    # Row properties any script of the bundle defines: changes.ps1, shared by the
    # site scripts too, reads $Plan.Service of the server scripts' $HostInstances.
    own = frozenset().union(*(script_keys(ps.parse(d).root_node) for _, d in scripts))
    problems = [
        f"{path}: {problem}"
        for path, data in scripts
        for problem in name_problems(data, own_keys=own)
    ]
    assert problems == []


@pytest.mark.oracle
def test_the_name_checks_see_every_kind(all_artifacts: list[RenderedArtifact]) -> None:
    """Not vacuous: the rendered scripts use names of every kind checked."""
    seen = Counter(
        use.kind for _, data in script_files(all_artifacts) for use in name_uses(data)
    )
    assert {k for k in KINDS if seen[k] == 0} == set()
    names = {u.name for _, data in script_files(all_artifacts) for u in name_uses(data)}
    # The names that matter most, reached through each route the checker follows.
    for expected in (
        "MSBTS_HostInstance",  # -Class literal
        "Winmgmt",  # $name = '...' then Get-DrService -Name $name
        "ENTSSO",  # $Services and $SsoService
        "MSDTC",  # Get-DrService -Name '...'
        "/NOPROGRESSBAR",  # $arguments += '...' then Start-Process -ArgumentList
        "-restoreSecret",  # & $ssoconfig '...'
        "list",  # appcmd verb in -ArgumentList @(...)
        "NetworkDtcAccessInbound",  # foreach ($name in @(...)) Get-DrRegistryValue
        "gi_SecretServer",  # SELECT
        "adm_OtherBackupDatabases",
        "Install",  # InvokeMethod('...')
        "IsDisabled",  # $instance.IsDisabled
        "psbase",
    ):
        assert expected in names, expected
    host = CATALOGUE["svc:BTSSvc"]
    assert any(
        u.name.startswith(host) and u.why == "$hostinstances"
        for _, data in script_files(all_artifacts)
        for u in name_uses(data)
    )


@pytest.mark.oracle
def test_platform_entries_are_all_used(all_artifacts: list[RenderedArtifact]) -> None:
    """Each PLATFORM entry names a member some rendered script accesses."""
    members = {
        u.name
        for _, data in script_files(all_artifacts)
        for u in name_uses(data)
        if u.kind == "member"
    }
    platform = CATALOGUE.of_kind(Kind.PLATFORM)
    assert platform
    assert [e.id for e in platform if e.name not in members] == []
    for entry in platform:
        assert entry.id == f"net:{entry.id[4:].split('.', 1)[0]}.{entry.name}"
        assert entry.confidence is Confidence.DOCUMENTED, entry.id
        assert entry.source.startswith("learn.microsoft.com:"), entry.id


_BAD_SCRIPT = """\
function Get-DrBox {
    # 'MSBTS_Nonsense' in a comment is not code
    $boxes = @(Get-WmiObject -Namespace $ns -Class 'MSBTS_MessageBox')
    $k = 'HKLM:\\SOFTWARE\\Microsoft\\BizTalk Server\\3.0\\Nowhere'
    foreach ($box in $boxes) {
        $box.DBServerName
    }
}
"""


@pytest.mark.oracle
def test_checker_fails_on_wrong_names() -> None:
    problems = name_problems(encode_text(_BAD_SCRIPT, ArtifactKind.POWERSHELL))
    key = "HKLM:\\SOFTWARE\\Microsoft\\BizTalk Server\\3.0\\Nowhere"
    assert problems == [
        "line 3: wmi-class 'MSBTS_MessageBox' is not in the catalogue "
        "(get-wmiobject -class)",
        f"line 4: registry-key {key!r} is not in the catalogue (literal)",
        "line 6: member 'DBServerName' is not in the catalogue ($box)",
    ]


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("script", "kind", "name"),
    [
        ("Get-DrService -Name 'W3SVC'", "service", "W3SVC"),
        (
            "function Restart-X {\n    $name = 'Winmgmtx'\n"
            "    Get-DrService -Name $name\n}",
            "service",
            "Winmgmtx",
        ),
        (
            "$Services = @(\n    'ENTSSO'\n    'MSSQLSERVER'\n)",
            "service",
            "MSSQLSERVER",
        ),
        ("$Services = @('BTSSvc$')", "service", "BTSSvc$"),
        (
            "$HostInstances = @(\n    [pscustomobject]@{ Service = 'BTSvc$Host' }\n)",
            "service",
            "BTSvc$Host",
        ),
        (
            "foreach ($name in @('NetworkDtcAccessX')) {\n"
            "    Get-DrRegistryValue -Path $k -Name $name\n}",
            "registry-value",
            "NetworkDtcAccessX",
        ),
        (
            "$RegistryChecks = @(\n    [pscustomobject]@{ Value = 'MgmtDb' }\n)",
            "registry-value",
            "MgmtDb",
        ),
        (
            "$r = Invoke-DrNative -FilePath $t -ArgumentList @('-updateDB', $f)",
            "switch",
            "-updateDB",
        ),
        (
            "$r = Get-DrNativeOutput -FilePath $t -ArgumentList @('lst', 'apppool')",
            "switch",
            "lst",
        ),
        (
            "function Join-X {\n    $arguments = @('/S', ('\"{0}\"' -f $f))\n"
            "    $arguments += '/Quiet'\n"
            "    Start-Process -FilePath $e -ArgumentList $arguments -Wait\n}",
            "switch",
            "/Quiet",
        ),
        ("& $ssoconfig '-restoreSecrets' $file", "switch", "-restoreSecrets"),
        (
            "function Set-X {\n    $a = @('set', ('/autoStrt:' + 'x'))\n"
            "    Invoke-DrNative -FilePath $t -ArgumentList $a\n}",
            "switch",
            "/autoStrt:",
        ),
        (
            "$r = Invoke-DrNative -FilePath $t -ArgumentList @(('/autoStrt:' + 'x'))",
            "switch",
            "/autoStrt:",
        ),
        ("$q = 'SELECT DBServer FROM dbo.adm_MessageBox'", "sql", "DBServer"),
        (
            "$q = 'SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES "
            "WHERE TABLE_NAME = N''adm_MsgBox'''",
            "sql",
            "adm_MsgBox",
        ),
        ("$r = $i.psbase.InvokeMethod('Enable', $null)", "wmi-method", "Enable"),
        ("$p = $i.psbase.GetMethodParameters('Instal')", "wmi-method", "Instal"),
        ("Join-Path -Path $p -ChildPath 'BTSTask.exe'", "executable", "BTSTask.exe"),
        (
            "Join-Path -Path $p -ChildPath 'UpdateRegistry2.vbs'",
            "executable",
            "UpdateRegistry2.vbs",
        ),
        ("$s = Get-WmiObject -Class 'Win32_Services'", "wmi-class", "Win32_Services"),
        (
            "$s = Get-DrWmiInstances -Class $c\n$c = 'MSBTS_Hosts'",
            "wmi-class",
            "MSBTS_Hosts",
        ),
        ("$x = $service.Frobnicate()", "member", "Frobnicate"),
        (
            "$AnswerFileServices = @(\n    [pscustomobject]@{ Id = 'ENTSSO2' }\n)",
            "answer-value",
            "ENTSSO2",
        ),
    ],
)
def test_checker_fails_on_each_kind(script: str, kind: str, name: str) -> None:
    problems = name_problems(encode_text(script + "\n", ArtifactKind.POWERSHELL))
    assert any(f"{kind} {name!r} is not in the catalogue" in p for p in problems), (
        problems
    )


@pytest.mark.oracle
@pytest.mark.parametrize(
    ("template", "old", "new", "problem"),
    [
        (
            "server/Enable-DrServer.ps1.jinja",
            "{{ n['wmi:MSBTS_MsgBoxSetting']|ps_str }}",
            "'MSBTS_MessageBox'",
            "wmi-class 'MSBTS_MessageBox'",
        ),
        (
            "_partials/server-changes.ps1.jinja",
            "$instance.IsDisabled = $Disabled",
            "$instance.IsDisable = $Disabled",
            "member 'IsDisable'",
        ),
        (
            "_partials/wmi-restart.ps1.jinja",
            "{{ n['svc:Winmgmt']|ps_str }}",
            "'WinMgmtSvc'",
            "service 'WinMgmtSvc'",
        ),
    ],
)
def test_checker_fails_on_a_wrong_name_in_a_template(
    tmp_path: Path, template: str, old: str, new: str, problem: str
) -> None:
    """End to end: a template that misspells a name fails the rendered check."""
    templates = mutated_templates(tmp_path, template, old, new)
    arts = render_examples(templates, ("example",))
    found = [p for _, data in script_files(arts) for p in name_problems(data)]
    assert any(problem in p for p in found), found


_GOOD_SCRIPT = """\
function Test-X {
    $name = 'Winmgmt'
    Get-DrService -Name $name
    $boxes = @(Get-WmiObject -Namespace $ns -Class 'MSBTS_MsgBoxSetting')
    foreach ($box in $boxes) {
        $box.MsgBoxDBServerName
    }
    $rows = @('x') | ForEach-Object -Process { [pscustomobject]@{ Result = 'OK' } }
    $rows[0].Result
    Get-DrService -Name 'BTSSvc$AnyHost'
    $r = Get-DrNativeOutput -FilePath $t -ArgumentList @('list', 'apppool', '/config:*')
    $q = 'SELECT N''adm_MessageBox '' + DBName, DBServerName FROM dbo.adm_MessageBox'
    $k = 'HKLM:\\SOFTWARE\\Microsoft\\ENTSSO\\SQL'
    $v = Get-DrRegistryValue -Path $k -Name 'Server'
    $result = $instance.psbase.InvokeMethod('Stop', $null)
    & $ssoconfig '-restoreSecret' $file
}
"""


@pytest.mark.oracle
def test_checker_accepts_catalogue_names() -> None:
    data = encode_text(_GOOD_SCRIPT, ArtifactKind.POWERSHELL)
    assert name_problems(data) == []
    assert {u.kind for u in name_uses(data)} >= {
        "service",
        "wmi-class",
        "member",
        "switch",
        "sql",
        "registry-key",
        "registry-value",
        "wmi-method",
    }
