"""Drill results: what Test-DrServer.ps1 and Test-DrBundle.ps1 write, read on the
parse tree (tests/support/pwsh/), against the model and schema drgen reads them
with; and the bundle id that ties a result to a render."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest

from generator.bundle.build import plan_identity, render_unsigned
from generator.bundle.identity import bundle_id, templates_used
from generator.defaults import DEFAULT_TEMPLATES
from generator.errors import ExitCode, TemplateError
from generator.evidence.results import (
    RESULT_SCHEMA,
    SCHEMA_FILE,
    CheckResult,
    DrillResult,
    ResultError,
    json_schema,
    parse_result,
    read_result,
    result_files,
)
from generator.inventory.model import schema_text
from generator.plan.labprobe import catalogue_sha256
from generator.render.environment import make_environment
from tests.support import pwsh_oracle as ps
from tests.support.golden import REGEN, stale
from tests.support.paths import EXAMPLES, ROOT
from tests.support.ps_shapes import written_shape
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.sample_results import (
    SAMPLE_NOW,
    SAMPLES,
    bundle_checks,
    render,
    state_checks,
)
from tests.support.scripts import Script, function, functions, scripts, top_string
from tests.support.tree import command_nodes, method_calls, records, strings, within

SCHEMA_PATH = ROOT / "schema" / SCHEMA_FILE
TEST_SCRIPTS = ("Test-DrServer.ps1", "Test-DrBundle.ps1")


def result_scripts(all_artifacts) -> list[Script]:
    found = scripts(all_artifacts, *TEST_SCRIPTS)
    servers = sum(1 for s in found if s.name == "Test-DrServer.ps1")
    assert servers >= 5  # 3 + 2 DR servers
    return found


def test_the_result_has_exactly_the_schema_keys(all_artifacts) -> None:
    """The keys the scripts write are the model's, by alias, in model order
    (tests/support/ps_shapes.py reads them; tests/scripts/test_json_contracts.py
    compares every nested key with the model, the committed schema and the
    samples)."""
    wanted = [f.alias or name for name, f in DrillResult.model_fields.items()]
    check_keys = list(CheckResult.model_fields)
    for script in result_scripts(all_artifacts):
        shape = written_shape(script.root, "Write-DrTestResult")
        assert isinstance(shape, dict), script
        assert list(shape) == wanted, script
        checks = shape["checks"]
        assert isinstance(checks, list), script
        (row,) = checks
        assert isinstance(row, dict), script
        assert list(row) == check_keys, script
        # Ordered: ConvertTo-Json writes the keys in this order.
        writer = function(script, "Write-DrTestResult")
        assert "[ordered]@{" in re.sub(r"\s", "", text(writer)).replace(
            "[pscustomobject]", ""
        )


def test_the_schema_string_and_identity_are_the_renders(all_artifacts, plans) -> None:
    env = make_environment()
    for script in result_scripts(all_artifacts):
        plan = plans[script.stem]
        identity = plan_identity(plan, env)
        assert top_string(script, "TestResultSchema") == RESULT_SCHEMA
        assert top_string(script, "BundleId") == identity.bundle_id
        assert re.fullmatch(r"[0-9a-f]{64}", identity.bundle_id)
        assert top_string(script, "InventoryName") == plan.inventory_name
        assert top_string(script, "InventorySha256") == plan.inventory_sha256
        assert top_string(script, "SiteName") == plan.site.site


def test_only_the_result_file_is_written_and_only_into_logs(all_artifacts) -> None:
    """Read-only scripts: no cmdlet that writes a file; one WriteAllText, whose
    path is built below $LogFolder (logs\\ beside the script)."""
    # Any method writing a file, and any call on a .NET file-system type.
    writers = {
        "writealltext",
        "writeallbytes",
        "writealllines",
        "appendalltext",
        "appendalllines",
        "createtext",
        "openwrite",
        "save",
    }
    file_types = re.compile(r"\[(System\.)?IO\.\w+\]", re.IGNORECASE)
    file_cmdlets = {"set-content", "add-content", "out-file", "export-csv"}
    file_cmdlets |= {"export-clixml", "new-item", "copy-item", "move-item"}
    for script in result_scripts(all_artifacts):
        cmds = ps.commands(script.data)
        assert [c.name for c in cmds if c.name.casefold() in file_cmdlets] == []
        assert [c.name for c in cmds if ps.is_state_changing(c)] == []
        assert [
            c for c in cmds if "Out-File" in c.arguments or ">" in c.arguments
        ] == []
        calls = [
            c
            for c in method_calls(script.root)
            if c[0].casefold() in writers
            or (file_types.fullmatch(c[1]) and not c[0].startswith("Read"))
        ]
        # Creating logs\ itself (Start-DrLog, through New-DrProtectedFolder).
        folders = [c for c in calls if c[0] == "CreateDirectory"]
        assert [text(c[2][0]) for c in folders] == ["$Path"], script
        for call in command_nodes(script.root, "New-DrProtectedFolder"):
            assert text(call).split()[1:] == ["-Path", "$LogFolder"], script
        calls = [c for c in calls if c[0] != "CreateDirectory"]
        assert len(calls) == 1, [(c[0], c[1]) for c in calls]
        (write,) = calls
        method, target, arguments, _ = write
        assert (method, target) == ("WriteAllText", "[System.IO.File]"), script
        assert text(arguments[0]) == "$path"
        writer = function(script, "Write-DrTestResult")
        assert write[3].start_byte > writer.start_byte
        assert write[3].end_byte < writer.end_byte
        # Every value $path takes is Join-Path -Path $LogFolder.
        assigned = [
            n.child_by_field_name("value")
            for n in nodes(writer, "assignment_expression")
            if text(n.named_children[0]).strip() == "$path"
        ]
        assert len(assigned) == 2, script
        for value in assigned:
            assert value is not None
            (join,) = command_nodes(value, "Join-Path")
            assert text(join).split()[1:3] == ["-Path", "$LogFolder"], script
        # $LogFolder is logs beside the script ($PSScriptRoot), as Start-DrLog uses.
        assert "$LogFolder = Join-Path -Path $PSScriptRoot -ChildPath 'logs'" in (
            script.art.text
        )
        # No redirection into a file anywhere.
        assert nodes(script.root, "file_redirection_operator") == [], script


def test_the_result_is_written_under_whatif_too(all_artifacts) -> None:
    """The checks are read-only, so a -WhatIf run is a real one: like the log
    (Start-Transcript -WhatIf:$false), its result is written; a .NET write
    ignores -WhatIf, and nothing on the way asks ShouldProcess or $WhatIfPreference."""
    for script in result_scripts(all_artifacts):
        writer = function(script, "Write-DrTestResult")
        body = text(writer).casefold()
        assert "whatifpreference" not in body, script
        assert "shouldprocess" not in body, script
        assert "WriteAllText" in text(writer), script
        (call,) = command_nodes(script.root, "Write-DrTestResult")
        guards = [
            s
            for s in nodes(script.root, "if_statement")
            if within(call, s) and "whatif" in text(s).casefold()
        ]
        assert guards == [], script


def test_the_file_name_is_unique_per_run(all_artifacts) -> None:
    """logs\\<script>-<COMPUTER>-<yyyyMMddTHHmmssZ>.json, then -2, -3, ..."""
    for script in result_scripts(all_artifacts):
        writer = function(script, "Write-DrTestResult")
        body = text(writer)
        assert (
            "$base = '{0}-{1}-{2}' -f $ScriptName, $env:COMPUTERNAME, "
            "(Format-DrUtc -Moment $finished -Format 'yyyyMMddTHHmmssZ')"
        ) in body
        (loop,) = nodes(writer, "while_statement")
        assert "Test-Path -LiteralPath $path" in text(loop)
        assert "$suffix += 1" in text(loop)
        assert "('{0}.json' -f $base)" in body
        # Times are UTC and culture-independent.
        formatter = function(script, "Format-DrUtc")
        assert ".ToUniversalTime().ToString($Format, " in text(formatter)
        assert "InvariantCulture" in text(formatter)
        assert strings(writer).count("yyyy-MM-ddTHH:mm:ssZ") == 2
        calls = command_nodes(script.root, "Write-DrTestResult")
        (call,) = calls
        name = script.name.removesuffix(".ps1")
        assert text(call).split()[1:3] == ["-ScriptName", "$DrScriptName"], script
        # ... which the frame sets to the script's own name.
        assert f"$DrScriptName = '{name}'" in script.art.text


def _depth(schema: dict[str, Any], node: dict[str, Any]) -> int:
    """How many objects and arrays nest below (and including) ``node``."""
    if "$ref" in node:
        return _depth(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    inner = [node.get("items")] if node.get("type") == "array" else []
    inner += list(node.get("properties", {}).values())
    inner += node.get("anyOf", [])
    deepest = max((_depth(schema, n) for n in inner if n), default=0)
    nested = node.get("type") in ("object", "array")
    return deepest + int(nested)


def test_convertto_json_is_deep_enough_and_keeps_arrays(all_artifacts) -> None:
    schema = json_schema()
    # document (1) > checks array (2) > check object (3)
    needed = _depth(schema, schema)
    assert needed == 3
    for script in result_scripts(all_artifacts):
        writer = function(script, "Write-DrTestResult")
        (convert,) = command_nodes(writer, "ConvertTo-Json")
        words = text(convert).split()
        depth = int(words[words.index("-Depth") + 1])
        # ConvertTo-Json counts levels below the top object; more is harmless.
        assert depth >= needed, script
        # A plain object[] (List.ToArray()): a JSON array on Windows PowerShell 5.1
        # for one check or none, never unrolled by a pipeline.
        (checks,) = [r for r in records(writer) if "checks" in r]
        assert checks["checks"] == "$rows.ToArray()"
        assert (
            "$rows = New-Object -TypeName 'System.Collections.Generic.List[object]'"
            in (text(writer))
        )
        assert "-InputObject" not in text(convert)


def test_the_script_hashes_itself_signature_included(all_artifacts) -> None:
    for script in result_scripts(all_artifacts):
        writer = function(script, "Write-DrTestResult")
        assert (
            "$scriptSha256 = (Get-FileHash -LiteralPath $PSCommandPath "
            "-Algorithm SHA256).Hash"
        ) in text(writer)
        (row,) = [r for r in records(writer) if "script_sha256" in r]
        assert row["script_sha256"] == "$scriptSha256"
        assert row["computer"] == "$env:COMPUTERNAME"
        # Who ran it: the process token's account, not an environment variable.
        assert row["run_by"] == "$runBy"
        assert (
            "$runBy = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name"
        ) in text(writer)
        assert row["expected_state"] == "$state"


def test_test_drserver_records_its_expected_state(all_artifacts) -> None:
    for script in scripts(all_artifacts, "Test-DrServer.ps1"):
        (call,) = command_nodes(script.root, "Write-DrTestResult")
        words = text(call).split()
        assert words[words.index("-ExpectedState") + 1] == "$Expect"
        assert "-AfterDrill:$AfterDrill" in words
        assert words[words.index("-Checks") + 1] == "$report"
    for script in scripts(all_artifacts, "Test-DrBundle.ps1"):
        (call,) = command_nodes(script.root, "Write-DrTestResult")
        assert "-ExpectedState" not in text(call)
        assert text(call).split()[-2:] == ["-Checks", "$results"]


def test_a_check_that_throws_still_writes_a_failed_result(all_artifacts) -> None:
    """The checks run in a try whose catch records a failed 'run:completed' check
    in the same list; the result is written after that try, so a run that stops
    midway leaves a failing result, not an older passing one as the latest."""
    for script in result_scripts(all_artifacts):
        (write,) = command_nodes(script.root, "Write-DrTestResult")
        listed = text(write).split()[-1]
        guarded = []
        bodies = functions(script).values()
        for statement in nodes(script.root, "try_statement"):
            # The run's own try (around everything) and those inside functions.
            if within(write, statement) or any(within(statement, f) for f in bodies):
                continue
            (catch,) = nodes(statement, "catch_clause")
            recorded = [
                c
                for c in command_nodes(catch, "Add-DrCheck")
                if "-Id 'run:completed'" in text(c)
            ]
            if recorded:
                assert text(recorded[0]).split()[1:3] == ["-Results", listed], script
                assert statement.end_byte < write.start_byte, script
                guarded.append(statement)
        assert len(guarded) == 1, script
        (checks,) = guarded
        body = text(checks).split("catch", 1)[0]
        if script.name == "Test-DrServer.ps1":
            call = "Get-DrStateReport -Expect $Expect -AnyManagementServer:$AfterDrill"
            assert f"{call} -Results {listed}" in body, script
        else:
            assert "Get-FileHash" in body, script
            assert "Get-ChildItem" in body, script


# --- check ids ------------------------------------------------------------------
# --- check ids ------------------------------------------------------------------


def id_patterns(script: Script) -> list[str]:
    """A regex per ``Add-DrCheck -Id`` of the script ({0} and {1} match anything)."""
    found = []
    for call in command_nodes(script.root, "Add-DrCheck"):
        words = text(call)
        match = re.search(r"-Id (\('([^']*)' -f [^)]*\)|'([^']*)')", words)
        assert match, (script, words)
        literal = match.group(2) if match.group(2) is not None else match.group(3)
        found.append(re.sub(r"\\\{\d\\\}", ".+", re.escape(literal)))
    return found


def test_every_check_has_a_stable_distinct_id(all_artifacts) -> None:
    for script in result_scripts(all_artifacts):
        calls = command_nodes(script.root, "Add-DrCheck")
        assert len(calls) >= 3, script
        patterns = id_patterns(script)
        assert len(patterns) == len(calls)
        # Host instances may be 'installed' from two branches; all others differ.
        assert len(set(patterns)) >= len(patterns) - 1, patterns
        # An id names what is checked, never a value found on the server.
        for call in calls:
            words = text(call)
            id_part = words.split("-Id ", 1)[1].split(" -Check ", 1)[0]
            assert "$actual" not in id_part.casefold()
            assert "$value" not in id_part.casefold()


def test_the_sample_checks_use_the_scripts_ids(all_artifacts, plans) -> None:
    """tests.support.sample_results models the checks; its ids are ones the
    scripts write."""
    by_name: dict[str, set[str]] = {}
    for script in result_scripts(all_artifacts):
        by_name.setdefault(script.name, set()).update(id_patterns(script))
    for stem in EXAMPLES:
        made = render(stem)
        for server in plans[stem].site.servers:
            for expect in ("Dormant", "Ready", "Active"):
                for row in state_checks(plans[stem].site, server, expect):
                    assert any(
                        re.fullmatch(p, row["id"]) for p in by_name["Test-DrServer.ps1"]
                    ), row["id"]
            for row in bundle_checks(made, server.name):
                assert any(
                    re.fullmatch(p, row["id"]) for p in by_name["Test-DrBundle.ps1"]
                ), row["id"]


# --- the model and schema -------------------------------------------------------


def test_the_committed_schema_is_the_models() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(json_schema()), stale(
        f"schema/{SCHEMA_FILE}"
    )
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"]["const"] == RESULT_SCHEMA
    assert set(schema["required"]) == set(schema["properties"])


def test_a_stale_result_schema_fails_naming_regen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale_copy = tmp_path / SCHEMA_FILE
    stale_copy.write_text(SCHEMA_PATH.read_text(encoding="utf-8") + "\n", "utf-8")
    monkeypatch.setattr(f"{__name__}.SCHEMA_PATH", stale_copy)
    with pytest.raises(AssertionError, match=re.escape(REGEN)):
        test_the_committed_schema_is_the_models()


def sample() -> dict[str, Any]:
    path = sorted((SAMPLES / "example").glob("Test-DrServer-*.json"))[0]
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_samples_are_valid_against_the_committed_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    files = result_files([SAMPLES])
    assert len(files) >= 10
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        validator.validate(data)
        read_result(path)


def test_the_schema_and_the_model_reject_the_same_documents() -> None:
    """Each mutation is refused by the committed schema and by drgen's reader."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    mutations: list[Callable[[dict[str, Any]], object]] = [
        lambda d: d.pop("bundle_id"),
        lambda d: d.update(extra=1),
        lambda d: d.update(expected_state="Sleeping"),
        lambda d: d.update(script="Enable-DrServer"),
        lambda d: d.update(bundle_id="xyz"),
        lambda d: d["checks"][0].pop("observed"),
        lambda d: d["checks"][0].update(passed="yes"),
        lambda d: d.update(checks={"id": "a"}),
    ]
    for mutate in mutations:
        data = sample()
        mutate(data)
        assert list(validator.iter_errors(data)), data
        with pytest.raises(ResultError):
            parse_result(json.dumps(data, indent=2), Path("r.json"))


