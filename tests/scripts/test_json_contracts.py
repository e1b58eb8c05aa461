"""Contracts between the PowerShell that writes JSON and the Python that reads it.

Two files cross from a server to drgen: the discovery file (Export-BizTalkGroup.ps1,
schema ``drgen/discovery-v1``) and the drill result (Test-DrServer.ps1 and
Test-DrBundle.ps1, ``drgen/test-result-v1``). No Windows PowerShell runs here, so
the keys a script writes are read from the tree-sitter-pwsh parse tree of the
rendered script (``tests/support/ps_shapes.py``: the value piped into
``ConvertTo-Json``, followed back to its ``@{ }`` literals), and held to:

* what ``drgen discover --simulate`` writes: never a key the script cannot write;
* what ``drgen import``, ``drgen drift`` and ``drgen report`` read: the pydantic
  models ``Discovery`` and ``DrillResult`` (a reader can read only a model field);
* the committed JSON Schemas in ``schema/``: exactly the keys written;
* the committed sample results in ``examples/results``, which Python synthesizes
  and which must say so.

Keys are compared as paths (``group.messageboxes[].server``), so nested keys and
the elements of arrays count.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath
from typing import Any

import elementpath
import pytest
from tree_sitter import Node

from generator.catalogue import CATALOGUE
from generator.discovery.model import SCHEMA_FILE as DISCOVERY_SCHEMA_FILE
from generator.discovery.model import Discovery
from generator.discovery.script import build_discovery_script
from generator.discovery.simulate import simulated
from generator.evidence.results import SCHEMA_FILE as RESULT_SCHEMA_FILE
from generator.evidence.results import DrillResult, result_files
from generator.inventory.load import load_inventory
from generator.inventory.model import Bam, Database, Inventory, OtherDatabase
from generator.inventory.validation import parse_inventory
from generator.plan.discovery_reads import bam_property_path
from generator.plan.outputs import (
    DISCOVERY_SCRIPT_NAME,
    PRODUCTION_FOLDER,
    ArtifactKind,
)
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.environment import make_environment
from generator.signing.signer import NullSigner
from tests.support import pwsh_oracle as ps
from tests.support.paths import EXAMPLES, INVENTORIES, ROOT
from tests.support.ps_shapes import (
    EACH,
    KeyPath,
    data_paths,
    dotted,
    model_paths,
    schema_paths,
    shape_paths,
    written_shape,
)
from tests.support.sample_results import RUN_BY, SAMPLES

pytestmark = pytest.mark.oracle

TEST_SCRIPTS = ("Test-DrServer.ps1", "Test-DrBundle.ps1")


def _root(text: str) -> Node:
    return ps.parse(encode_text(text, ArtifactKind.POWERSHELL)).root_node


def _shown(paths: set[KeyPath]) -> list[str]:
    return sorted(dotted(p) for p in paths)


# ------------------------------------------------------------------- the writers


@pytest.fixture(scope="module")
def discovery_writes(
    rendered: dict[str, dict[PurePosixPath, RenderedArtifact]],
) -> dict[str, set[KeyPath]]:
    """The key paths each discovery script writes: every example's production
    script and the generic one of ``drgen discover``."""
    found = {}
    for stem in EXAMPLES:
        path = PurePosixPath(stem, PRODUCTION_FOLDER, DISCOVERY_SCRIPT_NAME)
        found[stem] = shape_paths(written_shape(_root(rendered[stem][path].text)))
    generic = build_discovery_script(make_environment(), NullSigner())
    found["generic"] = shape_paths(written_shape(ps.parse(generic.data).root_node))
    return found


@pytest.fixture(scope="module")
def result_writes(all_artifacts: list[RenderedArtifact]) -> dict[str, set[KeyPath]]:
    """The key paths each Test-DrServer.ps1 and Test-DrBundle.ps1 writes."""
    return {
        str(art.path): shape_paths(written_shape(_root(art.text)))
        for art in all_artifacts
        if art.path.name in TEST_SCRIPTS
    }


def _one(writes: dict[str, set[KeyPath]]) -> set[KeyPath]:
    """The keys every script of a kind writes: all of them write the same."""
    (paths,) = {frozenset(p) for p in writes.values()}
    assert paths
    return set(paths)


def test_every_script_of_a_kind_writes_the_same_keys(
    discovery_writes: dict[str, set[KeyPath]], result_writes: dict[str, set[KeyPath]]
) -> None:
    assert len(discovery_writes) == len(EXAMPLES) + 1
    assert len(result_writes) >= 2 * len(EXAMPLES)
    discovery = _one(discovery_writes)
    results = _one(result_writes)
    # Nested keys and array elements are read, not only the top level.
    assert ("group", "other_databases", EACH, "backup_name") in discovery
    assert ("group", "unread", "bam_configuration") in discovery
    assert ("host_instances", EACH, "cluster_instance_type") in discovery
    assert ("checks", EACH, "observed") in results


# ----------------------------------------------------------------- the simulator


def _inventory(stem: str) -> Inventory:
    return parse_inventory(load_inventory(INVENTORIES / f"{stem}.yaml"))


def _every_database(inv: Inventory) -> Inventory:
    """``inv`` with every optional database the inventory can hold: each BAM
    database and two custom ones, so that the simulator writes every branch."""
    dbs = inv.group.databases
    server = dbs.management.server
    bam = Bam(
        primary_import=Database(server=server, name="BAMPrimaryImport"),
        archive=Database(server=server, name="BAMArchive"),
        star_schema=Database(server=server, name="BAMStarSchema"),
        analysis=Database(server=server, name="BAMAnalysis"),
        alerts_application=Database(server=server, name="BAMAlertsApplication"),
        alerts_instance=Database(server=server, name="BAMAlertsNSMain"),
    )
    other = (
        OtherDatabase(server=server, name="Orders", backup_name="Orders"),
        OtherDatabase(server=server, name="Billing", backup_name="Billing"),
    )
    databases = dbs.model_copy(update={"bam": bam, "other": other})
    group = inv.group.model_copy(update={"databases": databases})
    return inv.model_copy(update={"group": group})


def simulated_documents() -> dict[str, dict[str, Any]]:
    """What ``discover --simulate`` writes for each example and a full variant."""
    found = {stem: simulated(_inventory(stem)) for stem in EXAMPLES}
    found["every-database"] = simulated(_every_database(_inventory("consolidated")))
    return found


def not_written(document: Any, written: set[KeyPath]) -> list[str]:
    """Keys of a JSON document that no script writes."""
    return _shown(data_paths(document) - written)


def test_the_simulator_writes_only_what_the_script_writes(
    discovery_writes: dict[str, set[KeyPath]],
) -> None:
    written = _one(discovery_writes)
    for name, document in simulated_documents().items():
        assert not_written(document, written) == [], name


def test_the_full_simulation_writes_every_key_of_the_script(
    discovery_writes: dict[str, set[KeyPath]],
) -> None:
    """Faithful both ways: a key the script gained is simulated too."""
    written = _one(discovery_writes)
    full = data_paths(simulated_documents()["every-database"])
    assert _shown(written - full) == []


def test_a_key_the_script_cannot_write_is_reported(
    discovery_writes: dict[str, set[KeyPath]],
) -> None:
    written = _one(discovery_writes)
    document = simulated_documents()["consolidated"]
    document["group"]["bam_archive"]["port"] = 1433
    document["hosts"][0]["fake"] = True
    assert not_written(document, written) == [
        "group.bam_archive.port",
        "hosts[].fake",
    ]


# ------------------------------------------------------------------- the readers


def test_discovery_readers_read_exactly_what_the_script_writes(
    discovery_writes: dict[str, set[KeyPath]],
) -> None:
    """``drgen import`` and ``drgen drift`` read a discovery through the model."""
    written = _one(discovery_writes)
    readable = model_paths(Discovery)
    assert _shown(readable - written) == [], "read, never written"
    assert _shown(written - readable) == [], "written, never read"


def test_report_reads_exactly_what_the_test_scripts_write(
    result_writes: dict[str, set[KeyPath]],
) -> None:
    """``drgen report`` reads a drill result through the model."""
    written = _one(result_writes)
    readable = model_paths(DrillResult)
    assert _shown(readable - written) == [], "read, never written"
    assert _shown(written - readable) == [], "written, never read"


def _committed_schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "schema" / name).read_text(encoding="utf-8")
    )
    return data


def test_committed_schemas_list_exactly_the_written_keys(
    discovery_writes: dict[str, set[KeyPath]], result_writes: dict[str, set[KeyPath]]
) -> None:
    for name, writes in (
        (DISCOVERY_SCHEMA_FILE, discovery_writes),
        (RESULT_SCHEMA_FILE, result_writes),
    ):
        listed = schema_paths(_committed_schema(name))
        written = _one(writes)
        assert _shown(listed - written) == [], name
        assert _shown(written - listed) == [], name


def test_the_path_readers_see_a_difference() -> None:
    """The comparisons above can fail: each reader sees a key added or removed."""
    schema = _committed_schema(DISCOVERY_SCHEMA_FILE)
    listed = schema_paths(schema)
    schema["$defs"]["Unread"]["properties"]["extra"] = {"type": "string"}
    assert schema_paths(schema) - listed == {("group", "unread", "extra")}
    assert ("group", "other_databases", EACH, "backup_name") in model_paths(Discovery)
    script = (
        "function Get-Row {\n    return [ordered]@{ a = 1 }\n}\n"
        "$rows = New-Object -TypeName 'System.Collections.Generic.List[object]'\n"
        "$rows.Add((Get-Row))\n"
        "$document = [pscustomobject][ordered]@{ rows = $rows.ToArray() }\n"
        "$json = [string]($document | ConvertTo-Json -Depth 3)\n"
    )
    shape = written_shape(ps.parse(script.encode()).root_node)
    assert shape_paths(shape) == {("rows",), ("rows", EACH), ("rows", EACH, "a")}


# ----------------------------------------------------------------- the samples


def _samples() -> list[Path]:
    files = list(result_files([SAMPLES]))
    # Every committed JSON file is a drill result (none is left out by its name).
    assert sorted(files) == sorted(SAMPLES.rglob("*.json"))
    assert len(files) >= 10
    return files


def test_sample_results_hold_only_keys_the_test_scripts_write(
    result_writes: dict[str, set[KeyPath]],
) -> None:
    written = _one(result_writes)
    for path in _samples():
        document = json.loads(path.read_text(encoding="utf-8"))
        assert not_written(document, written) == [], path
    # A sample with one key more would fail.
    document = json.loads(_samples()[0].read_text(encoding="utf-8"))
    document["synthesized"] = True
    assert not_written(document, written) == ["synthesized"]


def test_sample_results_say_they_are_synthesized() -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Sample drill results (synthesized)\n")
    assert "not written by `Test-DrServer.ps1` or\n`Test-DrBundle.ps1` on a server" in (
        readme
    )
    assert "`tests/support/sample_results.py`" in readme
    assert f"`{RUN_BY}`" in readme
    # Every file says so in a key the scripts write: no real account is SYNTHESIZED\.
    assert RUN_BY.startswith("SYNTHESIZED\\")
    for path in _samples():
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["run_by"] == RUN_BY, path


# ----------------------------------------------- the BAM configuration the script reads

EXAMPLE_XML = ROOT / "tests" / "data" / "discovery" / "bam-configuration-example.xml"


def _select(document: Any, unit_id: str, prop_id: str) -> list[str]:
    path = bam_property_path().format(CATALOGUE[unit_id], CATALOGUE[prop_id])
    found = elementpath.select(document, path)
    assert isinstance(found, list)
    return [str(e.text) for e in found]


@pytest.mark.parametrize(
    ("unit", "server", "name"),
    [
        ("PrimaryImportDatabase", ".", "BAMPrimaryImport"),
        ("ArchivingDatabase", ".", "BAMArchiving"),
        ("StarSchemaDatabase", ".", "BAMStarSchema"),
        ("AnalysisDatabase", "localhost", "BAMAnalysis"),
    ],
)
def test_the_xpath_finds_each_unit_of_microsofts_example(
    unit: str, server: str, name: str
) -> None:
    """The XPath Export-BizTalkGroup.ps1 uses, run by an independent XPath 1.0
    engine on the example of "Modifying the BAM Configuration Schema": its root
    is in the BAM namespace, its DeploymentUnit elements in none."""
    document = ET.parse(EXAMPLE_XML)
    unit_id = f"answer:bam-config-unit/{unit}"
    assert _select(document, unit_id, "answer:bam-config-property/ServerName") == [
        server
    ]
    assert _select(document, unit_id, "answer:bam-config-property/DatabaseName") == [
        name
    ]


def test_the_xpath_ignores_namespaces_and_other_units() -> None:
    text = EXAMPLE_XML.read_text(encoding="utf-8")
    # The same document with every element in a default namespace.
    qualified = text.replace(
        "<DeploymentUnit", "<DeploymentUnit xmlns='urn:schemas-microsoft.com:BAM'"
    )
    document = ET.ElementTree(ET.fromstring(qualified.encode()))
    assert _select(
        document,
        "answer:bam-config-unit/ArchivingDatabase",
        "answer:bam-config-property/DatabaseName",
    ) == ["BAMArchiving"]
    # A unit the group does not have selects nothing (the script reports null).
    without = ET.ElementTree(
        ET.fromstring(text.replace('Name="ArchivingDatabase"', 'Name="Other"').encode())
    )
    assert (
        _select(
            without,
            "answer:bam-config-unit/ArchivingDatabase",
            "answer:bam-config-property/ServerName",
        )
        == []
    )
