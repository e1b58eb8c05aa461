"""Export-BizTalkGroup.ps1: read-only, catalogue names only, its guard.

The script runs on production BizTalk servers, so what matters most is that it
changes nothing: every command, method call and object it creates is read from
the tree-sitter-pwsh parse tree and held against an allow-list, and the one file
it writes is written once, through ``ShouldProcess``. Its WMI and registry names
are checked against the catalogue (class by class), and its guard against each
inventory's production servers read independently of the plan. The keys of the
JSON it builds are test_discovery_contract.py's."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from generator.catalogue import CATALOGUE, Kind
from generator.plan.artifacts import DISCOVERY
from generator.plan.discovery_reads import discovery_reads
from generator.plan.outputs import (
    PRODUCTION_FOLDER,
    ArtifactKind,
)
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact
from tests.support import pwsh_oracle as ps
from tests.support.catalogue_names import name_problems, name_uses
from tests.support.discovery_script import (
    PRODUCTION_PATH,
    member_calls,
    method_arguments,
    production_servers,
    root_of,
    script_functions,
    single_quoted,
    top_level_statements,
    variable_assignments,
)
from tests.support.paths import EXAMPLES
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes

pytestmark = pytest.mark.oracle


# ----------------------------------------------------------------------------- scripts


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


# --------------------------------------------------------------------------- read only


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
        own = set(script_functions(root_of(data)))
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
        calls = member_calls(root_of(data))
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
        root = root_of(data)
        writes = [c for c in member_calls(root) if c[1] == "WriteAllText"]
        assert len(writes) == 1, name
        (_, _, call) = writes[0]
        writer = script_functions(root)["Write-DrDiscoveryFile"]
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


FILE = "[System.IO.File]"


def test_the_file_is_written_beside_and_renamed_over_its_target(
    scripts: dict[str, bytes],
) -> None:
    """Written whole to <OutFile>.tmp, then renamed over <OutFile>: an interrupted
    run leaves the previous discovery file as it was (never half written)."""
    for name, data in scripts.items():
        writer = script_functions(root_of(data))["Write-DrDiscoveryFile"]
        values = variable_assignments(writer)
        assert text(values["$temporary"]).strip() == "$Path + '.tmp'", name
        files = {
            m: [c for o, mm, c in member_calls(writer) if (o, mm) == (FILE, m)]
            for m in ("WriteAllText", "Replace", "Move")
        }
        (write,) = files["WriteAllText"]
        (replace,) = files["Replace"]
        (move,) = files["Move"]
        assert method_arguments(write)[0] == "$temporary", name
        # Renamed from the temporary file to the target, after it is written;
        # Replace without a backup file ([NullString]::Value, not $null: that
        # reaches .NET as '').
        assert method_arguments(replace) == [
            "$temporary",
            "$Path",
            "[NullString]::Value",
        ]
        assert method_arguments(move) == ["$temporary", "$Path"], name
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
        root = root_of(data)
        values = variable_assignments(root)
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
        runner = text(script_functions(root)["Invoke-DrSqlQuery"])
        assert "$command.CommandTimeout = 60" in runner, name


def test_json_keeps_arrays_and_depth(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        (convert,) = [c for c in ps.commands(data) if c.name == "ConvertTo-Json"]
        depth = int(convert.arguments[convert.arguments.index("-Depth") + 1])
        # root > group > messageboxes > row > value: the default of 2 would cut it.
        assert depth >= 5, name
        root = root_of(data)
        discovery = script_functions(root)["Get-DrDiscovery"]
        # Lists become arrays with ToArray(): one element or none stays an array.
        for key in ("messageboxes", "hosts", "host_instances", "servers"):
            (entry,) = [
                e for e in nodes(discovery, "hash_entry") if text(e.children[0]) == key
            ]
            assert text(entry).endswith(".ToArray()"), (name, key)


# --------------------------------------------------------------------------- catalogue


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
        for access in nodes(root_of(data), "member_access"):
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


# ------------------------------------------------------------------------------- guard


def test_guard_lists_exactly_the_inventorys_production_servers(
    scripts: dict[str, bytes], plans: dict[str, Plan]
) -> None:
    for stem in EXAMPLES:
        value = variable_assignments(root_of(scripts[stem]))["$productionservers"]
        assert single_quoted(value) == production_servers(stem)
        assert single_quoted(value) == list(plans[stem].site.production_servers)
        assert text(value).startswith("@(")
    # The generic script names no server: it runs on any BizTalk server.
    generic = variable_assignments(root_of(scripts["generic"]))["$productionservers"]
    assert text(generic).strip() == "@()"


def test_guard_runs_first_and_ignores_case(scripts: dict[str, bytes]) -> None:
    for name, data in scripts.items():
        root = root_of(data)
        guard = script_functions(root)["Assert-DrProductionComputer"]
        body = text(guard)
        # -notcontains compares case-insensitively; exit 2 like the DR scripts.
        assert "$ProductionServers -notcontains $env:COMPUTERNAME" in body, name
        assert "($ProductionServers.Count -gt 0)" in body, name
        assert re.search(r"\n\s+exit 2\r?\n", body), name
        assert "Nothing was read or written." in body
        # Before the guard only assignments, Set-StrictMode and definitions.
        statements = top_level_statements(root)
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
