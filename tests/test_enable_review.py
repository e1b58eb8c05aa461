"""A review of Enable-DrServer.ps1 and Update-DrGroupDatabases.ps1: the fixes.

One section per finding (R1..R9). Every test reads the *rendered* scripts of both
example inventories through the tree-sitter-pwsh parse tree, with the node helpers
of :mod:`tests.test_fidelity` and the three-valued evaluator and reachability
helpers of :mod:`tests.test_failover_safety`. R1 also runs the body of
``Restart-DrWinmgmt`` statement by statement (a small interpreter below) against
scripted service states, as Windows would show them. Each section ends with
counter-tests: a mutated rendered script that brings the defect back must fail the
checker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import pytest
from tree_sitter import Node

from generator.catalogue import CATALOGUE
from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.test_failover_safety import (
    NULL,
    Env,
    always_throws,
    argument,
    argument_text,
    check_stale_first,
    check_stale_function,
    clauses,
    evaluate,
    holds,
    key,
    mutated,
    owner_if,
    reachable,
    reached_throws,
    should_process_clauses,
    statements,
    truthy,
)
from tests.test_fidelity import (
    Script,
    ancestors,
    assigned_variable,
    branch_block,
    command_nodes,
    condition,
    function,
    keyword_statements,
    main_body,
    match_comparisons,
    member_accesses,
    method_calls,
    scripts,
    strings,
    top_assignment,
    top_string,
    variables,
    verbatim,
    within,
)

pytestmark = pytest.mark.oracle

ENABLE: Final = "Enable-DrServer.ps1"
UPDATE: Final = "Update-DrGroupDatabases.ps1"

Checker = Callable[[Script], object]


def before(first: Node, second: Node) -> bool:
    return first.end_byte <= second.start_byte


def calls_named(scope: Node, name: str, parameter: str, value: str) -> list[Node]:
    """``name`` commands below ``scope`` whose ``parameter`` is exactly ``value``."""
    return [
        c
        for c in command_nodes(scope, name)
        if argument(c, parameter) is not None
        and argument_text(c, parameter).casefold() == value.casefold()
    ]


def decline_clause(should_process: Node) -> Node:
    """The clause after a ShouldProcess clause: must be ``elseif (-not $WhatIf)``."""
    chain = clauses(owner_if(should_process))
    index = chain.index(should_process)
    assert index + 1 < len(chain), text(should_process)[:80]
    return chain[index + 1]


def check_decline_throws(should_process: Node) -> None:
    """Declining throws, as every other decline does; -WhatIf does not."""
    declined = decline_clause(should_process)
    assert declined.type == "elseif_clause", text(should_process)[:80]
    assert holds(declined, {"$whatifpreference": False}) is True
    assert holds(declined, {"$whatifpreference": True}) is False
    assert always_throws(branch_block(declined))


def counter(script: Script, checker: Checker, old: str, new: str) -> None:
    """The checker passes the script and fails the script with ``old`` -> ``new``."""
    checker(script)
    broken = mutated(script, old, new)
    assert not ps.syntax_problems(broken.data), (script, old)
    with pytest.raises(AssertionError):
        checker(broken)


# ===================================================== strict-mode evaluation


class StrictModeError(AssertionError):
    """A property read on $null: an error under Set-StrictMode -Version Latest."""


def strict(node: Node, env: Env) -> object:
    """:func:`evaluate`, but short-circuiting ``-and``/``-or`` as PowerShell does and
    raising :class:`StrictModeError` for a member read on a value known to be $null."""
    if node.type == "logical_expression":
        operator = node.children[1].type.casefold()
        left = truthy(strict(node.children[0], env))
        if (operator == "-or" and left is True) or (
            operator == "-and" and left is False
        ):
            return left
        strict(node.children[-1], env)
        return evaluate(node, env)
    if node.type == "member_access":
        if strict(node.named_children[0], env) is NULL:
            raise StrictModeError(text(node))
        return evaluate(node, env)
    for child in node.named_children:
        strict(child, env)
    return evaluate(node, env)


# ==================================== R1. Restart-DrWinmgmt: the on-demand race


class ReturnedError(Exception):
    """``return`` ran."""


class ThrownError(Exception):
    """A throw: the script's own (``type`` "script") or a .NET method's."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


