"""BAM names the discovery script reads: the BAM configuration and the alerts rows.

The BAM Archive, Star Schema and Analysis databases are not in BizTalk WMI: the
BAM configuration names them (``bm.exe get-config`` prints it; its format is
documented in "Modifying the BAM Configuration Schema"). BizTalk keeps it in the
BAM Primary Import database, table ``bam_Metadata_Configuration``, column
``ConfigurationXml``: public copies of the BAMPrimaryImport schema scripts show the
table and the procedure that reads it, not a Microsoft page, so those names are
observed and the lab probe checks them. The BAM alerts databases are backed up by
the Backup BizTalk Server job, i.e. registered in ``adm_OtherBackupDatabases``
under the names UpdateInfo.xml gives them (``sql.py``).
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import core, inferred, public

DOC = Confidence.DOCUMENTED
OBS = Confidence.OBSERVED
INF = Confidence.INFERRED

_PROCEDURES = public(
    "the BAMPrimaryImport schema scripts in the public code index: procedure "
    "bam_Metadata_GetConfigurationXml ('SELECT TOP 1 ConfigurationXml from "
    "[dbo].[bam_Metadata_Configuration] ORDER BY LastUpdated DESC', granted to "
    "BAM_ManagementWS), bam_Metadata_SetConfigurationXml (INSERT ... "
    "(ConfigurationXml, LastUpdated, LastUpdatedBy)) and the upgrade script that "
    "adds these columns"
)
_SCHEMA = core("modifying-the-bam-configuration-schema.md")
_IF_FAILED = (
    "change the name in generator/catalogue/bam.py; Export-BizTalkGroup.ps1 reads "
    "the BAM Archive, Star Schema and Analysis databases through it (until then "
    "its discovery reports them as not read, with the SQL error as the reason)"
)


def _bam_column(table: str, column: str, note: str) -> Entry:
    return Entry(
        f"sql:{table}.{column}" if column else f"sql:{table}",
        Kind.SQL_COLUMN if column else Kind.SQL_TABLE,
        column or table,
        _PROCEDURES,
        OBS,
        note,
        probe=Probe("bam-sql-column", (table, column)),
        if_failed=_IF_FAILED,
    )


ENTRIES: tuple[Entry, ...] = (
    _bam_column(
        "bam_Metadata_Configuration",
        "",
        "the BAM configuration of the group, one row per update (in the BAM Primary "
        "Import database); the newest row is the configuration in force",
    ),
    _bam_column(
        "bam_Metadata_Configuration",
        "ConfigurationXml",
        "the BAM configuration XML (NTEXT); read, never written, and only its "
        "ServerName and DatabaseName properties leave the script (the document may "
        "hold DTS package passwords)",
    ),
    _bam_column(
        "bam_Metadata_Configuration",
        "LastUpdated",
        "when the row was written; the newest row is the one in force, as "
        "bam_Metadata_GetConfigurationXml orders it",
    ),
    Entry(
        "behaviour:bam-configuration-xml",
        Kind.BEHAVIOUR,
        "ConfigurationXml holds the BAM configuration that bm.exe get-config prints",
        _PROCEDURES,
        OBS,
        "the procedure that returns it is bam_Metadata_GetConfigurationXml, and "
        "'get-config: Gets the BAM configuration file' ("
        + core("infrastructure-management-commands.md")
        + "); Export-BizTalkGroup.ps1 reads the DeploymentUnit elements below from it",
        probe=Probe(
            "bam-configuration",
            (
                "answer:bam-config-unit/PrimaryImportDatabase",
                "answer:bam-config-property/DatabaseName",
            ),
        ),
        if_failed="the column holds another document: read the BAM databases from "
        "elsewhere in templates/production/Export-BizTalkGroup.ps1.jinja and "
        "generator/discovery_reads.py",
    ),
    Entry(
        "xml:bamconfig/DeploymentUnit",
        Kind.XML_ELEMENT,
        "DeploymentUnit",
        _SCHEMA,
        DOC,
        "BAMConfiguration.xml: 'xs:element name=\"DeploymentUnit\"', one per "
        "database or package, named by its Name attribute",
    ),
    Entry(
        "xml:bamconfig/Property",
        Kind.XML_ELEMENT,
        "Property",
        _SCHEMA,
        DOC,
        "BAMConfiguration.xml: 'xs:element name=\"Property\"' of a DeploymentUnit; "
        "its text is the value",
    ),
    Entry(
        "xml:bamconfig@Name",
        Kind.XML_ATTRIBUTE,
        "Name",
        _SCHEMA,
        DOC,
        "BAMConfiguration.xml: the Name attribute of DeploymentUnit and Property",
    ),
    *(
        Entry(
            f"answer:bam-config-unit/{unit}",
            Kind.ANSWER_VALUE,
            unit,
            _SCHEMA,
            DOC,
            f'BAMConfiguration.xml: <DeploymentUnit Name="{unit}"> ({what})',
        )
        for unit, what in (
            ("PrimaryImportDatabase", "the BAM Primary Import database"),
            ("ArchivingDatabase", "the BAM Archive database"),
            ("StarSchemaDatabase", "the BAM Star Schema database"),
            ("AnalysisDatabase", "the BAM Analysis (OLAP) database"),
        )
    ),
    *(
        Entry(
            f"answer:bam-config-property/{name}",
            Kind.ANSWER_VALUE,
            name,
            _SCHEMA,
            DOC,
            f'BAMConfiguration.xml: <Property Name="{name}"> of a database unit '
            f"({what})",
        )
        for name, what in (
            ("ServerName", "its SQL (or Analysis Services) instance"),
            ("DatabaseName", "its database name"),
        )
    ),
    Entry(
        "behaviour:bam-alerts-backup-rows",
        Kind.BEHAVIOUR,
        "adm_OtherBackupDatabases has the rows 'BAM Alerts Application DB' and "
        "'BAM Alerts Instance DB' where BAM alerts are configured",
        inferred(
            "the Backup BizTalk Server job backs up BAMAlertsApplication and "
            "BAMAlertsNSMain (backing-up-and-restoring-biztalk-server-databases.md), "
            "its other databases are the rows of adm_OtherBackupDatabases "
            "(how-to-back-up-custom-databases.md), and the log-shipping page has "
            "UpdateInfo.xml name them so in OtherDatabases, which UpdateDatabase.vbs "
            "matches against DefaultDatabaseName"
        ),
        INF,
        "Export-BizTalkGroup.ps1 reports these two rows as bam_alerts_application and "
        "bam_alerts_instance; without them UpdateDatabase.vbs updates nothing for the "
        "alerts databases either",
        probe=Probe(
            "sql-row",
            (
                "adm_OtherBackupDatabases",
                "DefaultDatabaseName",
                "answer:default-name/BamAlertsApplication",
            ),
        ),
        if_failed="the rows carry other names: change the answer:default-name/"
        "BamAlerts* entries (UpdateInfo.xml names the rows by them too) and the "
        "note here in generator/catalogue/bam.py",
    ),
)
