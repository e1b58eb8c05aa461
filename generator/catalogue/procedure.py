"""Names the runbook has people use by hand: SQL Agent jobs, a stored procedure,
SQL scripts, SSIS packages, a service and configuration keys.

No drgen script touches these; a DBA or an administrator types or clicks them
during a failover, a re-arm or a failback. They are catalogued like the scripts'
names so that the runbook prints them only from here, each with its source.
Microsoft's pages spell the log-shipping jobs two ways (with and without " - "):
the runbook prints the spelling below and says that the other exists.
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind
from generator.catalogue.sources import core, guide

DOC = Confidence.DOCUMENTED

_DESTINATION = core("how-to-configure-the-destination-system-for-log-shipping.md")
_STOPPING = guide("stopping-application-processing-on-the-source-system.md")
_BAM_PRIMARY = core(
    "update-references-to-bam-primary-import-database-name-and-connection-string.md"
)
_BAM_ARCHIVE = core("how-to-update-references-to-the-bam-archive-database-name.md")
_BAM_UTILITY = core(
    "update-the-bam-management-utility-configuration-after-a-backup-and-restore.md"
)
_JOBS = core("database-structure-and-jobs.md")


def _entry(entry_id: str, kind: Kind, name: str, source: str, note: str) -> Entry:
    return Entry(entry_id, kind, name, source, DOC, note)


ENTRIES: tuple[Entry, ...] = (
    _entry(
        "job:GetBackupHistory",
        Kind.SQL_JOB,
        "BTS Log Shipping - Get Backup History",
        core("how-to-restore-your-databases.md"),
        "destination job that imports the source's backup history; disabled before "
        "Restore To Mark, created again by bts_ConfigureBizTalkLogShipping "
        "(also spelled without ' - ')",
    ),
    _entry(
        "job:RestoreDatabases",
        Kind.SQL_JOB,
        "BTS Log Shipping - Restore Databases",
        core("how-to-restore-your-databases.md"),
        "destination job that restores the shipped backups (also spelled without "
        "' - ')",
    ),
    _entry(
        "job:RestoreToMark",
        Kind.SQL_JOB,
        "BTS Log Shipping - Restore To Mark",
        core("how-to-restore-your-databases.md"),
        "destination job that restores every database to the last mark and "
        "re-creates the source's SQL Agent jobs (also spelled without ' - ')",
    ),
    _entry(
        "job:BackupBizTalkServer",
        Kind.SQL_JOB,
        "Backup BizTalk Server (BizTalkMgmtDb)",
        _JOBS,
        "the source's full and log backups; at DR after a failover it must write "
        "to a new destination",
    ),
    _entry(
        "proc:bts_ConfigureBizTalkLogShipping",
        Kind.SQL_PROCEDURE,
        "bts_ConfigureBizTalkLogShipping",
        _DESTINATION,
        "configures a destination instance for log shipping from the source's "
        "management database (parameters @nvcDescription, @nvcMgmtDatabaseName, "
        "@nvcMgmtServerName, @SourceServerName, @fLinkServers)",
    ),
    _entry(
        "proc:sp_LogShippingClean",
        Kind.SQL_PROCEDURE,
        "sp_LogShippingClean",
        guide("cleaning-the-destination-environment.md"),
        "in master of a destination instance: drops the restored databases and the "
        "last restored set of a source, so the restore job starts from the next "
        "full backup set",
    ),
    _entry(
        "proc:sp_ForceFullBackup",
        Kind.SQL_PROCEDURE,
        "sp_ForceFullBackup",
        core("how-to-configure-the-backup-biztalk-server-job.md"),
        "in the management database: the next Backup BizTalk Server run makes a "
        "full backup set",
    ),
    _entry(
        "file:LogShipping_Destination_Schema.sql",
        Kind.FILE,
        "LogShipping_Destination_Schema.sql",
        _DESTINATION,
        "drops and re-creates the destination's log-shipping tables; step 1 of "
        "configuring a destination, again after a failed configuration",
    ),
    _entry(
        "file:LogShipping_Destination_Logic.sql",
        Kind.FILE,
        "LogShipping_Destination_Logic.sql",
        _DESTINATION,
        "the destination's log-shipping procedures, run after the schema script",
    ),
    _entry(
        "ssis:BAM_DM_",
        Kind.SSIS_PACKAGE,
        "BAM_DM_",
        core("activity-data-storage.md"),
        "prefix of the BAM data maintenance packages (BAM_DM_<activity>), stored "
        "in msdb (BizTalk Server 2020: the SSIS Catalog) of the SQL instance that "
        "runs them, so log shipping does not bring them; they hold the BAM Primary "
        "Import server and database names (how-to-move-the-bam-primary-import-"
        "database1.md step 16)",
    ),
    _entry(
        "ssis:BAM_AN_",
        Kind.SSIS_PACKAGE,
        "BAM_AN_",
        core("how-to-create-a-custom-analysis-task.md"),
        "prefix of the BAM cube update packages (BAM_AN_<view>); disabled in "
        "production at failover (" + _STOPPING + " step 4)",
    ),
    _entry(
        "ssis:SSISDB",
        Kind.SSIS_PACKAGE,
        "SSISDB",
        core("scheduling-sql-server-integration-services-packages.md"),
        "the SSIS Catalog database: from BizTalk Server 2020 the BAM packages are "
        "deployed there (Integration Services Catalogs > SSISDB > BizTalk Server > "
        "Projects), not to msdb (configure-biztalk-server.md)",
    ),
    _entry(
        "svc:MSSQLServerOLAPService",
        Kind.SERVICE,
        "MSSQLServerOLAPService",
        _STOPPING,
        "Analysis Services, stopped on the production SQL computers that house "
        "BizTalk databases when processing stops there",
    ),
    _entry(
        "config:BamServer",
        Kind.CONFIG_KEY,
        "BamServer",
        _BAM_PRIMARY,
        "appSettings key of the BAM portal's BamManagementService and "
        "BamQueryService Web.Config",
    ),
    _entry(
        "config:BamDatabase",
        Kind.CONFIG_KEY,
        "BamDatabase",
        _BAM_PRIMARY,
        "appSettings key of the BAM portal's BamManagementService and "
        "BamQueryService Web.Config",
    ),
    _entry(
        "config:DefaultServer",
        Kind.CONFIG_KEY,
        "DefaultServer",
        _BAM_UTILITY,
        "appSettings key of bm.exe.config",
    ),
    _entry(
        "config:DefaultDatabase",
        Kind.CONFIG_KEY,
        "DefaultDatabase",
        _BAM_UTILITY,
        "appSettings key of bm.exe.config",
    ),
)