@dataclass
class Winmgmt:
    """What Windows shows at each look (Get-DrService) and which calls fail.

    ``statuses[i]`` is the status at look ``i`` (the last one repeats);
    ``refused`` holds ``(look, method)`` pairs that throw InvalidOperationException,
    as Start() does when a WMI client started the service since the look.
    """

    statuses: list[str]
    refused: set[tuple[int, str]] = field(default_factory=set)


@dataclass
class Run:
    """The outcome of one simulated Restart-DrWinmgmt."""

    outcome: str = ""  # "done" (returned) or "failed" (threw)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, status)
    looks: int = 0
    uncaught: str = ""  # a .NET exception no catch clause took


class Interpreter:
    """Runs a function body: if/while/try/catch, assignments, Get-DrService looks,
    Start()/Stop() on the service, Start-Sleep as time; anything else fails."""

    LIMIT: Final = 5000

    def __init__(self, fn: Node, service: Winmgmt, timeout_seconds: int) -> None:
        self.fn = fn
        self.service = service
        self.vars: dict[str, object] = {
            "$name": "Winmgmt",
            "$timeoutseconds": timeout_seconds,
            "shouldprocess()": True,
        }
        self.now = 0  # milliseconds
        self.run = Run()
        self.status = ""
        self.add_seconds = [
            call
            for method, _, arguments, call in method_calls(fn)
            if method == "AddSeconds" and len(arguments) == 1
        ]

    def env(self) -> dict[str, object]:
        env: dict[str, object] = {
            **self.vars,
            "[datetime]::utcnow": self.now,
            "$service.status": self.status,
        }
        for call in self.add_seconds:
            base = evaluate(call.named_children[0], env)
            (argument_node,) = [
                a
                for _, _, arguments, c in method_calls(call)
                if c == call
                for a in arguments
            ]
            seconds = evaluate(argument_node, env)
            if isinstance(base, int) and isinstance(seconds, int):
                env[key(call)] = base + seconds * 1000
        return env

    def value(self, node: Node) -> object:
        return strict(node, self.env())

    def block(self, block: Node) -> None:
        for statement in statements(block):
            self.statement(statement)

    def statement(self, statement: Node) -> None:
        kind = statement.type
        if kind == "flow_control_statement":
            word = statement.children[0].type
            if word == "return":
                raise ReturnedError
            assert word == "throw", text(statement)
            raise ThrownError("script")
        if kind == "if_statement":
            for clause in clauses(statement):
                if clause.type == "else_clause":
                    self.block(branch_block(clause))
                    return
                verdict = truthy(self.value(condition(clause)))
                assert verdict is not None, text(condition(clause))
                if verdict:
                    self.block(branch_block(clause))
                    return
            return
        if kind == "while_statement":
            test = next(
                c for c in statement.named_children if c.type == "while_condition"
            )
            body = next(
                c for c in statement.named_children if c.type == "statement_block"
            )
            for _ in range(self.LIMIT):
                if not truthy(self.value(test.named_children[0])):
                    return
                self.block(body)
            raise AssertionError("the loop does not end")
        if kind == "try_statement":
            body = next(
                c for c in statement.named_children if c.type == "statement_block"
            )
            try:
                self.block(body)
            except ThrownError as thrown:
                self.catch(statement, thrown)
            return
        assert kind == "pipeline", text(statement)
        self.pipeline(statement)

    def catch(self, statement: Node, thrown: ThrownError) -> None:
        for clause in nodes(statement, "catch_clause"):
            if (
                next(a for a in ancestors(clause) if a.type == "try_statement")
                != statement
            ):
                continue
            types = [text(t).strip("[]") for t in nodes(clause, "type_literal")]
            if not types or thrown.type_name in types:
                handler = next(
                    c for c in clause.named_children if c.type == "statement_block"
                )
                self.vars["$_.exception.message"] = "simulated"
                self.block(handler)
                return
        raise thrown

    def pipeline(self, statement: Node) -> None:
        assignment = statement.named_children[0]
        if assignment.type == "assignment_expression":
            variable = key(assignment.named_children[0])
            value = assignment.child_by_field_name("value")
            assert value is not None
            if command_nodes(value, "Get-DrService"):
                look = self.run.looks
                self.status = self.service.statuses[
                    min(look, len(self.service.statuses) - 1)
                ]
                self.run.looks += 1
                self.vars[variable] = "<ServiceController>"
                return
            self.vars[variable] = self.value(value)
            return
        for command in command_nodes(statement, "Start-Sleep"):
            self.now += int(argument_text(command, "-Milliseconds"))
            return
        if command_nodes(statement, "Write-Host"):
            return
        calls = method_calls(statement)
        assert len(calls) == 1, text(statement)
        method, target, arguments, _ = calls[0]
        assert target.casefold() == "$service", text(statement)
        assert not arguments, text(statement)
        assert method in {"Start", "Stop"}, text(statement)
        self.run.calls.append((method, self.status))
        if (self.run.looks - 1, method) in self.service.refused:
            raise ThrownError("System.InvalidOperationException")

    def __call__(self) -> Run:
        body = next(c for c in self.fn.named_children if c.type == "script_block")
        try:
            self.block(nodes(body, "script_block_body")[0])
        except ReturnedError:
            self.run.outcome = "done"
        except ThrownError as thrown:
            if thrown.type_name == "script":
                self.run.outcome = "failed"
            else:
                self.run.uncaught = thrown.type_name
        assert not self.run.uncaught, f"uncaught {self.run.uncaught}"
        return self.run


