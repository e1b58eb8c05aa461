"""Export-BizTalkGroup.ps1: read-only, catalogue names only, the discovery contract.

The script runs on production BizTalk servers, so what matters most is that it
changes nothing: every command, method call and object it creates is read from
the tree-sitter-pwsh parse tree and held against an allow-list, and the one file
it writes is written once, through ``ShouldProcess``. Its WMI and registry names
are checked against the catalogue (class by class), the keys of the JSON it
builds against the discovery-v1 contract and its JSON Schema, and its guard
against each inventory's production servers read independently of the plan.
``drgen render`` puts one per inventory in ``production/``, which ``drgen verify``
checks; ``drgen discover`` writes the generic one.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from tree_sitter import Node
from typer.testing import CliRunner

from generator import api
from generator.bundle.build import render_unsigned
from generator.catalogue import CATALOGUE, Kind
from generator.cli.app import app
from generator.discovery.model import SCHEMA_ID, json_schema
from generator.discovery.script import build_discovery_script
from generator.errors import ExitCode, VerificationError
from generator.inventory.load import load_inventory
from generator.inventory.validation import parse_inventory
from generator.plan.artifacts import DISCOVERY
from generator.plan.discovery_reads import discovery_reads
from generator.plan.outputs import (
    BUNDLE_CHECK_NAME,
    DISCOVERY_SCRIPT_NAME,
    PRODUCTION_FOLDER,
    ArtifactKind,
)
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from generator.signing.signer import NullSigner
from tests.support import pwsh_oracle as ps
from tests.support.catalogue_names import name_problems, name_uses
from tests.support.paths import EXAMPLES, INVENTORIES
from tests.support.ps_shapes import written_shape
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.tools import require_tool

pytestmark = pytest.mark.oracle

PRODUCTION_PATH = PurePosixPath(PRODUCTION_FOLDER, DISCOVERY_SCRIPT_NAME)

# ------------------------------------------------------------------ parse tree


def functions(root: Node) -> dict[str, Node]:
    found = {}
    for statement in nodes(root, "function_statement"):
        name = next(c for c in statement.children if c.type == "function_name")
        found[text(name)] = statement
    return found


def top_level(root: Node) -> list[Node]:
    body = next(c for c in root.named_children if c.type == "statement_list")
    return [c for c in body.named_children if c.type != "comment"]


def assignments(scope: Node) -> dict[str, Node]:
    """``$name = value`` below ``scope``: lower-case name -> value node."""
    found = {}
    for node in nodes(scope, "assignment_expression"):
        value = node.child_by_field_name("value")
        assert value is not None
        found[text(node.children[0]).strip().lower()] = value
    return found


def single_quoted(node: Node) -> list[str]:
    return [
        text(n)[1:-1].replace("''", "'")
        for n in nodes(node, "verbatim_string_characters")
    ]


def member_calls(node: Node) -> list[tuple[str, str, Node]]:
    """(object text, member, node) of every ``x.Member(...)`` below ``node``."""
    found = []
    for call in nodes(node, "invocation_expression"):
        member = next((c for c in call.children if c.type == "member_name"), None)
        if member is not None:
            found.append((text(call.children[0]), text(member), call))
    return found


# --------------------------------------------------------------------- scripts


def _data(art: RenderedArtifact) -> bytes:
    return encode_text(art.text, ArtifactKind.POWERSHELL)


@pytest.fixture(scope="module")
def generic() -> bytes:
    """The script of ``drgen discover`` (unsigned, as rendered)."""
    script = build_discovery_script(make_environment(), NullSigner())
    return script.data


@pytest.fixture(scope="module")
def scripts(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]], generic: bytes
) -> dict[str, bytes]:
    """Each example's production script and the generic one, as bytes."""
    found = {
        stem: _data(rendered[stem][PurePosixPath(stem) / PRODUCTION_PATH])
        for stem in EXAMPLES
    }
    found["generic"] = generic
    return found


def _root(data: bytes) -> Node:
    return ps.parse(data).root_node


def test_each_inventory_renders_one_production_script(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]],
) -> None:
    for stem, artifacts in rendered.items():
        production = [p for p in artifacts if p.parts[1] == PRODUCTION_FOLDER]
        assert production == [PurePosixPath(stem) / PRODUCTION_PATH]
        art = artifacts[production[0]]
        assert art.template == DISCOVERY
        assert art.kind is ArtifactKind.POWERSHELL
        assert art.kind.signed
        assert art.server is None


