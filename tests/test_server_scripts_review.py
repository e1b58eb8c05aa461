"""Server scripts: the fixes a review of the rendered DR server scripts led to.

One section per finding (R1..R9). Every test reads the *rendered* scripts of both
example inventories through the tree-sitter-pwsh parse tree, with the node helpers
of :mod:`tests.test_fidelity` and the three-valued evaluator of
:mod:`tests.test_failover_safety`: given values for some variables, commands and
method calls, it decides which statements can run. The last section mutates
rendered scripts and shows that each checker then fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, TypeVar

import pytest
from tree_sitter import Node

from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from generator.render.release import Timeouts
from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.test_failover_safety import (
    CHANGING_SERVER,
    NULL,
    Env,
    always_throws,
    argument,
    argument_text,
    assignments,
    check_test_interactive,
    clause_block,
    entered,
    exits,
    has_parameter,
    in_function,
    key,
    loop_body,
    loop_variable,
    loops_over,
    mutated,
    only_assignment,
    reachable,
    reached_throws,
    report_env,
    run,
    should_process_clauses,
    statements,
    try_of,
)
from tests.test_fidelity import (
    SERVER_SCRIPTS,
    Script,
    ancestors,
    assigned_variable,
    branch_block,
    command_nodes,
    condition,
    function,
    functions,
    help_comment,
    keyword_statements,
    member_accesses,
    method_calls,
    scripts,
    strings,
    top_assignment,
    variables,
    verbatim,
    within,
)

pytestmark = pytest.mark.oracle

#: The server scripts this review covers (Enable is reviewed elsewhere).
REVIEWED: Final = (
    "Initialize-DrServer.ps1",
    "Disable-DrServer.ps1",
    "Test-DrServer.ps1",
)
STATES: Final = ("Dormant", "Ready", "Active")
T = TypeVar("T")


def statement_of(node: Node) -> Node:
    """The statement of a statement list that holds ``node``."""
    child = node
    for parent in ancestors(node):
        if parent.type == "statement_list":
            return child
        child = parent
    raise AssertionError(text(node)[:60])


def calls(node: Node, method: str, target: str | None = None) -> list[Node]:
    """Method calls ``target.method(...)`` below ``node`` (target: any if None)."""
    return [
        call
        for name, on, _, call in method_calls(node)
        if name == method and (target is None or on.casefold() == target.casefold())
    ]


def call_arguments(call: Node) -> list[Node]:
    """The argument nodes of one method call."""
    return one([a for _, _, a, c in method_calls(call) if c == call], text(call))


def one(found: list[T], what: object) -> T:
    """The only item of ``found`` (an AssertionError, not a ValueError, otherwise)."""
    assert len(found) == 1, (what, len(found))
    return found[0]


# ================================= R1. Disable -WhatIf with a running instance


def host_instance_env(**overrides: object) -> dict[str, object]:
    """Set-DrHostInstanceDisabled -Disabled $true on an enabled, running instance."""
    env: dict[str, object] = {
        "$instance": "instance",
        "$instance.isdisabled": False,
        "$disabled": True,
        "[int]$instance.servicestate": 4,
        "$whatifpreference": False,
        "shouldprocess()": True,
    }
    env.update(overrides)
    return env


def check_what_if_running_instance(script: Script) -> None:
    """-WhatIf: a running instance is reported (after the stop), never a failure."""
    fn = function(script, "Set-DrHostInstanceDisabled")
    put = one(calls(fn, "Put", "$instance"), script)
    # What -WhatIf prints: a ShouldProcess that is not an if condition, or Write-Host.
    reports = [
        c
        for c in calls(fn, "ShouldProcess", "$PSCmdlet")
        if not any(
            within(c, condition(a)) for a in ancestors(c) if a.type == "if_statement"
        )
    ] + command_nodes(fn, "Write-Host")
    what_if = host_instance_env(**{"$whatifpreference": True, "shouldprocess()": False})
    assert not reached_throws(fn, what_if), script
    assert reachable(put, what_if, fn) is False, script
    told = [r for r in reports if reachable(r, what_if, fn) is True]
    assert told, script
    # ... and what it tells is the IsDisabled change, not a failure.
    assert any("IsDisabled" in " ".join(strings(r)) for r in told), script
    # A real run must not set IsDisabled on a running instance: it stops.
    assert reached_throws(fn, host_instance_env()), script
    assert reachable(put, host_instance_env(), fn) is False, script
    # A stopped instance: Put() when approved, nothing and no error under -WhatIf.
    stopped = {"[int]$instance.servicestate": 1}
    assert reachable(put, host_instance_env(**stopped), fn) is True, script
    assert not reached_throws(fn, host_instance_env(**stopped)), script
    quiet = host_instance_env(
        **stopped, **{"$whatifpreference": True, "shouldprocess()": False}
    )
    assert reachable(put, quiet, fn) is False, script
    assert not reached_throws(fn, quiet), script
    # Stop-DrHostInstance under -WhatIf only reports: the instance stays running,
    # which is the case above.
    stop = function(script, "Stop-DrHostInstance")
    invoke = one(calls(stop, "InvokeMethod"), script)
    running = {"$instance": "instance", "[int]$instance.servicestate": 4}
    assert reachable(invoke, {**running, "shouldprocess()": False}, stop) is False
    assert reachable(invoke, {**running, "shouldprocess()": True}, stop) is True


def check_disable_order(script: Script) -> None:
    """Disable: each instance is stopped, then IsDisabled set, in one try."""
    stop = one(
        [
            c
            for c in command_nodes(script.root, "Stop-DrHostInstance")
            if not in_function(c)
        ],
        script,
    )
    disable = one(
        [
            c
            for c in command_nodes(script.root, "Set-DrHostInstanceDisabled")
            if not in_function(c)
        ],
        script,
    )
    assert try_of(stop) == try_of(disable), script
    assert stop.end_byte < disable.start_byte, script


def test_r1_disable_what_if_reports_instead_of_failing(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R1: Disable -WhatIf must not turn every running instance into a PROBLEM."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_what_if_running_instance(script)
    for script in scripts(all_artifacts, "Disable-DrServer.ps1"):
        check_disable_order(script)


# ============================================= R2. no credential prompt unattended


def credential_env(**overrides: object) -> dict[str, object]:
    env: dict[str, object] = {
        "containskey()": False,
        "$found": NULL,
        "test-drinteractive": True,
    }
    env.update(overrides)
    return env


def check_unattended_credentials(script: Script) -> None:
    """Get-Credential only with a console; unattended, an error names the account."""
    fn = function(script, "Get-DrCredential")
    prompt = one(command_nodes(fn, "Get-Credential"), script)
    guard = one(
        [
            s
            for s in nodes(fn, "if_statement")
            if command_nodes(condition(s), "Test-DrInteractive")
        ],
        script,
    )
    refusal = one(keyword_statements(branch_block(guard), "throw"), script)
    assert "$account" in variables(refusal), script
    assert any("-Credential" in s for s in strings(refusal)), script
    unattended = credential_env(**{"test-drinteractive": False})
    assert reachable(prompt, credential_env(), fn) is True, script
    assert reachable(refusal, credential_env(), fn) is False, script
    assert reachable(prompt, unattended, fn) is False, script
    assert reachable(refusal, unattended, fn) is True, script
    # Given with -Credential: neither asked nor refused, attended or not.
    for interactive in (True, False):
        given = credential_env(
            **{"$found": "credential", "test-drinteractive": interactive}
        )
        assert reachable(prompt, given, fn) is False, script
        assert reachable(refusal, given, fn) is False, script


def test_r2_unattended_initialize_never_waits_for_a_credential_dialog(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R2: a scheduled task must fail with a message, not hang at Get-Credential."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_unattended_credentials(script)


def test_r2_one_test_drinteractive_shared_by_every_script(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R2: Test-DrInteractive comes from the shared helpers, defined once per script."""
    for script in scripts(all_artifacts):
        if "Test-DrInteractive" not in script.art.text:
            continue
        # functions() fails on a function defined twice.
        assert "Test-DrInteractive" in functions(script), script
        check_test_interactive(script)
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        assert "Test-DrInteractive" in functions(script), script


