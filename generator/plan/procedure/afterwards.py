"""Phases 4 to 6: stand the DR site down, re-arm it as a standby, fail back.

Microsoft documents the way to the DR site; the way back is that procedure with
the sites' roles swapped, which is drgen's inference (the Failback phase says
so). Re-arming follows "Cleaning the Destination Environment" and "How to
Configure the Destination System for Log Shipping": Restore To Mark recovered
the DR databases, which ends the log chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.catalogue import CATALOGUE as N
from generator.plan.procedure.common import (
    JOB_HISTORY,
    READS_ONLY,
    RUN_RECORD,
    SAFE_TO_RERUN,
    SERVER_FOLDER,
    by_hand,
    fails,
    numbered,
    script,
    script_log,
)
from generator.plan.procedure.model import Actor, Decision, Phase
from generator.plan.prose import Code, codes, prose

if TYPE_CHECKING:
    from generator.plan.siteplan import SitePlan

REARM_FILE = "UpdateInfo-Rearm.xml"


def stand_down(site: SitePlan) -> Phase:
    """Phase 4: stop the DR site processing (end of a drill, before failback)."""
    servers = site.server_names
    drafts = [
        script(
            "Back to dormant",
            (".\\Disable-DrServer.ps1",),
            SERVER_FOLDER,
            servers,
            ("Exit code 0.",),
            fails(
                script_log("Disable-DrServer", folder=SERVER_FOLDER),
                SAFE_TO_RERUN,
                Decision.FIX,
            ),
        ),
        script(
            "Check it is dormant",
            (".\\Test-DrServer.ps1 -AfterDrill",),
            SERVER_FOLDER,
            servers,
            (
                "Exit code 0, state Dormant, with the registry naming the DR SQL "
                "instances, as a drill or failover leaves it.",
            ),
            fails(
                script_log("Test-DrServer", folder=SERVER_FOLDER),
                READS_ONLY,
                Decision.FIX,
                ("Run Disable-DrServer.ps1 again, then this step.",),
            ),
        ),
    ]
    return Phase(
        "4",
        "Stand down (after a drill, or to fence the DR site before failback)",
        (
            "On each DR server, in its own folder. The site is fenced, not yet a "
            "standby: re-arm it next.",
        ),
        numbered("4", drafts),
    )


def rearm(site: SitePlan) -> Phase:
    """Phase 5: the DR site becomes a prepared standby of production again."""
    servers = site.server_names
    production = site.production_mgmt
    drafts = [
        script(
            "Point the DR server back at production, dormant",
            (".\\Reset-DrServer.ps1",),
            SERVER_FOLDER,
            servers,
            prose(
                "Exit code 0: dormant, every BizTalk service Disabled, and every "
                "registry reference of the group naming the production SQL "
                "instances again (",
                Code(N["file:UpdateRegistry.vbs"]),
                " with ",
                Code(REARM_FILE),
                ").",
            ),
            fails(
                script_log("Reset-DrServer", folder=SERVER_FOLDER),
                SAFE_TO_RERUN,
                Decision.FIX,
                prose(
                    "It refuses while the production management database ",
                    Code(production.name),
                    " on ",
                    Code(production.server),
                    " cannot be reached or is not the production group's: a site "
                    "that failed over for real is never re-armed toward a dead "
                    "production; fail back first.",
                ),
            ),
            (
                "It never runs UpdateDatabase.vbs: the DR databases are dropped in "
                "the next step.",
            ),
        ),
        by_hand(
            "DBA: clean the DR instances",
            Actor.DBA,
            site.dr_sql_instances,
            prose(
                "The BizTalk SQL Agent jobs Restore To Mark re-created are disabled, ",
                Code(N["job:RestoreDatabases"]),
                " is disabled, and ",
                Code(N["proc:sp_LogShippingClean"] + " '<SourceID>'"),
                " ran on every DR instance (it drops the drill's databases).",
            ),
            fails(
                ("The query's messages in SQL Server Management Studio.",),
                ("Yes.",),
                Decision.FIX,
            ),
            (
                'Microsoft: "Cleaning the Destination Environment" (SourceID is the '
                "identifier configured on the production instances).",
            ),
        ),
        by_hand(
            "DBA: configure the DR instances as log-shipping destination again",
            Actor.DBA,
            site.dr_sql_instances,
            prose(
                Code(N["file:LogShipping_Destination_Schema.sql"]),
                " and ",
                Code(N["file:LogShipping_Destination_Logic.sql"]),
                " ran on master, then ",
                Code(N["proc:bts_ConfigureBizTalkLogShipping"]),
                " with @nvcMgmtDatabaseName ",
                Code(production.name),
                " and @nvcMgmtServerName ",
                Code(production.server),
                "; the jobs ",
                codes(
                    (
                        N["job:GetBackupHistory"],
                        N["job:RestoreDatabases"],
                        N["job:RestoreToMark"],
                    )
                ),
                " exist.",
            ),
            fails(
                ("The query's messages in SQL Server Management Studio.",),
                (
                    "Only from the schema script again: Microsoft says a failed "
                    "configuration starts over from step 1.",
                ),
                Decision.FIX,
            ),
            (
                'Microsoft: "How to Configure the Destination System for Log '
                "Shipping\". Re-running it after a clean is drgen's reading of "
                "that page and of the clean-up page; the drill settles it.",
            ),
        ),
        by_hand(
            "DBA: a fresh full backup in production, restored at DR",
            Actor.DBA,
            (*site.production_sql_instances, *site.dr_sql_instances),
            prose(
                Code(N["proc:sp_ForceFullBackup"]),
                " ran in ",
                Code(production.name),
                ", the next run of ",
                Code(N["job:BackupBizTalkServer"]),
                " made a full backup set, and ",
                Code(N["job:GetBackupHistory"]),
                " and ",
                Code(N["job:RestoreDatabases"]),
                " succeed on every DR instance, the databases restoring.",
            ),
            fails(JOB_HISTORY, ("Yes.",), Decision.FIX),
            (
                'Microsoft: "How to Configure the Backup BizTalk Server Job"; '
                '"Cleaning the Destination Environment".',
            ),
        ),
        script(
            "Mirror production again",
            (".\\Initialize-DrServer.ps1",),
            SERVER_FOLDER,
            servers,
            (
                "Exit code 0: the host instances added in production since the "
                "last Prepare are installed here, disabled.",
            ),
            fails(
                script_log("Initialize-DrServer", folder=SERVER_FOLDER),
                SAFE_TO_RERUN,
                Decision.FIX,
            ),
        ),
        script(
            "Check the standby",
            (".\\Test-DrServer.ps1",),
            SERVER_FOLDER,
            servers,
            (
                "Exit code 0, state Dormant, every registry reference naming the "
                "production SQL instances.",
            ),
            fails(
                script_log("Test-DrServer", folder=SERVER_FOLDER),
                READS_ONLY,
                Decision.FIX,
                ("Run Reset-DrServer.ps1 again, then this step.",),
            ),
        ),
    ]
    return Phase(
        "5",
        "Re-arm after a drill",
        (
            "After a drill (not a real failover: production must be there), in "
            "this order. Until the last step passes, the DR site is no standby.",
        ),
        numbered("5", drafts),
    )


def failback(site: SitePlan) -> Phase:
    """Phase 6: back to the primary site after a real failover."""
    dr = site.dr_mgmt
    drafts = [
        by_hand(
            "DBA: make the primary site a log-shipping destination of DR",
            Actor.DBA,
            site.production_sql_instances,
            prose(
                "On each repaired production instance, ",
                Code(N["proc:bts_ConfigureBizTalkLogShipping"]),
                " ran with @nvcMgmtServerName ",
                Code(dr.server),
                " and @nvcMgmtDatabaseName ",
                Code(dr.name),
                "; ",
                Code(N["job:BackupBizTalkServer"]),
                " at DR writes where they read, and they restore its log backups.",
            ),
            fails(JOB_HISTORY, ("Only from the schema script again.",), Decision.FIX),
            prose(
                "The databases left there from before the failover are out of date: "
                "they are dropped first, as on a destination being cleaned (",
                Code(N["proc:sp_LogShippingClean"]),
                "), once nothing of them is needed any more.",
            ),
            (
                'Microsoft: "How to Restore Your Databases" (reconfigure a new '
                'destination system); "How to Configure the Destination System for '
                'Log Shipping"; "Cleaning the Destination Environment".',
            ),
        ),
        by_hand(
            "At a planned time: stop processing at DR",
            Actor.ADMIN,
            (("the DR group (Administration console)",),),
            ("Receive locations disabled; a last Backup BizTalk Server run at DR.",),
            fails(RUN_RECORD, ("Yes.",), Decision.STOP),
        ),
        script(
            "Fence the DR servers",
            (".\\Disable-DrServer.ps1",),
            SERVER_FOLDER,
            site.server_names,
            ("Exit code 0 on each.",),
            fails(
                script_log("Disable-DrServer", folder=SERVER_FOLDER),
                SAFE_TO_RERUN,
                Decision.FIX,
            ),
        ),
        by_hand(
            "DBA and administrators: the failover, toward the primary site",
            Actor.DBA,
            (*site.production_sql_instances, *site.production_servers),
            (
                "Restore To Mark at the primary site; the restored databases "
                "pointed at the production instances; the master secret restored "
                "on the production master secret server; production started.",
            ),
            fails(
                RUN_RECORD,
                ("As in the Failover phase, step by step.",),
                Decision.STOP,
            ),
            prose(
                "The steps of the Failover phase with the sites swapped. "
                "UpdateDatabase.vbs runs once at the primary site with a mapping "
                "from the DR instances to the production ones, the mapping of ",
                Code(REARM_FILE),
                "; drgen renders that file for UpdateRegistry.vbs only and does not "
                "yet render or check the reverse UpdateDatabase step: review the copy "
                "you use. The production servers' registry already names the "
                "production instances.",
            ),
            (
                'Microsoft: "How to Move the Master Secret Server"; "How to Restore '
                'Applications and Enable Processing". The order is inferred: '
                "Microsoft documents the way to the DR site, not the way back. "
                "Reverse-direction scripts are a later drgen step.",
            ),
        ),
        by_hand(
            "Re-arm the DR site",
            Actor.ADMIN,
            site.server_names,
            ("The Re-arm phase passed on every DR server.",),
            fails(RUN_RECORD, ("Yes.",), Decision.FIX),
            (
                "Reset-DrServer.ps1 needs the production management database "
                "reachable again, which it now is.",
            ),
        ),
    ]
    return Phase(
        "6",
        "Failback (after a real failover)",
        (
            "The way back to the primary site once it is repaired. drgen's scripts "
            "serve the DR side (Disable-DrServer.ps1, then the Re-arm phase); the "
            "primary side is done by hand.",
        ),
        numbered("6", drafts),
    )
