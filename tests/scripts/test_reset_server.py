"""Reset-DrServer.ps1: back to prepared standby after a drill (issue 18, item 1).

Read on the tree-sitter-pwsh parse tree of the rendered scripts of both example
inventories, with the three-valued evaluator of tests/support/evaluator.py: it
refuses unless the production management database answers and is the group's;
every change sits inside ShouldProcess, and a declined UpdateRegistry.vbs stops the
run; it runs UpdateRegistry.vbs with UpdateInfo-Rearm.xml only while a value names
DR, and never UpdateDatabase.vbs; it ends by checking Dormant with the production
names, which Test-DrServer.ps1 -Expect Dormant requires too. Each checker is shown
to fail on a mutated script. That it restarts WMI as Enable does:
tests/scripts/test_wmi_restart.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import pytest
from tree_sitter import Node

from generator.catalogue import CATALOGUE
from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import (
    always_throws,
    clauses,
    evaluate,
    holds,
    owner_if,
    reachable,
    run,
    should_process_clauses,
    statements,
)
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    Script,
    function,
    functions,
    main_body,
    mutated,
    scripts,
    top_assignment,
    top_string,
)
from tests.support.tree import (
    ancestors,
    argument,
    argument_text,
    branch_block,
    clause_block,
    command_nodes,
    condition,
    key,
    loop_body,
    loop_variable,
    loops_over,
    method_calls,
    named,
    only_assignment,
    parameter_value,
    records,
    strings,
    try_of,
    variables,
    within,
)

pytestmark = pytest.mark.oracle

RESET = "Reset-DrServer.ps1"

#: The run block's steps, in order (facts §1.6/§1.7 the other way round).
STEPS: Final = (
    "Assert-DrPreflight",
    "Assert-DrStoodDown",
    "Assert-DrProductionGroup",
    "Protect-DrLogFolder",
    "Remove-DrStalePrivateFolders",
    "Set-DrAppPool",
    "Set-DrServiceDormant",
    "Update-DrRegistryToProduction",
    "Assert-DrRegistryNamesProduction",
    "Restart-DrWmi",
    "Stop-DrHostInstance",
    "Set-DrHostInstanceDisabled",
    "Assert-DrEndState",
)
#: Run-block steps that change the server (each asks ShouldProcess inside).
CHANGES: Final = frozenset(STEPS[3:]) - {
    "Assert-DrRegistryNamesProduction",
    "Assert-DrEndState",
}


def resets(all_artifacts: list[RenderedArtifact]) -> list[Script]:
    found = scripts(all_artifacts, RESET)
    # One per DR server of both examples.
    assert len(found) == 5
    return found


def one(found: list[Node], why: object) -> Node:
    """The one node a checker expects (an AssertionError otherwise, so a mutation
    that removes or doubles it fails the checker)."""
    assert len(found) == 1, (why, len(found))
    return found[0]


def run_calls(script: Script, name: str) -> list[Node]:
    """``name`` called in the run block (outside every function)."""
    return [
        c
        for c in command_nodes(script.root, name)
        if not any(a.type == "function_statement" for a in ancestors(c))
    ]


def expand(node: Node, script: Script) -> object:
    """The value of an argument list, top-level string variables resolved."""
    env: dict[str, object] = {}
    for variable in variables(node):
        try:
            env[variable] = top_string(script, variable.lstrip("$"))
        except AssertionError:
            continue
    return evaluate(node, env)


# ======================================= 1. UpdateRegistry.vbs, never UpdateDatabase


def check_update_registry_only(script: Script) -> None:
    """The one cscript run is UpdateRegistry.vbs with UpdateInfo-Rearm.xml; no code
    (comments aside) names UpdateDatabase.vbs or UpdateInfo.xml."""
    root = script.root
    banned = ("UpdateDatabase", "UpdateInfo.xml")
    for node in ps.walk(root):
        if node.type in {"string_literal", "command_name", "generic_token"}:
            assert not any(b.casefold() in text(node).casefold() for b in banned), (
                script,
                text(node),
            )
    assert top_string(script, "RearmInfoName") == "UpdateInfo-Rearm.xml", script
    runs = [
        c
        for c in command_nodes(root, "Invoke-DrNative")
        if argument_text(c, "-FilePath") == "(Get-DrCscript)"
    ]
    assert len(runs) == 1, script
    value = argument(runs[0], "-ArgumentList")
    assert value is not None, script
    assert expand(value, script) == [
        CATALOGUE["arg:cscript.exe//NoLogo"],
        CATALOGUE["file:UpdateRegistry.vbs"],
        "UpdateInfo-Rearm.xml",
    ], script
    # UpdateInfo.xml's hash is in the shared data block, and read by no code here.
    uses = [v for v in nodes(root, "variable") if key(v) == "$updateinfosha256"]
    assert len(uses) == 1, script


def test_reset_runs_update_registry_with_the_rearm_file_never_update_database(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in resets(all_artifacts):
        check_update_registry_only(script)


# ======================================================= 2. production or nothing


def check_production_refusal(script: Script) -> None:
    """Assert-DrProductionGroup runs before any change, reads the production
    management database named in the data block, and throws unless it answers,
    holds this group and names no DR MessageBox."""
    body = [c.name for c in main_body(script)]
    assert "Assert-DrProductionGroup" in body, script
    first_change = min(body.index(n) for n in CHANGES if n in body)
    assert body.index("Assert-DrProductionGroup") < first_change, script
    assert body.index("Assert-DrPreflight") < first_change, script
    call = one(run_calls(script, "Assert-DrProductionGroup"), script)
    # In the frame's try only: its catch records the problem (exit 1).
    statement, _ = try_of(call)
    catch = clause_block(statement, "catch_clause")
    assert catch is not None, script
    assert command_nodes(catch, "Write-DrProblem"), script
    assert not [a for a in ancestors(statement) if a.type == "try_statement"], script
    fn = function(script, "Assert-DrProductionGroup")
    queries = command_nodes(fn, "Invoke-DrSqlQuery")
    assert len(queries) == 2, script
    for query in queries:
        assert argument_text(query, "-Server") == "$ProductionMgmtServer", script
        assert argument_text(query, "-Database") == "$ProductionMgmtDatabase", script
        reading, _ = try_of(query)
        failed = clause_block(reading, "catch_clause")
        assert failed is not None, script
        assert always_throws(failed), script
    sql = {argument_text(q, "-Query").lstrip("$").casefold() for q in queries}
    assert sql == {"groupnamequery", "messageboxserversquery"}, script
    # Catalogue names only (tests/catalogue/test_script_names.py checks each
    # SELECT too).
    group_sql = f"SELECT {CATALOGUE['sql:adm_Group.Name']} FROM dbo."  # noqa: S608
    assert top_string(script, "GroupNameQuery") == (
        group_sql + CATALOGUE["sql:adm_Group"]
    ), script
    box_sql = f"SELECT {CATALOGUE['sql:adm_MessageBox.DBServerName']} FROM dbo."  # noqa: S608
    assert top_string(script, "MessageBoxServersQuery") == (
        box_sql + CATALOGUE["sql:adm_MessageBox"]
    ), script
    group = top_string(script, "GroupName")
    drs = strings(top_assignment(script, "DrSqlInstances"))
    name_check = one(
        [
            s
            for s in nodes(fn, "if_statement")
            if "$groupname" in variables(condition(s))
        ],
        script,
    )
    assert always_throws(branch_block(name_check)), script
    for names, refused in (
        ([group], False),
        ([group.upper()], False),
        (["Another group"], True),
        ([], True),
        ([group, group], True),
    ):
        env = {
            "$names.count": len(names),
            "$names[0]": names[0] if names else None,
            "$groupname": group,
        }
        assert holds(name_check, env) is refused, (script, names)
    empty = one(
        [
            s
            for s in nodes(fn, "if_statement")
            if key(condition(s)) == "$servers.count -eq 0"
        ],
        script,
    )
    assert always_throws(branch_block(empty)), script
    loop = one(loops_over(fn, "$servers"), script)
    dr_check = one(nodes(loop, "if_statement"), script)
    assert always_throws(branch_block(dr_check)), script
    for server, refused in ((drs[0], True), (drs[0].lower(), True), ("PRODSQL", False)):
        case: dict[str, object] = {"$drsqlinstances": drs, loop_variable(loop): server}
        assert holds(dr_check, case) is refused, (script, server)


def check_stood_down(script: Script) -> None:
    """Reset refuses (throws, before any change) unless every BizTalk service of
    the server is Disabled and stopped: a DR site that failed over for real runs
    them, and a re-arm must never switch it off (review finding, issue 18)."""
    fn = function(script, "Assert-DrStoodDown")
    loop = one(loops_over(fn, "$services"), script)
    live = one(
        [s for s in nodes(loop, "if_statement") if "$starttype" in key(condition(s))],
        script,
    )
    for start, status, counted in (
        ("Disabled", "Stopped", False),
        ("Automatic", "Stopped", True),
        ("Disabled", "Running", True),
        ("Manual", "Running", True),
    ):
        env = {"$starttype": start, "$status": status}
        assert holds(live, env) is counted, (script, start, status)
    refusal = one(
        [
            s
            for s in nodes(fn, "if_statement")
            if key(condition(s)) == "$live.count -gt 0"
        ],
        script,
    )
    assert always_throws(branch_block(refusal)), script
    body = [c.name for c in main_body(script)]
    assert body.index("Assert-DrStoodDown") < body.index("Protect-DrLogFolder"), script


def test_reset_refuses_a_server_that_was_not_stood_down(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in resets(all_artifacts):
        check_stood_down(script)


def test_reset_refuses_unless_production_is_the_groups(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A real failover must never be pointed back at a site that is gone."""
    for script in resets(all_artifacts):
        check_production_refusal(script)