RUNNING: Final = "Running"
STOPPED: Final = "Stopped"
STOP_PENDING: Final = "StopPending"
START_PENDING: Final = "StartPending"

#: name -> (what Windows shows, outcome, Start()/Stop() calls made).
WINMGMT_CASES: Final[dict[str, tuple[Winmgmt, str, list[tuple[str, str]]]]] = {
    "plain restart": (
        Winmgmt([RUNNING, STOP_PENDING, STOPPED, START_PENDING, RUNNING]),
        "done",
        [("Stop", RUNNING), ("Start", STOPPED)],
    ),
    # A WMI client started it between the look and Start(): Start() throws.
    "started on demand before Start()": (
        Winmgmt([RUNNING, STOP_PENDING, STOPPED, RUNNING], {(2, "Start")}),
        "done",
        [("Stop", RUNNING), ("Start", STOPPED)],
    ),
    # Stopped and started on demand between two looks: never seen Stopped.
    "back within the polling gap": (
        Winmgmt([RUNNING, STOP_PENDING, START_PENDING, RUNNING]),
        "done",
        [("Stop", RUNNING)],
    ),
    # A re-run after an interruption that left it stopped.
    "already stopped": (
        Winmgmt([STOPPED, START_PENDING, RUNNING]),
        "done",
        [("Start", STOPPED)],
    ),
    # The whole stop and on-demand start happened unseen: asked again later.
    "a whole cycle unseen": (
        Winmgmt([RUNNING] * 60 + [STOP_PENDING, STOPPED, RUNNING]),
        "done",
        [("Stop", RUNNING), ("Stop", RUNNING), ("Start", STOPPED)],
    ),
    # It never comes back, or never goes down: bounded, and a failure.
    "never starts again": (
        Winmgmt(
            [RUNNING, STOP_PENDING, STOPPED],
            {(i, "Start") for i in range(2, 1000)},
        ),
        "failed",
        [],
    ),
    "never stops": (Winmgmt([RUNNING]), "failed", []),
}


