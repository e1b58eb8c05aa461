"""A WMI restart left pending by UpdateRegistry.vbs is seen by every script.

Enable-DrServer.ps1 and Reset-DrServer.ps1 write a marker before UpdateRegistry.vbs
runs and remove it once WMI was restarted after it ("restart Windows Management
Instrumentation", how-to-update-the-runtime-computers.md). A run cut off in between
leaves BizTalk WMI reading the database names from before. So: every script's
end-state checks report the marker (check id ``wmi:restart-pending``), the report
says how to fix it, Initialize-DrServer.ps1 (which creates host instances through
BizTalk WMI) refuses to run while it exists, and Reset-DrServer.ps1 removes the
rearm file's copy that an interrupted run left in the restore folder.

Read from the rendered scripts' parse trees; each checker is shown to fail on a
script broken on purpose.
"""

from __future__ import annotations

from tree_sitter import Node

from generator.evidence.fixes import check_fix
from generator.render.artifacts import RenderedArtifact
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    Script,
    counter,
    function,
    main_body,
    scripts,
    top_assignment,
)
from tests.support.tree import (
    ancestors,
    argument_text,
    branch_block,
    command_nodes,
    condition,
    key,
    one,
    throws,
)

MARKER = "$WmiRestartMarker"
# What Initialize-DrServer.ps1 may do before its pre-flight: nothing of BizTalk's.
HOUSEKEEPING = {
    "Assert-DrTargetComputer",
    "Start-DrLog",
    "Assert-Dr64BitProcess",
    "Protect-DrLogFolder",
    "Remove-DrStalePrivateFolders",
}
CHECK_ID = "wmi:restart-pending"


def marker_tests(scope: Node) -> list[Node]:
    """The ``if`` statements whose condition is ``Test-Path -LiteralPath
    $WmiRestartMarker -PathType Leaf``."""
    found = []
    for statement in nodes(scope, "if_statement"):
        tested = command_nodes(condition(statement), "Test-Path")
        if any(
            argument_text(c, "-LiteralPath") == MARKER
            and argument_text(c, "-PathType") == "Leaf"
            for c in tested
        ):
            found.append(statement)
    return found


def check_marker_is_shared(script: Script) -> None:
    """One top-level definition under the state folder, the same in every script."""
    assigned = key(top_assignment(script, "WmiRestartMarker"))
    assert "$statefolder" in assigned, (script, assigned)
    assert "'wmi-restart-pending'" in assigned, (script, assigned)


def check_state_report_sees_the_marker(script: Script) -> None:
    """Get-DrStateReport records ``wmi:restart-pending``: expected 'none', and
    'pending' exactly when the marker file exists."""
    report = function(script, "Get-DrStateReport")
    checks = [
        c
        for c in command_nodes(report, "Add-DrCheck")
        if argument_text(c, "-Id") == f"'{CHECK_ID}'"
    ]
    check = one(checks, script)
    assert argument_text(check, "-Expected") == "'none'", script
    actual = argument_text(check, "-Actual")
    assert actual.startswith("$"), (script, actual)
    variable = actual.lower()
    tested = one(marker_tests(report), script)
    body = text(branch_block(tested)).lower()
    assert f"{variable} = 'pending'" in body, (script, body)
    default = [
        a
        for a in nodes(report, "assignment_expression")
        if text(a).lower() == f"{variable} = 'none'"
    ]
    assert len(default) == 1, script
    assert default[0].start_byte < tested.start_byte < check.start_byte, script


def check_initialize_refuses(script: Script) -> None:
    """Assert-DrPreflight throws while the marker exists, and it runs before the
    join and the host instances (only the log folder's own housekeeping, which
    touches no BizTalk state, comes first)."""
    preflight = function(script, "Assert-DrPreflight")
    tested = one(marker_tests(preflight), script)
    assert throws(branch_block(tested)), script
    message = text(branch_block(tested))
    assert "Reset-DrServer.ps1" in message, (script, message)
    assert "Nothing was changed" in message, (script, message)
    body = [c.name for c in main_body(script)]
    first = body.index("Assert-DrPreflight")
    assert set(body[:first]) <= HOUSEKEEPING, (script, body[:first])
    assert first < body.index("Invoke-DrConfigurationJoin"), (script, body)
    assert first < body.index("Install-DrHostInstance"), (script, body)


def check_reset_removes_leftover_copy(script: Script) -> None:
    """Remove-DrLeftoverRearmCopy removes <restore folder>\\<rearm file> and runs
    at the start of Update-DrRegistryToProduction, before the early return when
    nothing is pending (the path where no later copy would overwrite it)."""
    remove = function(script, "Remove-DrLeftoverRearmCopy")
    removals = command_nodes(remove, "Remove-Item")
    target = argument_text(one(removals, script), "-LiteralPath")
    joined = [
        a
        for a in nodes(remove, "assignment_expression")
        if text(a).split("=", 1)[0].strip() == target
    ]
    value = key(one(joined, script))
    assert "get-drrestorefolder" in value, (script, value)
    assert "$rearminfoname" in value, (script, value)
    update = function(script, "Update-DrRegistryToProduction")
    called = one(command_nodes(update, "Remove-DrLeftoverRearmCopy"), script)
    returns = [
        r
        for r in nodes(update, "flow_control_statement")
        if text(r).startswith("return")
    ]
    assert returns, script
    assert called.start_byte < min(r.start_byte for r in returns), script


