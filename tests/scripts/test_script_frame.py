"""What every generated script does: #Requires -PSEdition Desktop, no
$PSScriptRoot in a parameter default, a change asked once, an explicit exit
code, and its logs protected.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import pytest

from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import (
    CHANGING,
    Script,
    commands_in,
    function,
    functions,
    main_body,
    scripts,
    top_level,
)
from tests.support.tree import (
    canonical,
    condition,
    keyword_statements,
    line,
    named,
    variables,
    within,
)

pytestmark = pytest.mark.oracle


# ================================================================ PowerShell 5.1 traps


def test_no_parameter_default_uses_psscriptroot(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Under -File, 5.1 leaves $PSScriptRoot empty while defaults are computed."""
    for script in scripts(all_artifacts):
        defaults = nodes(script.root, "script_parameter_default")
        for default in defaults:
            assert "$psscriptroot" not in variables(default), (script, line(default))


def test_every_script_requires_desktop_edition(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The scripts are for Windows PowerShell 5.1, not PowerShell 7."""
    for script in scripts(all_artifacts):
        requires = [
            [text(a) for a in nodes(r, "requires_argument")]
            for r in nodes(script.root, "requires_statement")
        ]
        assert ["-PSEdition", "Desktop"] in requires, script


#: Cmdlets that have -Confirm in Windows PowerShell 5.1 and change something.
CONFIRM_CMDLETS = frozenset(
    name.casefold()
    for name in (
        "Set-Service",
        "Start-Service",
        "Stop-Service",
        "Restart-Service",
        "Suspend-Service",
        "Resume-Service",
        "New-Service",
        "Copy-Item",
        "Move-Item",
        "Remove-Item",
        "Rename-Item",
        "New-Item",
        "Set-Item",
        "Clear-Item",
        "Set-ItemProperty",
        "New-ItemProperty",
        "Remove-ItemProperty",
        "Rename-ItemProperty",
        "Copy-ItemProperty",
        "Move-ItemProperty",
        "Clear-ItemProperty",
        "Set-Acl",
        "Set-Content",
        "Add-Content",
        "Clear-Content",
        "Out-File",
        "Stop-Process",
        "Invoke-WmiMethod",
        "Set-WmiInstance",
        "Remove-WmiObject",
        "Invoke-CimMethod",
        "Set-CimInstance",
        "New-CimInstance",
        "Remove-CimInstance",
        "Restart-Computer",
        "Stop-Computer",
    )
)


def should_process_functions(script: Script) -> set[str]:
    """Lower-case names of the script's functions with SupportsShouldProcess."""
    found = set()
    for name, statement in functions(script).items():
        for attribute in nodes(statement, "attribute"):
            if "SupportsShouldProcess = $true" in text(attribute):
                found.add(name.casefold())
                break
    return found


def test_guarded_changes_do_not_ask_twice(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Under -Confirm, a cmdlet inside an approved change would prompt again."""
    for script in scripts(all_artifacts):
        confirming = CONFIRM_CMDLETS | should_process_functions(script)
        for command in ps.commands(script.data):
            name = canonical(command)
            passed = {a.casefold() for a in command.arguments}
            if name == "start-process":
                # 5.1's Start-Process has no -Confirm: passing it is an error.
                assert not [a for a in passed if a.startswith("-confirm")], script
            if command.guarded and name in confirming:
                assert "-confirm:$false" in passed, (script, command.line, command.name)


AUTOMATIC = frozenset({"$true", "$false", "$null"})


def plain_variable(name: str) -> str:
    """``$script:Problems`` -> ``$problems``."""
    bare = name.casefold().lstrip("$")
    for scope in ("script:", "global:", "local:"):
        bare = bare.removeprefix(scope)
    return "$" + bare


def test_every_script_ends_with_an_explicit_exit(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Without exit, -Command '...; exit $LASTEXITCODE' returns a stale code."""
    for script in scripts(all_artifacts):
        statements = top_level(script.root)
        last = statements[-1]
        assert last.type == "flow_control_statement", script
        assert last.children[0].type == "exit", script
        assert nodes(last, "integer_literal"), script
        # The run is one try with a catch-all; only exits follow it, and they
        # decide from variables set before the try (never only inside it).
        tries = [i for i, s in enumerate(statements) if s.type == "try_statement"]
        assert tries, script
        run = statements[tries[-1]]
        assert [
            c
            for c in nodes(run, "catch_clause")
            if not any(k.type == "catch_type_list" for k in c.named_children)
        ], script
        before = {
            plain_variable(text(s.named_children[0].named_children[0]))
            for s in statements[: tries[-1]]
            if s.type == "pipeline"
            and s.named_children
            and s.named_children[0].type == "assignment_expression"
        }
        for statement in statements[tries[-1] + 1 :]:
            assert statement.type in {"if_statement", "flow_control_statement"}
            if statement.type == "if_statement":
                assert nodes(statement, "flow_control_statement"), script
                used = {plain_variable(v) for v in variables(condition(statement))}
                assert used - AUTOMATIC <= before, (script, used - AUTOMATIC - before)
        for exit_ in keyword_statements(script.root, "exit"):
            assert len(exit_.named_children) == 1, (script, line(exit_))
        functions_ = nodes(script.root, "function_statement")
        blocks = nodes(script.root, "script_block_expression")
        for return_ in keyword_statements(script.root, "return"):
            assert any(within(return_, f) for f in (*functions_, *blocks)), (
                script,
                line(return_),
            )


# ==================================================================== secrets and logs


def test_every_changing_script_protects_its_logs(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """Every changing script restricts logs\\ to Administrators and SYSTEM."""
    for script in scripts(all_artifacts, *CHANGING):
        assert named(main_body(script), "Protect-DrLogFolder"), script
        protect = function(script, "Protect-DrLogFolder")
        acl = named(commands_in(script, protect), "Set-Acl")
        assert acl, script
        assert all(c.guarded for c in acl), script