# ================================================= 3. every change in ShouldProcess


def check_should_process(script: Script) -> None:
    """No state-changing command or method outside ShouldProcess (the oracle's
    lint); each function that asks declares SupportsShouldProcess; the run block
    changes nothing itself; UpdateRegistry.vbs, its marker, its input copy and the
    copy's removal are all inside the one approved change, and a No stops the run."""
    assert ps.lint(script.data) == [], script
    for name, fn in functions(script).items():
        if not should_process_clauses(fn):
            continue
        binding = nodes(fn, "attribute")
        assert any("supportsshouldprocess = $true" in key(a) for a in binding), (
            script,
            name,
        )
    for command in main_body(script):
        assert not ps.is_state_changing(command), (script, command.name)
    fn = function(script, "Update-DrRegistryToProduction")
    clause = one(should_process_clauses(fn), script)
    block = branch_block(clause)
    inside = [
        *command_nodes(fn, "Invoke-DrNative"),
        *command_nodes(fn, "Set-Content"),
        *command_nodes(fn, "Remove-Item"),
        *command_nodes(fn, "Read-DrVerifiedFile"),
        *[c for m, _, _, c in method_calls(fn) if m == "WriteAllBytes"],
    ]
    assert len(inside) == 5, script
    assert all(within(node, block) for node in inside), script
    chain = clauses(owner_if(clause))
    declined = chain[chain.index(clause) + 1]
    assert declined.type == "elseif_clause", script
    assert holds(declined, {"$whatifpreference": False}) is True, script
    assert holds(declined, {"$whatifpreference": True}) is False, script
    assert always_throws(branch_block(declined)), script


