"""The state folder: in %ProgramData%, outside the bundle, created by
Initialize-DrServer.ps1 and trusted only when owned by administrators; an
old state file beside the scripts is reported, not imported.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import pytest
from tree_sitter import Node

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import evaluate, reachable, reached_throws, truthy
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    ADMINISTRATORS,
    CHANGING_SERVER,
    SERVER_SCRIPTS,
    SYSTEM,
    Checker,
    Script,
    function,
    help_comment,
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
    command_nodes,
    condition,
    enclosing_function,
    in_function,
    key,
    keyword_statements,
    member_accesses,
    method_calls,
    one,
    statement_of,
    strings,
    variables,
    within,
)

pytestmark = pytest.mark.oracle

#: The server scripts this review covers (Enable is reviewed elsewhere).
REVIEWED: Final = (
    "Initialize-DrServer.ps1",
    "Disable-DrServer.ps1",
    "Test-DrServer.ps1",
)


# ============================================== state outside the bundle, trusted only


#: Commands and .NET methods that write a file or folder.
WRITERS: Final = frozenset(
    {
        "set-content",
        "add-content",
        "out-file",
        "new-item",
        "copy-item",
        "move-item",
        "export-clixml",
        "export-csv",
        "tee-object",
    }
)


WRITE_METHODS: Final = frozenset(
    {
        "writealltext",
        "writealllines",
        "writeallbytes",
        "appendalltext",
        "appendalllines",
        "create",
        "createtext",
        "createdirectory",
        "move",
        "copy",
    }
)


def state_paths(script: Script) -> set[str]:
    """$StateFolder and every variable joined onto it."""
    found = {"$statefolder"}
    changed = True
    while changed:
        changed = False
        for join in command_nodes(script.root, "Join-Path"):
            path = argument(join, "-Path")
            if path is None or key(path) not in found:
                continue
            for parent in ancestors(join):
                if parent.type == "assignment_expression":
                    target = key(parent.named_children[0])
                    if target not in found:
                        found.add(target)
                        changed = True
                    break
    return found


def state_writes(script: Script) -> list[Node]:
    paths = state_paths(script)
    found = [
        c
        for c in nodes(script.root, "command")
        if key(c.child_by_field_name("command_name") or c) in WRITERS
        and variables(c) & paths
    ]
    found += [
        call
        for method, _, arguments, call in method_calls(script.root)
        if method.casefold() in WRITE_METHODS
        and arguments
        and variables(arguments[0]) & paths
    ]
    return found


def check_state_folder(script: Script) -> None:
    """$StateFolder lives under ProgramData, not beside the (re-copied) script."""
    value = top_assignment(script, "StateFolder")
    assert "$env:programdata" in variables(value), script
    assert "$psscriptroot" not in variables(value), script


def check_state_writes(script: Script) -> None:
    """Every write to the state folder comes after Initialize-DrStateFolder."""
    writes = state_writes(script)
    assert writes, script
    for write in writes:
        scope = enclosing_function(write) or script.root
        # Called earlier in a block that holds the write: on its path.
        guards = [
            call
            for call in command_nodes(scope, "Initialize-DrStateFolder")
            if call.end_byte < write.start_byte
            and within(
                write,
                next(a for a in ancestors(call) if a.type == "statement_list"),
            )
        ]
        assert guards, (script, ps_line(write), text(write)[:80])


def ps_line(node: Node) -> int:
    return node.start_point.row + 1


StateEnv = Callable[[bool, bool], dict[str, object]]


def check_initialize_state_folder(script: Script, state: StateEnv) -> None:
    """Initialize-DrStateFolder creates it protected, refuses an untrusted one."""
    init = function(script, "Initialize-DrStateFolder")
    (create,) = command_nodes(init, "New-DrProtectedFolder")
    assert argument_text(create, "-Path").casefold() == "$statefolder", script
    for probe in command_nodes(init, "Test-Path") + command_nodes(
        init, "Test-DrTrustedFolder"
    ):
        path = argument(probe, "-LiteralPath") or argument(probe, "-Path")
        assert path is not None, script
        assert key(path) == "$statefolder", script
    assert reachable(create, state(False, False), init) is True, script
    assert reachable(create, state(True, True), init) is False, script
    assert reached_throws(init, state(True, False)), script
    assert not reached_throws(init, state(True, True)), script
    assert not reached_throws(init, state(False, False)), script


def check_state_trust(script: Script) -> None:
    """An untrusted state folder: Initialize refuses it, the reader ignores it."""

    def state(exists: bool, trusted: bool) -> dict[str, object]:
        return {"test-path": exists, "test-drtrustedfolder": trusted}

    if script.name in CHANGING_SERVER:
        check_initialize_state_folder(script, state)
    read = function(script, "Read-DrStartupState")
    (load,) = command_nodes(read, "Get-Content")
    trusts = command_nodes(read, "Test-DrTrustedFolder")
    assert trusts, script
    assert all(argument_text(t, "-Path").casefold() == "$statefolder" for t in trusts)
    assert reachable(load, state(True, True), read) is True, script
    assert reachable(load, state(True, False), read) is False, script
    trusted = function(script, "Test-DrTrustedFolder")
    returns = keyword_statements(trusted, "return")
    last = returns[-1].named_children[-1]
    owner_variables = variables(last) - {"$privilegedsids"}
    assert len(owner_variables) == 1, script
    (owner,) = owner_variables
    for sid, wanted in ((ADMINISTRATORS, True), (SYSTEM, True), ("S-1-1-0", False)):
        env = {"$privilegedsids": [ADMINISTRATORS, SYSTEM], owner: sid}
        assert truthy(evaluate(last, env)) is wanted, (script, sid)
    linked = [
        r
        for r in returns
        if key(r.named_children[-1]) == "$false"
        and any(
            "ReparsePoint" in {m for _, m in member_accesses(condition(a))}
            for a in ancestors(r)
            if a.type == "if_statement"
        )
    ]
    assert linked, script


def test_state_folder_survives_a_recopied_bundle(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A re-copied bundle must not forget startup types or a pending WMI restart."""
    for script in scripts(all_artifacts):
        if script.art.path.parts[1] == "production":
            continue  # Export-BizTalkGroup.ps1 keeps no state (it writes one file)
        check_state_folder(script)