def located(text_: str) -> ResultError:
    with pytest.raises(ResultError) as caught:
        parse_result(text_, Path("logs/r.json"))
    assert caught.value.exit_code is ExitCode.USAGE
    return caught.value


def test_malformed_results_are_located_errors() -> None:
    broken = json.dumps(sample(), indent=2).replace('"site":', '"site"', 1)
    error = located(broken)
    with pytest.raises(json.JSONDecodeError) as decoding:
        json.loads(broken)
    where = f"logs/r.json:{decoding.value.lineno}:{decoding.value.colno}"
    assert str(error.diagnostics[0].location) == where
    assert error.message.startswith(where + ": not JSON")
    assert decoding.value.lineno > 3
    assert "not JSON" in error.message
    wrong = sample() | {"schema": "drgen/lab-facts-v1"}
    assert "schema is 'drgen/lab-facts-v1'" in located(json.dumps(wrong)).message
    missing = sample()
    missing["checks"][1].pop("expected")
    error = located(json.dumps(missing, indent=2))
    assert error.message.startswith("logs/r.json:")
    assert "checks.1.expected" in error.message
    twice = sample()
    twice["checks"][1]["id"] = twice["checks"][0]["id"]
    assert "appears twice" in located(json.dumps(twice)).message
    backwards = sample() | {"finished": "2020-01-01T00:00:00Z"}
    assert "finished is before started" in located(json.dumps(backwards)).message
    naive = sample() | {"started": "2026-11-20T09:00:00"}
    assert "started" in located(json.dumps(naive)).message
    assert "a drill result is a JSON object" in located("[]").message