def test_marker_is_one_definition_in_every_script_that_checks_state(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in scripts(
        all_artifacts,
        "Initialize-DrServer.ps1",
        "Test-DrServer.ps1",
        "Enable-DrServer.ps1",
        "Disable-DrServer.ps1",
        "Reset-DrServer.ps1",
    ):
        check_marker_is_shared(script)
        assert len(key(top_assignment(script, "WmiRestartMarker"))) > 0


def test_every_end_state_report_checks_the_pending_restart(
    all_artifacts: list[RenderedArtifact],
) -> None:
    found = [
        s for s in scripts(all_artifacts) if "function Get-DrStateReport" in s.art.text
    ]
    assert {s.art.path.name for s in found} >= {
        "Test-DrServer.ps1",
        "Enable-DrServer.ps1",
        "Disable-DrServer.ps1",
        "Reset-DrServer.ps1",
        "Initialize-DrServer.ps1",
    }
    for script in found:
        check_state_report_sees_the_marker(script)


def test_state_report_checker_fails_when_the_marker_is_not_read(
    all_artifacts: list[RenderedArtifact],
) -> None:
    script = scripts(all_artifacts, "Test-DrServer.ps1")[0]
    counter(
        script,
        check_state_report_sees_the_marker,
        "        $wmiRestart = 'pending'",
        "        $wmiRestart = 'none'",
    )
    counter(
        script,
        check_state_report_sees_the_marker,
        "-Expected 'none' -Actual $wmiRestart",
        "-Expected 'none' -Actual 'none'",
    )


def test_initialize_refuses_while_a_wmi_restart_is_pending(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_initialize_refuses(script)
    script = scripts(all_artifacts, "Initialize-DrServer.ps1")[0]
    counter(
        script,
        check_initialize_refuses,
        "        throw ('A WMI restart after UpdateRegistry.vbs is pending",
        "        Write-Host ('A WMI restart after UpdateRegistry.vbs is pending",
    )


def test_reset_removes_the_rearm_copy_an_interrupted_run_left(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in scripts(all_artifacts, "Reset-DrServer.ps1"):
        check_reset_removes_leftover_copy(script)
    script = scripts(all_artifacts, "Reset-DrServer.ps1")[0]
    counter(
        script,
        check_reset_removes_leftover_copy,
        "    Remove-DrLeftoverRearmCopy\n    $pending",
        "    $pending",
    )


def test_the_report_says_how_to_finish_the_restart() -> None:
    for kind in ("Dormant", "Ready", "Active"):
        fix = check_fix(CHECK_ID, kind, "DRSERVER1")
        assert "Reset-DrServer.ps1" in fix, fix
        assert "Enable-DrServer.ps1" in fix, fix
        assert "DRSERVER1" in fix, fix


def check_marker_kept_when_present(script: Script) -> None:
    """The marker is written before UpdateRegistry.vbs only when absent: one left
    by an interrupted restart lists the WMI dependents it stopped."""
    writes = [
        c
        for c in command_nodes(script.root, "Set-Content")
        if argument_text(c, "-LiteralPath") == MARKER
        and "UpdateRegistry.vbs ran" in argument_text(c, "-Value")
        and not argument_text(c, "-Value").startswith("(")
    ]
    write = one(writes, script)
    guards = [
        a
        for a in ancestors(write)
        if a.type == "if_statement"
        and key(condition(a))
        == "-not (test-path -literalpath $wmirestartmarker -pathtype leaf)"
    ]
    assert guards, script


def test_the_marker_is_not_overwritten_before_update_registry(
    all_artifacts: list[RenderedArtifact],
) -> None:
    found = scripts(all_artifacts, "Enable-DrServer.ps1", "Reset-DrServer.ps1")
    for script in found:
        check_marker_kept_when_present(script)
    counter(
        found[0],
        check_marker_kept_when_present,
        "        if (-not (Test-Path -LiteralPath $WmiRestartMarker -PathType Leaf)) {",
        "        if ($true) {",
    )


def test_disable_finishes_a_pending_restart_before_its_end_state(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Stand down and the abort path run Disable-DrServer.ps1: with a restart left
    pending by Enable-DrServer.ps1, its end state could never hold otherwise."""
    for script in scripts(all_artifacts, "Disable-DrServer.ps1"):
        body = [c.name for c in main_body(script)]
        restart = body.index("Restart-DrWmi")
        assert restart < body.index("Assert-DrEndState"), (script, body)
        assert max(i for i, n in enumerate(body) if n == "Set-DrServiceDormant") < (
            restart
        ), (script, body)
        # Nothing of its own is pending: only the marker starts a restart.
        pending = function(script, "Get-DrPendingRegistryReferences")
        assert not command_nodes(pending, "Get-DrRegistryValue"), script


def test_reset_what_if_reads_no_biztalk_wmi_while_a_restart_is_pending(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in scripts(all_artifacts, "Reset-DrServer.ps1"):
        moved = key(top_assignment_in_run(script, "moved"))
        assert "-and -not (test-path -literalpath $wmirestartmarker" in moved, (
            script,
            moved,
        )


def test_reset_says_how_to_move_a_value_update_registry_left(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in scripts(all_artifacts, "Reset-DrServer.ps1"):
        check = function(script, "Assert-DrRegistryNamesProduction")
        thrown = [
            text(f)
            for f in nodes(check, "flow_control_statement")
            if text(f).startswith("throw")
        ]
        message = one(thrown, script)
        assert "by hand" in message, message
        assert "ssoconfig -setDB" in message, message


def top_assignment_in_run(script: Script, variable: str) -> Node:
    """The one assignment of ``$variable`` outside every function (the run)."""
    found = [
        a
        for a in nodes(script.root, "assignment_expression")
        if text(a).split("=", 1)[0].strip().lower() == f"${variable}".lower()
        and not any(x.type == "function_statement" for x in ancestors(a))
    ]
    return one(found, script)
