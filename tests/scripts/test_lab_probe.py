"""Test-DrLabFacts.ps1 as rendered: it carries exactly the plan's probes, the
catalogue hash, schema and version, changes nothing, runs only read-only tools,
writes only under its log folder, and a probe it cannot run settles nothing.

Read through the tree-sitter-pwsh parse tree and the three-valued evaluator of
tests/support/evaluator.py."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Final

import pytest
from tree_sitter import Node

from generator.catalogue import CATALOGUE, PROBE_METHODS
from generator.evidence.labfacts import (
    RESULT_SCHEMA,
    STATUSES,
)
from generator.plan.labprobe import (
    catalogue_sha256,
    probe_items,
)
from generator.plan.outputs import ArtifactKind
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.evaluator import NULL, as_string, reachable
from tests.support.lab_facts_sample import _DISPLAYDB, SAMPLE_PRODUCT_VERSION
from tests.support.paths import EXAMPLES
from tests.support.pwsh_oracle import node_text as _text
from tests.support.pwsh_oracle import nodes as _nodes

#: The keys of the JSON document Test-DrLabFacts.ps1 writes, in order.
RESULT_KEYS: Final = (
    "schema",
    "catalogue",
    "site",
    "biztalk_version",
    "computer",
    "product_version",
    "started",
    "finished",
    "results",
)


# ----------------------------------------------------------------- the rendered script


def _verbatim(node: Node) -> str | None:
    """The value of a node that is one single-quoted literal; None otherwise."""
    literals = list(_nodes(node, "verbatim_string_characters"))
    if len(literals) != 1 or _text(node).strip() != _text(literals[0]):
        return None
    return _text(literals[0])[1:-1].replace("''", "'")


def _strings(node: Node) -> list[str]:
    """Every single-quoted literal under a node, un-doubled, in order."""
    return [
        _text(n)[1:-1].replace("''", "'")
        for n in _nodes(node, "verbatim_string_characters")
    ]


def _function_name(node: Node) -> str | None:
    """The name of the function a node is defined in (None: the script body)."""
    current = node.parent
    while current is not None:
        if current.type == "function_statement":
            for child in current.children:
                if child.type == "function_name":
                    return _text(child)
        current = current.parent
    return None


class Script:
    """A rendered Test-DrLabFacts.ps1, read from its parse tree."""

    def __init__(self, art: RenderedArtifact) -> None:
        self.path = art.path
        self.text = art.text
        self.data = encode_text(art.text, ArtifactKind.POWERSHELL)
        self.root = ps.parse(self.data).root_node

    def functions(self) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for node in _nodes(self.root, "function_statement"):
            name = next(_text(c) for c in node.children if c.type == "function_name")
            assert name not in found, f"{name} defined twice"
            found[name] = node
        return found

    def assignments(self, variable: str) -> list[Node]:
        """The value nodes assigned to ``variable`` anywhere."""
        values = []
        for node in _nodes(self.root, "assignment_expression"):
            left = node.children[0]
            if _text(left).strip().casefold() == variable.casefold():
                value = node.child_by_field_name("value") or node.children[-1]
                values.append(value)
        return values

    def top_level_value(self, variable: str) -> Node:
        (value,) = (v for v in self.assignments(variable) if _function_name(v) is None)
        return value

    def commands(self, name: str) -> list[Node]:
        return [
            node
            for node in _nodes(self.root, "command")
            if (c := node.child_by_field_name("command_name")) is not None
            and _text(c).casefold() == name.casefold()
        ]

    def reachable_functions(self) -> set[str]:
        """Functions the script body calls, directly or through other functions."""
        defined = self.functions()
        calls: dict[str | None, set[str]] = {}
        for node in _nodes(self.root, "command"):
            name_node = node.child_by_field_name("command_name")
            if name_node is not None and _text(name_node) in defined:
                calls.setdefault(_function_name(node), set()).add(_text(name_node))
        seen: set[str] = set()
        todo = list(calls.get(None, ()))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += calls.get(name, ())
        return seen


def command_name(command: Node) -> str:
    name = command.child_by_field_name("command_name")
    return "" if name is None else _text(name)


def command_arguments(command: Node) -> list[str]:
    elements = command.child_by_field_name("command_elements")
    if elements is None:
        return []
    return [
        _text(e)
        for e in elements.named_children
        if e.type not in {"command_argument_sep", "comment"}
    ]


def parameter(command: Node, name: str) -> Node:
    """The argument node after ``-name`` in a command."""
    elements = command.child_by_field_name("command_elements")
    assert elements is not None
    parts = [
        e for e in elements.named_children if e.type not in {"command_argument_sep"}
    ]
    for index, part in enumerate(parts):
        if (
            part.type == "command_parameter"
            and _text(part).casefold() == ("-" + name).casefold()
        ):
            return parts[index + 1]
    raise AssertionError(f"no -{name} in {_text(command)}")


def hash_entries(node: Node) -> dict[str, Node]:
    """Keys and value nodes of the first hash literal under ``node``, in order."""
    table = _nodes(node, "hash_literal_body")[0]
    entries: dict[str, Node] = {}
    for entry in table.children:
        if entry.type == "hash_entry":
            entries[_text(entry.children[0])] = entry.children[2]
    return entries


def probe_table(script: Script) -> list[tuple[str, str, tuple[str, ...]]]:
    """``$Probes`` as (Id, Method, Arguments), read from the parse tree."""
    value = script.top_level_value("$Probes")
    rows = []
    for table in _nodes(value, "hash_literal_expression"):
        entries = hash_entries(table)
        assert list(entries) == ["Id", "Method", "Arguments"]
        entry_id = _verbatim(entries["Id"])
        method = _verbatim(entries["Method"])
        assert entry_id is not None
        assert method is not None
        arguments = entries["Arguments"]
        assert _text(arguments).startswith("@("), _text(arguments)
        rows.append((entry_id, method, tuple(_strings(arguments))))
    return rows


@pytest.fixture(scope="module")
def lab_scripts(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]],
    plans: dict[str, Plan],
) -> dict[str, tuple[Script, Plan]]:
    found = {}
    for stem in EXAMPLES:
        (art,) = (
            a for a in rendered[stem].values() if a.path.name == "Test-DrLabFacts.ps1"
        )
        assert art.path == PurePosixPath(stem, plans[stem].site.site, art.path.name)
        found[stem] = (Script(art), plans[stem])
    return found


@pytest.fixture(params=EXAMPLES)
def lab(
    request: pytest.FixtureRequest, lab_scripts: dict[str, tuple[Script, Plan]]
) -> tuple[Script, Plan]:
    return lab_scripts[request.param]


def test_examples_cover_more_than_one_version(
    lab_scripts: dict[str, tuple[Script, Plan]],
) -> None:
    assert len({plan.site.version for _, plan in lab_scripts.values()}) == 2


def test_script_carries_exactly_the_plan_probes(lab: tuple[Script, Plan]) -> None:
    script, plan = lab
    expected = [(p.id, p.method, p.args) for p in plan.site.lab_probes]
    assert expected == [
        (p.id, p.method, p.args) for p in probe_items(plan.site.version)
    ]
    assert probe_table(script) == expected


def test_script_carries_catalogue_hash_schema_and_version(
    lab: tuple[Script, Plan],
) -> None:
    script, plan = lab
    values = {
        name: _verbatim(script.top_level_value(name))
        for name in (
            "$CatalogueSha256",
            "$ResultSchema",
            "$BizTalkVersion",
            "$SiteName",
            "$ProductVersionPrefix",
        )
    }
    assert values == {
        "$CatalogueSha256": catalogue_sha256(),
        "$ResultSchema": RESULT_SCHEMA,
        "$BizTalkVersion": plan.site.version,
        "$SiteName": plan.site.site,
        "$ProductVersionPrefix": CATALOGUE[f"ver:{plan.site.version}"],
    }


def test_script_writes_the_result_schema(lab: tuple[Script, Plan]) -> None:
    script, _ = lab
    document = hash_entries(script.top_level_value("$document"))
    assert tuple(document) == RESULT_KEYS
    assert _text(document["schema"]) == "$ResultSchema"
    assert _text(document["catalogue"]) == "$CatalogueSha256"
    assert _text(document["biztalk_version"]) == "$BizTalkVersion"
    builder = script.functions()["New-DrProbeResult"]
    assert list(hash_entries(builder)) == ["id", "status", "observed"]
    (allowed,) = re.findall(r"\[ValidateSet\(([^)]*)\)\]", _text(builder))
    assert tuple(re.findall(r"'([^']*)'", allowed)) == STATUSES
    # Deep enough for document -> results -> result -> text.
    (convert,) = script.commands("ConvertTo-Json")
    assert _text(parameter(convert, "Depth")) == "4"


def test_script_handles_every_probe_method(lab: tuple[Script, Plan]) -> None:
    script, plan = lab
    invoke = script.functions()["Invoke-DrProbe"]
    (switch,) = _nodes(invoke, "switch_statement")
    handled: list[str] = []
    for condition in _nodes(switch, "switch_clause_condition"):
        handled += _strings(condition)
    assert len(handled) == len(set(handled))
    assert set(handled) == set(PROBE_METHODS)
    assert {p.method for p in plan.site.lab_probes} <= set(handled)


def test_script_parses_and_passes_the_lint(lab: tuple[Script, Plan]) -> None:
    script, _ = lab
    assert ps.syntax_problems(script.data) == []
    assert ps.lint(script.data) == []
    assert script.text.startswith("#Requires -Version 5.1\n")
    assert "\n#Requires -RunAsAdministrator\n" in script.text


#: Cmdlets that write files or change the machine beyond what STATE_CHANGING lists.
WRITING_COMMANDS: Final = frozenset(
    {
        "set-content",
        "add-content",
        "clear-content",
        "out-file",
        "tee-object",
        "export-csv",
        "export-clixml",
        "new-psdrive",
        "set-variable",
        "invoke-command",
        "start-job",
        "register-scheduledtask",
        "new-eventlog",
        "write-eventlog",
        "set-executionpolicy",
    }
)


#: .NET methods that create, write or remove files and folders.
FILE_METHODS: Final = frozenset(
    {
        "writealltext",
        "writealllines",
        "writeallbytes",
        "appendalltext",
        "appendalllines",
        "appendtext",
        "createtext",
        "createdirectory",
        "setaccesscontrol",
        "delete",
        "move",
        "copy",
        "encrypt",
        "decrypt",
        "openwrite",
    }
)


def test_script_changes_nothing(lab: tuple[Script, Plan]) -> None:
    script, _ = lab
    commands = ps.commands(script.data)
    assert [c.name for c in commands if ps.is_state_changing(c)] == []
    names = {c.name.casefold() for c in commands}
    for cmdlet in (
        "Set-Service",
        "Start-Service",
        "Stop-Service",
        "Restart-Service",
        "Set-ItemProperty",
        "New-ItemProperty",
        "Invoke-CimMethod",
        "Invoke-WmiMethod",
        "Set-WmiInstance",
        "Set-Acl",
        "Start-Process",
    ):
        assert cmdlet.casefold() not in names, cmdlet
    assert names.isdisjoint(WRITING_COMMANDS)
    methods = {name.casefold() for name, _, _ in ps.method_calls(script.data)}
    assert methods.isdisjoint(ps.STATE_CHANGING_METHODS)
    # Nothing to guard: it never asks ShouldProcess because it never changes.
    assert "ShouldProcess(" not in script.text
    assert "$PSCmdlet" not in script.text
    # The one call operator is the helper that runs read-only native tools.
    invoked = [c for c in commands if c.invocation]
    assert [(c.name, c.invocation) for c in invoked] == [("$FilePath", "&")]
    (runner,) = (n for n in _nodes(script.root, "command") if _text(n).startswith("&"))
    assert _function_name(runner) == "Get-DrNativeOutput"


def test_script_runs_only_read_only_native_tools(lab: tuple[Script, Plan]) -> None:
    script, _ = lab
    read_only = {
        CATALOGUE["arg:ssomanage.exe-displaydb"],
        CATALOGUE["arg:appcmd.exe-list"],
    }
    callers = set()
    for call in script.commands("Get-DrNativeOutput"):
        first = _strings(parameter(call, "ArgumentList"))[0]
        assert first in read_only, _text(call)
        callers.add(_function_name(call))
    reachable = script.reachable_functions()
    assert "Invoke-DrProbe" in reachable
    assert callers & reachable == {"Get-DrSsoDisplayDb"}
    # ssomanage is named in that one function only.
    for literal in _nodes(script.root, "string_literal"):
        if CATALOGUE["exe:ssomanage.exe"].casefold() in _text(literal).casefold():
            assert _function_name(literal) == "Get-DrSsoDisplayDb"


def test_script_writes_files_only_under_log_folder(lab: tuple[Script, Plan]) -> None:
    script, _ = lab
    (log_folder,) = script.assignments("$LogFolder")
    (join,) = _nodes(log_folder, "command")
    assert command_arguments(join) == [
        "-Path",
        "$PSScriptRoot",
        "-ChildPath",
        "'logs'",
    ]
    writes = [
        node
        for node in _nodes(script.root, "invocation_expression")
        if (name := next(c for c in node.children if c.type == "member_name"))
        and _text(name).casefold() in FILE_METHODS
    ]
    by_name = {
        _text(next(c for c in n.children if c.type == "member_name")): n for n in writes
    }
    assert sorted(by_name) == ["CreateDirectory", "WriteAllText"]

    def built_from_log_folder(variable: str, scope: str | None) -> None:
        values = [v for v in script.assignments(variable) if _function_name(v) == scope]
        assert values, variable
        for value in values:
            (command,) = _nodes(value, "command")
            assert command_name(command) == "Join-Path"
            assert _text(parameter(command, "Path")) == "$LogFolder"

    # The result: [IO.File]::WriteAllText($resultPath, ...) in the script body.
    write = by_name["WriteAllText"]
    assert _function_name(write) is None
    target = _nodes(write, "argument_expression")[0]
    assert _text(target) == "$resultPath"
    built_from_log_folder("$resultPath", None)
    # The folder itself: CreateDirectory only in New-DrProtectedFolder, only for logs\.
    assert _function_name(by_name["CreateDirectory"]) == "New-DrProtectedFolder"
    folders = script.commands("New-DrProtectedFolder")
    assert folders
    for call in folders:
        assert _text(parameter(call, "Path")) == "$LogFolder"
    # The transcript.
    (transcript,) = script.commands("Start-Transcript")
    assert _function_name(transcript) == "Start-DrLog"
    assert _text(parameter(transcript, "LiteralPath")) == "$path"
    built_from_log_folder("$path", "Start-DrLog")


def test_ssomanage_runs_only_while_entsso_runs(lab: tuple[Script, Plan]) -> None:
    script, _ = lab
    assert _verbatim(script.top_level_value("$SsoService")) == CATALOGUE["svc:ENTSSO"]
    display = script.functions()["Get-DrSsoDisplayDb"]
    body = _nodes(display, "statement_list")[0]
    statements = [c for c in body.named_children if c.type != "comment"]
    # 1. $service = Get-DrService -Name $SsoService
    (assignment,) = _nodes(statements[0], "assignment_expression")
    assert _text(assignment.children[0]).strip() == "$service"
    (service_call,) = _nodes(assignment, "command")
    assert command_name(service_call) == "Get-DrService"
    assert command_arguments(service_call) == ["-Name", "$SsoService"]
    # 2. if (no service, or not Running) { return $null }
    guard = statements[1]
    assert guard.type == "if_statement"
    assert not [
        c for c in guard.children if c.type in {"elseif_clauses", "else_clause"}
    ]
    condition_node = guard.child_by_field_name("condition")
    assert condition_node is not None
    condition = re.sub(r"\s+", " ", _text(condition_node))
    assert "($null -eq $service) -or" in condition
    assert "[string]$service.Status -ne 'Running'" in condition
    (block,) = (c for c in guard.children if c.type == "statement_block")
    assert re.sub(r"\s+", " ", _text(block)) == "{ return $null }"
    # 3. only then the tool, and the one native call.
    for name in ("Get-DrSsoTool", "Get-DrNativeOutput"):
        for call in _nodes(display, "command"):
            if command_name(call) == name:
                assert call.start_byte > guard.end_byte
    (native,) = (
        c for c in _nodes(display, "command") if command_name(c) == "Get-DrNativeOutput"
    )
    assert _strings(parameter(native, "ArgumentList")) == [
        CATALOGUE["arg:ssomanage.exe-displaydb"]
    ]
    # The probe reaches ssomanage only through it, and skips when it says $null.
    callers = [_function_name(c) for c in script.commands("Get-DrSsoDisplayDb")]
    assert callers == ["Invoke-DrProbe"]
    invoke = script.functions()["Invoke-DrProbe"]
    (clause,) = (
        c
        for c in _nodes(invoke, "switch_clause")
        if _strings(c.children[0]) == ["displaydb-label"]
    )
    clause_text = re.sub(r"\s+", " ", _text(clause))
    assert "$display = Get-DrSsoDisplayDb if ($null -eq $display) {" in clause_text
    assert "-Status 'skipped'" in clause_text


def probe_clause(script: Script, method: str) -> str:
    """The text of the Invoke-DrProbe switch clause for one method, one line."""
    invoke = script.functions()["Invoke-DrProbe"]
    (clause,) = (
        c for c in _nodes(invoke, "switch_clause") if method in _strings(c.children[0])
    )
    return re.sub(r"\s+", " ", _text(clause))


def test_missing_registry_key_settles_nothing(lab: tuple[Script, Plan]) -> None:
    script, _ = lab
    clause = probe_clause(script, "registry-value")
    assert re.search(
        r"if \(-not \(Test-Path -LiteralPath \$arguments\[0\]\)\) "
        r"\{ return New-DrProbeResult -Id \$id -Status 'skipped'",
        clause,
    ), clause


def test_failing_ssomanage_settles_nothing(lab: tuple[Script, Plan]) -> None:
    script, _ = lab
    clause = probe_clause(script, "displaydb-label")
    assert "$display.ExitCode -ne 0" in clause, clause


def clause_node(script: Script, method: str) -> Node:
    """The statement block of the Invoke-DrProbe switch clause for one method."""
    invoke = script.functions()["Invoke-DrProbe"]
    (clause,) = (
        c for c in _nodes(invoke, "switch_clause") if method in _strings(c.children[0])
    )
    (block,) = (c for c in clause.named_children if c.type == "statement_block")
    return block


def statuses(script: Script, method: str, env: dict[str, object]) -> set[str]:
    """The statuses a probe clause may report, given some of its values.

    Every New-DrProbeResult call the three-valued evaluator of
    tests/support/evaluator.py does not rule out (reached, or maybe reached).
    """
    block = clause_node(script, method)
    found = set()
    for call in _nodes(block, "command"):
        if command_name(call) != "New-DrProbeResult":
            continue
        if reachable(call, env, block) is not False:
            status = _verbatim(parameter(call, "Status"))
            assert status is not None, _text(call)
            found.add(status)
    return found


def test_unreadable_product_version_settles_nothing(lab: tuple[Script, Plan]) -> None:
    """No ProductVersion (not installed, or not readable): skipped, not failed."""
    script, _ = lab
    for missing in (NULL, ""):
        env = {"$version": missing, "[string]$version": as_string(missing)}
        assert statuses(script, "product-version", env) == {"skipped"}, missing
    version = SAMPLE_PRODUCT_VERSION
    env = {"$version": version, "[string]$version": version}
    assert statuses(script, "product-version", env) == {"held", "failed"}


def test_ssomanage_error_with_exit_code_0_settles_nothing(
    lab: tuple[Script, Plan],
) -> None:
    """ssomanage may print ERROR and exit 0: no label to judge, so skipped."""
    script, _ = lab
    error = CATALOGUE["out:ssomanage-error"]
    block = clause_node(script, "displaydb-label")
    assert error in _strings(block)
    # The message troubleshooting-enterprise-single-sign-on.md quotes, after the
    # line the SSO tools print first.
    failed = (
        "Using SSO server on this computer\r\n\r\n"
        "ERROR: 0x800706BA: The RPC server is unavailable."
    )
    for text, exit_code, wanted in (
        (failed, 0, {"skipped"}),
        ("ERROR: 0xC0002A0F: Could not contact the SSO server.", 0, {"skipped"}),
        (failed, 1, {"skipped"}),
        (_DISPLAYDB, 1, {"skipped"}),
        (_DISPLAYDB, 0, {"held", "failed"}),
    ):
        env = {
            "$display": "ssomanage output",
            "$display.exitcode": exit_code,
            "$display.text": text,
        }
        assert statuses(script, "displaydb-label", env) == wanted, (text, exit_code)
    for line in _DISPLAYDB.split("\r\n"):
        assert not re.search(error, line, re.IGNORECASE), line


def test_script_refuses_a_32_bit_process(lab: tuple[Script, Plan]) -> None:
    """In a 32-bit process the registry probes would read the WOW64 view: the
    shared guard runs after the log starts and before the first probe."""
    script, _ = lab
    body = [c for c in _nodes(script.root, "command") if _function_name(c) is None]
    names = [command_name(c) for c in body]
    assert names.count("Invoke-DrProbe") == names.count("Start-DrLog") == 1
    assert names.count("Assert-Dr64BitProcess") == 1
    start = names.index("Start-DrLog")
    guard = names.index("Assert-Dr64BitProcess")
    assert start < guard < names.index("Invoke-DrProbe")
    (refusal,) = (
        s
        for s in _nodes(script.root, "if_statement")
        if re.sub(r"\s+", " ", _text(s.child_by_field_name("condition") or s))
        == "-not [Environment]::Is64BitProcess"
        and _function_name(s) == "Assert-Dr64BitProcess"
    )
    assert re.match(r"\{\s*throw '", _text(refusal.named_children[-1])), _text(refusal)