def test_a_bom_is_accepted_and_bad_bytes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "Test-DrServer-X-1.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(sample()).encode())
    assert read_result(path).script == "Test-DrServer"
    path.write_bytes(b'{\n  "a": "\xff"\n}')
    with pytest.raises(
        ResultError,
        match=r"Test-DrServer-X-1.json:2:9: the drill result is not valid UTF-8",
    ):
        read_result(path)
    # What Windows PowerShell 5.1's Out-File writes: UTF-16LE with a byte order mark.
    path.write_bytes(json.dumps(sample()).encode("utf-16"))
    assert read_result(path).script == "Test-DrServer"


def test_folders_give_only_drill_results(tmp_path: Path) -> None:
    logs = tmp_path / "DRserver1" / "logs"
    logs.mkdir(parents=True)
    for name in (
        "Test-DrServer-DRSERVER1-20261120T090000Z.json",
        "Test-DrBundle-DRSERVER1-20261120T090000Z-2.json",
        "Test-DrLabFacts-DRSERVER1.json",
        "Test-DrServer-20261120.log",
    ):
        (logs / name).write_text("{}", encoding="utf-8")
    found = result_files([tmp_path])
    assert [p.name for p in found] == [
        "Test-DrBundle-DRSERVER1-20261120T090000Z-2.json",
        "Test-DrServer-DRSERVER1-20261120T090000Z.json",
    ]
    named = logs / "Test-DrLabFacts-DRSERVER1.json"
    assert result_files([named]) == (named,)
    with pytest.raises(ResultError, match="no such file or folder"):
        result_files([tmp_path / "nothing"])