def test_every_change_of_reset_is_inside_should_process(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in resets(all_artifacts):
        check_should_process(script)


# ============================================ 4. only while a value still names DR


def check_pending_means_dr(script: Script) -> None:
    """UpdateRegistry.vbs runs while some checked value names its DR instance, and
    only then: a second run (or one after a production-side change) skips it."""
    fn = function(script, "Update-DrRegistryToProduction")
    (clause,) = should_process_clauses(fn)
    for count in (0, 1, 4):
        env = {"$pending.count": count, "shouldprocess()": True}
        assert reachable(clause, env, fn) is (count > 0), (script, count)
    pending = function(script, "Get-DrPendingRegistryReferences")
    (loop,) = loops_over(pending, "$RegistryChecks")
    item = loop_variable(loop)
    outputs = [
        s
        for s in nodes(loop_body(loop), "pipeline")
        if s.parent is not None
        and s.parent.type == "statement_list"
        and not nodes(s, "assignment_expression")
    ]
    assert len(outputs) == 1, script
    for value, wanted in (
        ("SQLDR01", True),
        ("sqldr01", True),
        ("SQLPROD01", False),
        ("OTHER", False),
        ("", False),
    ):
        case = {
            "$value": value,
            f"{item}.dr": "SQLDR01",
            f"{item}.production": "SQLPROD01",
            f"{item}.optional": value == "",
        }
        assert reachable(outputs[0], case, loop_body(loop)) is wanted, (script, value)


def test_reset_runs_update_registry_only_while_a_value_names_dr(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in resets(all_artifacts):
        check_pending_means_dr(script)


# ====================================================== 5. the steps, in order


def check_steps(script: Script) -> None:
    """Refusal first; then dormant services; UpdateRegistry.vbs; every value read
    back; WMI; host instances in the production group; Dormant with production
    names. Nothing is started or enabled."""
    body = main_body(script)
    steps = [c.name for c in body if c.name in STEPS]
    assert steps == list(STEPS), script
    for pool in named(body, "Set-DrAppPool"):
        assert parameter_value(pool, "-Running") == "$false", script
    for disabled in named(body, "Set-DrHostInstanceDisabled"):
        assert parameter_value(disabled, "-Disabled") == "$true", script
    ends = named(body, "Assert-DrEndState")
    assert len(ends) == 1, script
    end = ends[0]
    assert parameter_value(end, "-Expect") == "'Dormant'", script
    # Not -AnyManagementServer: the end state requires the production names.
    assert "-AnyManagementServer" not in " ".join(end.arguments), script
    defined = set(functions(script))
    assert not defined & {
        "Start-DrService",
        "Enable-DrService",
        "Enable-DrHostInstance",
    }
    assert "'Start'" not in script.art.text, script
    # The only Start() calls bring WMI (and its dependents) back after the restart.
    for method, _, _, call in method_calls(script.root):
        if method == "Start":
            owner = next(a for a in ancestors(call) if a.type == "function_statement")
            assert text(owner.children[1]) in {"Restart-DrWinmgmt", "Restart-DrWmi"}


def test_reset_steps_in_order_and_starts_nothing(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in resets(all_artifacts):
        check_steps(script)


def test_reset_reads_the_reviewed_rearm_file(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Pre-flight checks the hash; the change writes the bytes that were hashed."""
    for script in resets(all_artifacts):
        preflight = function(script, "Assert-DrPreflight")
        (check,) = command_nodes(preflight, "Assert-DrFileHash")
        assert argument_text(check, "-Path") == "$RearmInfoPath", script
        assert argument_text(check, "-Sha256") == "$RearmInfoSha256", script
        fn = function(script, "Update-DrRegistryToProduction")
        (read,) = command_nodes(fn, "Read-DrVerifiedFile")
        assert argument_text(read, "-Sha256") == "$RearmInfoSha256", script
        (write,) = [c for m, _, a, c in method_calls(fn) if m == "WriteAllBytes"]
        assert key(write).endswith("($copy, $bytes)"), script
        assert key(only_assignment(fn, "$bytes")).startswith("read-drverifiedfile")
        # The copy beside UpdateDatabase.vbs is removed whatever happened.
        (removal,) = command_nodes(fn, "Remove-Item")
        statement, _ = try_of(command_nodes(fn, "Invoke-DrNative")[0])
        finally_ = clause_block(statement, "finally_clause")
        assert finally_ is not None, script
        assert within(removal, finally_), script
        assert argument_text(removal, "-LiteralPath") == "$copy", script


def check_registry_read_back(script: Script) -> None:
    """After UpdateRegistry.vbs every checked value must name production; one that
    names DR (or anything else) stops the real run, -WhatIf only reports it."""
    fn = function(script, "Assert-DrRegistryNamesProduction")
    (loop,) = loops_over(fn, "$RegistryChecks")
    item = loop_variable(loop)
    adds = command_nodes(loop, "$wrong.Add") or [
        c for m, _, _, c in method_calls(loop) if m == "Add"
    ]
    assert len(adds) == 2, script
    for value, bad in (("SQLPROD01", False), ("SQLDR01", True), ("ELSEWHERE", True)):
        env = {
            "$value": value,
            f"{item}.production": "SQLPROD01",
            f"{item}.dr": "SQLDR01",
            f"{item}.optional": False,
        }
        reached = {reachable(a, env, loop_body(loop)) for a in adds}
        assert (True in reached) is bad, (script, value)
    stop = one(
        [
            s
            for s in nodes(fn, "if_statement")
            if key(condition(s)) == "$wrong.count -gt 0"
        ],
        script,
    )
    throws = nodes(branch_block(stop), "flow_control_statement")
    assert any(
        reachable(t, {"$whatifpreference": False}, branch_block(stop)) is True
        and text(t).startswith("throw")
        for t in throws
    ), script


def test_reset_reads_every_value_back(all_artifacts: list[RenderedArtifact]) -> None:
    for script in resets(all_artifacts):
        check_registry_read_back(script)


# ================================== 6. Test-DrServer -Expect Dormant: production


def check_dormant_wants_production(script: Script) -> None:
    """Get-DrStateReport -Expect Dormant (no -AfterDrill) expects every registry
    reference to name production; -AfterDrill with the DR management server, DR."""
    report = function(script, "Get-DrStateReport")
    (loop,) = loops_over(report, "$RegistryChecks")
    item = loop_variable(loop)
    for after_drill, actual, wanted in (
        (False, "SQLDR01", "PROD"),
        (False, "SQLPROD01", "PROD"),
        (True, "SQLPROD01", "PROD"),
        (True, "SQLDR01", "DR"),
    ):
        env: dict[str, object] = {
            "$expect": "Dormant",
            "$anymanagementserver": after_drill,
            "$actualserver": actual,
            "$drmgmtserver": "SQLDR01",
            "$productionmgmtserver": "SQLPROD01",
            "$drmgmtdatabase": "BizTalkMgmtDb",
            "$productionmgmtdatabase": "BizTalkMgmtDb",
        }
        for variable in ("$failedOver", "$useDr"):
            env[variable.casefold()] = evaluate(only_assignment(report, variable), env)
        top = statements(nodes(report, "script_block_body")[0])
        (mgmt,) = {
            s["$mgmtserver"]
            for s in run(
                [s for s in top if "$mgmtserver" in key(s)],
                env,
                {"$mgmtserver": None},
            )
        }
        assert mgmt == ("SQLDR01" if wanted == "DR" else "SQLPROD01"), (script, env)
        case = {
            **env,
            "$value": "x",
            f"{item}.key": "another key",
            "$adminregistrykey": "the management key",
            f"{item}.optional": False,
            f"{item}.production": "PROD",
            f"{item}.dr": "DR",
        }
        outcomes = run(statements(loop_body(loop)), case, {"$wanted": None})
        assert {o["$wanted"] for o in outcomes} == {wanted}, (script, env)
    # What is checked: every value UpdateRegistry.vbs moves, with production values.
    rows = records(top_assignment(script, "RegistryChecks"))
    keys = {(r["Key"], r["Value"]) for r in rows}
    assert {
        (CATALOGUE["reg:biztalk-admin"], "MgmtDBServer"),
        (CATALOGUE["reg:biztalk-admin-wow64"], "MgmtDBServer"),
        (CATALOGUE["reg:sso-sql"], "Server"),
    } <= keys, script
    if text(top_assignment(script, "RulesEngine")).strip() == "$true":
        assert {
            (CATALOGUE["reg:rules"], "DatabaseServer"),
            (CATALOGUE["reg:rules-wow64"], "DatabaseServer"),
        } <= keys, script
    production = top_string(script, "ProductionMgmtServer")
    (admin,) = [r for r in rows if r["Key"] == CATALOGUE["reg:biztalk-admin"]]
    assert admin["Production"] == production, script


def test_dormant_requires_the_production_registry_names(
    all_artifacts: list[RenderedArtifact],
) -> None:
    for script in scripts(all_artifacts, "Test-DrServer.ps1", RESET):
        check_dormant_wants_production(script)


# ============================================================== counter-tests

#: name -> (checker, text in the rendered Reset script, its mutation).
MUTATIONS: Final[dict[str, tuple[Callable[[Script], None], str, str]]] = {
    "update-database": (
        check_update_registry_only,
        "'//NoLogo', 'UpdateRegistry.vbs', $RearmInfoName",
        "'//NoLogo', 'UpdateDatabase.vbs', $RearmInfoName",
    ),
    "forward-file": (
        check_update_registry_only,
        "$RearmInfoName = 'UpdateInfo-Rearm.xml'",
        "$RearmInfoName = 'UpdateInfo.xml'",
    ),
    "no-refusal": (
        check_production_refusal,
        "    Assert-DrProductionGroup\n",
        "\n",
    ),
    "refusal-after-changes": (
        check_production_refusal,
        "    Assert-DrProductionGroup\n    Protect-DrLogFolder\n",
        "    Protect-DrLogFolder\n    Assert-DrProductionGroup\n",
    ),
    "unreadable-only-warns": (
        check_production_refusal,
        "        throw ('The production management database",
        "        Write-Warning -Message ('The production management database",
    ),
    "any-group": (
        check_production_refusal,
        "($names[0] -ne $GroupName)",
        "($names[0] -eq $names[0])",
    ),
    "unguarded-copy": (
        check_should_process,
        "    $pending = @(Get-DrPendingRegistryReferences)\n",
        "    $pending = @(Get-DrPendingRegistryReferences)\n"
        "    Remove-Item -LiteralPath $RearmInfoPath -Force\n",
    ),
    "declined-goes-on": (
        check_should_process,
        "        throw 'UpdateRegistry.vbs was declined;",
        "        Write-Warning -Message 'UpdateRegistry.vbs was declined;",
    ),
    "always-update-registry": (
        check_pending_means_dr,
        "        if ($value -eq $check.Dr) {\n",
        "        if ($value -ne $check.Production) {\n",
    ),
    "end-state-any-server": (
        check_steps,
        "        Assert-DrEndState -Expect 'Dormant'\n",
        "        Assert-DrEndState -Expect 'Dormant' -AnyManagementServer\n",
    ),
    "stood-down-ignores-running": (
        check_stood_down,
        "if (($startType -ne 'Disabled') -or ($status -ne 'Stopped')) {",
        "if (($startType -ne 'Disabled') -and ($status -ne 'Stopped')) {",
    ),
    "stood-down-warns-only": (
        check_stood_down,
        "        throw ('Nothing was changed: this server was not stood down",
        "        Write-Warning ('Nothing was changed: this server was not stood down",
    ),
    "read-back-accepts-dr": (
        check_registry_read_back,
        "        elseif ($value -eq $check.Dr) {\n            $wrong.Add(",
        "        elseif ($value -eq $check.Dr) {\n            Write-Host (",
    ),
}

#: The same for Test-DrServer.ps1.
TEST_MUTATIONS: Final[dict[str, tuple[str, str]]] = {
    "dormant-wants-dr": (
        "        $wanted = $check.Production\n",
        "        $wanted = $check.Dr\n",
    ),
    "dormant-uses-dr-always": (
        "$useDr = $failedOver -or ($AnyManagementServer -and ",
        "$useDr = $true -or ($AnyManagementServer -and ",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_counter_reset_checker_fails_on_mutated_script(
    all_artifacts: list[RenderedArtifact], mutation: str
) -> None:
    check, old, new = MUTATIONS[mutation]
    script = resets(all_artifacts)[0]
    check(script)
    broken = mutated(script, old, new)
    assert not ps.syntax_problems(broken.data), mutation
    with pytest.raises(AssertionError):
        check(broken)


@pytest.mark.parametrize("mutation", sorted(TEST_MUTATIONS))
def test_counter_dormant_checker_fails_on_mutated_script(
    all_artifacts: list[RenderedArtifact], mutation: str
) -> None:
    old, new = TEST_MUTATIONS[mutation]
    script = scripts(all_artifacts, "Test-DrServer.ps1")[0]
    check_dormant_wants_production(script)
    broken = mutated(script, old, new)
    assert not ps.syntax_problems(broken.data), mutation
    with pytest.raises(AssertionError):
        check_dormant_wants_production(broken)
