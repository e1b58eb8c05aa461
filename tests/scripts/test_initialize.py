"""Initialize-DrServer.ps1: the Configuration Wizard join (answer file read
once, hashed and used; a bounded wait; errors read from its log without a
password) and a failed install left dormant.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import re
from typing import Final

import pytest

from generator.catalogue import CATALOGUE
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from generator.render.release import Timeouts
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import (
    NULL,
    Env,
    always_throws,
    entered,
    exits,
    reachable,
    reached_throws,
)
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    SSO_SQL_KEY,
    Checker,
    Script,
    commands_in,
    function,
    functions,
    mutated,
    scripts,
    scripts_with,
    top_assignment,
    top_string,
)
from tests.support.tree import (
    ancestors,
    argument,
    argument_text,
    assigned_variable,
    assignments,
    branch_block,
    calls,
    clause_block,
    command_nodes,
    condition,
    first_line,
    has_parameter,
    in_function,
    key,
    keyword_statements,
    loop_variable,
    match_comparisons,
    method_calls,
    named,
    one,
    statement_of,
    throws,
    throws_when,
    try_of,
    variables,
    verbatim,
    within,
)

pytestmark = pytest.mark.oracle


# ========================================================= a failed install is dormant


def check_install_finally(script: Script) -> None:
    """Install-DrHostInstance in a try whose finally makes the service dormant."""
    calls = [
        c
        for c in command_nodes(script.root, "Install-DrHostInstance")
        if not in_function(c)
    ]
    assert len(calls) == 1, script
    install = calls[0]
    loop = next(a for a in ancestors(install) if a.type == "foreach_statement")
    assert key(loop.named_children[1]) == "$hostinstances", script
    plan = loop_variable(loop)
    statement, _ = try_of(install)
    assert within(statement, loop), script
    final = clause_block(statement, "finally_clause")
    assert final is not None, script
    dormant = command_nodes(final, "Set-DrServiceDormant")
    assert len(dormant) == 1, script
    assert argument_text(dormant[0], "-Name").casefold() == f"{plan}.service", script
    probes = [
        p
        for p in command_nodes(final, "Get-DrService")
        if argument_text(p, "-Name").casefold() == f"{plan}.service"
    ]
    assert probes, script
    for exists in (True, False):
        env = {
            f"{plan}.inprocess": True,
            "get-drservice": "service" if exists else NULL,
        }
        assert reachable(dormant[0], env, final) is exists, (script, exists)


def test_failed_install_leaves_no_startable_instance(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """An install that fails after creating the service must not leave it live."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_install_finally(script)


# ======================================================= no password in the join error


def check_first_error(script: Script) -> None:
    """A log holding a password reports a fixed text as its first error line."""
    fn = function(script, "Invoke-DrConfigurationJoin")
    secret_ifs = [
        s
        for s in nodes(fn, "if_statement")
        if command_nodes(condition(s), "Test-DrTextHoldsSecret")
    ]
    assert len(secret_ifs) == 1, script
    secret = secret_ifs[0]
    hidden = assignments(branch_block(secret), "$firstError")
    assert len(hidden) == 1, script
    fixed = verbatim(hidden[0])
    assert fixed, script
    assert reachable(hidden[0], {}, branch_block(secret)) is True, script
    from_log = [
        a
        for a in assignments(fn, "$firstError")
        if "$errors" in variables(a) or "$logtext" in variables(a)
    ]
    assert from_log, script
    assert all(a.end_byte < secret.start_byte for a in from_log), script
    reports = [
        t
        for t in keyword_statements(fn, "throw")
        if "$errors" in variables(t) or "$firsterror" in variables(t)
    ]
    assert reports, script
    for report in reports:
        assert "$firsterror" in variables(report), script
        assert not [
            e for e in nodes(report, "element_access") if key(e).startswith("$errors")
        ], script
        assert "$logtext" not in variables(report), script
        assert secret.end_byte < report.start_byte, script