# --- the bundle id --------------------------------------------------------------


def test_bundle_id_covers_every_template_a_site_uses(plans) -> None:
    env = make_environment()
    plan = plans["example"]
    used = templates_used(env, (spec.template for spec in plan.artifacts))
    # Includes are followed: the partials the test scripts are made of count.
    for name in (
        "_partials/test-result.ps1.jinja",
        "_partials/check-record.ps1.jinja",
        "_partials/checks.ps1.jinja",
        "server/Test-DrServer.ps1.jinja",
        "site/Test-DrBundle.ps1.jinja",
    ):
        assert name in used
    # The report's own template does not make a bundle.
    assert not [n for n in used if n.startswith("report/")]
    for name, data in used.items():
        assert data == (DEFAULT_TEMPLATES / name).read_bytes()


def _site_templates(plan) -> list[str]:
    """The templates of the site's own files (not production/)."""
    return [s.template for s in plan.artifacts if s.path.parts[1] == plan.site.site]


def test_bundle_id_changes_with_what_makes_the_bundle(plans) -> None:
    env = make_environment()
    plan = plans["example"]
    used = templates_used(env, _site_templates(plan))
    base = {
        "inventory_sha256": plan.inventory_sha256,
        "site": plan.site.site,
        "catalogue_sha256": catalogue_sha256(),
        "templates": used,
    }
    first = bundle_id(**base)
    assert first == plan_identity(plan, env).bundle_id
    assert bundle_id(**base) == first
    changed = [
        base | {"inventory_sha256": "0" * 64},
        base | {"site": "DR-East"},
        base | {"catalogue_sha256": "1" * 64},
        base | {"templates": used | {"site/Runbook.md.jinja": b"x"}},
        base | {"templates": {k: v for k, v in used.items() if "Runbook.md" not in k}},
    ]
    ids = {bundle_id(**c) for c in changed}
    assert first not in ids
    assert len(ids) == len(changed)
    assert bundle_id(**base, version="0.0.0") != first


