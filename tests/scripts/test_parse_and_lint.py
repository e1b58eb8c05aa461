"""Generated PowerShell, checked with the tree-sitter-pwsh parse tree as oracle."""

from __future__ import annotations

import re

import pytest
from tree_sitter import Node

from generator.plan.outputs import ArtifactKind
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.psdata import parse_block, split_script
from tests.support import pwsh_oracle as ps
from tests.support.tree import enclosing_function, method_calls

pytestmark = pytest.mark.oracle


def scripts(
    all_artifacts: list[RenderedArtifact], name: str | None = None
) -> list[tuple[RenderedArtifact, bytes]]:
    found = [
        (a, encode_text(a.text, ArtifactKind.POWERSHELL))
        for a in all_artifacts
        if a.kind is ArtifactKind.POWERSHELL and (name is None or a.path.name == name)
    ]
    assert found
    return found


def main_body(data: bytes) -> list[ps.Command]:
    """Commands after the wrong-host guard call: the script's top-level steps."""
    found = ps.commands(data)
    start = next(i for i, c in enumerate(found) if c.name == "Assert-DrTargetComputer")
    return found[start:]


def _nodes(node: Node, kind: str) -> list[Node]:
    found = [node] if node.type == kind else []
    for child in node.children:
        found += _nodes(child, kind)
    return found


def _verbatim(node: Node) -> str | None:
    """The value of a single-quoted literal node, un-doubled; None otherwise."""
    literals = _nodes(node, "verbatim_string_characters")
    if len(literals) != 1:
        return None
    text = (literals[0].text or b"").decode("utf-8")
    return text[1:-1].replace("''", "'")


def host_instance_table(data: bytes) -> list[dict[str, str]]:
    """The ``$HostInstances = @(...)`` data, read from the parse tree."""
    for assignment in _nodes(ps.parse(data).root_node, "assignment_expression"):
        left = assignment.child_by_field_name("left") or assignment.children[0]
        if (left.text or b"").strip() != b"$HostInstances":
            continue
        rows = []
        for table in _nodes(assignment, "hash_literal_expression"):
            row = {}
            for entry in _nodes(table, "hash_entry"):
                key = (entry.children[0].text or b"").decode()
                value = _verbatim(entry.children[2])
                row[key] = (
                    value
                    if value is not None
                    else (entry.children[2].text or b"").decode()
                )
            rows.append(row)
        return rows
    raise AssertionError("no $HostInstances assignment")


def named(commands: list[ps.Command], name: str) -> list[ps.Command]:
    return [c for c in commands if c.name.lower() == name.lower()]


def test_every_script_parses_clean(all_artifacts: list[RenderedArtifact]) -> None:
    checked = scripts(all_artifacts)
    # Five per DR server (5), three per site (2): bundle check, database update,
    # lab probe; one per inventory (2) for production: the discovery script.
    assert len(checked) == 33
    for art, data in checked:
        assert ps.syntax_problems(data) == [], art.path


def test_every_script_passes_the_lint(all_artifacts: list[RenderedArtifact]) -> None:
    for art, data in scripts(all_artifacts):
        assert ps.lint(data) == [], art.path


def test_frame_of_every_script(all_artifacts: list[RenderedArtifact]) -> None:
    for art, data in scripts(all_artifacts):
        text = art.text
        # Desktop: PowerShell 7 lacks Directory.CreateDirectory(path, security) and
        # changes [Text.Encoding]::Default.
        assert text.startswith(
            "#Requires -Version 5.1\n#Requires -PSEdition Desktop\n"
            "#Requires -RunAsAdministrator\n"
        )
        for keyword in (".SYNOPSIS", ".DESCRIPTION", ".EXAMPLE"):
            assert keyword in text, (art.path, keyword)
        assert "[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = '" in text
        assert "\nSet-StrictMode -Version Latest\n" in text
        assert "\n$ErrorActionPreference = 'Stop'\n" in text
        assert text.rstrip().endswith("exit 0")
        if art.path.name == "Test-DrBundle.ps1":
            # Runs on every DR server of the site: its guard is the site's list.
            assert "if ($SiteServers -notcontains $env:COMPUTERNAME) {" in text
            assert "Start-Transcript" in text
            continue
        if art.path.name == "Export-BizTalkGroup.ps1":
            # Runs on production: its guard is the inventory's production servers,
            # called once, before the main block
            # (tests/discovery/test_discovery_script.py checks the list and that
            # nothing runs before it).
            assert text.count("\nAssert-DrProductionComputer\n") == 1
            assert text.index("\nAssert-DrProductionComputer\n") < text.index(
                "\ntry {\n"
            )
            continue
        if art.path.name == "Test-DrLabFacts.ps1":
            # Read-only and meant for any BizTalk server of the version: no guard.
            assert (
                "Assert-DrTargetComputer\n"
                not in text.split("function Invoke-DrProbe")[1]
            )
            continue
        body = main_body(data)
        assert body[0].name == "Assert-DrTargetComputer"
        assert body[1].name == "Start-DrLog"