def check_winmgmt_restart(script: Script) -> None:
    """Restart-DrWinmgmt: done once seen going down and Running again, whoever
    started it; Start() only while Stopped, Stop() only while Running; bounded."""
    fn = function(script, "Restart-DrWinmgmt")
    assert not command_nodes(fn, "Stop-DrService"), script
    assert not command_nodes(fn, "Wait-DrServiceStatus"), script
    (clause,) = should_process_clauses(fn)
    assert [c for _, _, _, c in method_calls(fn) if within(c, branch_block(clause))]
    for name, (service, outcome, expected) in WINMGMT_CASES.items():
        run = Interpreter(fn, service, 30)()
        assert run.outcome == outcome, (script, name, run)
        for method, status in run.calls:
            wanted = STOPPED if method == "Start" else RUNNING
            assert status == wanted, (script, name, run.calls)
        if outcome == "done":
            assert run.calls == expected, (script, name, run.calls)
        else:
            # Bounded: about 30 seconds of looks every 200 ms.
            assert 100 < run.looks < 200, (script, name, run.looks)


def check_wmi_restart_uses_it(script: Script) -> None:
    """Restart-DrWmi restarts Winmgmt through Restart-DrWinmgmt, bounded."""
    fn = function(script, "Restart-DrWmi")
    (clause,) = should_process_clauses(fn)
    block = branch_block(clause)
    (restart,) = command_nodes(block, "Restart-DrWinmgmt")
    assert reachable(restart, {"$service": "the service"}, block) is True, script
    assert argument_text(restart, "-Confirm").casefold() == "$false", script
    assert argument_text(restart, "-TimeoutSeconds") == "$WmiRestartTimeoutSeconds"
    assert not [
        m
        for m, target, _, _ in method_calls(block)
        if m in {"Start", "Stop"} and target.casefold() == "$service"
    ], script