def test_configuration_error_line_never_carries_a_password(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The join's error message must not copy a password-bearing log line."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_first_error(script)


# =================================================================== answer file, join


def test_join_is_read_back(all_artifacts: list[RenderedArtifact]) -> None:
    """The join is proved by MSBTS_Server and the SSO registry, not exit codes."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        join = function(script, "Assert-DrJoinComplete")
        cmds = commands_in(script, join)
        assert named(cmds, "Test-DrServerRegistered"), script
        assert [
            c
            for c in named(cmds, "Get-DrRegistryValue")
            if "$SsoSqlRegistryKey" in c.arguments and "'Server'" in c.arguments
        ], script
        assert top_string(script, "SsoSqlRegistryKey") == SSO_SQL_KEY
        assert throws(join), script
        registered = function(script, "Test-DrServerRegistered")
        assert [
            c
            for c in named(commands_in(script, registered), "Get-DrWmiInstances")
            if "'MSBTS_Server'" in c.arguments
        ], script
        run = function(script, "Invoke-DrConfigurationJoin")
        run_cmds = commands_in(script, run)
        configure = first_line(run_cmds, "Start-Process")
        assert [
            c for c in named(run_cmds, "Assert-DrJoinComplete") if c.line > configure
        ]


def test_configuration_log_errors_fail_the_join(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Configuration log error lines are found with the catalogue pattern."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        pattern = top_string(script, "ConfigurationLogErrorPattern")
        assert pattern == CATALOGUE["out:configuration-log-error"]
        run = function(script, "Invoke-DrConfigurationJoin")
        (match,) = match_comparisons(run, "ConfigurationLogErrorPattern")
        assert throws_when(run, assigned_variable(match)), script
    pattern = CATALOGUE["out:configuration-log-error"]
    for line_ in ("[1:57:09 PM Error ConfigHelper] x", "[10:01:02 Error BtsCfg] y"):
        assert re.search(pattern, line_), line_
    assert not re.search(pattern, "[10:01:02 Info ConfigHelper] error in text")


# ==================================================================== secrets and logs


def test_configuration_log_is_searched_before_it_is_copied(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A log holding a password never leaves the private folder."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        run = function(script, "Invoke-DrConfigurationJoin")
        (copy,) = command_nodes(run, "Copy-Item")
        branch = next(
            a for a in ancestors(copy) if a.type in {"elseif_clause", "else_clause"}
        )
        statement = next(a for a in ancestors(branch) if a.type == "if_statement")
        assert command_nodes(condition(statement), "Test-DrTextHoldsSecret"), script
        assert not command_nodes(branch_block(statement), "Copy-Item"), script


# =================================================== Configuration.exe with a time-out


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


def test_configuration_exe_is_waited_for_with_a_bound(
    all_artifacts: list[RenderedArtifact], plans: dict[str, Plan]
) -> None:
    """A hung Configuration.exe must not hold the run and the passwords for ever."""
    assert Timeouts().configuration > 0
    seconds = dict.fromkeys(plans, Timeouts().configuration)
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_configuration_timeout(script, seconds[script.stem])


# ============================================= the answer file read once, hash and use


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


def test_answer_file_hashed_and_parsed_from_the_same_bytes(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The answer file must not change between its hash check and its use."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        check_answer_file_read_once(script)
    for script in scripts(all_artifacts):
        if "Read-DrVerifiedFile" in functions(script):
            check_verified_file(script)


# ======================================================================= counter-tests


def check_timeout_3600(script: Script) -> None:
    check_configuration_timeout(script, Timeouts().configuration)


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "dormant-only-on-failure": (
        "Initialize-DrServer.ps1",
        check_install_finally,
        "        finally {\n            # Per host,",
        "        catch {\n            # Per host,",
    ),
    "first-error-from-the-log": (
        "Initialize-DrServer.ps1",
        check_first_error,
        "-f $errors.Count, $firstError, $logHint)",
        "-f $errors.Count, $errors[0], $logHint)",
    ),
    "unbounded-wait": (
        "Initialize-DrServer.ps1",
        check_timeout_3600,
        "-ArgumentList $arguments -PassThru\n",
        "-ArgumentList $arguments -Wait -PassThru\n",
    ),
    "not-killed": (
        "Initialize-DrServer.ps1",
        check_timeout_3600,
        "                    $process.Kill()\n",
        "",
    ),
    "timeout-only-warns": (
        "Initialize-DrServer.ps1",
        check_timeout_3600,
        "                throw ('Configuration.exe timed out",
        "                Write-Warning ('Configuration.exe timed out",
    ),
    "answer-file-read-again": (
        "Initialize-DrServer.ps1",
        check_answer_file_read_once,
        "$document.Load((New-Object -TypeName System.IO.MemoryStream"
        " -ArgumentList (,$answerBytes)))",
        "$document.Load($answers)",
    ),
    "hash-of-the-path": (
        "Initialize-DrServer.ps1",
        check_verified_file,
        "Get-FileHash -InputStream $stream -Algorithm SHA256",
        "Get-FileHash -LiteralPath $Path -Algorithm SHA256",
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
