"""SQL names: the management-database tables the scripts read after a restore.

Microsoft documents the WMI view of the group (``MSBTS_GroupSetting``) but not the
tables; the table and column names are those UpdateDatabase.vbs updates (public
copies) and a public scripted copy of the BizTalkMgmtDb schema. Scripts only read
them, after UpdateDatabase.vbs ran, to prove every reference names a DR instance.
The runbook names the SQL Agent job of each MessageBox that must stay disabled.
"""

from __future__ import annotations

from generator.catalogue.model import Confidence, Entry, Kind, Probe
from generator.catalogue.sources import UPDATEDATABASE_VBS, core, guide, public

DOC = Confidence.DOCUMENTED
OBS = Confidence.OBSERVED

_SCHEMA = public(
    "satyaveena/BT:BTNEXTGEN.BIZTALK/BTNextGen.BizTalk.DB.BizTalkMgmtDb/"
    "BTNextGen.BizTalk.DB.BizTalkMgmtDb/dbo/Tables (a scripted BizTalkMgmtDb schema)"
)
_CUSTOM = core("how-to-back-up-custom-databases.md")
_SSO_SCHEMA = public(
    "copies of the SSO database schema script in the public code index "
    "('CREATE TABLE ... [gi_SecretServer] [nvarchar] (256)', ssox_spGetGlobalInfo)"
)
_IF_FAILED = (
    "change the name in generator/catalogue/sql.py; Update-DrGroupDatabases.ps1 "
    "reads it to prove the references name DR instances"
)


def _table(name: str, note: str, source: str = UPDATEDATABASE_VBS) -> Entry:
    return Entry(
        f"sql:{name}",
        Kind.SQL_TABLE,
        name,
        source,
        OBS,
        note,
        probe=Probe("sql-column", (name, "")),
        if_failed=_IF_FAILED,
    )


def _column(
    table: str,
    name: str,
    note: str,
    source: str = UPDATEDATABASE_VBS,
    confidence: Confidence = OBS,
) -> Entry:
    return Entry(
        f"sql:{table}.{name}",
        Kind.SQL_COLUMN,
        name,
        source,
        confidence,
        note,
        probe=None if confidence is DOC else Probe("sql-column", (table, name)),
        if_failed="" if confidence is DOC else _IF_FAILED,
    )


