"""Test-DrServer.ps1 and the end-state report: what Dormant, Ready and Active
expect of services, host instances and pools, -AfterDrill, MSDTC, the
group's SSO server, and a report that survives BizTalk WMI errors.

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

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import State, evaluate, holds, reachable, run, statements
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    MSDTC_KEY,
    SERVER_SCRIPTS,
    Checker,
    Script,
    commands_in,
    function,
    help_comment,
    mutated,
    script_param_block,
    scripts,
    scripts_with,
    top_assignment,
    top_string,
)
from tests.support.tree import (
    argument,
    argument_text,
    assignments,
    branch_block,
    clause_block,
    command_nodes,
    condition,
    in_function,
    is_switch,
    key,
    keyword_statements,
    loop_body,
    loop_variable,
    loops_over,
    member_accesses,
    named,
    one,
    only_assignment,
    records,
    script_parameters,
    strings,
    try_of,
    validate_set,
    variables,
    verbatim,
    within,
)

pytestmark = pytest.mark.oracle

STATES: Final = ("Dormant", "Ready", "Active")


# =================================================================== -NoStart is Ready


def report_env(report: Node, expect: str) -> dict[str, object]:
    """$Expect, $failedOver and $running of Get-DrStateReport for one state."""
    env: dict[str, object] = {"$expect": expect}
    for variable in ("$failedOver", "$running"):
        env[variable.casefold()] = evaluate(only_assignment(report, variable), env)
    assert env["$failedover"] == (expect != "Dormant"), expect
    assert env["$running"] == (expect == "Active"), expect
    return env


def add_check(scope: Node, check: str) -> Node:
    """The one Add-DrCheck call below ``scope`` whose -Check names ``check``."""
    found = [
        c
        for c in command_nodes(scope, "Add-DrCheck")
        if any(check in s for s in strings(argument(c, "-Check") or c))
    ]
    assert len(found) == 1, check
    return found[0]


def expected_variable(check: Node) -> str:
    """The variable an Add-DrCheck call passes as -Expected, as env names it."""
    value = argument(check, "-Expected")
    assert value is not None, text(check)[:60]
    assert value.type == "variable" or nodes(value, "variable"), text(value)
    return key(value)


def check_ready_report(script: Script) -> None:
    """Ready: host instance services Disabled/Stopped, pools stopped, autoStart off."""
    report = function(script, "Get-DrStateReport")
    host_services = [
        r["Service"] for r in records(top_assignment(script, "HostInstances"))
    ]
    services = strings(top_assignment(script, "Services"))
    # An isolated host instance has no Windows service ('').
    assert {s for s in host_services if s} <= set(services), script
    listed = only_assignment(report, "$hostServices")
    assert "$hostinstances" in variables(listed), script
    assert ("$_", "Service") in member_accesses(listed), script
    (service_loop,) = loops_over(report, "$Services")
    (pool_loop,) = loops_over(report, "$AppPools")
    (host_loop,) = loops_over(report, "$HostInstances")
    autostart = add_check(pool_loop, "autoStart")
    disabled = add_check(host_loop, "IsDisabled")
    pool_state = add_check(pool_loop, "state")
    # The variables each state check compares with, read from the check itself
    # (its -Expected argument), not spelled here.
    start_type = expected_variable(add_check(service_loop, "startup type"))
    status = expected_variable(add_check(service_loop, "status"))
    pool = expected_variable(pool_state)
    host_state = expected_variable(add_check(host_loop, " state"))
    for expect in ("Dormant", "Ready", "Active"):
        env = report_env(report, expect)
        for name in services:
            case = {
                **env,
                "$hostservices": host_services,
                loop_variable(service_loop): name,
                "$service": "service",
            }
            start: State = {start_type: None, status: None}
            outcomes = run(statements(loop_body(service_loop)), case, start)
            types = {o[start_type] for o in outcomes}
            statuses = {o[status] for o in outcomes}
            on = expect == "Active" or (expect == "Ready" and name not in host_services)
            if on:
                assert types, (script, expect, name)
                assert types <= {"Automatic", "Manual"}, (script, expect, name)
                assert statuses == {"Running"}, (script, expect, name)
            else:
                assert types == {"Disabled"}, (script, expect, name, types)
                assert statuses == {"Stopped"}, (script, expect, name, statuses)
        pools = run(statements(loop_body(pool_loop)), env, {pool: None})
        wanted_pool = "Started" if expect == "Active" else "Stopped"
        assert {p[pool] for p in pools} == {wanted_pool}, (script, expect)
        state_value = argument(pool_state, "-Expected")
        assert state_value is not None
        assert evaluate(state_value, {**env, **pools[0]}) == wanted_pool, script
        auto_value = argument(autostart, "-Expected")
        assert auto_value is not None
        wanted_auto = "true" if expect == "Active" else "false"
        assert evaluate(auto_value, env) == wanted_auto, (script, expect)
        instances = run(
            statements(loop_body(host_loop)),
            {**env, f"{loop_variable(host_loop)}.inprocess": True, "$instance": "x"},
            {host_state: None},
        )
        wanted_state = "Running" if expect == "Active" else "Stopped"
        assert {i[host_state] for i in instances} == {wanted_state}, script
        disabled_value = argument(disabled, "-Expected")
        assert disabled_value is not None
        wanted_disabled = "True" if expect == "Dormant" else "False"
        assert evaluate(disabled_value, env) == wanted_disabled, (script, expect)


def test_ready_report_expects_nothing_able_to_process(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Test -Expect Ready must fail on a startable host instance or pool: also
    on a pool an application MSI started or set to start with IIS (issue 18 item
    4); Enable checks the same end state after -NoStart."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_ready_report(script)


# ======================================================== -AfterDrill after stand-down


def check_after_drill(script: Script) -> None:
    """Test-DrServer -AfterDrill reaches Get-DrStateReport -AnyManagementServer."""
    parameters = script_parameters(script_param_block(script))
    assert "$afterdrill" in parameters, script
    assert is_switch(parameters["$afterdrill"]), script
    assert ".PARAMETER AfterDrill" in help_comment(script), script
    calls = [
        c for c in command_nodes(script.root, "Get-DrStateReport") if not in_function(c)
    ]
    assert len(calls) == 1, script
    assert argument_text(calls[0], "-AnyManagementServer").casefold() == "$afterdrill"
    report = function(script, "Get-DrStateReport")
    inner = script_parameters(next(iter(nodes(report, "param_block"))))
    assert is_switch(inner["$anymanagementserver"]), script
    use_dr = [
        s
        for s in nodes(report, "if_statement")
        if [
            a
            for a in assignments(branch_block(s), "$mgmtServer")
            if key(a) == "$drmgmtserver"
        ]
    ]
    assert len(use_dr) == 1, script
    for any_server, actual, wanted in (
        (True, "SQLDR01", True),
        (False, "SQLDR01", False),
        (True, "SQLPROD01", False),
    ):
        env: dict[str, object] = {
            **report_env(report, "Dormant"),
            "$anymanagementserver": any_server,
            "$actualserver": actual,
            "$drmgmtserver": "SQLDR01",
        }
        for variable in variables(condition(use_dr[0])):
            if variable not in env:
                env[variable] = evaluate(only_assignment(report, variable), env)
        assert holds(use_dr[0], env) is wanted, (script, any_server, actual)


def test_test_after_drill_accepts_dr_registry(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Test-DrServer after a drill must not fail on the DR registry names."""
    for script in scripts(all_artifacts, "Test-DrServer.ps1"):
        check_after_drill(script)


