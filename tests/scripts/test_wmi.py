"""BizTalk WMI: the MessageBox class that exists (MSBTS_MsgBoxSetting),
properties written with Put(), methods through InvokeMethod, no CIM cmdlets,
and a null WMI result is a failure.

Each test reads the rendered scripts of both example inventories through the
tree-sitter-pwsh parse tree (tests/support/tree.py, tests/support/scripts.py)
and, where a condition decides, the three-valued evaluator of
tests/support/evaluator.py. A checker ``check_*(script)`` holds one behaviour;
the counter-tests break a rendered script and show that its checker then fails.
"""

from __future__ import annotations

import re

import pytest

from generator.catalogue import CATALOGUE, Kind
from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.scripts import CHANGING, function, functions, main_body, scripts
from tests.support.tree import (
    ancestors,
    assigned_variable,
    branch_block,
    canonical,
    condition,
    first_line,
    guarded,
    line,
    member_accesses,
    method_calls,
    strings,
    throws,
    variables,
    verbatim,
)

pytestmark = pytest.mark.oracle


# =================================================== MessageBoxes: MSBTS_MsgBoxSetting


def test_no_script_names_a_messagebox_wmi_class_that_does_not_exist(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """There is no WMI class MSBTS_MessageBox (its name is MSBTS_MsgBoxSetting)."""
    for script in scripts(all_artifacts):
        names = [
            *strings(script.root),
            *(text(n) for n in nodes(script.root, "generic_token")),
            *(text(n) for n in nodes(script.root, "expandable_string_literal")),
        ]
        assert not [n for n in names if re.search(r"MSBTS_MessageBox\b", n)], script


def test_enable_checks_messageboxes_through_msgboxsetting(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """The MessageBox check reads MsgBoxDBServerName/MsgBoxDBName of that class."""
    for script in scripts(all_artifacts, "Enable-DrServer.ps1"):
        queries = [
            command
            for command in nodes(script.root, "command")
            if "MSBTS_MsgBoxSetting" in strings(command)
            and {"-class", "-classname"}
            & {text(p).casefold() for p in nodes(command, "command_parameter")}
        ]
        assert len(queries) == 1, script
        (query,) = queries
        owner = next(a for a in ancestors(query) if a.type == "function_statement")
        boxes = {assigned_variable(query)}
        for loop in nodes(owner, "foreach_statement"):
            loop_variable, collection = loop.named_children[:2]
            if variables(collection) & boxes:
                boxes.add(text(loop_variable).casefold())
        read = {m for target, m in member_accesses(owner) if target.casefold() in boxes}
        assert {"MsgBoxDBServerName", "MsgBoxDBName"} <= read, script
        # The location is compared with the DR SQL instances, and a miss stops it.
        assert any(
            "MsgBoxDBServerName" in text(condition(s))
            and "$drsqlinstances" in variables(condition(s))
            and throws(branch_block(s))
            for s in nodes(owner, "if_statement")
        ), script
        name = text(next(c for c in owner.children if c.type == "function_name"))
        body = main_body(script)
        assert first_line(body, name) < first_line(body, "Enable-DrHostInstance")


# ========================================================================== WMI writes


def test_no_cim_cmdlets(all_artifacts: list[RenderedArtifact]) -> None:
    """The CIM cmdlets refuse properties without the Write qualifier."""
    banned = {"set-ciminstance", "invoke-cimmethod", "new-ciminstance"}
    for script in scripts(all_artifacts):
        used = {canonical(c) for c in ps.commands(script.data)}
        assert not used & banned, script


def test_wmi_properties_written_with_put(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """IsDisabled and SSOServerName: assignment, then .Put(), both guarded."""
    written: dict[str, set[str]] = {}
    for script in scripts(all_artifacts, *CHANGING):
        for assignment in nodes(script.root, "assignment_expression"):
            left = assignment.named_children[0]
            accesses = member_accesses(left)
            if not accesses or accesses[0][1] not in {"IsDisabled", "SSOServerName"}:
                continue
            target, member = accesses[0]
            written.setdefault(script.name, set()).add(member)
            assert guarded(assignment), (script, line(assignment))
            statement = next(a for a in ancestors(assignment) if a.type == "pipeline")
            siblings = statement.parent
            assert siblings is not None
            later = [
                call
                for s in siblings.named_children
                if s.start_byte > statement.end_byte
                for method, on, _, call in method_calls(s)
                if method == "Put" and on == target
            ]
            assert later, (script, line(assignment))
            assert guarded(later[0]), (script, line(later[0]))
    for name in (
        "Initialize-DrServer.ps1",
        "Enable-DrServer.ps1",
        "Disable-DrServer.ps1",
    ):
        assert "IsDisabled" in written.get(name, set()), name
    assert "SSOServerName" in written["Enable-DrServer.ps1"]


def test_wmi_methods_through_invokemethod(
    all_artifacts: list[RenderedArtifact],
) -> None:
    """BizTalk WMI methods run through psbase.InvokeMethod, never directly."""
    wmi_methods = CATALOGUE.names(Kind.WMI_METHOD)
    assert {"Install", "Map", "Start", "Stop"} <= wmi_methods
    expected = {
        "Initialize-DrServer.ps1": {"Map", "Install", "Stop"},
        "Enable-DrServer.ps1": {"Start", "Stop"},
        "Disable-DrServer.ps1": {"Stop"},
    }
    for script in scripts(all_artifacts, *expected):
        invoked = set()
        for method, target, arguments, call in method_calls(script.root):
            if method == "InvokeMethod":
                assert target.casefold().endswith(".psbase"), (script, line(call))
                value = verbatim(arguments[0])
                assert value in wmi_methods, (script, line(call))
                invoked.add(value)
                assert guarded(call), (script, line(call))
            assert method not in {"Install", "Map"}, (script, line(call))
        assert expected[script.name] <= invoked, script
        for name in (
            "Stop-DrHostInstance",
            "Enable-DrHostInstance",
            "Install-DrHostInstance",
        ):
            if name not in functions(script):
                continue
            direct = [
                m
                for m, _, _, _ in method_calls(function(script, name))
                if m in wmi_methods
            ]
            assert not direct, (script, name, direct)


# ================================================================ PowerShell 5.1 traps


def test_wmi_result_null_is_a_failure(all_artifacts: list[RenderedArtifact]) -> None:
    """A declined or silent WMI call returns $null, which is not success."""
    # The server scripts that make changes call WMI methods (the site script not).
    server_changing = [n for n in CHANGING if n != "Update-DrGroupDatabases.ps1"]
    for script in scripts(all_artifacts, *server_changing):
        checker = function(script, "Assert-DrWmiResult")
        assert any(
            re.fullmatch(r"\$null\s+-eq\s+\$Result", text(condition(s)).strip())
            and throws(branch_block(s))
            for s in nodes(checker, "if_statement")
        ), script