ENTRIES: tuple[Entry, ...] = (
    _table("adm_Group", "the group row: where its other databases are"),
    _column(
        "adm_Group",
        "Name",
        "the group's name ('[Name] NVARCHAR (256) NOT NULL', unique); "
        "Reset-DrServer.ps1 reads it in the production management database and "
        "refuses to point this server back at a database of another group",
        _SCHEMA,
    ),
    _column("adm_Group", "SubscriptionDBServerName", "master MessageBox SQL instance"),
    _column("adm_Group", "TrackingDBServerName", "tracking database SQL instance"),
    _column("adm_Group", "RuleEngineDBServerName", "Rules Engine database instance"),
    _column("adm_Group", "BamDBServerName", "BAM Primary Import SQL instance"),
    _table("adm_MessageBox", "one row per MessageBox"),
    _column("adm_MessageBox", "DBServerName", "the MessageBox SQL instance"),
    _column("adm_MessageBox", "DBName", "the MessageBox database"),
    _table("TDDS_Destinations", "where the tracking service writes"),
    _column(
        "TDDS_Destinations",
        "ConnectionString",
        "'...;server=<instance>;database=<db>' (UpdateDatabase.vbs rewrites it)",
    ),
    _table(
        "TDDS_Sources",
        "the tracking host's sources, one row per MessageBox: UpdateDatabase.vbs "
        "rewrites a row only WHERE SourceName = '<oldServer>_<oldDB>'",
    ),
    _column(
        "TDDS_Sources",
        "SourceName",
        "'<server>_<MessageBox database>', rewritten with the new names",
    ),
    _column(
        "TDDS_Sources",
        "ConnectionString",
        "'...;Data Source=<instance>;Initial Catalog=<MessageBox database>'",
    ),
    _table(
        "adm_OtherDatabases",
        "UpdateDatabase.vbs updates it beside adm_OtherBackupDatabases ('this table "
        "... is used to manage hotfix installments')",
    ),
    _column(
        "adm_OtherDatabases",
        "DefaultDatabaseName",
        "the row UpdateDatabase.vbs updates WHERE DefaultDatabaseName = "
        "<OtherDatabases/Database/@Name>",
    ),
    _column("adm_OtherDatabases", "ServerName", "the database's SQL instance"),
    Entry(
        "sql:adm_OtherBackupDatabases",
        Kind.SQL_TABLE,
        "adm_OtherBackupDatabases",
        _CUSTOM,
        DOC,
        "databases the Backup BizTalk Server job backs up besides BizTalk's own: "
        "'modify the adm_OtherBackupDatabases table to include a row for each of "
        "your custom databases'",
    ),
    _column(
        "adm_OtherBackupDatabases",
        "DefaultDatabaseName",
        "'The friendly name of your custom database'; UpdateDatabase.vbs updates "
        "the row WHERE DefaultDatabaseName = <OtherDatabases/Database/@Name>",
        _CUSTOM,
        DOC,
    ),
    _column(
        "adm_OtherBackupDatabases",
        "DatabaseName",
        "'The name of your custom database'",
        _CUSTOM,
        DOC,
    ),
    _column(
        "adm_OtherBackupDatabases",
        "ServerName",
        "'The name of the computer running SQL Server'",
        _CUSTOM,
        DOC,
    ),
    Entry(
        "answer:default-name/SSO",
        Kind.ANSWER_VALUE,
        "SSO",
        core("how-to-move-the-bam-primary-import-database1.md"),
        DOC,
        "OtherDatabases Name (and adm_OtherBackupDatabases.DefaultDatabaseName) of "
        "the SSO database; its newDBServer also becomes adm_Group.SSOServerName",
    ),
    Entry(
        "answer:default-name/RuleEngine",
        Kind.ANSWER_VALUE,
        "RuleEngine DB",
        UPDATEDATABASE_VBS,
        OBS,
        "DefaultDatabaseName of the Rules Engine row; UpdateDatabase.vbs updates it "
        "from the top-level RuleEngineDB element, not from OtherDatabases",
        probe=Probe(
            "file-mentions", ("folder:restore", "UpdateDatabase.vbs", "RuleEngine DB")
        ),
        if_failed="the Rules Engine row is registered under another name: change "
        "the name here and in RESERVED_BACKUP_NAMES",
    ),
    Entry(
        "answer:default-name/BamAlertsApplication",
        Kind.ANSWER_VALUE,
        "BAM Alerts Application DB",
        core("how-to-configure-the-destination-system-for-log-shipping.md"),
        DOC,
        "OtherDatabases Name for BAMAlertsApplication ('you must add the following "
        "lines in the OtherDatabases section')",
    ),
    Entry(
        "answer:default-name/BamAlertsInstance",
        Kind.ANSWER_VALUE,
        "BAM Alerts Instance DB",
        core("how-to-configure-the-destination-system-for-log-shipping.md"),
        DOC,
        "OtherDatabases Name for BAMAlertsNSMain",
    ),
    Entry(
        "answer:default-name/HWS",
        Kind.ANSWER_VALUE,
        "HWS Administration DB",
        UPDATEDATABASE_VBS,
        OBS,
        "a legacy name BizTalk registered (reserved: a custom database may not use it)",
        settle="reserved only; no script reads it",
    ),
    Entry(
        "answer:job-prefix/MessageBoxMessageCleanup",
        Kind.ANSWER_VALUE,
        "MessageBox_Message_Cleanup_",
        core("database-structure-and-jobs.md"),
        DOC,
        "the SQL Agent job MessageBox_Message_Cleanup_<MessageBox database>, one per "
        "MessageBox ('The names of the jobs change depending on the database names "
        "given during configuration. If you have deployed multiple MessageBox "
        "databases ... there will be several jobs for each MessageBox'); 'an "
        "unscheduled job which is started by the "
        "MessageBox_Message_ManageRefCountLog_BizTalkMsgBoxDb job. Do not manually "
        "start this job.' It is 'the only job that should not be manually enabled' ("
        + guide("checklist-maintaining-and-troubleshooting-biztalk-server-databases.md")
        + "; also "
        + guide("monitoring-sql-server-agent-jobs.md")
        + ": 'this job should not be enabled, scheduled, or manually started'). The "
        "checklist's table says 'All ... except MessageBox_Message_ManageRefCountLog' "
        "instead, against its own text and the job table; the runbook follows those",
    ),
    Entry(
        "sql:SSOX_GlobalInfo",
        Kind.SQL_TABLE,
        "SSOX_GlobalInfo",
        _SSO_SCHEMA,
        OBS,
        "the SSO database's one global row ('global info - only one row allowed for "
        "this table')",
        probe=Probe("sso-sql-column", ("SSOX_GlobalInfo", "")),
        if_failed=_IF_FAILED,
    ),
    Entry(
        "sql:SSOX_GlobalInfo.gi_SecretServer",
        Kind.SQL_COLUMN,
        "gi_SecretServer",
        _SSO_SCHEMA,
        OBS,
        "the master secret server SSODB names (what ssomanage -displaydb shows); "
        "read by SQL on a DR server before its SSO service may start",
        probe=Probe("sso-sql-column", ("SSOX_GlobalInfo", "gi_SecretServer")),
        if_failed=_IF_FAILED,
    ),
)
