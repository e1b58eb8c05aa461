"""The lab probe's items: ``probe_items`` chooses, per BizTalk version, the
catalogue facts a lab server checks (entries below documented), and the SQL and
other arguments each probe runs with."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from generator.catalogue import CATALOGUE, PROBE_METHODS, Catalogue, Kind, Probe
from generator.plan.discovery_reads import discovery_reads
from generator.plan.labprobe import (
    _sql_count,
    _sql_row_count,
    catalogue_sha256,
    probe_items,
)
from tests.support.lab_facts_sample import VERSIONS, probed_entries

# ------------------------------------------------------------------------- probe_items


def test_versions_are_the_catalogue_versions() -> None:
    assert {e.id for e in CATALOGUE.of_kind(Kind.VERSION)} == {
        f"ver:{v}" for v in VERSIONS
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_probe_items_are_probed_entries_below_documented(version: str) -> None:
    items = probe_items(version)
    ids = [item.id for item in items]
    assert ids
    assert len(ids) == len(set(ids))
    for item in items:
        entry = CATALOGUE.entry(item.id)
        assert entry.below_documented, item.id
        assert entry.probe is not None, item.id
        assert item.method == entry.probe.method
        assert item.method in PROBE_METHODS
    # In catalogue order, so the probe's output reads like `drgen facts`.
    assert ids == [i for i in probed_entries() if i in set(ids)]


def test_every_probed_entry_is_checked_for_some_version() -> None:
    checked = {item.id for v in VERSIONS for item in probe_items(v)}
    assert checked == set(probed_entries())


@pytest.mark.parametrize("version", VERSIONS)
def test_version_items_only_for_their_version(version: str) -> None:
    items = probe_items(version)
    assert [i.id for i in items if i.id.startswith("ver:")] == [f"ver:{version}"]
    (item,) = (i for i in items if i.id.startswith("ver:"))
    assert item.method == "product-version"
    assert item.args == (CATALOGUE[f"ver:{version}"],)
    # Every other fact is checked on every version.
    others = {i.id for i in items if not i.id.startswith("ver:")}
    for other in VERSIONS:
        assert others == {
            i.id for i in probe_items(other) if not i.id.startswith("ver:")
        }


_QUERY = re.compile(
    r"SELECT COUNT\(\*\) FROM INFORMATION_SCHEMA\.(?P<view>TABLES|COLUMNS) "
    r"WHERE TABLE_NAME = N'(?P<table>\w+)'"
    r"(?: AND COLUMN_NAME = N'(?P<column>\w+)')?"
)


@pytest.mark.parametrize("version", VERSIONS)
def test_sql_probe_queries_count_the_catalogue_names(version: str) -> None:
    methods = {"sql-column", "sso-sql-column", "bam-sql-column"}
    sql_items = [i for i in probe_items(version) if i.method in methods]
    assert {i.method for i in sql_items} == methods
    for item in sql_items:
        entry = CATALOGUE.entry(item.id)
        assert entry.probe is not None
        table, column = entry.probe.args
        (query,) = item.args
        found = _QUERY.fullmatch(query)
        assert found is not None, query
        assert found["table"] == table
        # The table is the catalogue's own spelling of it.
        assert CATALOGUE[f"sql:{table}"] == table
        if column:
            assert entry.kind is Kind.SQL_COLUMN
            assert (found["view"], found["column"]) == ("COLUMNS", column)
            assert entry.name == column
        else:
            assert entry.kind is Kind.SQL_TABLE
            assert (found["view"], found["column"]) == ("TABLES", None)
            assert entry.name == table


@pytest.mark.parametrize("version", VERSIONS)
def test_other_probe_arguments(version: str) -> None:
    for item in probe_items(version):
        entry = CATALOGUE.entry(item.id)
        assert entry.probe is not None
        if item.method == "registry-value":
            key_id, value = entry.probe.args
            assert item.args == (CATALOGUE[key_id], value)
            assert item.args[0].startswith("HKLM:\\")
            assert CATALOGUE.entry(key_id).kind is Kind.REGISTRY_KEY
        elif item.method == "bam-configuration":
            # The discovery script's own query and XPath, for the unit and property.
            unit_id, property_id = entry.probe.args
            reads = discovery_reads()
            path = reads.bam_property_path.format(
                CATALOGUE[unit_id], CATALOGUE[property_id]
            )
            assert item.args == (reads.bam_configuration_query, path)
            assert CATALOGUE.entry(unit_id).kind is Kind.ANSWER_VALUE
        elif item.method == "sql-row":
            table, column, value_id = entry.probe.args
            assert item.args == (
                f"SELECT COUNT(*) FROM dbo.{table} WHERE {column} = "  # noqa: S608
                f"N'{CATALOGUE[value_id]}'",
            )
            assert CATALOGUE[f"sql:{table}.{column}"] == column
        elif item.method not in {"sql-column", "sso-sql-column", "bam-sql-column"}:
            assert item.args == entry.probe.args, item.id
        if item.method in {"file", "file-mentions"}:
            # Get-DrProbeFolder knows this one folder.
            assert item.args[0] == "folder:restore"


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("adm_Group; DROP TABLE adm_Group", ""),
        ("adm_Group", "x' OR '1'='1"),
        ("adm Group", ""),
        ("1adm", ""),
        ("adm-Group", ""),
        ("adm_Group", "Name]"),
        ("ädm_Group", ""),
        pytest.param(
            "adm_Group\n",
            "",
        ),
        pytest.param(
            "adm_Group",
            "Name\n",
        ),
    ],
)
def test_sql_count_rejects_a_non_identifier(table: str, column: str) -> None:
    with pytest.raises(ValueError, match="not a SQL identifier"):
        _sql_count(table, column)


def test_sql_count_accepts_identifiers() -> None:
    assert _sql_count("adm_Group", "") == (
        "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = N'adm_Group'"
    )
    assert _sql_count("SSOX_GlobalInfo", "gi_SecretServer").endswith(
        "WHERE TABLE_NAME = N'SSOX_GlobalInfo' AND COLUMN_NAME = N'gi_SecretServer'"
    )


def test_sql_row_count_checks_names_and_quotes_the_value() -> None:
    assert _sql_row_count("adm_OtherBackupDatabases", "DefaultDatabaseName", "O'B") == (
        "SELECT COUNT(*) FROM dbo.adm_OtherBackupDatabases "
        "WHERE DefaultDatabaseName = N'O''B'"
    )
    for table, column in (("adm_Group; --", "x"), ("adm_Group", "x' OR '1'='1")):
        with pytest.raises(ValueError, match="not a SQL identifier"):
            _sql_row_count(table, column, "v")


def test_catalogue_hash_covers_what_the_probe_checks() -> None:
    entries = list(CATALOGUE)
    index = next(i for i, e in enumerate(entries) if e.id == "out:displaydb-database")
    probe = entries[index].probe
    assert probe is not None
    entries[index] = replace(
        entries[index], probe=Probe(probe.method, (r"(?im)^\s*Database\s*:",))
    )
    assert catalogue_sha256(Catalogue(tuple(entries))) != catalogue_sha256()


def test_every_probed_entry_says_what_to_change() -> None:
    missing = [
        e.id for e in CATALOGUE.below_documented() if e.probe and not e.if_failed
    ]
    assert missing == []