def test_state_writes_go_through_initialize(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """No write may follow a link or land in a folder another user made."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_state_writes(script)


def test_checker_accepts_initialize_before_the_wmi_marker(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The write check must pass once Restart-DrWmi initializes the folder."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        marker = "        Set-Content -LiteralPath $WmiRestartMarker -Value (@("
        check_state_writes(
            mutated(script, marker, f"        Initialize-DrStateFolder\n{marker}")
        )


def test_untrusted_state_folder_refused_or_ignored(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A planted drgen-state folder must not be written to or believed."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_state_trust(script)


# ======================================== state in %ProgramData%, legacy file reported


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


def test_help_and_comments_name_the_programdata_state(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """No help text may point at the state folder the scripts no longer use."""
    for script in scripts(all_artifacts, *REVIEWED):
        check_state_comments(script)
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        assert "%ProgramData%\\drgen-state\\previous-startup-types.json" in (
            help_comment(script)
        ), script


def test_legacy_state_file_is_reported_not_imported(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """An older bundle's record must be neither silently ignored nor used."""
    for script in scripts(all_artifacts, *SERVER_SCRIPTS):
        check_legacy_state(script)


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "state-beside-the-script": (
        "Test-DrServer.ps1",
        check_state_folder,
        "Join-Path -Path $env:ProgramData -ChildPath 'drgen-state'",
        "Join-Path -Path $PSScriptRoot -ChildPath 'state'",
    ),
    "untrusted-state-folder-accepted": (
        "Enable-DrServer.ps1",
        check_state_trust,
        "        throw ('{0} is a link or is not owned",
        "        Write-Warning ('{0} is a link or is not owned",
    ),
    "help-names-old-state": (
        "Initialize-DrServer.ps1",
        check_state_comments,
        "%ProgramData%\\drgen-state\\previous-startup-types.json",
        "state\\previous-startup-types.json",
    ),
    "legacy-state-silent": (
        "Test-DrServer.ps1",
        check_legacy_state,
        "(Test-Path -LiteralPath $LegacyStartupStateFile -PathType Leaf)) {",
        "(Test-Path -LiteralPath $LegacyStartupStateFile -PathType Leaf)"
        " -and $false) {",
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