def test_scripts_parse_and_pass_the_lint(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        assert ps.syntax_problems(data) == [], name
        assert ps.lint(data) == [], name


# ---------------------------------------------------------------- read only

# Every command the script may run besides its own functions: each only reads,
# or (New-Object) builds an object in memory.
READ_ONLY_COMMANDS = frozenset(
    {
        "ConvertTo-Json",
        "Get-Date",
        "Get-ChildItem",
        "Get-FileHash",
        "Get-ItemProperty",
        "Get-WmiObject",
        "Join-Path",
        "New-Object",
        "Set-StrictMode",
        "Sort-Object",
        "Split-Path",
        "Test-Path",
        "Write-Host",
        "Write-Warning",
    }
)
IN_MEMORY_TYPES = frozenset(
    {
        "System.Data.SqlClient.SqlConnectionStringBuilder",
        "System.Data.SqlClient.SqlConnection",
        "'System.Collections.Generic.List[object]'",
        "'object[]'",
        "System.Text.UTF8Encoding",
        # The BAM configuration, parsed in memory (its XmlResolver set to $null).
        "System.Xml.XmlDocument",
    }
)
# Verbs of commands that change something (Set-StrictMode only sets the session's
# own parsing rules and is allowed by name above).
WRITE_VERB = re.compile(
    r"^(Set|New|Remove|Stop|Start|Restart|Suspend|Resume|Invoke|Out|Add|Clear|"
    r"Rename|Move|Copy|Export|Register|Unregister|Enable|Disable|Install|Uninstall|"
    r"Update|Write|Reset|Grant|Revoke|Mount|Publish)-",
    re.IGNORECASE,
)
NATIVE = re.compile(r"(\.exe|\.cmd|\.bat|\.vbs)$|^(sc|reg|net|cmd|wmic)$", re.I)
# .NET and WMI methods that change state, whoever calls them.
CHANGING_METHODS = frozenset(
    {
        "Put",
        "Delete",
        "InvokeMethod",
        "CreateInstance",
        "SetValue",
        "CreateSubKey",
        "DeleteSubKey",
        "DeleteSubKeyTree",
        "DeleteValue",
        "WriteAllBytes",
        "WriteAllLines",
        "AppendAllText",
        "Copy",
        "Move",
        "Kill",
        "Start",
        "Stop",
        "ExecuteNonQuery",
        "Remove",
        "CreateDirectory",
        "SetAccessControl",
    }
)


def test_only_read_only_commands(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        own = set(functions(_root(data)))
        commands = ps.commands(data)
        assert commands, name
        for command in commands:
            assert command.invocation == "", (name, command)
            assert not NATIVE.search(command.name), (name, command)
            assert not ps.is_state_changing(command), (name, command)
            if command.name in own:
                continue
            assert command.name in READ_ONLY_COMMANDS, (name, command)
            if command.name not in {"New-Object", "Set-StrictMode", "Write-Host"} | {
                "Write-Warning"
            }:
                assert not WRITE_VERB.match(command.name), (name, command)
            if command.name == "New-Object":
                type_name = command.arguments[command.arguments.index("-TypeName") + 1]
                assert type_name in IN_MEMORY_TYPES, (name, command)
        # Its own functions are all read-only by name: Get-, Test-, Assert-,
        # Invoke-DrSqlQuery (a SELECT, below) and the one writer.
        assert own == {
            "Assert-DrProductionComputer",
            "Get-DrRegistryValue",
            "Get-DrText",
            "Get-DrDatabase",
            "Get-DrRequiredDatabase",
            "Get-DrWmiInstances",
            "Get-DrServiceLogon",
            "Get-DrCumulativeUpdate",
            "Invoke-DrSqlQuery",
            "Get-DrMasterSecretServer",
            "Get-DrReadProblem",
            "Get-DrBackupDatabases",
            "Get-DrBackupDatabase",
            "Get-DrBamDatabase",
            "Get-DrBamDatabases",
            "Get-DrScriptSha256",
            "Get-DrDiscovery",
            "Write-DrDiscoveryFile",
        }, name


def test_no_method_changes_anything(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        calls = member_calls(_root(data))
        assert calls, name
        # The one exception: File.Move of the discovery file's own temporary file
        # (test_the_file_is_written_beside_and_renamed_over_its_target).
        changing = sorted(
            {(o, m) for o, m, _ in calls if m in CHANGING_METHODS}
            - {("[System.IO.File]", "Move")}
        )
        assert changing == [], name
        # Files only through [System.IO.File], and only these (Delete, Copy, ...
        # are not); String.Replace escapes a WMI filter value.
        io = sorted({(o, m) for o, m, _ in calls if o.startswith("[System.IO.")})
        assert io == [
            ("[System.IO.File]", "Move"),
            ("[System.IO.File]", "ReadAllText"),
            ("[System.IO.File]", "Replace"),
            ("[System.IO.File]", "WriteAllText"),
        ], name
        replaced = {o for o, m, _ in calls if m == "Replace"}
        assert replaced == {
            "$Name",
            "$Name.Replace('\\', '\\\\')",
            "[System.IO.File]",
        }, name


def test_exactly_one_file_is_written_once_through_should_process(
    scripts: dict[str, bytes],
) -> None:
    for name, data in scripts.items():
        root = _root(data)
        writes = [c for c in member_calls(root) if c[1] == "WriteAllText"]
        assert len(writes) == 1, name
        (_, _, call) = writes[0]
        writer = functions(root)["Write-DrDiscoveryFile"]
        assert writer.start_byte <= call.start_byte < writer.end_byte, name
        # UTF-8 without a byte order mark: Python and any JSON reader take it.
        assert "New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false" in (
            text(call)
        )
        uses = [c for c in ps.commands(data) if c.name == "Write-DrDiscoveryFile"]
        assert len(uses) == 1, name
        assert uses[0].guarded, name
        # Every other file operation is in the writer, which nothing else calls.
        for obj, member, node in member_calls(root):
            if obj == "[System.IO.File]" and member != "ReadAllText":
                assert writer.start_byte <= node.start_byte < writer.end_byte, name
        # No transcript, no log, no other output file.
        for command in ps.commands(data):
            assert command.name not in {"Start-Transcript", "Out-File", "Set-Content"}
        assert not re.search(rb"(?i)>\s*\$|>>|\| *Out-File", data), name


def _arguments(call: Node) -> list[str]:
    """The top-level arguments of ``x.Member(a, b, ...)`` as text."""
    arguments = next(c for c in call.children if c.type == "argument_list")
    expressions = next(
        (c for c in arguments.named_children if c.type == "argument_expression_list"),
        None,
    )
    found = expressions.named_children if expressions is not None else []
    return [text(a).strip() for a in found if a.type == "argument_expression"]


FILE = "[System.IO.File]"


def test_the_file_is_written_beside_and_renamed_over_its_target(
    scripts: dict[str, bytes],
) -> None:
    """Written whole to <OutFile>.tmp, then renamed over <OutFile>: an interrupted
    run leaves the previous discovery file as it was (never half written)."""
    for name, data in scripts.items():
        writer = functions(_root(data))["Write-DrDiscoveryFile"]
        values = assignments(writer)
        assert text(values["$temporary"]).strip() == "$Path + '.tmp'", name
        files = {
            m: [c for o, mm, c in member_calls(writer) if (o, mm) == (FILE, m)]
            for m in ("WriteAllText", "Replace", "Move")
        }
        (write,) = files["WriteAllText"]
        (replace,) = files["Replace"]
        (move,) = files["Move"]
        assert _arguments(write)[0] == "$temporary", name
        # Renamed from the temporary file to the target, after it is written;
        # Replace without a backup file ([NullString]::Value, not $null: that
        # reaches .NET as '').
        assert _arguments(replace) == ["$temporary", "$Path", "[NullString]::Value"]
        assert _arguments(move) == ["$temporary", "$Path"], name
        assert write.end_byte < replace.start_byte < move.start_byte, name
        # Replace only when the target exists (it needs one), Move when it does not.
        branch = replace.parent
        while branch is not None and branch.type != "if_statement":
            branch = branch.parent
        assert branch is not None, name
        condition = branch.child_by_field_name("condition")
        assert condition is not None
        assert text(condition) == "Test-Path -LiteralPath $Path -PathType Leaf", name
        assert nodes(branch, "else_clause"), name
        assert move.start_byte > nodes(branch, "else_clause")[0].start_byte, name
        # The refusal covers the temporary file too: it may be a file of someone's.
        assert "foreach ($file in @($Path, $temporary))" in text(writer), name
        # The run's WhatIf/Confirm stays one ShouldProcess: no cmdlet writes here.
        assert not [
            c
            for c in ps.commands(text(writer).encode())
            if WRITE_VERB.match(c.name) and c.name not in {"Write-Host", "New-Object"}
        ], name


# Each query the script runs: one SELECT of catalogue names, no statement after it.
QUERY_VARIABLES = {
    "$secretserverquery": r"SELECT \w+ FROM dbo\.\w+",
    "$backupdatabasesquery": r"SELECT DISTINCT \w+, \w+, \w+ FROM dbo\.\w+ "
    r"ORDER BY \w+, \w+, \w+",
    "$bamconfigurationquery": r"SELECT TOP 1 \w+ FROM dbo\.\w+ ORDER BY \w+ DESC",
}


def test_the_sql_it_runs_is_a_select_each(scripts: dict[str, bytes]) -> None:
    reads = discovery_reads()
    for name, data in scripts.items():
        root = _root(data)
        values = assignments(root)
        queries = {}
        for variable, pattern in QUERY_VARIABLES.items():
            (query,) = single_quoted(values[variable])
            assert re.fullmatch(pattern, query), (name, query)
            queries[variable] = query
        # Exactly the constants drgen built from the catalogue.
        assert queries["$backupdatabasesquery"] == reads.backup_databases_query
        assert queries["$bamconfigurationquery"] == reads.bam_configuration_query
        # Every query reaches SQL through Invoke-DrSqlQuery -Query <one of them>.
        used = [
            c.arguments[c.arguments.index("-Query") + 1].lower()
            for c in ps.commands(data)
            if c.name == "Invoke-DrSqlQuery"
        ]
        assert sorted(used) == sorted(QUERY_VARIABLES), name
        executed = [m for _, m, _ in member_calls(root) if m.startswith("Execute")]
        assert executed == ["ExecuteReader"], name
        # Bounded like the other reads: one command timeout for every query.
        runner = text(functions(root)["Invoke-DrSqlQuery"])
        assert "$command.CommandTimeout = 60" in runner, name


def test_json_keeps_arrays_and_depth(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        (convert,) = [c for c in ps.commands(data) if c.name == "ConvertTo-Json"]
        depth = int(convert.arguments[convert.arguments.index("-Depth") + 1])
        # root > group > messageboxes > row > value: the default of 2 would cut it.
        assert depth >= 5, name
        root = _root(data)
        discovery = functions(root)["Get-DrDiscovery"]
        # Lists become arrays with ToArray(): one element or none stays an array.
        for key in ("messageboxes", "hosts", "host_instances", "servers"):
            (entry,) = [
                e for e in nodes(discovery, "hash_entry") if text(e.children[0]) == key
            ]
            assert text(entry).endswith(".ToArray()"), (name, key)


# ----------------------------------------------------------------- catalogue

WMI_VARIABLES = {
    "$group": "MSBTS_GroupSetting",
    "$setting": "MSBTS_HostSetting",
    "$instance": "MSBTS_HostInstance",
    "$box": "MSBTS_MsgBoxSetting",
    "$server": "MSBTS_Server",
    "$service": "Win32_Service",
}


def test_every_name_is_in_the_catalogue(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        assert name_problems(data) == [], name
        used = {(u.kind, u.name) for u in name_uses(data)}
        for cls in WMI_VARIABLES.values():
            assert ("wmi-class", cls) in used, (name, cls)
        for value in ("ProductVersion", "ProductName", "Server", "Database"):
            assert ("registry-value", value) in used, (name, value)


def test_wmi_properties_belong_to_their_class(scripts: dict[str, bytes]) -> None:
    """Each property read on a WMI object is catalogued for that very class."""
    for name, data in scripts.items():
        seen: dict[str, set[str]] = {cls: set() for cls in WMI_VARIABLES.values()}
        for access in nodes(_root(data), "member_access"):
            variable = text(access.children[0]).lower()
            if variable in WMI_VARIABLES:
                member = text(access.children[-1])
                cls = WMI_VARIABLES[variable]
                assert f"wmi:{cls}.{member}" in CATALOGUE, (name, cls, member)
                seen[cls].add(member)
        assert seen == {
            "MSBTS_GroupSetting": {
                "Name",
                "MgmtDbServerName",
                "MgmtDbName",
                "TrackingDBServerName",
                "TrackingDBName",
                "RuleEngineDBServerName",
                "RuleEngineDBName",
                "BamDBServerName",
                "BamDBName",
            },
            "MSBTS_HostSetting": {
                "Name",
                "HostType",
                "NTGroupName",
                "IsHost32BitOnly",
                "HostTracking",
                "AuthTrusted",
            },
            "MSBTS_HostInstance": {
                "HostName",
                "RunningServer",
                "Logon",
                "IsDisabled",
                "ServiceState",
                "ClusterInstanceType",
            },
            "MSBTS_MsgBoxSetting": {
                "MsgBoxDBServerName",
                "MsgBoxDBName",
                "IsMasterMsgBox",
            },
            "MSBTS_Server": {"Name"},
            "Win32_Service": {"StartName"},
        }, name


def test_new_catalogue_entries_cite_the_docs() -> None:
    for entry_id in (
        "wmi:MSBTS_HostSetting.NTGroupName",
        "wmi:MSBTS_HostSetting.AuthTrusted",
        "wmi:MSBTS_GroupSetting.BamDBName",
        "wmi:MSBTS_GroupSetting.TrackingDBServerName",
        "wmi:MSBTS_HostInstance.ClusterInstanceType",
    ):
        entry = CATALOGUE.entry(entry_id)
        stem = entry_id.removeprefix("wmi:").lower().replace("_", "-").replace(".", "-")
        assert entry.source.endswith(f"technical-reference/{stem}-property-wmi.md")
    # Nothing documents the CU level: observed, with a way to settle it.
    cu = CATALOGUE.entry("out:cumulative-update-name")
    assert cu.kind is Kind.OUTPUT
    assert cu.below_documented
    assert cu.settle
    pattern = re.compile(CATALOGUE["out:cumulative-update-name"].replace("?<", "?P<"))
    found = pattern.search("Microsoft BizTalk Server 2020 Cumulative Update 5")
    assert found is not None
    assert found.group("value") == "5"
    # BizTalk 2016 names its updates "... CU#" (Sandro Pereira's 2016 check).
    found = pattern.search("Microsoft BizTalk Server 2016 CU9")
    assert found is not None
    assert found.group("value") == "9"
    assert pattern.search("Microsoft BizTalk Server 2020 Feature Update 1") is None
    assert pattern.search("Microsoft BizTalk Server 2016 Feature Pack 3") is None
    assert pattern.search("Microsoft BizTalk Adapter Pack CU2") is None


# ------------------------------------------------------------------ contract

DB = {"server": None, "name": None}
CONTRACT: dict[str, Any] = {
    "schema": None,
    "collected": {
        "at": None,
        "computer": None,
        "user": None,
        "script_sha256": None,
        "drgen_version": None,
    },
    "group": {
        "name": None,
        "product_version": None,
        "product_name": None,
        "cu": None,
        "management": DB,
        "tracking": DB,
        "messageboxes": [{"server": None, "name": None, "master": None}],
        "sso": DB,
        "rule_engine": DB,
        "bam_primary_import": DB,
        "bam_archive": DB,
        "bam_star_schema": DB,
        "bam_analysis": DB,
        "bam_alerts_application": DB,
        "bam_alerts_instance": DB,
        "other_databases": [{"backup_name": None, "server": None, "name": None}],
        "master_secret_server": None,
        "unread": {"backup_databases": None, "bam_configuration": None},
    },
    "hosts": [
        {
            "name": None,
            "host_type": None,
            "windows_group": None,
            "is_32bit_only": None,
            "tracking": None,
            "trusted": None,
        }
    ],
    "host_instances": [
        {
            "host": None,
            "server": None,
            "logon": None,
            "gmsa": None,
            "disabled": None,
            "state": None,
            "cluster_instance_type": None,
        }
    ],
    "servers": [None],
    "accounts": {"sso_service": None, "rule_engine_service": None},
}


def script_shape(data: bytes) -> Any:
    """The key tree of the JSON the script writes (tests/support/ps_shapes.py)."""
    return written_shape(_root(data))


def _keys_in_order(shape: Any) -> Any:
    if isinstance(shape, dict):
        return [(k, _keys_in_order(v)) for k, v in shape.items()]
    if isinstance(shape, list):
        return [_keys_in_order(v) for v in shape]
    return None


def test_json_keys_are_the_contract_in_its_order(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        shape = script_shape(data)
        assert shape == CONTRACT, name
        assert _keys_in_order(shape) == _keys_in_order(CONTRACT), name


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
            continue
        choices = [c for c in node.get("anyOf", []) if c.get("type") != "null"]
        if len(choices) == 1:
            node = choices[0]
            continue
        return node


def _schema_problems(
    schema: dict[str, Any], node: dict[str, Any], shape: Any, where: str
) -> Iterator[str]:
    node = _resolve(schema, node)
    if isinstance(shape, dict):
        properties = node.get("properties", {})
        for key in shape.keys() - properties.keys():
            yield f"{where}.{key}: not in the JSON Schema"
        for key in set(node.get("required", [])) - shape.keys():
            yield f"{where}.{key}: required by the JSON Schema, not written"
        for key in shape.keys() & properties.keys():
            yield from _schema_problems(
                schema, properties[key], shape[key], f"{where}.{key}"
            )
    elif isinstance(shape, list):
        assert node.get("type") == "array", where
        yield from _schema_problems(
            schema, node.get("items", {}), shape[0], f"{where}[]"
        )


def test_json_keys_fit_the_discovery_json_schema(scripts: dict[str, bytes]) -> None:
    schema = json_schema()
    for name, data in scripts.items():
        problems = list(_schema_problems(schema, schema, script_shape(data), "$"))
        assert problems == [], name
    # The check sees a key the schema does not know.
    wrong = {**CONTRACT, "hostz": [None]}
    assert list(_schema_problems(schema, schema, wrong, "$")) == [
        "$.hostz: not in the JSON Schema"
    ]


def test_an_unreadable_sso_database_is_a_null_master_secret_server(
    scripts: dict[str, bytes],
) -> None:
    # Only SSO Administrators may read the SSO database; a scheduled discovery
    # should not need that right, so the script warns and reports null.
    schema = json_schema()
    group = schema["$defs"]["GroupInfo"]
    assert "master_secret_server" not in group["required"]
    types = [
        t.get("type") for t in group["properties"]["master_secret_server"]["anyOf"]
    ]
    assert "null" in types
    for name, data in scripts.items():
        reader = functions(_root(data))["Get-DrMasterSecretServer"]
        # tree-sitter-pwsh: a throw is a flow_control_statement led by 'throw'.
        assert nodes(functions(_root(data))["Get-DrDiscovery"], "throw"), name
        assert nodes(reader, "throw") == [], name
        assert "Write-Warning" in text(reader), name
        assert "return $null" in text(reader), name


def _try_body(node: Node) -> Node | None:
    """The try block ``node`` lies in, if any (not its catch or finally)."""
    parent = node.parent
    while parent is not None:
        grand = parent.parent
        in_try = grand is not None and grand.type == "try_statement"
        if parent.type == "statement_block" and in_try:
            return parent
        parent = parent.parent
    return None


def _catch(try_body: Node) -> Node:
    statement = try_body.parent
    assert statement is not None
    (clause,) = nodes(statement, "catch_clause")
    return clause


READERS = {
    # function: (query variable, keys of what it returns)
    "Get-DrBackupDatabases": ("$BackupDatabasesQuery", ["databases", "problem"]),
    "Get-DrBamDatabases": (
        "$BamConfigurationQuery",
        ["archive", "star_schema", "analysis", "problem"],
    ),
}


def test_a_part_it_cannot_read_is_null_with_a_reason(scripts: dict[str, bytes]) -> None:
    """The Backup job's rows and the BAM configuration: an error is a warning and
    a reason in the file (group.unread), never a failed discovery."""
    for name, data in scripts.items():
        found = functions(_root(data))
        for function, (query, keys) in READERS.items():
            body = found[function]
            (call,) = [
                c
                for c in nodes(body, "command")
                if text(c).startswith("Invoke-DrSqlQuery ")
            ]
            assert text(call).endswith(f"-Query {query}"), name
            block = _try_body(call)
            assert block is not None, (name, function)
            catch = _catch(block)
            # Every throw of the reader is inside the try: it ends in the catch.
            for thrown in nodes(body, "throw"):
                assert _try_body(thrown) == block, (name, function)
            returned = [
                r
                for r in nodes(catch, "flow_control_statement")
                if text(r)[:6] == "return"
            ]
            (table,) = returned
            entries = {
                text(e.children[0]): text(e.named_children[-1]).strip()
                for e in nodes(table, "hash_entry")
            }
            assert list(entries) == keys, (name, function)
            assert entries["problem"] == "$problem", (name, function)
            assert {v for k, v in entries.items() if k != "problem"} == {"$null"}
            assert "Write-Warning" in text(catch), (name, function)
            assert "$problem = Get-DrReadProblem " in text(catch), (name, function)
        # The reason is one non-empty line, short enough for the model.
        problem = text(found["Get-DrReadProblem"])
        assert "'Cannot read {0} from {1}: {2}'" in problem, name
        assert "-replace '[\\x00-\\x1F\\x7F]+', ' '" in problem, name
        assert "$text.Substring(0, 1000)" in problem, name
    reason = json_schema()["$defs"]["Unread"]["properties"]["backup_databases"]
    (string,) = [c for c in reason["anyOf"] if c.get("type") == "string"]
    assert string["minLength"] == 1
    assert string["maxLength"] >= 1000


def test_only_names_leave_the_bam_configuration(scripts: dict[str, bytes]) -> None:
    """The BAM configuration may hold DTS package passwords: the script parses it
    in memory (no external entity fetched) and takes only ServerName and
    DatabaseName of a unit."""
    server = CATALOGUE["answer:bam-config-property/ServerName"]
    database = CATALOGUE["answer:bam-config-property/DatabaseName"]
    for name, data in scripts.items():
        root = _root(data)
        found = functions(root)
        selects = [c for c in member_calls(root) if c[1] == "SelectSingleNode"]
        assert [(o, _arguments(c)) for o, _, c in selects] == [
            ("$Configuration", [f"($BamPropertyPath -f $Unit, '{server}')"]),
            ("$Configuration", [f"($BamPropertyPath -f $Unit, '{database}')"]),
        ], name
        for _, _, call in selects:
            unit = found["Get-DrBamDatabase"]
            assert unit.start_byte <= call.start_byte < unit.end_byte, name
        # Of a selected node only its text is read.
        reader = text(found["Get-DrBamDatabase"])
        assert "-Server $serverNode.InnerText -Name $nameNode.InnerText" in reader
        assert len(re.findall(r"\$(server|name)Node\.", reader)) == 2, name
        # The document: made, resolver off, loaded, handed to Get-DrBamDatabase.
        bam = found["Get-DrBamDatabases"]
        uses = [
            text(v.parent) if v.parent is not None else ""
            for v in nodes(bam, "variable")
            if text(v).lower() == "$configuration"
        ]
        assert uses[:3] == [
            "$configuration",
            "$configuration.XmlResolver",
            "$configuration.LoadXml([string]$rows[0][0])",
        ], name
        assert all(u == "$configuration" for u in uses[3:]), name
        assert text(bam).count("-Configuration $configuration") == 3, name
        assert single_quoted(assignments(root)["$bampropertypath"]) == [
            discovery_reads().bam_property_path
        ], name


def test_each_database_comes_from_its_unit_or_backup_row(
    scripts: dict[str, bytes],
) -> None:
    units = {
        "archive": "ArchivingDatabase",
        "star_schema": "StarSchemaDatabase",
        "analysis": "AnalysisDatabase",
    }
    for name, data in scripts.items():
        root = _root(data)
        found = functions(root)
        (last,) = [
            r
            for r in nodes(found["Get-DrBamDatabases"], "flow_control_statement")
            if "archive = Get-DrBamDatabase" in text(r)
        ]
        entries = {
            text(e.children[0]): text(e.named_children[-1]).strip()
            for e in nodes(last, "hash_entry")
        }
        for key, unit in units.items():
            assert entries[key] == (
                "Get-DrBamDatabase -Configuration $configuration -Unit "
                f"'{CATALOGUE[f'answer:bam-config-unit/{unit}']}'"
            ), (name, key)
        group = {
            text(e.children[0]): text(e.named_children[-1]).strip()
            for e in nodes(found["Get-DrDiscovery"], "hash_entry")
        }
        for key in units:
            assert group[f"bam_{key}"] == f"$bam.{key}", name
        for key, variable in (
            ("bam_alerts_application", "$BamAlertsApplicationName"),
            ("bam_alerts_instance", "$BamAlertsInstanceName"),
        ):
            assert group[key] == (
                "Get-DrBackupDatabase -Databases $backup.databases "
                f"-BackupName {variable}"
            ), name
        assert group["other_databases"] == "$backup.databases", name
        assert group["backup_databases"] == "$backup.problem", name
        assert group["bam_configuration"] == "$bam.problem", name
        values = assignments(root)
        assert single_quoted(values["$bamalertsapplicationname"]) == [
            CATALOGUE["answer:default-name/BamAlertsApplication"]
        ]
        assert single_quoted(values["$bamalertsinstancename"]) == [
            CATALOGUE["answer:default-name/BamAlertsInstance"]
        ]
        # Read from the group's own management and BAM Primary Import databases.
        discovery = text(found["Get-DrDiscovery"])
        assert "$backup = Get-DrBackupDatabases -Management $management" in discovery
        assert "$bam = Get-DrBamDatabases -PrimaryImport $bamPrimaryImport" in (
            discovery
        )


def test_schema_id_and_version_are_the_contracts(scripts: dict[str, bytes]) -> None:
    from generator import __version__

    for name, data in scripts.items():
        values = assignments(_root(data))
        assert single_quoted(values["$resultschema"]) == [SCHEMA_ID], name
        assert single_quoted(values["$drgenversion"]) == [__version__], name


# -------------------------------------------------------------------- guard


def _production_servers(stem: str) -> list[str]:
    """Read from the inventory itself, not through the plan."""
    inventory = parse_inventory(load_inventory(INVENTORIES / f"{stem}.yaml"))
    return [server.name for server in inventory.production.servers]


def test_guard_lists_exactly_the_inventorys_production_servers(
    scripts: dict[str, bytes], plans: dict[str, Plan]
) -> None:
    for stem in EXAMPLES:
        value = assignments(_root(scripts[stem]))["$productionservers"]
        assert single_quoted(value) == _production_servers(stem)
        assert single_quoted(value) == list(plans[stem].site.production_servers)
        assert text(value).startswith("@(")
    # The generic script names no server: it runs on any BizTalk server.
    generic = assignments(_root(scripts["generic"]))["$productionservers"]
    assert text(generic).strip() == "@()"


def test_guard_runs_first_and_ignores_case(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        root = _root(data)
        guard = functions(root)["Assert-DrProductionComputer"]
        body = text(guard)
        # -notcontains compares case-insensitively; exit 2 like the DR scripts.
        assert "$ProductionServers -notcontains $env:COMPUTERNAME" in body, name
        assert "($ProductionServers.Count -gt 0)" in body, name
        assert re.search(r"\n\s+exit 2\r?\n", body), name
        assert "Nothing was read or written." in body
        # Before the guard only assignments, Set-StrictMode and definitions.
        statements = top_level(root)
        index = next(
            i
            for i, s in enumerate(statements)
            if text(s) == "Assert-DrProductionComputer"
        )
        for statement in statements[:index]:
            assert statement.type in {
                "function_statement",
                "param_block",
                "pipeline",
                "attribute_list",
            }, (name, statement.type)
            if statement.type == "pipeline":
                source = text(statement)
                assert source.startswith(("$", "Set-StrictMode ")), (name, source)
                assert not re.search(r"\b(Get|Invoke)-", source), (name, source)


# ----------------------------------------------------------- render and verify


@pytest.fixture(scope="module")
def rendered_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("production")
    out, dev = base / "out", base / "dev"
    api.render(
        [INVENTORIES / f"{stem}.yaml" for stem in EXAMPLES],
        out=out,
        signing=api.Signing(dev_folder=dev),
    )
    return out, dev


def test_rendered_bundles_verify_with_the_production_script(
    rendered_out: tuple[Path, Path],
) -> None:
    out, _ = rendered_out
    assert api.verify(out) == len(EXAMPLES)
    for stem in EXAMPLES:
        manifest = json.loads((out / stem / "manifest.json").read_text("utf-8"))
        (entry,) = [f for f in manifest["files"] if f["path"] == str(PRODUCTION_PATH)]
        assert entry["signed"] is True
        assert entry["kind"] == "ps1"
        assert entry["template"] == DISCOVERY
        # Not a DR site: no bundle check lists it (it is never copied to DR).
        checks = list((out / stem).glob(f"*/{BUNDLE_CHECK_NAME}"))
        assert len(checks) == 1
        assert DISCOVERY_SCRIPT_NAME not in checks[0].read_text("utf-8-sig")


def _problems(out: Path) -> list[tuple[str, str]]:
    with pytest.raises(VerificationError) as caught:
        api.verify(out)
    return [(d.location.file, d.code) for d in caught.value.diagnostics]


def test_verify_sees_a_changed_or_missing_production_script(
    rendered_out: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    out = tmp_path / "out"
    shutil.copytree(rendered_out[0], out)
    script = out / "example" / PRODUCTION_PATH
    original = script.read_bytes()
    script.write_bytes(original.replace(b"'server1'", b"'server9'", 1))
    problems = _problems(out)
    where = f"example/{PRODUCTION_PATH}"
    assert (where, "changed") in problems
    assert (where, "signature") in problems
    assert {file for file, _ in problems} == {where}
    script.unlink()
    assert _problems(out) == [(where, "missing")]


def test_rendered_and_discover_scripts_verify_with_osslsigncode(
    rendered_out: tuple[Path, Path], tmp_path: Path
) -> None:
    tool = require_tool("osslsigncode")
    out, dev = rendered_out
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DRGEN_DEV_CERT_DIR", str(dev))
        result = CliRunner().invoke(app, ["discover", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (cert,) = dev.glob("*cert*.pem")
    for script in (
        tmp_path / DISCOVERY_SCRIPT_NAME,
        *(out / stem / PRODUCTION_PATH for stem in EXAMPLES),
    ):
        done = subprocess.run(
            [tool, "verify", "-in", str(script), "-CAfile", str(cert)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, (script, done.stdout, done.stderr)
        assert "Signature verification: ok" in done.stdout


# ------------------------------------------------------------------ discover


def _discover(dev: Path, *args: str) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DRGEN_DEV_CERT_DIR", str(dev))
        return CliRunner().invoke(app, ["discover", *args])


def test_discover_writes_the_generic_script_once(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    first, second = tmp_path / "a", tmp_path / "b"
    result = _discover(dev, "--out", str(first))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "create" in result.stderr
    assert [p.name for p in first.iterdir()] == [DISCOVERY_SCRIPT_NAME]
    data = (first / DISCOVERY_SCRIPT_NAME).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf#Requires -Version 5.1\r\n")
    assert b"\r\n$ProductionServers = @()\r\n" in data
    assert b"# SIG # Begin signature block" in data
    # Again: nothing to do. Elsewhere: the same bytes (deterministic).
    again = _discover(dev, "--out", str(first))
    assert again.exit_code == 0
    assert "identical" in again.stderr
    assert (first / DISCOVERY_SCRIPT_NAME).read_bytes() == data
    assert _discover(dev, "--out", str(second)).exit_code == 0
    assert (second / DISCOVERY_SCRIPT_NAME).read_bytes() == data


def test_discover_refuses_a_file_it_did_not_write(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    target = tmp_path / DISCOVERY_SCRIPT_NAME
    target.write_bytes(b"Write-Host 'mine'\r\n")
    result = _discover(dev, "--out", str(tmp_path))
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "was not written by drgen discover" in result.stderr
    assert "Traceback" not in result.output
    assert target.read_bytes() == b"Write-Host 'mine'\r\n"
    # Refused before the key is loaded: no development identity was created.
    assert not dev.exists()
    forced = _discover(dev, "--out", str(tmp_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert b"$ResultSchema = 'drgen/discovery-v1'" in target.read_bytes()


def test_discover_refuses_a_file_as_out(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    result = _discover(tmp_path / "dev", "--out", str(file))
    assert result.exit_code == ExitCode.USAGE
    assert file.read_text() == "x"


def test_discover_simulate_prints_a_discovery(tmp_path: Path) -> None:
    result = _discover(
        tmp_path / "dev", "--simulate", str(INVENTORIES / "example.yaml")
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == SCHEMA_ID
    assert sorted(document["servers"], key=str.upper) == sorted(
        _production_servers("example"), key=str.upper
    )
    assert not (tmp_path / "dev").exists()
    refused = _discover(
        tmp_path / "dev", "--simulate", str(INVENTORIES / "example.yaml"), "--force"
    )
    assert refused.exit_code == ExitCode.USAGE


def test_production_script_is_deterministic(plans: dict[str, Plan]) -> None:
    env = make_environment()
    for stem, plan in plans.items():
        path = PurePosixPath(stem) / PRODUCTION_PATH
        first = {a.path: a.text for a in render_unsigned(plan, env)}[path]
        second = {a.path: a.text for a in render_unsigned(plan, env)}[path]
        assert first == second
        assert "\r" not in first