# ============================================================================ -NoStart


def test_test_accepts_ready(all_artifacts: list[RenderedArtifact]) -> None:
    """Test-DrServer.ps1 -Expect Ready checks the -NoStart end state."""
    for script in scripts(all_artifacts, "Test-DrServer.ps1"):
        parameters = script_parameters(script_param_block(script))
        assert "Ready" in validate_set(parameters["$expect"]), script
        report = function(script, "Get-DrStateReport")
        report_parameters = script_parameters(
            next(c for c in nodes(report, "param_block"))
        )
        assert "Ready" in validate_set(report_parameters["$expect"]), script


# ============================================================================= runbook


def test_test_checks_msdtc_network_access(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """MSDTC network access (inbound, outbound) is read, never written."""
    wanted = {"NetworkDtcAccess", "NetworkDtcAccessInbound", "NetworkDtcAccessOutbound"}
    for script in scripts(all_artifacts, "Test-DrServer.ps1"):
        assert top_string(script, "MsdtcSecurityKey") == MSDTC_KEY
        report = function(script, "Get-DrStateReport")
        loops = [
            loop
            for loop in nodes(report, "foreach_statement")
            if wanted <= set(strings(loop.named_children[1]))
        ]
        assert len(loops) == 1, script
        reads = [
            c
            for c in named(commands_in(script, loops[0]), "Get-DrRegistryValue")
            if "$MsdtcSecurityKey" in c.arguments
        ]
        assert reads, script
        reader = function(script, "Get-DrRegistryValue")
        assert {c.name for c in commands_in(script, reader)} == {"Get-ItemProperty"}
        assert not [c for c in ps.commands(script.data) if ps.is_state_changing(c)]


# ==================================== the end-state report survives BizTalk WMI errors


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


def test_end_state_report_survives_unreachable_biztalk_wmi(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """SQL down must cost one failed row, not the services and pools report."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_report_survives_wmi(script)


# ============================================================== the group's SSO server


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


def test_ready_and_active_check_the_group_sso_server(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """After failover the group must name the DR master secret server."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_group_sso_row(script)


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "ready-starts-host-services": (
        "Test-DrServer.ps1",
        check_ready_report,
        "if ($running -or ($failedOver -and ($hostServices -notcontains $name))) {",
        "if ($failedOver) {",
    ),
    "ready-expects-pool-autostart": (
        "Enable-DrServer.ps1",
        check_ready_report,
        "-Expected (([string]$running).ToLowerInvariant())",
        "-Expected (([string]$failedOver).ToLowerInvariant())",
    ),
    "after-drill-not-passed": (
        "Test-DrServer.ps1",
        check_after_drill,
        " -AnyManagementServer:$AfterDrill",
        "",
    ),
    "wmi-error-ends-the-report": (
        "Test-DrServer.ps1",
        check_report_survives_wmi,
        "    catch {\n        Add-DrCheck -Results $results"
        " -Id 'wmi:host-instances' -Check 'BizTalk WMI (host instances)'",
        "    catch {\n        throw\n        Add-DrCheck -Results $results"
        " -Id 'wmi:host-instances' -Check 'BizTalk WMI (host instances)'",
    ),
    "ready-not-checked": (
        "Test-DrServer.ps1",
        check_group_sso_row,
        "    if ($failedOver) {\n        # Enable-DrServer.ps1 on the master",
        "    if ($running) {\n        # Enable-DrServer.ps1 on the master",
    ),
    "fqdn-fails": (
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
    for script in scripts_with(all_artifacts, name, old):
        check(script)
        broken = mutated(script, old, new)
        assert not ps.syntax_problems(broken.data), mutation
        with pytest.raises(AssertionError):
            check(broken)
