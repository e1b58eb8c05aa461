"""Private folders left by an interrupted run (answer-file copies): removed
first, and only drgen's own.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import uuid
from typing import Final

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import Truth, reachable
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    ADMINISTRATORS,
    CHANGING_SERVER,
    SYSTEM,
    UPDATE,
    Checker,
    Script,
    counter,
    function,
    main_body,
    mutated,
    scripts,
    scripts_with,
    top_assignment,
)
from tests.support.tree import (
    ancestors,
    argument_text,
    assigned_variable,
    branch_block,
    command_nodes,
    condition,
    guarded,
    in_function,
    key,
    keyword_statements,
    loop_body,
    loop_variable,
    member_accesses,
    method_calls,
    strings,
    variables,
    within,
)

pytestmark = pytest.mark.oracle


# ========================================================= stale private folders first


def check_stale_first(script: Script) -> None:
    """Remove-DrStalePrivateFolders is the first step after Protect-DrLogFolder."""
    body = [c.name for c in main_body(script)]
    protect = body.index("Protect-DrLogFolder")
    assert body[protect + 1] == "Remove-DrStalePrivateFolders", (script, body[:8])
    if "Assert-DrPreflight" in body:
        assert protect + 1 < body.index("Assert-DrPreflight"), script
    calls = [
        c
        for c in command_nodes(script.root, "Remove-DrStalePrivateFolders")
        if not in_function(c)
    ]
    assert len(calls) == 1, script
    env = {"$whatifpreference": False}
    assert reachable(calls[0], env, script.root) is True, script


def check_stale_function(script: Script) -> None:
    """Only drgen-<32 hex> folders, not links, owned by Administrators or SYSTEM."""
    assert strings(top_assignment(script, "PrivilegedSids")) == [ADMINISTRATORS, SYSTEM]
    fn = function(script, "Remove-DrStalePrivateFolders")
    (listing,) = command_nodes(fn, "Get-ChildItem")
    assert argument_text(listing, "-LiteralPath").casefold() == "$env:programdata"
    (remove,) = command_nodes(fn, "Remove-Item")
    (loop,) = [loop for loop in nodes(fn, "foreach_statement") if within(remove, loop)]
    folder = loop_variable(loop)
    owners = [call for method, _, _, call in method_calls(fn) if method == "GetOwner"]
    assert len(owners) == 1, script
    owner = next(
        key(a.named_children[0])
        for a in ancestors(owners[0])
        if a.type == "assignment_expression"
    )
    sids = [ADMINISTRATORS, SYSTEM]

    def removed(name: str, attributes: int, sid: str) -> Truth:
        env = {
            f"{folder}.name": name,
            f"{folder}.attributes": attributes,
            "[system.io.fileattributes]::reparsepoint": 1024,
            "$privilegedsids": sids,
            owner: sid,
            "shouldprocess()": True,
        }
        return reachable(remove, env, loop_body(loop))

    fresh = f"drgen-{uuid.uuid4().hex}"
    assert removed(fresh, 16, ADMINISTRATORS) is True, script
    assert removed(fresh, 16, SYSTEM) is True, script
    for name in ("drgen-state", f"x{fresh}", f"{fresh}0", fresh[:-1], "drgen-"):
        assert removed(name, 16, ADMINISTRATORS) is False, (script, name)
    assert removed(fresh, 16 | 1024, ADMINISTRATORS) is False, script
    for sid in ("S-1-5-21-1004336348-1177238915-682003330-1001", "S-1-1-0", ""):
        assert removed(fresh, 16, sid) is False, (script, sid)


def test_stale_private_folders_removed_first(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """An answer-file copy with passwords must not outlive the next changing run."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_stale_first(script)


def test_only_our_own_stale_folders_are_removed(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A link, another user's folder or drgen-state must never be deleted."""
    for script in scripts(all_artifacts, *CHANGING_SERVER):
        check_stale_function(script)


# ==================================================================== secrets and logs


def test_stale_folders_checked_before_removal(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Only real folders owned by Administrators/SYSTEM are deleted."""
    for script in scripts(all_artifacts, "Initialize-DrServer.ps1"):
        cleanup = function(script, "Remove-DrStalePrivateFolders")
        (remove,) = command_nodes(cleanup, "Remove-Item")
        assert guarded(remove), script
        skips = [
            s
            for s in nodes(cleanup, "if_statement")
            if s.end_byte < remove.start_byte
            and keyword_statements(branch_block(s), "continue")
        ]
        reparse = [
            s
            for s in skips
            if "ReparsePoint" in {m for _, m in member_accesses(condition(s))}
        ]
        assert reparse, script
        owner_calls = [
            call
            for method, _, arguments, call in method_calls(cleanup)
            if method == "GetOwner"
            and arguments
            and "SecurityIdentifier" in text(arguments[0])
            and call.end_byte < remove.start_byte
        ]
        assert len(owner_calls) == 1, script
        owner = assigned_variable(owner_calls[0])
        assert [
            s
            for s in skips
            if owner in variables(condition(s))
            and "$privilegedsids" in variables(condition(s))
        ], script


# =============================== Update-DrGroupDatabases removes stale private folders


def check_update_stale_folders(script: Script) -> None:
    """Update-DrGroupDatabases, like every script that makes changes, removes an
    answer-file copy left by an interrupted prepare run first thing."""
    check_stale_first(script)
    check_stale_function(script)


def test_update_removes_stale_private_folders(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """A password copy must not outlive the next changing run on that server."""
    for script in scripts(all_artifacts, UPDATE):
        check_update_stale_folders(script)
        body = [c.name for c in main_body(script)]
        assert body.count("Remove-DrStalePrivateFolders") == 1, script


def test_update_stale_folders_checker_catches_its_mutation(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Counter-test: the call removed again."""
    for script in scripts(all_artifacts, UPDATE):
        counter(
            script,
            check_update_stale_folders,
            "    Protect-DrLogFolder\n    Remove-DrStalePrivateFolders\n",
            "    Protect-DrLogFolder\n",
        )


# ============================================================ counter-tests

#: (script, checker, rendered text, replacement): each undoes or breaks one fix.
MUTATIONS: Final[dict[str, tuple[str, Checker, str, str]]] = {
    "stale-folders-not-removed": (
        "Disable-DrServer.ps1",
        check_stale_first,
        "    Protect-DrLogFolder\n    Remove-DrStalePrivateFolders\n",
        "    Protect-DrLogFolder\n",
    ),
    "stale-pattern-too-wide": (
        "Initialize-DrServer.ps1",
        check_stale_function,
        "'^drgen-[0-9a-f]{32}$'",
        "'^drgen-'",
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