# ======================================= R3. Configuration.exe with a time-out


def check_configuration_timeout(script: Script, seconds: int) -> None:
    """Start-Process -PassThru, a bounded wait, kill + problem + throw on time-out,
    all inside the try whose finally deletes the private folder."""
    assert text(top_assignment(script, "ConfigurationTimeoutSeconds")) == str(seconds)
    fn = function(script, "Invoke-DrConfigurationJoin")
    start = one(command_nodes(fn, "Start-Process"), script)
    assert has_parameter(start, "-PassThru"), script
    assert not has_parameter(start, "-Wait"), script
    process = assigned_variable(start)
    waits = calls(fn, "WaitForExit", process)
    assert waits, script
    # No wait without a bound anywhere.
    for wait in waits:
        bounds = [a for _, _, a, c in method_calls(wait) if c == wait]
        assert bounds, (script, text(wait))
        assert bounds[0], (script, text(wait))
    planned = one(
        [w for w in waits if "$configurationtimeoutseconds" in variables(w)], script
    )
    guard = one(
        [s for s in nodes(fn, "if_statement") if within(planned, condition(s))], script
    )
    # The handle is opened before the wait, so ExitCode can be read afterwards.
    handles = [
        a
        for a in nodes(fn, "member_access")
        if key(a.named_children[0]) == process
        and text(a).endswith(".Handle")
        and a.start_byte > start.end_byte
        and a.end_byte < guard.start_byte
    ]
    assert handles, script
    # Nothing between the start and the wait leaves the block.
    start_statement = statement_of(start)
    assert guard.parent is not None, script
    assert start_statement.parent == guard.parent, script
    for sibling in guard.parent.named_children:
        if start_statement.start_byte < sibling.start_byte < guard.start_byte:
            assert exits(sibling, {}) is False, (script, text(sibling)[:60])
    timed_out: Env = {"waitforexit()": False}
    finished: Env = {"waitforexit()": True}
    assert entered(guard, timed_out) is True, script
    assert entered(guard, finished) is False, script
    block = branch_block(guard)
    kills = calls(block, "Kill", process)
    assert len(kills) == 1, script
    assert reachable(kills[0], timed_out, guard) is True, script
    problems = command_nodes(block, "Write-DrProblem")
    assert [p for p in problems if reachable(p, timed_out, guard) is True], script
    assert always_throws(block), script
    # The exit code is read only after the wait returned in time.
    exit_codes = [
        a
        for a in nodes(fn, "member_access")
        if key(a.named_children[0]) == process and text(a).endswith(".ExitCode")
    ]
    assert exit_codes, script
    assert all(e.start_byte > guard.end_byte for e in exit_codes), script
    # The private folder with the passwords is deleted whatever happened.
    statement, _ = try_of(guard)
    final = clause_block(statement, "finally_clause")
    assert final is not None, script
    removes = [
        r
        for r in command_nodes(final, "Remove-Item")
        if argument_text(r, "-LiteralPath").casefold() == "$work"
    ]
    assert removes, script
    assert reachable(removes[0], {}, final) is True, script