def test_prepare_installs_exactly_the_planned_instances(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    servers = {s.name: s for p in plans.values() for s in p.site.servers}
    for art, data in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        server = servers[art.path.parent.name]
        table = host_instance_table(data)
        assert [e["HostName"] for e in table] == [h.host for h in server.host_instances]
        for row, planned in zip(table, server.host_instances, strict=True):
            assert row["Account"] == planned.account.name
            assert row["Service"] == (planned.service or "")
            assert row["InProcess"] == ("$true" if planned.in_process else "$false")
            assert row["Gmsa"] == ("$true" if planned.account.gmsa else "$false")
        lines = art.text.splitlines()
        invokes = [
            (lines[line - 1], guarded)
            for name, line, guarded in ps.method_calls(data)
            if name == "InvokeMethod"
        ]
        installs = [g for text, g in invokes if "InvokeMethod('Install'" in text]
        maps = [g for text, g in invokes if "InvokeMethod('Map'" in text]
        assert installs == [True]
        assert maps == [True]
        loop = [c for c in main_body(data) if c.name == "Install-DrHostInstance"]
        assert len(loop) == 1  # called once per $HostInstances entry


def test_prepare_starts_nothing(all_artifacts: list[RenderedArtifact]) -> None:
    for art, data in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        cmds = ps.commands(data)
        names = {c.name.lower() for c in cmds}
        assert not names & {
            "start-service",
            "restart-service",
            "enable-drservice",
            "start-drservice",
        }
        for cmd in named(cmds, "Set-Service"):
            at = cmd.arguments.index("-StartupType")
            assert cmd.arguments[at + 1] == "Disabled", art.path
        # Set-DrAppPool, shared with Enable-DrServer.ps1, can start a pool: here it
        # is only ever called to stop one.
        for cmd in named(cmds, "Set-DrAppPool"):
            assert cmd.arguments[-2:] == ("-Running", "$false"), art.path
        # No other start of any kind is even defined in the prepare script.
        assert ".Start(" not in art.text
        assert "InvokeMethod('Start'" not in art.text
        assert "function Start-DrService" not in art.text


def test_disable_enables_nothing(all_artifacts: list[RenderedArtifact]) -> None:
    for art, data in scripts(all_artifacts, "Disable-DrServer.ps1"):
        cmds = ps.commands(data)
        names = {c.name.lower() for c in cmds}
        assert not names & {
            "start-service",
            "restart-service",
            "enable-drservice",
            "start-drservice",
        }
        for cmd in named(cmds, "Set-Service"):
            at = cmd.arguments.index("-StartupType")
            assert cmd.arguments[at + 1] == "Disabled"
        for cmd in named(cmds, "Set-DrHostInstanceDisabled"):
            assert cmd.arguments[-1] == "$true"
        for cmd in named(cmds, "Set-DrAppPool"):
            assert cmd.arguments[-2:] == ("-Running", "$false"), art.path
        assert "'Start'" not in art.text
        # The one start: a WMI restart that Enable-DrServer.ps1 left pending is
        # finished (Winmgmt and the non-BizTalk services that depend on it), only
        # after every BizTalk service was made Disabled, which no Start() passes.
        root = ps.parse(data).root_node
        starts = [n for m, _, _, n in method_calls(root) if m.lower() == "start"]
        assert starts, art.path
        for node in starts:
            owner = enclosing_function(node)
            assert owner is not None, art.path
            name = next(c for c in owner.named_children if c.type == "function_name")
            assert ps.node_text(name) in {"Restart-DrWinmgmt", "Restart-DrWmi"}, (
                art.path,
                ps.node_text(name),
            )
        body = [c.name for c in main_body(data)]
        assert "Restart-DrWmi" in body, art.path
        last_dormant = max(i for i, n in enumerate(body) if n == "Set-DrServiceDormant")
        assert last_dormant < body.index("Restart-DrWmi"), (art.path, body)


def test_enable_steps_in_documented_order(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    servers = {s.name: s for p in plans.values() for s in p.site.servers}
    step_names = {
        "Update-DrRegistryReferences",
        "Assert-DrRegistryReferences",
        "Restart-DrWmi",
        "Assert-DrGroupUpdated",
        "Enable-DrMasterSecretServer",
        "Assert-DrSecretServerIsDr",
        "Enable-DrService",
        "Assert-DrDisplayDbNamesMaster",
        "Enable-DrHostInstance",
        "Set-DrAppPool",
        "Assert-DrEndState",
    }
    for art, data in scripts(all_artifacts, "Enable-DrServer.ps1"):
        server = servers[art.path.parent.name]
        steps = [c.name for c in main_body(data) if c.name in step_names]
        # facts §1.6/§1.7/§1.10: registry -> checked -> WMI -> (databases updated?)
        # -> SSO master secret (or: the DR SSODB names it) -> ENTSSO -> host
        # instances -> application pools -> other services -> end-state check
        # (Ready with -NoStart, else Active).
        # Set-DrAppPool is in every server's code; $AppPools decides
        # (tests/scripts/test_app_pools.py): started without -NoStart, stopped
        # with autoStart off with it.
        pools = ["Set-DrAppPool", "Set-DrAppPool"]
        assert steps == [
            "Update-DrRegistryReferences",
            "Assert-DrRegistryReferences",
            "Restart-DrWmi",
            "Assert-DrGroupUpdated",
            "Enable-DrMasterSecretServer",
            "Assert-DrSecretServerIsDr",
            "Enable-DrService",
            "Assert-DrDisplayDbNamesMaster",
            "Enable-DrHostInstance",
            *pools,
            "Enable-DrService",
            "Assert-DrEndState",
            "Assert-DrEndState",
        ]
        flag = "$true" if server.is_master_secret else "$false"
        assert f"$IsMasterSecretServer = {flag}" in art.text
        cmds = ps.commands(data)
        native = [
            c
            for c in named(cmds, "Invoke-DrNative")
            if "(Get-DrAppCmd)" not in c.arguments
        ]
        assert [c.arguments for c in native] == [
            (
                "-FilePath",
                "(Get-DrCscript)",
                "-ArgumentList",
                "@('//NoLogo', 'UpdateRegistry.vbs', 'UpdateInfo.xml')",
            ),
            (
                "-FilePath",
                "(Get-DrSsoTool -Name 'ssomanage.exe')",
                "-ArgumentList",
                "@('-updatedb', $SecretServerPath)",
            ),
        ]
        assert all(c.guarded for c in native)
        # Native reads only: -displaydb and appcmd list.
        queries = named(cmds, "Get-DrNativeOutput")
        assert {c.arguments[-1].split(",")[0] for c in queries} == {
            "@('-displaydb')",
            "@('list'",
        }
        restore = [c for c in cmds if c.name == "$ssoconfig"]
        assert [c.arguments[0] for c in restore] == ["'-restoreSecret'"]
        assert restore[0].guarded
        # The WMI restart is remembered before UpdateRegistry.vbs runs.
        marker = art.text.index("Set-Content -LiteralPath $WmiRestartMarker")
        assert marker < art.text.index("'//NoLogo', 'UpdateRegistry.vbs'")


def test_update_databases_runs_on_the_role_server(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    for art, data in scripts(all_artifacts, "Update-DrGroupDatabases.ps1"):
        stem = art.path.parts[0]
        target = plans[stem].site.update_databases_server
        assert f"$TargetComputer = '{target}'\n" in art.text
        runs = named(ps.commands(data), "Invoke-DrNative")
        assert len(runs) == 1
        assert runs[0].guarded
        assert "@('//NoLogo', $scriptName, 'UpdateInfo.xml')" in runs[0].arguments
        assert "MSOLEDBSQL" in art.text
        # Whether to run is read from the restored database, not from a marker file.
        assert "UpdateDatabase.done" not in art.text
        assert art.text.count("Get-DrStaleReferences") == 3


def test_services_disabled_by_prepare_match_the_plan(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    servers = {s.name: s for p in plans.values() for s in p.site.servers}
    for art, _ in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        data = dict(parse_block(split_script(art.text)[1]))
        listed = data["Services"]
        assert listed == tuple(s.name for s in servers[art.path.parent.name].services)
        assert "ENTSSO" in listed


READ_ONLY_NATIVE = {"'-displaydb'", "'list'"}


@pytest.mark.parametrize(
    "name", ["Test-DrServer.ps1", "Test-DrBundle.ps1", "Test-DrLabFacts.ps1"]
)
def test_read_only_scripts_change_nothing(
    all_artifacts: list[RenderedArtifact], name: str
) -> None:
    for art, data in scripts(all_artifacts, name):
        cmds = ps.commands(data)
        changing = [c.name for c in cmds if ps.is_state_changing(c)]
        assert changing == [], art.path
        # The one native invocation is the read-only helper's, and every call of it
        # passes a read-only first argument (ssomanage -displaydb, appcmd list).
        natives = [c for c in cmds if c.invocation == "&"]
        assert [c.name for c in natives] == ["$FilePath"], art.path
        helper = art.text.split("function Get-DrNativeOutput {", 1)[1]
        assert "& $FilePath @ArgumentList" in helper.split("\n}\n", 1)[0]
        for call in named(cmds, "Get-DrNativeOutput"):
            listed = call.arguments[call.arguments.index("-ArgumentList") + 1]
            first = listed.removeprefix("@(").split(",")[0].rstrip(")")
            assert first in READ_ONLY_NATIVE, (art.path, listed)
        assert "ShouldProcess(" not in art.text
        for helper in (
            "Set-DrServiceDormant",
            "Invoke-DrNative",
            "Stop-DrHostInstance",
        ):
            assert f"function {helper}" not in art.text


def test_prepare_checks_the_host_before_mapping_it(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for art, _ in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        text = art.text
        install = text.split("function Install-DrHostInstance {", 1)[1]
        install = install.split("\nfunction ", 1)[0]
        check = install.index("-Class 'MSBTS_HostSetting'")
        assert check < install.index("InvokeMethod('Map'")
        assert check < install.index("InvokeMethod('Install'")
        assert "does not exist in group" in install
        assert "HostType" in install
        assert "Get-DrService -Name 'MSDTC'" in text


def test_summary_lists_changes_in_place_items_and_problems(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for art, _ in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        summary = art.text.split("function Write-DrSummary {", 1)[1].split("\n}\n", 1)[
            0
        ]
        for collection in ("$script:Changed", "$script:InPlace", "$script:Problems"):
            assert f"foreach ($item in {collection})" in summary


def test_prepare_disables_every_planned_service(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    servers = {s.name: s for p in plans.values() for s in p.site.servers}
    for art, data in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        server = servers[art.path.parent.name]
        block = art.text.split("$RoleServices = ", 1)[1].split("\n", 1)[0]
        assert re.findall(r"'([^']*)'", block) == list(server.role_services)
        body = main_body(data)
        dormant = named(body, "Set-DrServiceDormant")
        # Host services per host, then role services (reversed), then ENTSSO last.
        assert [c.arguments[1] for c in dormant] == [
            "$plan.Service",
            "$name",
            "$SsoService",
        ]
        covered = {h.service for h in server.host_instances if h.service}
        covered |= set(server.role_services) | {"ENTSSO"}
        assert covered == {s.name for s in server.services}
