"""The JSON Export-BizTalkGroup.ps1 builds: the keys of the discovery-v1
contract in its order, fit for its JSON Schema; a part it cannot read is null
with a reason; only names leave the BAM configuration; each database comes from
its deployment unit or its Backup job row."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from tree_sitter import Node

from generator.catalogue import CATALOGUE
from generator.discovery.model import SCHEMA_ID, json_schema
from generator.plan.discovery_reads import discovery_reads
from tests.support.discovery_script import (
    member_calls,
    method_arguments,
    root_of,
    script_functions,
    single_quoted,
    variable_assignments,
)
from tests.support.ps_shapes import written_shape
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes

pytestmark = pytest.mark.oracle


# ---------------------------------------------------------------------------- contract


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
    return written_shape(root_of(data))


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
        reader = script_functions(root_of(data))["Get-DrMasterSecretServer"]
        # tree-sitter-pwsh: a throw is a flow_control_statement led by 'throw'.
        assert nodes(script_functions(root_of(data))["Get-DrDiscovery"], "throw"), name
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
        found = script_functions(root_of(data))
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
        root = root_of(data)
        found = script_functions(root)
        selects = [c for c in member_calls(root) if c[1] == "SelectSingleNode"]
        assert [(o, method_arguments(c)) for o, _, c in selects] == [
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
        assert single_quoted(variable_assignments(root)["$bampropertypath"]) == [
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
        root = root_of(data)
        found = script_functions(root)
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
        values = variable_assignments(root)
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
        values = variable_assignments(root_of(data))
        assert single_quoted(values["$resultschema"]) == [SCHEMA_ID], name
        assert single_quoted(values["$drgenversion"]) == [__version__], name
