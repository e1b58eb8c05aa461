"""The SSO master secret: restored from -SecretBackupFile, the transcript
paused around ssoconfig, the SSO view read with its fallback, the master
secret server promoted (ENTSSO restarted after an interruption,
SSOServerName stored and read back).

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

from typing import Final

import pytest
from tree_sitter import Node

from generator.catalogue import CATALOGUE
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import (
    NULL,
    Env,
    check_decline_throws,
    evaluate,
    reachable,
    reached_throws,
    should_process_clauses,
)
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    ENABLE,
    SSO_SQL_KEY,
    Checker,
    Script,
    commands_in,
    counter,
    function,
    main_body,
    mutated,
    script_param_block,
    scripts,
    scripts_with,
    server_plans,
    top_assignment,
    top_string,
)
from tests.support.tree import (
    ancestors,
    argument,
    argument_text,
    assigned_variable,
    before,
    branch_block,
    calls_named,
    clause_block,
    command_nodes,
    condition,
    first_line,
    has_parameter,
    is_switch,
    key,
    keyword_statements,
    line,
    member_accesses,
    method_calls,
    named,
    script_parameters,
    strings,
    throws_when,
    try_of,
    variables,
    verbatim,
    within,
)

pytestmark = pytest.mark.oracle


# ================================================== transcript paused around ssoconfig


def check_transcript_paused(script: Script) -> None:
    """Stop-DrLog before `& $ssoconfig`, Start-Transcript -Append in its finally."""
    fn = function(script, "Enable-DrMasterSecretServer")
    runs = [
        c
        for c in nodes(fn, "command")
        if any(x.type == "command_invocation_operator" for x in c.children)
        and "-restoreSecret" in strings(c)
    ]
    assert len(runs) == 1, script
    call = runs[0]
    statement, body = try_of(call)
    final = clause_block(statement, "finally_clause")
    assert final is not None, script
    restarts = command_nodes(final, "Start-Transcript")
    assert len(restarts) == 1, script
    assert has_parameter(restarts[0], "-Append"), script
    assert argument_text(restarts[0], "-LiteralPath").casefold() == "$logpath"
    assert command_nodes(top_assignment(script, "logPath"), "Start-DrLog"), script
    assert reachable(restarts[0], {}, final) is True, script
    (clause,) = [c for c in should_process_clauses(fn) if within(call, c)]
    block = branch_block(clause)
    stops = [
        s
        for s in command_nodes(block, "Stop-DrLog")
        if s.end_byte < call.start_byte and reachable(s, {}, block) is True
    ]
    assert stops, script
    between = [
        c
        for name in ("Start-Transcript", "Start-DrLog")
        for c in command_nodes(block, name)
        if stops[-1].end_byte < c.start_byte < call.start_byte
    ]
    assert not between, script
    assert reachable(call, {}, body) is True, script
    stopper = function(script, "Stop-DrLog")
    assert command_nodes(stopper, "Stop-Transcript"), script


def test_transcript_paused_around_restore_secret(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Ssoconfig's console output must not reach the log, nor the log stay off."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_transcript_paused(script)


# =================================================================== SSO view fallback


def check_sso_view(script: Script) -> None:
    """ssomanage -displaydb first; registry and SSODB only for an unread value."""
    assert top_string(script, "SsoSqlRegistryKey") == SSO_SQL_KEY
    assert top_string(script, "SsoSecretServerQuery").upper().startswith("SELECT ")
    fn = function(script, "Get-DrSsoView")
    (display,) = command_nodes(fn, "Get-DrSsoDisplayDb")
    assert reachable(display, {}, fn) is True, script
    reads = command_nodes(fn, "Get-DrRegistryValue")
    assert sorted(verbatim(argument(r, "-Name") or r) or "" for r in reads) == [
        "Database",
        "Server",
    ], script
    assert all(
        argument_text(r, "-Path").casefold() == "$ssosqlregistrykey" for r in reads
    ), script
    (query,) = command_nodes(fn, "Invoke-DrSqlQuery")
    assert argument_text(query, "-Query").casefold() == "$ssosecretserverquery"
    fallback = [*reads, query]
    assert all(display.end_byte < f.start_byte for f in fallback), script
    known = {
        "$display": "display",
        "$display.exitcode": 0,
        "$view.sqlserver": "SQLDR01",
        "$view.database": "SSODB",
        "$view.secretserver": "DRSERVER1",
    }
    assert all(reachable(f, known, fn) is False for f in fallback), script
    for field in ("$view.sqlserver", "$view.database", "$view.secretserver"):
        unread = {**known, field: ""}
        assert all(reachable(f, unread, fn) is True for f in fallback), field
    assert not reached_throws(fn, known), script
    failed = reached_throws(fn, {**known, "$display.exitcode": 1})
    assert failed, script
    assert reached_throws(fn, {**known, "$display": NULL}), script


def test_sso_view_falls_back_only_for_unread_values(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A failing ssomanage or an unreadable label must not pass unnoticed."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_sso_view(script)


# =================================================== -SecretBackupFile always restores


def returned_value(fn: Node, env: Env) -> object:
    """What ``fn`` returns under ``env``: the first ``return`` that surely runs."""
    for statement in keyword_statements(fn, "return"):
        verdict = reachable(statement, env, fn)
        assert verdict is not None, (text(statement)[:60], env)
        if verdict:
            return evaluate(statement.named_children[-1], env)
    raise AssertionError("no return runs")


def restore_call(fn: Node) -> Node:
    (call,) = [
        c
        for c in nodes(fn, "command")
        if "-restoreSecret" in strings(c) and text(c).startswith("&")
    ]
    return call


def check_secret_restore_always(script: Script) -> None:
    """A given backup file is restored even over a secret already here (an earlier
    drill's), unless it is the very file restored last; none given keeps the
    secret with a warning that names its age."""
    reason = function(script, "Get-DrSecretRestoreReason")
    given: Env = {"[string]::isnullorempty($secretbackupfile)": False}
    drill_secret = {**given, "test-drsecretpresent": True}
    # A secret here, no record of which backup it came from: restore.
    assert returned_value(reason, {**drill_secret, "$record": NULL}) != "", script
    # A secret from another backup file: restore.
    recorded = {**drill_secret, "$record": "a record"}
    other = {**recorded, "$record['backupsha256']": "AA", "$sha256": "BB"}
    assert returned_value(reason, other) != "", script
    # This very backup file was restored last: nothing to do (a re-run).
    same = {**recorded, "$record['backupsha256']": "AA", "$sha256": "AA"}
    assert returned_value(reason, same) == "", script
    # No secret at all: restore.
    missing = {**given, "test-drsecretpresent": False}
    assert returned_value(reason, missing) != "", script
    # No backup file: nothing is restored (the caller warns or stops).
    none_given: Env = {"[string]::isnullorempty($secretbackupfile)": True}
    assert returned_value(reason, none_given) == "", script

    enable = function(script, "Enable-DrMasterSecretServer")
    call = restore_call(enable)
    (decision,) = [
        s
        for s in nodes(enable, "if_statement")
        if within(call, s) and "$reason" in text(condition(s))
    ]
    restore: Env = {"$reason": "x", "shouldprocess()": True, "$whatifpreference": False}
    assert reachable(call, restore, decision) is True, script
    assert reachable(call, {**restore, "$reason": ""}, decision) is False, script
    kept = {"$reason": "", "[string]::isnullorempty($secretbackupfile)": True}
    warnings = [
        w
        for w in command_nodes(decision, "Write-Warning")
        if reachable(w, kept, decision) is True
    ]
    assert warnings, script
    assert any("Get-DrSecretRecordText" in text(w) for w in warnings), script
    saves = command_nodes(enable, "Save-DrSecretRecord")
    assert saves, script
    restored = {**restore, "$code": 0, "test-drsecretpresent": True}
    assert all(reachable(w, restored, decision) is True for w in saves), script


def test_secret_backup_file_always_restores(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A drill's secret never survives a real failover given its backup file."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_secret_restore_always(script)


# =================================================================== SSO master secret


def test_master_secret_server_checks_displaydb_around_updatedb(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """-displaydb before and after the guarded 'ssomanage -updatedb'."""
    planned = server_plans(plans)
    updatedb = f"'{CATALOGUE['arg:ssomanage.exe-updatedb']}'"
    masters = 0
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        server = planned[(script.stem, script.server)]
        flag = text(top_assignment(script, "IsMasterSecretServer")).strip()
        assert flag == ("$true" if server.is_master_secret else "$false"), script
        if not server.is_master_secret:
            continue
        masters += 1
        promote = function(script, "Enable-DrMasterSecretServer")
        cmds = commands_in(script, promote)
        runs = [
            c
            for c in named(cmds, "Invoke-DrNative")
            if any(updatedb in a for a in c.arguments)
        ]
        assert len(runs) == 1, script
        assert runs[0].guarded, script
        display = [c.line for c in named(cmds, "Get-DrSsoView")]
        assert [n for n in display if n < runs[0].line], script
        assert [n for n in display if n > runs[0].line], script
        reader = function(script, "Get-DrSsoView")
        assert named(commands_in(script, reader), "Get-DrSsoDisplayDb"), script
        tool = commands_in(script, function(script, "Get-DrSsoDisplayDb"))
        assert [
            c
            for c in named(tool, "Get-DrNativeOutput")
            if any("'-displaydb'" in a for a in c.arguments)
        ], script
        # The promotion runs when the flag is set, in the main body.
        (call,) = command_nodes(script.root, "Enable-DrMasterSecretServer")
        assert reachable_when(call, master=True), script
    assert masters == len(plans)


def reachable_when(call: Node, *, master: bool) -> bool:
    """Whether ``call`` runs when $IsMasterSecretServer is ``master``."""
    child = call
    for parent in ancestors(call):
        if parent.type == "if_statement":
            test = text(condition(parent)).replace(" ", "").casefold()
            wants = {"$ismastersecretserver": True, "-not$ismastersecretserver": False}
            if test in wants:
                in_else = child.type == "else_clause"
                if (wants[test] != in_else) != master:
                    return False
        child = parent
    return True


def test_other_servers_check_the_secret_server_before_sso_starts(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A non-master server checks SSODB's secret server before ENTSSO starts."""
    planned = server_plans(plans)
    others = 0
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        parameters = script_parameters(script_param_block(script))
        assert is_switch(parameters["$skipsecretservercheck"]), script
        check = function(script, "Assert-DrSecretServerIsDr")
        assert throws_when(check, "$skipsecretservercheck"), script
        if planned[(script.stem, script.server)].is_master_secret:
            continue
        others += 1
        (call,) = command_nodes(script.root, "Assert-DrSecretServerIsDr")
        assert reachable_when(call, master=False), script
        body = main_body(script)
        start = first_line(body, "Enable-DrService", "-Name", "$SsoService", "-Start")
        assert line(call) < start, script
    assert others == sum(len(p.site.failover_after_master) for p in plans.values())


@pytest.mark.parametrize("name", ["Enable-DrServer.ps1", "Test-DrServer.ps1"])
def test_master_secret_presence_has_one_definition(
    all_artifacts: list[RenderedArtifact], name: str
) -> None:
    """Only Test-DrSecretPresent looks at the SSOSS key."""
    for script in scripts(all_artifacts, name):
        helper = function(script, "Test-DrSecretPresent")
        definition = top_assignment(script, "SsoSecretRegistryKey")
        assert verbatim(definition) == r"HKLM:\SOFTWARE\Microsoft\ENTSSO\SSOSS"
        assignment = next(
            a for a in ancestors(definition) if a.type == "assignment_expression"
        )
        uses = [
            v
            for v in nodes(script.root, "variable")
            if text(v).casefold() == "$ssosecretregistrykey"
        ]
        outside = [
            v
            for v in uses
            if not within(v, helper) and not within(v, assignment.named_children[0])
        ]
        assert not outside, (script, [line(v) for v in outside])
        assert [v for v in uses if within(v, helper)], script
        literal_uses = [
            n
            for n in nodes(script.root, "verbatim_string_characters")
            if "\\SSOSS" in text(n).upper()
        ]
        assert len(literal_uses) == 1, script
        caller = (
            "Enable-DrMasterSecretServer"
            if name == "Enable-DrServer.ps1"
            else "Get-DrStateReport"
        )
        assert named(
            commands_in(script, function(script, caller)), "Test-DrSecretPresent"
        ), script


# ======================================== an interrupted SSO promotion restarts ENTSSO


#: Enable's master secret server promotion once the SSO view was read.
PROMOTE_ENV: Final[dict[str, object]] = {
    "$whatifpreference": False,
    "$view.sqlserver": "SQLDR",
    "$drssoserver": "SQLDR",
    "$view.database": "SSODB",
    "$ssodatabase": "SSODB",
    "$run.exitcode": 0,
    "shouldprocess()": True,
}


def check_sso_restart_marker(script: Script) -> None:
    """The pending ENTSSO restart is written before -updatedb and finished by the
    next run when this one ends between -updatedb and the restart."""
    marker = top_assignment(script, "SsoRestartMarker")
    assert command_nodes(marker, "Join-Path"), script
    (join,) = command_nodes(marker, "Join-Path")
    assert argument_text(join, "-Path").casefold() == "$statefolder", script
    assert verbatim(argument(join, "-ChildPath") or join) == "sso-restart-pending"
    promote = function(script, "Enable-DrMasterSecretServer")
    (updatedb,) = [
        c
        for c in command_nodes(promote, "Invoke-DrNative")
        if CATALOGUE["arg:ssomanage.exe-updatedb"] in strings(c)
    ]
    designate = next(
        c for c in should_process_clauses(promote) if within(updatedb, branch_block(c))
    )
    block = branch_block(designate)
    writes = calls_named(block, "Set-Content", "-LiteralPath", "$SsoRestartMarker")
    assert len(writes) == 1, script
    (write,) = writes
    assert before(write, updatedb), script
    assert reachable(write, {}, block) is True, script
    # This run: the restart follows -updatedb, the check of -displaydb follows it.
    restarts = command_nodes(promote, "Restart-DrSsoService")
    (now,) = [r for r in restarts if within(r, block)]
    assert argument_text(now, "-Confirm").casefold() == "$false", script
    assert before(updatedb, now), script
    after_view = [c for c in command_nodes(block, "Get-DrSsoView") if before(now, c)]
    assert after_view, script
    designated = {**PROMOTE_ENV, "test-drsamecomputer": True}
    fresh = {**PROMOTE_ENV, "test-drsamecomputer": False}
    assert reachable(now, fresh, promote) is True, script
    assert reachable(now, designated, promote) is False, script
    # The next run: SSODB names this server already; the marker says ENTSSO was
    # not restarted after it, so it is restarted now, and only then.
    (later,) = [r for r in restarts if not within(r, block)]
    assert not argument(later, "-Confirm"), script
    assert reachable(later, {**designated, "test-path": True}, promote) is True
    assert reachable(later, {**designated, "test-path": False}, promote) is False
    assert reachable(later, {**fresh, "test-path": True}, promote) is False
    probes = [
        p
        for p in command_nodes(promote, "Test-Path")
        if any(within(later, branch_block(s)) for s in owner_ifs(p))
    ]
    assert [
        p for p in probes if argument_text(p, "-LiteralPath") == "$SsoRestartMarker"
    ]
    # Both before the secret is restored.
    restore = [
        c
        for c in nodes(promote, "command")
        if CATALOGUE["arg:ssoconfig.exe-restoreSecret"] in strings(c)
    ]
    assert restore, script
    assert all(before(r, restore[0]) for r in restarts), script


def owner_ifs(node: Node) -> list[Node]:
    """The ``if`` statements whose condition holds ``node``."""
    return [
        a
        for a in ancestors(node)
        if a.type == "if_statement" and within(node, condition(a))
    ]


def check_sso_restart(script: Script) -> None:
    """Restart-DrSsoService: stop, start, then clear the marker; a decline throws."""
    fn = function(script, "Restart-DrSsoService")
    (clause,) = should_process_clauses(fn)
    block = branch_block(clause)
    (stop,) = calls_named(block, "Stop-DrService", "-Name", "$SsoService")
    (start,) = calls_named(block, "Start-DrService", "-Name", "$SsoService")
    (clear,) = calls_named(block, "Remove-Item", "-LiteralPath", "$SsoRestartMarker")
    assert command_nodes(block, "Initialize-DrStateFolder"), script
    for step in (stop, start, clear):
        assert reachable(step, {}, block) is True, (script, text(step)[:40])
    assert before(stop, start), script
    assert before(start, clear), script
    check_decline_throws(clause)
    what_if = {"shouldprocess()": False, "$whatifpreference": True}
    assert not reached_throws(fn, what_if), script


def test_interrupted_promotion_restarts_entsso(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """-restoreSecret never talks to an ENTSSO started before -updatedb."""
    for script in scripts(all_artifacts, ENABLE):
        check_sso_restart_marker(script)
        check_sso_restart(script)


@pytest.mark.parametrize(
    ("checker", "old", "new"),
    [
        (
            check_sso_restart_marker,
            "        Set-Content -LiteralPath $SsoRestartMarker -Value",
            "        Write-Host -Object",
        ),
        (
            check_sso_restart_marker,
            "        if (Test-Path -LiteralPath $SsoRestartMarker -PathType Leaf) {",
            "        if ($false) {",
        ),
        (
            check_sso_restart,
            "        throw 'The ENTSSO restart after ssomanage -updatedb",
            "        Write-Warning 'The ENTSSO restart after ssomanage -updatedb",
        ),
    ],
)
def test_sso_restart_checkers_catch_their_mutations(
    all_artifacts: list[RenderedArtifact], checker: Checker, old: str, new: str
) -> None:
    """Counter-test: no marker, a marker never read, or a decline that goes on."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(script, checker, old, new)


# ===================================== SSOServerName: declined throws, Put() read back


def check_sso_server_name(script: Script) -> None:
    """Declining the change throws (not under -WhatIf); after Put() the value is read
    back from MSBTS_GroupSetting and a value not naming this server throws."""
    promote = function(script, "Enable-DrMasterSecretServer")
    puts = [c for m, _, _, c in method_calls(promote) if m == "Put"]
    assert len(puts) == 1, script
    (put,) = puts
    (clause,) = [
        c for c in should_process_clauses(promote) if within(put, branch_block(c))
    ]
    check_decline_throws(clause)
    block = branch_block(clause)
    group_class = f"'{CATALOGUE['wmi:MSBTS_GroupSetting']}'"
    reads = [
        r
        for r in calls_named(block, "Get-DrWmiInstances", "-Class", group_class)
        if before(put, r)
    ]
    assert len(reads) == 1, script
    stored = assigned_variable(reads[0])
    (read_value,) = [
        v
        for a in nodes(block, "assignment_expression")
        if key(a.named_children[0]) == stored
        for v in [a.child_by_field_name("value")]
        if v is not None
    ]
    assert "SSOServerName" in {m for _, m in member_accesses(read_value)}, script
    others = [
        key(a.named_children[0])
        for a in nodes(block, "assignment_expression")
        if stored in variables(a.named_children[-1])
        and command_nodes(a, "Test-DrSameComputer")
    ]
    assert len(others) == 1, script
    (other,) = others
    (changed,) = command_nodes(block, "Write-DrChanged")

    def throws(stored_count: int, other_count: int) -> bool:
        env = {f"{stored}.count": stored_count, f"{other}.count": other_count}
        found = [
            t
            for t in keyword_statements(block, "throw")
            if before(reads[0], t) and before(t, changed)
        ]
        verdicts = {reachable(t, env, block) for t in found}
        assert None not in verdicts, (script, env)
        return True in verdicts

    assert not throws(1, 0), script
    assert throws(1, 1), script
    assert throws(2, 1), script
    assert throws(0, 0), script


def test_sso_server_name_declined_or_not_stored_stops(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The group's SSO server is this server after Enable, or Enable fails."""
    for script in scripts(all_artifacts, ENABLE):
        check_sso_server_name(script)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "            if (($stored.Count -eq 0) -or ($others.Count -gt 0)) {",
            "            if ($false) {",
        ),
        (
            "        elseif (-not $WhatIfPreference) {\n"
            "            throw 'Setting the group SSO server name",
            "        elseif ($false) {\n"
            "            throw 'Setting the group SSO server name",
        ),
    ],
)
def test_sso_server_name_checker_catches_its_mutations(
    all_artifacts: list[RenderedArtifact], old: str, new: str
) -> None:
    """Counter-test: a decline that goes on, or a Put() that is believed."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(script, check_sso_server_name, old, new)


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "existing-secret-skips-restore": (
        "Enable-DrServer.ps1",
        check_secret_restore_always,
        "return 'the secret on this server may be older than this backup'",
        "return ''",
    ),
    "transcript-not-paused": (
        "Enable-DrServer.ps1",
        check_transcript_paused,
        "        Stop-DrLog\n        try {",
        "        try {",
    ),
    "displaydb-failure-ignored": (
        "Enable-DrServer.ps1",
        check_sso_view,
        "        throw ('ssomanage -displaydb failed",
        "        Write-Warning ('ssomanage -displaydb failed",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_counter_checker_fails_on_mutated_script(
    all_artifacts: list[RenderedArtifact], mutation: str
) -> None:
    """Counter-test: a checker that passes a rendered script must catch its mutation."""
    name, check, old, new = MUTATIONS[mutation]
    for script in scripts_with(all_artifacts, name, old):
        check(script)
        broken = mutated(script, old, new)
        assert not ps.syntax_problems(broken.data), mutation
        with pytest.raises(AssertionError):
            check(broken)