def test_r1_winmgmt_restart_survives_an_on_demand_start(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R1: an on-demand Winmgmt start neither fails Start() nor hangs the stop."""
    for script in scripts(all_artifacts, ENABLE):
        check_winmgmt_restart(script)
        check_wmi_restart_uses_it(script)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # Start() whenever not Running: called while StopPending.
        (
            "                if ($current -eq 'Stopped') {\n",
            "                if ($current -ne 'Running') {\n",
        ),
        # Seen going down only when Stopped: the polling-gap case times out.
        (
            "            if (($current -eq 'StopPending')"
            " -or ($current -eq 'Stopped')) {\n",
            "            if ($current -eq 'Stopped') {\n",
        ),
        # A lost race is not caught.
        (
            "catch [System.InvalidOperationException] {",
            "catch [System.TimeoutException] {",
        ),
        # Done as soon as it runs, without having seen it go down.
        (
            "            if ($wentDown -and ($current -eq 'Running')) {\n",
            "            if ($current -eq 'Running') {\n",
        ),
    ],
)
def test_r1_counter(all_artifacts: list[RenderedArtifact], old: str, new: str) -> None:
    """Counter-test: each way of bringing the race back fails the checker."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(script, check_winmgmt_restart, old, new)


# ============================== R2. an interrupted SSO promotion restarts ENTSSO

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


def test_r2_interrupted_promotion_restarts_entsso(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R2: -restoreSecret never talks to an ENTSSO started before -updatedb."""
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
def test_r2_counter(
    all_artifacts: list[RenderedArtifact], checker: Checker, old: str, new: str
) -> None:
    """Counter-test: no marker, a marker never read, or a decline that goes on."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(script, checker, old, new)


# ============================== R3. SSOServerName: declined throws, Put() read back


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


def test_r3_sso_server_name_declined_or_not_stored_stops(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R3: the group's SSO server is this server after Enable, or Enable fails."""
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
def test_r3_counter(all_artifacts: list[RenderedArtifact], old: str, new: str) -> None:
    """Counter-test: a decline that goes on, or a Put() that is believed."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(script, check_sso_server_name, old, new)


# ===================================== R4. UpdateRegistry.vbs output is searched

UPDATE_REGISTRY_ERROR: Final = (
    r"C:\Program Files (x86)\Microsoft BizTalk Server\Schema\Restore\UpdateRegistry.vbs"
    "(58, 5) Microsoft VBScript runtime error: Permission denied"
)


def check_update_registry_output(script: Script) -> None:
    """An error line of cscript in UpdateRegistry.vbs's output fails the run."""
    assert top_string(script, "ScriptErrorPattern") == CATALOGUE["out:cscript-error"]
    pattern = CATALOGUE["out:cscript-error"]
    assert re.search(pattern, UPDATE_REGISTRY_ERROR, re.IGNORECASE)
    assert not re.search(pattern, "Updating registry keys ...", re.IGNORECASE)
    fn = function(script, "Update-DrRegistryReferences")
    (run,) = command_nodes(fn, "Invoke-DrNative")
    result = assigned_variable(run)
    matches = match_comparisons(fn, "ScriptErrorPattern")
    assert len(matches) == 1, script
    (match,) = matches
    assert before(run, match), script
    found = assigned_variable(match)
    assignment = next(a for a in ancestors(match) if a.type == "assignment_expression")
    assert (result, "lines") in {
        (t.casefold(), m.casefold()) for t, m in member_accesses(assignment)
    }, script
    (clause,) = should_process_clauses(fn)
    block = branch_block(clause)
    stops = [
        t
        for t in keyword_statements(block, "throw")
        if before(match, t) and found in variables(t.parent or t)
    ]
    assert stops, script
    for count, wanted in ((0, False), (1, True), (3, True)):
        env = {f"{found}.count": count, f"{result}.exitcode": 0}
        assert reachable(stops[0], env, block) is wanted, (script, count)
    (done,) = command_nodes(block, "Write-DrChanged")
    assert (
        reachable(done, {f"{found}.count": 1, f"{result}.exitcode": 0}, block) is False
    )


def test_r4_update_registry_error_lines_fail_the_run(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R4: cscript may exit 0 after a VBScript error: its output decides too."""
    for script in scripts(all_artifacts, ENABLE):
        check_update_registry_output(script)


def test_r4_counter(all_artifacts: list[RenderedArtifact]) -> None:
    """Counter-test: output not searched."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(
            script,
            check_update_registry_output,
            "{ $_ -match $ScriptErrorPattern }",
            "{ $false }",
        )


# ================================================== R5. -WhatIf tells the truth


def check_wmi_what_if(script: Script) -> None:
    """Without a pending marker, WMI is restarted only when UpdateRegistry.vbs runs:
    under -WhatIf, when a value still has to move; in a real run, never."""
    fn = function(script, "Restart-DrWmi")
    (clause,) = should_process_clauses(fn)
    (in_place,) = command_nodes(fn, "Write-DrInPlace")
    pending = "@(get-drpendingregistryreferences).count"
    for what_if, marker, count, restarts in (
        (True, False, 0, False),
        (True, False, 2, True),
        (True, True, 0, True),
        (False, False, 0, False),
        (False, False, 2, False),
        (False, True, 0, True),
    ):
        env = {
            "$whatifpreference": what_if,
            "test-path": marker,
            pending: count,
            "shouldprocess()": True,
        }
        assert reachable(clause, env, fn) is restarts, (script, env)
        assert reachable(in_place, env, fn) is (not restarts), (script, env)


def check_registry_what_if(script: Script) -> None:
    """A value still naming production stops a real run after UpdateRegistry.vbs;
    under -WhatIf it is reported (the real run would run UpdateRegistry.vbs first)."""
    fn = function(script, "Assert-DrRegistryReferences")
    (report,) = [
        s
        for s in nodes(fn, "if_statement")
        if key(condition(s)).startswith("$wrong.count")
    ]
    block = branch_block(report)
    (stop,) = keyword_statements(block, "throw")
    told = [
        w for w in command_nodes(block, "Write-Host") if "UpdateRegistry.vbs" in text(w)
    ]
    assert len(told) == 1, script
    for what_if in (False, True):
        env = {"$whatifpreference": what_if, "$wrong.count": 2}
        assert reachable(stop, env, fn) is (not what_if), script
        assert reachable(told[0], env, fn) is what_if, script
    assert reachable(stop, {"$whatifpreference": False, "$wrong.count": 0}, fn) is False


def test_r5_what_if_reports_what_the_real_run_would_do(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R5: -WhatIf neither invents a WMI restart nor stops where a run would not."""
    for script in scripts(all_artifacts, ENABLE):
        check_wmi_what_if(script)
        check_registry_what_if(script)


@pytest.mark.parametrize(
    ("checker", "old", "new"),
    [
        (
            check_wmi_what_if,
            "        if (-not ($WhatIfPreference -and"
            " (@(Get-DrPendingRegistryReferences).Count -gt 0))) {",
            "        if (-not $WhatIfPreference) {",
        ),
        (
            check_registry_what_if,
            "        if ($WhatIfPreference) {\n            # Each of these values",
            "        if ($false) {\n            # Each of these values",
        ),
    ],
)
def test_r5_counter(
    all_artifacts: list[RenderedArtifact], checker: Checker, old: str, new: str
) -> None:
    """Counter-test: the -WhatIf restart without a marker; the -WhatIf throw."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(script, checker, old, new)


# ====================================== R6. no property of $null under StrictMode


def check_what_if_sso_missing(script: Script) -> None:
    """Under -WhatIf with ENTSSO not installed the promotion prints and returns,
    without reading .Status of $null; with ENTSSO running it goes on."""
    promote = function(script, "Enable-DrMasterSecretServer")
    early = [
        s
        for s in nodes(promote, "if_statement")
        if "$whatifpreference" in variables(condition(s))
        and keyword_statements(branch_block(s), "return")
    ]
    assert len(early) == 1, script
    test = condition(early[0])
    lookups = {
        assigned_variable(c)
        for c in command_nodes(promote, "Get-DrService")
        if before(c, early[0])
    }
    for found, status, what_if, returns in (
        (NULL, None, True, True),
        ("<ServiceController>", "Stopped", True, True),
        ("<ServiceController>", "Running", True, False),
        (NULL, None, False, False),
    ):
        env: dict[str, object] = {"$whatifpreference": what_if, "get-drservice": found}
        for variable in lookups:
            env[variable] = found
            if status is not None:
                env[f"[string]{variable}.status"] = status
        assert truthy(strict(test, env)) is returns, (script, env)


def test_r6_what_if_without_entsso_is_not_a_strict_mode_error(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R6: (Get-DrService ENTSSO).Status of $null stops -WhatIf under StrictMode."""
    for script in scripts(all_artifacts, ENABLE):
        check_what_if_sso_missing(script)
        assert not [
            a
            for a in nodes(script.root, "member_access")
            if a.named_children[0].type == "parenthesized_expression"
            and command_nodes(a.named_children[0], "Get-DrService")
        ], script


def test_r6_counter(all_artifacts: list[RenderedArtifact]) -> None:
    """Counter-test: the status read on the command's result again."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(
            script,
            check_what_if_sso_missing,
            "(($null -eq $sso) -or ([string]$sso.Status -ne 'Running'))",
            "([string](Get-DrService -Name $SsoService).Status -ne 'Running')",
        )


# ======================================== R7. the stop order reverses a copy


def check_reverse_copy(script: Script) -> None:
    """Restart-DrWmi reverses an explicit copy of $Services, never $Services."""
    fn = function(script, "Restart-DrWmi")
    reversals = [
        (arguments, call)
        for method, target, arguments, call in method_calls(fn)
        if method == "Reverse" and target.casefold() == "[array]"
    ]
    assert len(reversals) == 1, script
    ((argument_node,), call) = reversals[0]
    reversed_variable = key(argument_node)
    assert reversed_variable != "$services", script
    values = [
        a.child_by_field_name("value")
        for a in nodes(fn, "assignment_expression")
        if key(a.named_children[0]) == reversed_variable
    ]
    assert len(values) == 1, script
    assert values[0] is not None, script
    copies = [
        c
        for method, target, arguments, c in method_calls(values[0])
        if method == "Clone" and target.casefold() == "$services" and not arguments
    ]
    assert copies, (script, text(values[0]))
    assert before(values[0], call), script


def test_r7_stop_order_reverses_a_copy(all_artifacts: list[RenderedArtifact]) -> None:
    """R7: $Services keeps the start order for the steps after the WMI restart."""
    for script in scripts(all_artifacts, ENABLE):
        check_reverse_copy(script)


def test_r7_counter(all_artifacts: list[RenderedArtifact]) -> None:
    """Counter-test: @($Services) relied on to copy."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(
            script,
            check_reverse_copy,
            "$ordered = $Services.Clone()",
            "$ordered = @($Services)",
        )


# ============================= R8. -UseMsOleDbSql: the provider line by pattern

VBS_SAMPLES: Final = {
    'Set conn = CreateObject("ADODB.Connection")\r\nconn.Provider = "SQLOLEDB"\r\n': (
        'Set conn = CreateObject("ADODB.Connection")\r\n'
        'conn.Provider = "MSOLEDBSQL"\r\n',
        ["SQLOLEDB"],
    ),
    '  conn.Provider="SQLOLEDB"\r\n': (
        '  conn.Provider="MSOLEDBSQL"\r\n',
        ["SQLOLEDB"],
    ),
    '\tConn.provider  =  "SQLNCLI11" \' old\r\n': (
        '\tConn.provider  =  "MSOLEDBSQL" \' old\r\n',
        ["SQLNCLI11"],
    ),
    'a.Provider = "SQLOLEDB"\r\nconn.Provider = "SQLOLEDB"\r\nx = 1\r\n': (
        'a.Provider = "SQLOLEDB"\r\nconn.Provider = "MSOLEDBSQL"\r\nx = 1\r\n',
        ["SQLOLEDB"],
    ),
    'conn.ConnectionString = "Provider=SQLOLEDB"\r\n': (
        'conn.ConnectionString = "Provider=SQLOLEDB"\r\n',
        [],
    ),
}


def dotnet_pattern(pattern: str) -> str:
    """A .NET pattern with named groups, as Python's ``re`` spells them."""
    return pattern.replace("(?<", "(?P<")


def dotnet_replacement(replacement: str) -> str:
    return re.sub(r"\$\{(\w+)\}", r"\\g<\1>", replacement)


def check_provider_copy(script: Script) -> None:
    """The copy sets MSOLEDBSQL in place of whatever provider each conn.Provider line
    names, keeps every other byte, and a script with no such line stops the run
    before anything is written or run."""
    pattern = top_string(script, "ProviderLinePattern")
    assert pattern == CATALOGUE["text:provider-line"], script
    assert (
        top_string(script, "NewProviderName")
        == CATALOGUE["text:provider-name-msoledbsql"]
    )
    assert (
        top_string(script, "OldProviderName")
        == CATALOGUE["text:provider-name-sqloledb"]
    )
    fn = function(script, "Update-DrGroupDatabases")
    replaces = [
        c
        for c in nodes(fn, "comparison_expression")
        if key(next(o for o in c.named_children if o.type == "comparison_operator"))
        == "-replace"
    ]
    assert len(replaces) == 1, script
    (replace,) = replaces
    right = replace.named_children[-1]
    pieces = [c for c in right.named_children if c.type != "comment"]
    assert len(pieces) == 2, script
    assert key(pieces[0]) == "$providerlinepattern", script
    replacement = evaluate(pieces[1], {"$newprovidername": "MSOLEDBSQL"})
    assert isinstance(replacement, str), script
    assert not [
        m
        for m, target, _, _ in method_calls(fn)
        if m in {"Contains", "Replace"} and target.casefold() == "$original"
    ], script
    # What Get-DrProviderNames returns, per line: the value group of the pattern.
    names = function(script, "Get-DrProviderNames")
    assert [c for m, _, _, c in method_calls(names) if m == "Match"], script
    assert "value" in strings(names), script
    compiled = re.compile(dotnet_pattern(pattern))
    for sample, (wanted, providers) in VBS_SAMPLES.items():
        found = [
            m.group("value")
            for line in sample.split("\n")
            if (m := compiled.search(line))
        ]
        assert found == providers, (script, sample)
        copy = compiled.sub(dotnet_replacement(replacement), sample)
        assert copy == wanted, (script, sample, copy)
    # No line: a throw before the copy is written and before cscript runs.
    (count_check,) = [
        s
        for s in nodes(fn, "if_statement")
        if key(condition(s)) == "$before.count -eq 0"
    ]
    assert always_throws(branch_block(count_check)), script
    (clause,) = should_process_clauses(fn)
    writes = [c for m, _, _, c in method_calls(fn) if m == "WriteAllText"]
    (run,) = command_nodes(fn, "Invoke-DrNative")
    assert writes, script
    assert all(before(count_check, w) for w in writes), script
    assert before(count_check, run), script
    env = {"$usemsoledbsql": True, "$before.count": 0, "shouldprocess()": True}
    assert reachable(count_check, env, branch_block(clause)) is True, script


def test_r8_provider_matched_by_pattern(all_artifacts: list[RenderedArtifact]) -> None:
    """R8: a spacing or provider other than the documented text still works, and a
    script without a provider line still stops the run."""
    for script in scripts(all_artifacts, UPDATE):
        check_provider_copy(script)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("('${lead}' + $NewProviderName + '${trail}')", "('' + $NewProviderName + '')"),
        (
            "$ProviderLinePattern = '(?i)(?<lead>conn\\.Provider[ \\t]*=[ \\t]*\")",
            "$ProviderLinePattern = '(?<lead>conn\\.Provider = \")",
        ),
    ],
)
def test_r8_counter(all_artifacts: list[RenderedArtifact], old: str, new: str) -> None:
    """Counter-test: the whole match replaced; the documented text only."""
    for script in scripts(all_artifacts, UPDATE):
        counter(script, check_provider_copy, old, new)


# ======================= R9. Update-DrGroupDatabases removes stale private folders


def check_update_stale_folders(script: Script) -> None:
    """Update-DrGroupDatabases, like every script that makes changes, removes an
    answer-file copy left by an interrupted prepare run first thing."""
    check_stale_first(script)
    check_stale_function(script)


def test_r9_update_removes_stale_private_folders(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R9: a password copy must not outlive the next changing run on that server."""
    for script in scripts(all_artifacts, UPDATE):
        check_update_stale_folders(script)
        body = [c.name for c in main_body(script)]
        assert body.count("Remove-DrStalePrivateFolders") == 1, script


def test_r9_counter(all_artifacts: list[RenderedArtifact]) -> None:
    """Counter-test: the call removed again."""
    for script in scripts(all_artifacts, UPDATE):
        counter(
            script,
            check_update_stale_folders,
            "    Protect-DrLogFolder\n    Remove-DrStalePrivateFolders\n",
            "    Protect-DrLogFolder\n",
        )
