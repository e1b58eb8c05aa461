"""The WMI restart after UpdateRegistry.vbs: BizTalk stopped first, dependents
remembered and brought back, Winmgmt restarted safely against an on-demand
start.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.

Restart-DrWinmgmt's body is also run statement by statement by a small
interpreter against scripted service states, as Windows would show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import pytest
from tree_sitter import Node

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import (
    NULL,
    clauses,
    evaluate,
    reachable,
    should_process_clauses,
    statements,
    strict,
    truthy,
)
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    ENABLE,
    Checker,
    Script,
    counter,
    function,
    mutated,
    scripts,
    scripts_with,
    top_assignment,
)
from tests.support.tree import (
    ancestors,
    argument,
    argument_text,
    assignments,
    branch_block,
    clause_block,
    command_nodes,
    condition,
    has_parameter,
    key,
    keyword_statements,
    loop_body,
    loop_variable,
    loops_over,
    member_accesses,
    method_calls,
    strings,
    variables,
    verbatim,
    within,
)

pytestmark = pytest.mark.oracle


# ===================================================================== the WMI restart


def check_wmi_restart(script: Script) -> None:
    """Stop BizTalk, remember and stop dependents, restart WMI bounded, restart them.

    WMI itself is restarted by Restart-DrWinmgmt (race-safe against an on-demand
    start; test_winmgmt_restart_survives_an_on_demand_start checks it), not
    Stop-DrService and Start().
    """
    fn = function(script, "Restart-DrWmi")
    (clause,) = should_process_clauses(fn)
    block = branch_block(clause)
    winmgmt = [
        key(assignment.named_children[0])
        for assignment in nodes(fn, "assignment_expression")
        if verbatim(assignment.named_children[-1]) == "Winmgmt"
    ]
    assert len(winmgmt) == 1, script
    name = winmgmt[0]
    assert not [
        s
        for s in command_nodes(block, "Stop-DrService")
        if argument_text(s, "-Name").casefold() == name
    ], script
    (stop_wmi,) = [
        s
        for s in command_nodes(block, "Restart-DrWinmgmt")
        if argument_text(s, "-Name").casefold() == name
    ]
    # Always, once the service is known to exist (a missing one stops the run).
    assert reachable(stop_wmi, {"$service": "the service"}, block) is True, script
    assert reachable(stop_wmi, {"$service": NULL}, block) is False, script
    # Every BizTalk service first, in reverse start order.
    biztalk = [
        loop
        for loop in nodes(block, "foreach_statement")
        if "$services"
        in {
            v
            for a in assignments(fn, key(loop.named_children[1]))
            for v in variables(a)
        }
    ]
    assert len(biztalk) == 1, script
    ordered = key(biztalk[0].named_children[1])
    reversals = [
        call
        for method, target, arguments, call in method_calls(block)
        if method == "Reverse"
        and target.casefold() == "[array]"
        and [key(a) for a in arguments] == [ordered]
    ]
    assert reversals, script
    assert reversals[0].end_byte < biztalk[0].start_byte, script
    assert [
        s
        for s in command_nodes(biztalk[0], "Stop-DrService")
        if argument_text(s, "-Name").casefold() == loop_variable(biztalk[0])
    ], script
    assert biztalk[0].end_byte < stop_wmi.start_byte, script
    # The running dependents are written to the marker before they are stopped.
    markers = [
        c
        for c in command_nodes(block, "Set-Content")
        if argument_text(c, "-LiteralPath").casefold() == "$wmirestartmarker"
    ]
    assert len(markers) == 1, script
    marker = markers[0]
    assert has_parameter(marker, "-Confirm"), script
    assert argument_text(marker, "-Confirm").casefold() == "$false", script
    value = argument(marker, "-Value")
    assert value is not None, script
    dependents = {
        v
        for v in variables(value)
        if any(
            "DependentServices" in {m for _, m in member_accesses(a)}
            and "Running" in strings(a)
            for a in assignments(block, v)
        )
    }
    assert len(dependents) == 1, script
    (remembered,) = dependents
    loops = loops_over(block, remembered)
    assert len(loops) == 2, script
    stop_loop, start_loop = sorted(loops, key=lambda n: n.start_byte)
    assert marker.end_byte < stop_loop.start_byte < stop_wmi.start_byte, script
    assert [
        s
        for s in command_nodes(stop_loop, "Stop-DrService")
        if argument_text(s, "-Name").casefold() == loop_variable(stop_loop)
    ], script
    # WMI is restarted with a bound, before the dependents start again.
    bound = argument_text(stop_wmi, "-TimeoutSeconds")
    seconds = int(text(top_assignment(script, bound.lstrip("$"))).strip())
    assert seconds > 0, script
    assert stop_wmi.end_byte < start_loop.start_byte, script
    for node in (marker, stop_loop, stop_wmi, start_loop):
        found = {"$service": "the service"}
        assert reachable(node, found, block) is True, (script, text(node)[:40])
    # Each dependent comes back inside its own try; a failure only warns.
    (attempt,) = statements(loop_body(start_loop))
    assert attempt.type == "try_statement", script
    body = next(c for c in attempt.named_children if c.type == "statement_block")
    assert [m for m, _, _, _ in method_calls(body) if m == "Start"], script
    catch = clause_block(attempt, "catch_clause")
    assert catch is not None, script
    assert command_nodes(catch, "Write-Warning"), script
    assert not keyword_statements(catch, "throw"), script


def test_wmi_restart_stops_biztalk_and_brings_dependents_back(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A WMI restart must not leave BizTalk on old names or dependents stopped."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        check_wmi_restart(script)


def test_reset_restarts_wmi_as_enable_does(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The shared WMI restart, with the marker Enable uses, written before
    UpdateRegistry.vbs runs (an interrupted run restarts WMI on the next)."""
    (enable, *_) = scripts(all_artifacts, "Enable-DrServer.ps1")
    marker = key(top_assignment(enable, "WmiRestartMarker"))
    resets = scripts(all_artifacts, "Reset-DrServer.ps1")
    assert len(resets) == 5  # one per DR server of both examples
    for script in resets:
        check_wmi_restart(script)
        assert key(top_assignment(script, "WmiRestartMarker")) == marker, script
        fn = function(script, "Update-DrRegistryToProduction")
        (written,) = [
            c
            for c in command_nodes(fn, "Set-Content")
            if argument_text(c, "-LiteralPath") == "$WmiRestartMarker"
        ]
        (cscript,) = command_nodes(fn, "Invoke-DrNative")
        assert written.end_byte < cscript.start_byte, script
        assert has_parameter(written, "-Confirm"), script