def test_r3_configuration_exe_is_waited_for_with_a_bound(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """R3: a hung Configuration.exe must not hold the run and the passwords for ever."""
    assert Timeouts().configuration > 0
    seconds = dict.fromkeys(plans, Timeouts().configuration)
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_configuration_timeout(script, seconds[script.stem])


# ============================ R4. the end-state report survives BizTalk WMI errors

#: Calls in Get-DrStateReport that go through BizTalk WMI.
WMI_READERS: Final = ("Get-DrHostInstance", "Get-DrWmiInstances")


def check_report_survives_wmi(script: Script) -> None:
    """Every BizTalk WMI read of the report is in a try whose catch adds a failed
    row; registry, services, pools and MSDTC are checked outside those tries."""
    report = function(script, "Get-DrStateReport")
    readers = [c for name in WMI_READERS for c in command_nodes(report, name)]
    guarded: list[Node] = []
    for reader in readers:
        statement, body = try_of(reader)
        assert within(statement, report), script
        catch = clause_block(statement, "catch_clause")
        assert catch is not None, (script, text(reader)[:60])
        assert not keyword_statements(catch, "throw"), script
        row = one(command_nodes(catch, "Add-DrCheck"), script)
        assert reachable(row, {}, catch) is True, script
        assert verbatim(argument(row, "-Check") or row) is not None, script
        assert "BizTalk WMI" in (verbatim(argument(row, "-Check") or row) or "")
        expected = verbatim(argument(row, "-Expected") or row)
        actual = argument(row, "-Actual")
        assert expected, script
        assert actual is not None, script
        # A row that can never be OK: the actual value is not the expected one.
        assert expected not in strings(actual), script
        assert ("$_.Exception", "Message") in member_accesses(actual), script
        guarded.append(body)
    # Host instances, the unexpected-instance scan and the group's SSO server.
    assert len(readers) >= 3, script
    # The checks that need no SQL are outside every one of those tries.
    for collection in ("$RegistryChecks", "$Services", "$AppPools"):
        for loop in loops_over(report, collection):
            assert not any(within(loop, body) for body in guarded), (script, collection)
    msdtc = [
        r
        for r in command_nodes(report, "Get-DrRegistryValue")
        if argument_text(r, "-Path").casefold() == "$msdtcsecuritykey"
    ]
    assert msdtc, script
    for node in [
        *msdtc,
        *command_nodes(report, "Get-DrStartType"),
        *command_nodes(report, "Get-DrService"),
        *command_nodes(report, "Get-DrAppPoolState"),
    ]:
        assert not any(within(node, body) for body in guarded), script
    # ... and they run after a WMI try in every state (no try leaves the report).
    services = one(loops_over(report, "$Services"), script)
    for expect in STATES:
        assert reachable(services, report_env(report, expect), report) is True


def test_r4_end_state_report_survives_unreachable_biztalk_wmi(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R4: SQL down must cost one failed row, not the services and pools report."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_report_survives_wmi(script)


# =================================== R5. the answer file read once, hash and use


def check_answer_file_read_once(script: Script) -> None:
    """The XML is loaded from the very bytes whose SHA-256 was checked."""
    fn = function(script, "Invoke-DrConfigurationJoin")
    load = one(calls(fn, "Load", "$document"), script)
    verified = one(command_nodes(fn, "Read-DrVerifiedFile"), script)
    assert argument_text(verified, "-Path").casefold() == "$answers", script
    assert argument_text(verified, "-Sha256").casefold() == "$answerfilesha256"
    bytes_variable = assigned_variable(verified)
    assert len(assignments(fn, bytes_variable)) == 1, script
    streams = [
        s
        for s in command_nodes(load, "New-Object")
        if argument_text(s, "-TypeName").casefold() == "system.io.memorystream"
    ]
    assert len(streams) == 1, script
    assert bytes_variable in variables(argument(streams[0], "-ArgumentList") or load)
    # The path is used for nothing else here: no second read of the file.
    uses = [v for v in nodes(fn, "variable") if key(v) == "$answers"]
    allowed = [*assignments(fn, "$answers"), verified]
    for use in uses:
        if any(a.type == "left_assignment_expression" for a in ancestors(use)):
            continue
        assert any(within(use, a) for a in allowed), (script, text(statement_of(use)))
    assert verified.end_byte < load.start_byte, script
    # The pre-flight check stays: it fails before anything is changed.
    preflight = function(script, "Assert-DrPreflight")
    early = one(command_nodes(preflight, "Assert-DrFileHash"), script)
    assert argument_text(early, "-Sha256").casefold() == "$answerfilesha256"
    check_verified_file(script)


def check_verified_file(script: Script) -> None:
    """Read-DrVerifiedFile: one read, hash of those bytes, the same bytes returned."""
    fn = function(script, "Read-DrVerifiedFile")
    read = one(calls(fn, "ReadAllBytes", "[System.IO.File]"), script)
    bytes_variable = assigned_variable(read)
    # The path as PowerShell resolves it (.NET would use the process's folder).
    resolved = one(command_nodes(read, "Convert-Path"), script)
    assert argument_text(resolved, "-LiteralPath").casefold() == "$path", script
    for reader in ("Get-Content", "Import-Clixml", "Select-Xml"):
        assert not command_nodes(fn, reader), (script, reader)
    for method in ("ReadAllText", "ReadAllLines", "OpenRead", "Load"):
        assert not calls(fn, method), (script, method)
    hashing = one(command_nodes(fn, "Get-FileHash"), script)
    assert not has_parameter(hashing, "-LiteralPath"), script
    assert not has_parameter(hashing, "-Path"), script
    stream = argument_text(hashing, "-InputStream").casefold()
    made = one(assignments(fn, stream), script)
    assert bytes_variable in variables(made), script
    returned = one(keyword_statements(fn, "return"), script)
    assert variables(returned) == {bytes_variable}, script
    assert text(returned).replace(" ", "").startswith("return,"), script
    actual = assigned_variable(hashing)
    same = {"test-path": True, actual: "AB12", "$sha256": "AB12"}
    assert not reached_throws(fn, same), script
    assert reached_throws(fn, {**same, "$sha256": "CD34"}), script
    assert reached_throws(fn, {**same, "test-path": False}), script
    assert reachable(returned, same, fn) is True, script
    # Assert-DrFileHash is the same check, not a second implementation.
    check = function(script, "Assert-DrFileHash")
    assert command_nodes(check, "Read-DrVerifiedFile"), script
    assert not command_nodes(check, "Get-FileHash"), script


def test_r5_answer_file_hashed_and_parsed_from_the_same_bytes(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R5: the answer file must not change between its hash check and its use."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_answer_file_read_once(script)
    for script in scripts(all_artifacts):
        if "Read-DrVerifiedFile" in functions(script):
            check_verified_file(script)


# ======================================= R6. one try per fence step (pools, services)


def check_fence_per_item(script: Script) -> int:
    """Each application pool and service fenced in its own try; a failure is a
    problem and the next one is still handled. Returns how many calls."""
    found = 0
    for name in ("Set-DrAppPool", "Set-DrServiceDormant"):
        for call in command_nodes(script.root, name):
            if in_function(call):
                continue
            if any(a.type == "finally_clause" for a in ancestors(call)):
                # Initialize: the host instance service, right after its install.
                continue
            statement, body = try_of(call)
            assert statements(body) == [statement_of(call)], (script, text(call))
            catch = clause_block(statement, "catch_clause")
            assert catch is not None, (script, text(call))
            assert not keyword_statements(catch, "throw"), (script, text(call))
            problems = command_nodes(catch, "Write-DrProblem")
            assert problems, (script, text(call))
            assert reachable(problems[0], {}, catch) is True, script
            loop = next(
                (a for a in ancestors(statement) if a.type == "foreach_statement"),
                None,
            )
            if loop is not None and within(loop, main_try(script)):
                assert statement in statements(loop_body(loop)), script
                assert argument_text(call, "-Name").casefold() == loop_variable(loop)
            found += 1
    return found


def main_try(script: Script) -> Node:
    """The body of the run's own try (run-begin.ps1)."""
    start = one(
        [
            c
            for c in command_nodes(script.root, "Protect-DrLogFolder")
            if not in_function(c)
        ],
        script,
    )
    return try_of(start)[1]


def check_initialize_fence(script: Script) -> None:
    """Initialize: pools and services one by one, ENTSSO last, all before the end
    state; the host instance loop keeps its dormant-in-finally."""
    count = check_fence_per_item(script)
    pools = [
        c for c in command_nodes(script.root, "Set-DrAppPool") if not in_function(c)
    ]
    dormant = [
        c
        for c in command_nodes(script.root, "Set-DrServiceDormant")
        if not in_function(c)
        and not any(a.type == "finally_clause" for a in ancestors(c))
    ]
    assert count == len(pools) + len(dormant), script
    assert [argument_text(c, "-Name").casefold() for c in dormant][-1] == "$ssoservice"
    end_state = one(
        [
            c
            for c in command_nodes(script.root, "Assert-DrEndState")
            if not in_function(c)
        ],
        script,
    )
    assert all(c.end_byte < end_state.start_byte for c in pools + dormant), script


def test_r6_one_failing_fence_step_does_not_skip_the_others(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """R6: a failing appcmd must not leave the services Automatic."""
    seen_pools = 0
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_initialize_fence(script)
        seen_pools += len(
            [
                c
                for c in command_nodes(script.root, "Set-DrAppPool")
                if not in_function(c)
            ]
        )
    assert seen_pools >= 1
    for script in scripts(all_artifacts, "Disable-DrServer.ps1"):
        assert check_fence_per_item(script) >= 1, script


# ================================ R7. state in %ProgramData%, legacy file reported

_OLD_STATE: Final = re.compile(r"(?<![\w-])state\\", re.IGNORECASE)


def check_state_comments(script: Script) -> None:
    """No help text or comment sends the reader to <script folder>\\state\\."""
    for comment in nodes(script.root, "comment"):
        found = _OLD_STATE.search(text(comment))
        assert found is None, (script, text(comment)[max(0, found.start() - 40) :][:90])


def legacy_env(
    script: Script, new: bool, legacy: bool, said: bool
) -> dict[str, object]:
    read = function(script, "Read-DrStartupState")
    probes = {
        argument_text(p, "-LiteralPath").casefold(): p
        for p in command_nodes(read, "Test-Path")
    }
    assert set(probes) == {"$startupstatefile", "$legacystartupstatefile"}, script
    return {
        key(probes["$startupstatefile"]): new,
        key(probes["$legacystartupstatefile"]): legacy,
        "$script:legacystatereported": said,
        "test-drtrustedfolder": True,
    }


def check_legacy_state(script: Script) -> None:
    """An old state\\ file beside the script is reported once, and never read."""
    value = top_assignment(script, "LegacyStartupStateFile")
    assert "$psscriptroot" in variables(value), script
    assert strings(value) == ["state", "previous-startup-types.json"], script
    assert strings(top_assignment(script, "StartupStateFile")) == [
        "previous-startup-types.json"
    ]
    read = function(script, "Read-DrStartupState")
    load = one(command_nodes(read, "Get-Content"), script)
    warning = one(
        [
            w
            for w in command_nodes(read, "Write-Warning")
            if "$legacystartupstatefile" in variables(w)
        ],
        script,
    )
    flag = one(
        [
            a
            for a in assignments(read, "$script:LegacyStateReported")
            if key(a) == "$true"
        ],
        script,
    )
    cases = {
        # (new file, legacy file, already said): (warned, loaded)
        (False, True, False): (True, False),
        (False, False, False): (False, False),
        (False, True, True): (False, False),
        (True, True, False): (False, True),
        (True, False, False): (False, True),
    }
    for (new, legacy, said), (warned, loaded) in cases.items():
        env = legacy_env(script, new, legacy, said)
        assert reachable(warning, env, read) is warned, (script, new, legacy, said)
        assert reachable(flag, env, read) is warned, (script, new, legacy, said)
        assert reachable(load, env, read) is loaded, (script, new, legacy, said)
    # The legacy path is only ever tested and named, never read or written.
    for node in nodes(script.root, "variable"):
        if key(node) != "$legacystartupstatefile":
            continue
        statement = statement_of(node)
        if statement.type == "pipeline" and key(statement).startswith(
            "$legacystartupstatefile ="
        ):
            continue
        users = {
            key(c.child_by_field_name("command_name") or c)
            for c in nodes(statement, "command")
            if within(node, c)
        }
        assert users <= {"test-path", "write-warning"}, (script, users)
    assert top_level_flag(script), script


def top_level_flag(script: Script) -> bool:
    """$script:LegacyStateReported starts $false (Set-StrictMode needs it set)."""
    return any(
        key(a) == "$false"
        for a in assignments(script.root, "$script:LegacyStateReported")
        if not in_function(a)
    )


def test_r7_help_and_comments_name_the_programdata_state(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R7: no help text may point at the state folder the scripts no longer use."""
    for script in scripts(all_artifacts, *REVIEWED):
        check_state_comments(script)
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        assert "%ProgramData%\\drgen-state\\previous-startup-types.json" in (
            help_comment(script)
        ), script


def test_r7_legacy_state_file_is_reported_not_imported(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R7: an older bundle's record must be neither silently ignored nor used."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_legacy_state(script)


# =================================== R8. Stop-DrService: dependents, pending states

#: A dependent's status -> whether Stop-DrService stops it first.
DEPENDENT_CASES: Final = {
    "Running": True,
    "Paused": True,
    "StopPending": True,
    "StartPending": True,
    "ContinuePending": True,
    "Stopped": False,
}


def check_stop_service(script: Script) -> None:
    """Dependents stopped one by one through Stop-DrService (asked, recorded,
    bounded); a pending state waited out before Stop(); a declined dependent
    keeps the service running."""
    fn = function(script, "Stop-DrService")
    clause = one(should_process_clauses(fn), script)
    block = branch_block(clause)
    stop = one([c for c in calls(fn, "Stop") if not call_arguments(c)], script)
    assert within(stop, block), script
    assert not calls(fn, "WaitForStatus"), script
    # 1. The dependents, before this service is asked for.
    loop = one(
        [
            loop
            for loop in nodes(fn, "foreach_statement")
            if "DependentServices"
            in {m for _, m in member_accesses(loop.named_children[1])}
        ],
        script,
    )
    assert loop.end_byte < clause.start_byte, script
    dependent = loop_variable(loop)
    recurse = one(command_nodes(loop, "Stop-DrService"), script)
    assert argument_text(recurse, "-Name").casefold() == f"{dependent}.name", script
    assert not has_parameter(recurse, "-Confirm"), script
    body = loop_body(loop)
    fresh = [
        assigned_variable(g)
        for g in command_nodes(body, "Get-DrService")
        if g.start_byte < recurse.start_byte
    ]
    other = one(fresh, script)
    for status, stopped_first in DEPENDENT_CASES.items():
        env = {other: "service", f"{other}.status": status}
        assert reachable(recurse, env, body) is stopped_first, (script, status)
    assert reachable(recurse, {other: NULL}, body) is False, script
    # What is left running is read again after the stop, not from a cached status.
    add = one(calls(body, "Add"), script)
    left = key(add.named_children[0]).casefold()
    guard = next(a for a in ancestors(add) if a.type == "if_statement")
    reread = [
        g
        for g in command_nodes(body, "Get-DrService")
        if recurse.end_byte < g.start_byte < guard.start_byte
    ]
    assert reread, script
    assert assigned_variable(reread[0]) in variables(condition(guard)), script
    assert f"{dependent}.status" not in {key(m) for m in nodes(body, "member_access")}
    # 2. A dependent still running (declined) stops the run before Stop().
    base = {"$service": "service", "$service.status": "Running"}
    refused = reached_throws(
        fn, {**base, f"{left}.count": 1, "$whatifpreference": False}
    )
    assert refused, script
    assert all(t.end_byte < clause.start_byte for t in refused), script
    assert not reached_throws(
        fn, {**base, f"{left}.count": 0, "$whatifpreference": False}
    )
    assert not reached_throws(
        fn, {**base, f"{left}.count": 1, "$whatifpreference": True}
    )
    # 3. A pending state is waited out, with the bound, before Stop().
    settle = one(command_nodes(block, "Wait-DrServiceSettled"), script)
    assert (
        argument_text(settle, "-TimeoutSeconds").casefold() == "$servicetimeoutseconds"
    )
    assert reachable(settle, {}, block) is True, script
    assert settle.end_byte < stop.start_byte, script
    settled = assigned_variable(settle)
    # The service read again just before Stop(): gone in between stops the run.
    again = {"$current": "the service"}
    assert reachable(stop, {**again, settled: "Running"}, block) is True, script
    assert reachable(stop, {**again, settled: "Paused"}, block) is True, script
    assert reachable(stop, {**again, settled: "Stopped"}, block) is False, script
    assert reachable(stop, {"$current": NULL, settled: "Running"}, block) is False
    waits = [
        w
        for w in command_nodes(block, "Wait-DrServiceStatus")
        if stop.end_byte < w.start_byte
    ]
    assert waits, script
    assert verbatim(argument(waits[0], "-Status") or stop) == "Stopped", script
    assert argument_text(waits[0], "-TimeoutSeconds").casefold() == (
        "$servicetimeoutseconds"
    )
    check_wait_settled(script)


def check_wait_settled(script: Script) -> None:
    """Wait-DrServiceSettled: returns the first state that is not *Pending; a
    pending state past the deadline throws."""
    fn = function(script, "Wait-DrServiceSettled")
    loop = one(nodes(fn, "while_statement"), script)
    body = next(c for c in loop.named_children if c.type == "statement_block")
    returned = one(keyword_statements(body, "return"), script)
    deadline = [
        t
        for t in keyword_statements(body, "throw")
        if "$timeoutseconds" in variables(t)
    ]
    assert len(deadline) == 1, script
    assert only_assignment(fn, "$deadline") is not None, script
    for status in ("Running", "Stopped", "Paused", "StopPending", "StartPending"):
        pending = status.endswith("Pending")
        for late in (False, True):
            env = {
                "$service": "service",
                "$current": status,
                "endswith()": pending,
                "[datetime]::utcnow": 20 if late else 10,
                "$deadline": 15,
            }
            assert reachable(returned, env, body) is (not pending), (script, status)
            assert reachable(deadline[0], env, body) is (pending and late), (
                script,
                status,
                late,
            )


def test_r8_stop_service_stops_dependents_itself_and_waits_out_pending(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R8: ServiceController.Stop() must not stop dependents unasked, nor meet a
    pending state."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_stop_service(script)


# ================================================= R9. the group's SSO server


def check_group_sso_row(script: Script) -> None:
    """Ready and Active: MSBTS_GroupSetting.SSOServerName is the DR master secret
    server (NetBIOS name or FQDN); Dormant does not check it."""
    report = function(script, "Get-DrStateReport")
    reads = [
        c
        for c in command_nodes(report, "Get-DrWmiInstances")
        if verbatim(argument(c, "-Class") or c) == "MSBTS_GroupSetting"
    ]
    read = one(reads, script)
    loop = one(
        [
            loop
            for loop in nodes(report, "foreach_statement")
            if within(read, loop.named_children[1])
        ],
        script,
    )
    group = loop_variable(loop)
    rows = [
        c
        for c in command_nodes(report, "Add-DrCheck")
        if argument_text(c, "-Expected").casefold() == "$mastersecretserver"
    ]
    row = one(rows, script)
    actual = argument_text(row, "-Actual").casefold()
    for expect in STATES:
        env = report_env(report, expect)
        checked = expect != "Dormant"
        assert reachable(read, env, report) is checked, (script, expect)
        assert reachable(row, env, report) is checked, (script, expect)
    # The value compared is the one read, with a NetBIOS name or FQDN of the
    # master secret server taken as that server.
    same = one(command_nodes(loop, "Test-DrSameComputer"), script)
    assert argument_text(same, "-Expected").casefold() == "$mastersecretserver"
    assert (group, "SSOServerName") in {
        (t.casefold(), m) for t, m in member_accesses(loop)
    }, script
    before = [a for a in assignments(report, actual) if a.start_byte < loop.start_byte]
    assert [verbatim(a) for a in before] == ["missing"], script
    for name, same_computer, wanted in (
        ("FABDRBTS01.contoso.com", True, "FABDRBTS01"),
        ("FABDRBTS01", True, "FABDRBTS01"),
        ("PRODSSO01", False, "PRODSSO01"),
        ("", False, ""),
    ):
        env = {
            f"{group}.ssoservername": name,
            "test-drsamecomputer": same_computer,
            "$mastersecretserver": "FABDRBTS01",
        }
        outcome = one(run(statements(loop_body(loop)), env, {actual: "missing"}), name)
        assert outcome[actual] == wanted, (script, name)


def test_r9_ready_and_active_check_the_group_sso_server(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """R9: after failover the group must name the DR master secret server."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_group_sso_row(script)


# ============================================================ counter-tests

Checker = Callable[[Script], object]


def check_timeout_3600(script: Script) -> None:
    check_configuration_timeout(script, Timeouts().configuration)


#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "r1-what-if-throws-for-running-instance": (
        "Disable-DrServer.ps1",
        check_what_if_running_instance,
        "        if ($WhatIfPreference) {\n            # -WhatIf: the stop before",
        "        if ($false) {\n            # -WhatIf: the stop before",
    ),
    "r1-what-if-says-nothing": (
        "Disable-DrServer.ps1",
        check_what_if_running_instance,
        "            [void]$PSCmdlet.ShouldProcess($Plan.HostName, ('Set host instance"
        " IsDisabled to {0} (once it is stopped)' -f $Disabled))\n",
        "",
    ),
    "r2-prompt-unattended": (
        "Initialize-DrServer.ps1",
        check_unattended_credentials,
        "        if (-not (Test-DrInteractive)) {\n            # Get-Credential opens",
        "        if ($false -and -not (Test-DrInteractive)) {\n"
        "            # Get-Credential opens",
    ),
    "r3-unbounded-wait": (
        "Initialize-DrServer.ps1",
        check_timeout_3600,
        "-ArgumentList $arguments -PassThru\n",
        "-ArgumentList $arguments -Wait -PassThru\n",
    ),
    "r3-not-killed": (
        "Initialize-DrServer.ps1",
        check_timeout_3600,
        "                    $process.Kill()\n",
        "",
    ),
    "r3-timeout-only-warns": (
        "Initialize-DrServer.ps1",
        check_timeout_3600,
        "                throw ('Configuration.exe timed out",
        "                Write-Warning ('Configuration.exe timed out",
    ),
    "r4-wmi-error-ends-the-report": (
        "Test-DrServer.ps1",
        check_report_survives_wmi,
        "    catch {\n        Add-DrCheck -Results $results"
        " -Id 'wmi:host-instances' -Check 'BizTalk WMI (host instances)'",
        "    catch {\n        throw\n        Add-DrCheck -Results $results"
        " -Id 'wmi:host-instances' -Check 'BizTalk WMI (host instances)'",
    ),
    "r5-answer-file-read-again": (
        "Initialize-DrServer.ps1",
        check_answer_file_read_once,
        "$document.Load((New-Object -TypeName System.IO.MemoryStream"
        " -ArgumentList (,$answerBytes)))",
        "$document.Load($answers)",
    ),
    "r5-hash-of-the-path": (
        "Initialize-DrServer.ps1",
        check_verified_file,
        "Get-FileHash -InputStream $stream -Algorithm SHA256",
        "Get-FileHash -LiteralPath $Path -Algorithm SHA256",
    ),
    "r6-pool-failure-ends-the-fence": (
        "Initialize-DrServer.ps1",
        check_initialize_fence,
        "            Write-DrProblem -Message ('application pool {0}: {1}' -f $pool,",
        "            throw ('application pool {0}: {1}' -f $pool,",
    ),
    "r6-sso-outside-the-fence": (
        "Initialize-DrServer.ps1",
        check_initialize_fence,
        "    try {\n        Set-DrServiceDormant -Name $SsoService\n    }\n",
        "    Set-DrServiceDormant -Name $SsoService\n    try {\n    }\n",
    ),
    "r7-help-names-old-state": (
        "Initialize-DrServer.ps1",
        check_state_comments,
        "%ProgramData%\\drgen-state\\previous-startup-types.json",
        "state\\previous-startup-types.json",
    ),
    "r7-legacy-state-silent": (
        "Test-DrServer.ps1",
        check_legacy_state,
        "(Test-Path -LiteralPath $LegacyStartupStateFile -PathType Leaf)) {",
        "(Test-Path -LiteralPath $LegacyStartupStateFile -PathType Leaf)"
        " -and $false) {",
    ),
    "r8-dependents-left-to-stop": (
        "Disable-DrServer.ps1",
        check_stop_service,
        "        Stop-DrService -Name $dependent.Name\n",
        "",
    ),
    "r8-declined-dependent-stopped-anyway": (
        "Initialize-DrServer.ps1",
        check_stop_service,
        "        throw ('Service {0} was not stopped: services",
        "        Write-Warning ('Service {0} was not stopped: services",
    ),
    "r8-pending-not-waited-out": (
        "Enable-DrServer.ps1",
        check_stop_service,
        "        $settled = Wait-DrServiceSettled -Name $Name -TimeoutSeconds"
        " $ServiceTimeoutSeconds\n",
        "        $settled = [string]$service.Status\n",
    ),
    "r9-ready-not-checked": (
        "Test-DrServer.ps1",
        check_group_sso_row,
        "    if ($failedOver) {\n        # Enable-DrServer.ps1 on the master",
        "    if ($running) {\n        # Enable-DrServer.ps1 on the master",
    ),
    "r9-fqdn-fails": (
        "Disable-DrServer.ps1",
        check_group_sso_row,
        "                if (Test-DrSameComputer -Name $ssoServerName -Expected"
        " $MasterSecretServer) {",
        "                if ($ssoServerName -eq $MasterSecretServer) {",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_counter_checker_fails_on_mutated_script(
    all_artifacts: list[RenderedArtifact], mutation: str
) -> None:
    """Counter-test: a checker that passes a rendered script must catch its mutation."""
    name, check, old, new = MUTATIONS[mutation]
    found = [s for s in scripts(all_artifacts, name) if old in s.art.text]
    assert found, (name, old)
    for script in found:
        check(script)
        broken = mutated(script, old, new)
        assert not ps.syntax_problems(broken.data), mutation
        with pytest.raises(AssertionError):
            check(broken)