def test_a_changed_template_folder_changes_the_rendered_id(
    tmp_path: Path, plans
) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, copy)
    plan = plans["example"]
    before = plan_identity(plan, make_environment(copy)).bundle_id
    assert before == plan_identity(plan, make_environment()).bundle_id
    # A template no artifact uses does not matter; one that is used does.
    (copy / "report" / "Report.html.jinja").write_text("x", encoding="utf-8")
    assert plan_identity(plan, make_environment(copy)).bundle_id == before
    # Nor does the production discovery script: it is never copied to DR.
    discovery = copy / "production" / "Export-BizTalkGroup.ps1.jinja"
    discovery.write_text(discovery.read_text(encoding="utf-8") + "\n", "utf-8")
    assert plan_identity(plan, make_environment(copy)).bundle_id == before
    partial = copy / "_partials" / "helpers.ps1.jinja"
    partial.write_text(partial.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after = plan_identity(plan, make_environment(copy)).bundle_id
    assert after != before
    rendered = {a.path: a for a in render_unsigned(plan, make_environment(copy))}
    test = rendered[PurePosixPath("example/DR-West/DRserver1/Test-DrServer.ps1")]
    assert f"$BundleId = '{after}'" in test.text


def test_a_missing_template_is_a_located_error(tmp_path: Path, plans) -> None:
    copy = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, copy)
    (copy / "_partials" / "test-result.ps1.jinja").unlink()
    with pytest.raises(TemplateError, match=r"test-result\.ps1\.jinja"):
        plan_identity(plans["example"], make_environment(copy))


def test_every_test_script_of_a_site_carries_one_id(all_artifacts) -> None:
    ids: dict[str, set[str]] = {}
    for script in result_scripts(all_artifacts):
        ids.setdefault(script.stem, set()).add(top_string(script, "BundleId"))
    assert {stem: len(found) for stem, found in ids.items()} == dict.fromkeys(
        EXAMPLES, 1
    )
    assert len({next(iter(v)) for v in ids.values()}) == len(EXAMPLES)


def test_a_result_round_trips_through_the_model() -> None:
    data = sample()
    result = DrillResult.model_validate(data)
    assert result.model_dump(mode="json", by_alias=True) == data
    assert result.kind == data["expected_state"]
    assert result.started.tzinfo is not None
    assert result.finished <= SAMPLE_NOW
    assert result.finished > datetime(2026, 1, 1, tzinfo=UTC)
