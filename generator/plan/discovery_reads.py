"""What Export-BizTalkGroup.ps1 reads by SQL and XPath besides the SSO database.

Two read-only queries and one XPath, built once from catalogue names (each checked
to be a plain identifier or XML name), never from inventory text, so every
discovery script carries the same constants:

* the custom databases of the Backup BizTalk Server job: every row of
  ``adm_OtherBackupDatabases`` in the management database
  (how-to-back-up-custom-databases.md), as BizTalk stores it; the names BizTalk
  registers its own databases under (SSO, the Rules Engine, the BAM alerts
  databases) are among them and are told apart by the readers;
* the BAM configuration in force: the newest ``ConfigurationXml`` of
  ``bam_Metadata_Configuration`` in the BAM Primary Import database, as the
  public procedure ``bam_Metadata_GetConfigurationXml`` selects it;
* where a database unit of that configuration keeps its server and database name
  (the BAMConfiguration.xml format of "Modifying the BAM Configuration Schema").

``N`` is looked up when a function runs, so a test can replace the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.catalogue import CATALOGUE as N
from generator.catalogue import Catalogue
from generator.catalogue.model import sql_identifier


@dataclass(frozen=True, slots=True)
class DiscoveryReads:
    """The constants of the discovery script's SQL and XML reads."""

    backup_databases_query: str
    bam_configuration_query: str
    # {0}: a DeploymentUnit's Name, {1}: a Property's Name.
    bam_property_path: str


def _catalogue(catalogue: Catalogue | None) -> Catalogue:
    return N if catalogue is None else catalogue


def _sql(catalogue: Catalogue, entry_id: str) -> str:
    try:
        return sql_identifier(catalogue[entry_id])
    except ValueError as exc:
        msg = f"catalogue entry {entry_id}: {exc}"
        raise ValueError(msg) from None


def _xml(catalogue: Catalogue, entry_id: str) -> str:
    # Spelled inside an XPath, some inside its '...' literals: no quote may end
    # one, no blank may split a step.
    name = catalogue[entry_id]
    if not name or any(c in "'\"" or c.isspace() for c in name):
        msg = f"catalogue entry {entry_id}: cannot stand in an XPath: {name!r}"
        raise ValueError(msg)
    return name


def backup_databases_query(catalogue: Catalogue | None = None) -> str:
    """Every database of the Backup job's adm_OtherBackupDatabases: rows
    (DefaultDatabaseName, ServerName, DatabaseName), once each, in name order.

    DISTINCT: the table's key also holds BTSServerName ("not used, but it must
    contain a value"), so one database may have a row per BizTalk server.
    """
    names = _catalogue(catalogue)
    table = _sql(names, "sql:adm_OtherBackupDatabases")
    default = _sql(names, "sql:adm_OtherBackupDatabases.DefaultDatabaseName")
    server = _sql(names, "sql:adm_OtherBackupDatabases.ServerName")
    database = _sql(names, "sql:adm_OtherBackupDatabases.DatabaseName")
    return (
        f"SELECT DISTINCT {default}, {server}, {database} "  # noqa: S608
        f"FROM dbo.{table} ORDER BY {default}, {server}, {database}"
    )


def bam_configuration_query(catalogue: Catalogue | None = None) -> str:
    """The BAM configuration in force: the newest ConfigurationXml, one row or none."""
    names = _catalogue(catalogue)
    table = _sql(names, "sql:bam_Metadata_Configuration")
    column = _sql(names, "sql:bam_Metadata_Configuration.ConfigurationXml")
    updated = _sql(names, "sql:bam_Metadata_Configuration.LastUpdated")
    return f"SELECT TOP 1 {column} FROM dbo.{table} ORDER BY {updated} DESC"  # noqa: S608


def bam_property_path(catalogue: Catalogue | None = None) -> str:
    """XPath of a Property of a DeploymentUnit; ``{0}`` unit, ``{1}`` property.

    Matched by local name under any root element: Microsoft's example puts the
    root in the BAM namespace and its children in none, and a document with a
    default namespace must match as well.
    """
    names = _catalogue(catalogue)
    unit = _xml(names, "xml:bamconfig/DeploymentUnit")
    prop = _xml(names, "xml:bamconfig/Property")
    name = _xml(names, "xml:bamconfig@Name")
    return (
        f"/*/*[local-name()='{unit}'][@{name}='{{0}}']"
        f"/*[local-name()='{prop}'][@{name}='{{1}}']"
    )


def discovery_reads(catalogue: Catalogue | None = None) -> DiscoveryReads:
    """The three constants, from ``catalogue`` (default: drgen's)."""
    return DiscoveryReads(
        backup_databases_query(catalogue),
        bam_configuration_query(catalogue),
        bam_property_path(catalogue),
    )