# =============================================== Restart-DrWinmgmt: the on-demand race


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


def test_winmgmt_restart_survives_an_on_demand_start(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """An on-demand Winmgmt start neither fails Start() nor hangs the stop."""
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
            "catch [System.InvalidOperationException],"
            " [System.ServiceProcess.TimeoutException] {",
            "catch [System.TimeoutException] {",
        ),
        # Done as soon as it runs, without having seen it go down.
        (
            "            if ($wentDown -and ($current -eq 'Running')) {\n",
            "            if ($current -eq 'Running') {\n",
        ),
    ],
)
def test_winmgmt_restart_checker_catches_the_race_brought_back(
    all_artifacts: list[RenderedArtifact], old: str, new: str
) -> None:
    """Counter-test: each way of bringing the race back fails the checker."""
    for script in scripts(all_artifacts, ENABLE)[:2]:
        counter(script, check_winmgmt_restart, old, new)


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "dependents-left-running": (
        "Enable-DrServer.ps1",
        check_wmi_restart,
        "        foreach ($dependent in $dependents) {\n"
        "            Stop-DrService -Name $dependent -Confirm:$false\n"
        "        }\n",
        "",
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


def test_winmgmt_restart_catches_stop_timing_out_on_a_dependent(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """ServiceController.Stop() stops running dependents first and waits for each
    (System.ServiceProcess.ServiceController.Stop, .NET Framework reference
    source: WaitForStatus(Stopped, 30 s) per dependent), throwing
    System.ServiceProcess.TimeoutException: the loop catches it beside the lost
    race and looks again within its own bound."""
    for script in scripts(
        all_artifacts,
        "Enable-DrServer.ps1",
        "Reset-DrServer.ps1",
        "Disable-DrServer.ps1",
    ):
        fn = function(script, "Restart-DrWinmgmt")
        caught = {
            text(t).strip("[]")
            for clause in nodes(fn, "catch_clause")
            for t in nodes(clause, "type_literal")
        }
        assert caught == {
            "System.InvalidOperationException",
            "System.ServiceProcess.TimeoutException",
        }, (script, caught)
