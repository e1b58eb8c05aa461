"""The lab probe's items: which catalogue facts a real server checks.

``probe_items`` turns every catalogue entry below ``documented`` that a read-only
check can settle into one item of Test-DrLabFacts.ps1 (its data block);
``catalogue_sha256`` names the catalogue a probe result was judged by. Reading a
result back is ``generator.evidence.labfacts``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from generator.catalogue import CATALOGUE, Catalogue, Entry, Probe
from generator.catalogue.model import sql_identifier
from generator.plan.discovery_reads import bam_configuration_query, bam_property_path


@dataclass(frozen=True, slots=True)
class ProbeItem:
    """One check of Test-DrLabFacts.ps1: a catalogue id, a method, its arguments."""

    id: str
    method: str
    args: tuple[str, ...]


@cache
def catalogue_sha256(catalogue: Catalogue = CATALOGUE) -> str:
    """A hash of everything a probe result is judged by, per entry.

    Id, name, confidence, probe and advice: a result from a probe whose checks or
    whose reading differ is reported as coming from another catalogue.
    """
    digest = hashlib.sha256()
    for entry in catalogue:
        probe = entry.probe
        fields = (
            entry.id,
            entry.name,
            str(entry.confidence),
            probe.method if probe else "",
            *(probe.args if probe else ()),
            entry.if_failed,
        )
        digest.update(json.dumps(fields).encode() + b"\n")
    return digest.hexdigest().upper()


def _sql_count(table: str, column: str) -> str:
    """A read-only query that counts 1 when the table (or its column) exists."""
    sql_identifier(table)
    if column:
        sql_identifier(column)
    # Both names were just checked to be plain identifiers: no quoting to break.
    if not column:
        return (
            "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES "  # noqa: S608
            f"WHERE TABLE_NAME = N'{table}'"
        )
    return (
        "SELECT COUNT(*) FROM INFORMATION_SCHEMA.COLUMNS "  # noqa: S608
        f"WHERE TABLE_NAME = N'{table}' AND COLUMN_NAME = N'{column}'"
    )


def _sql_row_count(table: str, column: str, value: str) -> str:
    """A read-only query that counts the rows whose column holds ``value``."""
    sql_identifier(table)
    sql_identifier(column)
    literal = value.replace("'", "''")
    return (
        f"SELECT COUNT(*) FROM dbo.{table} "  # noqa: S608 - identifiers checked
        f"WHERE {column} = N'{literal}'"
    )


def _resolve(entry: Entry, catalogue: Catalogue) -> tuple[str, ...]:
    """The probe's arguments as the script needs them (ids made into names)."""
    assert entry.probe is not None  # noqa: S101 - callers filter
    method, args = entry.probe.method, entry.probe.args
    if method == "registry-value":
        key_id, value = args
        return (catalogue[key_id], value)
    if method in {"sql-column", "sso-sql-column", "bam-sql-column"}:
        table, column = args
        return (_sql_count(table, column),)
    if method == "bam-configuration":
        # The discovery script's own query and XPath, so the probe checks its reads.
        unit_id, property_id = args
        path = bam_property_path(catalogue).format(
            catalogue[unit_id], catalogue[property_id]
        )
        return (bam_configuration_query(catalogue), path)
    if method == "sql-row":
        table, column, value_id = args
        return (_sql_row_count(table, column, catalogue[value_id]),)
    return args


def _applies(entry: Entry, version: str) -> bool:
    """Version-specific entries (``ver:2016``) apply to that version only."""
    if entry.id.startswith("ver:"):
        return entry.id == f"ver:{version}"
    return True


def probed(version: str, catalogue: Catalogue) -> Iterator[tuple[Entry, Probe]]:
    """The entries the lab probe of this BizTalk version checks, with their probe."""
    for entry in catalogue.below_documented():
        if entry.probe is not None and _applies(entry, version):
            yield entry, entry.probe


@cache
def probe_items(
    version: str, catalogue: Catalogue = CATALOGUE
) -> tuple[ProbeItem, ...]:
    """Every read-only check the lab probe of a site of this BizTalk version makes."""
    return tuple(
        ProbeItem(e.id, probe.method, _resolve(e, catalogue))
        for e, probe in probed(version, catalogue)
    )
