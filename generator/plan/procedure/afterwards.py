"""Phases 4 and 5: stand the DR site down, re-arm it as a standby.

Re-arming follows "Cleaning the Destination Environment" and "How to Configure
the Destination System for Log Shipping": Restore To Mark recovered the DR
databases, which ends the log chain.
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
    Draft,
    by_hand,
    fails,
    numbered,
    script,
    script_log,
)
from generator.plan.procedure.model import Actor, Decision, Phase
from generator.plan.prose import Code, prose

if TYPE_CHECKING:
    from generator.plan.siteplan import SitePlan

REARM_FILE = "UpdateInfo-Rearm.xml"
# Re-arming is for whenever production runs again: Reset-DrServer.ps1 refuses the
# same way (templates/server/Reset-DrServer.ps1.jinja, its refusals).
REARM_TITLE = "Re-arm (after a drill, an aborted failover or a failback)"


# Restore To Mark "re-creates all of the SQL Server Agent jobs on the destination
# system that had been on the source system" (how-to-configure-the-destination-
# system-for-log-shipping.md): production's own jobs too, not only BizTalk's.
RESTORED_JOBS_SOURCE = (
    'Microsoft: "How to Configure the Destination System for Log Shipping" '
    "(Restore To Mark re-creates all of the SQL Server Agent jobs of the source "
    'system); "Cleaning the Destination Environment" (the get backup history job '
    "may continue running).",
)


def disable_restored_jobs(site: SitePlan) -> Draft:
    """The jobs Restore To Mark re-created at DR disabled, before anything at DR
    can reach production again (a drill's isolation lifted, a failover aborted)."""
    return by_hand(
        "DBA: disable the SQL Agent jobs Restore To Mark re-created",
        Actor.DBA,
        site.dr_sql_instances,
        prose(
            "On every DR instance, each SQL Agent job that Restore To Mark "
            "re-created, every job the production instances have (",
            Code(N["job:BackupBizTalkServer"]),
            " and the other BizTalk jobs, and any other job of theirs), shows "
            "Enabled No in SQL Server Agent, Job Activity Monitor, and ",
            Code(N["job:RestoreDatabases"]),
            " is still disabled.",
        ),
        fails(
            RUN_RECORD,
            ("Yes: disabling a disabled job changes nothing.",),
            Decision.FIX,
            (
                "Do not lift the isolation while one of them is still enabled: it "
                "would run at DR with production in reach.",
            ),
        ),
        prose(
            Code(N["job:GetBackupHistory"]),
            " may keep running. The Re-arm phase deletes the disabled jobs.",
        ),
        RESTORED_JOBS_SOURCE,
    )


def stand_down(site: SitePlan) -> Phase:
    """Phase 4: stop the DR site processing at the end of a drill, before its
    isolation is lifted (the abort path and the failback fence on their own)."""
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
        disable_restored_jobs(site),
    ]
    return Phase(
        "4",
        "Stand down (at the end of a drill, while still isolated)",
        (
            "At the end of a drill, while the drill is still isolated from "
            "production, in this order: the DR servers, each in its own folder, "
            "then the DR SQL instances. Lift the isolation only once every step "
            "passed. The site is fenced, not yet a standby: re-arm it next.",
        ),
        numbered("4", drafts),
    )


def _reset(site: SitePlan) -> Draft:
    production = site.production_mgmt
    return script(
        "Point the DR server back at production, dormant",
        (".\\Reset-DrServer.ps1",),
        SERVER_FOLDER,
        site.server_names,
        prose(
            "Exit code 0: dormant, every BizTalk service Disabled, and every "
            "registry reference of the group naming the production SQL instances "
            "again (",
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
                "It refuses, changing nothing, on a server that was not stood down "
                "(after a drill the Stand down phase, after an aborted failover its "
                "abort path, in a failback its fence step), and while the production "
                "management database ",
                Code(production.name),
                " on ",
                Code(production.server),
                " cannot be read or is not the production group's: the drill's "
                "isolation still in place, or an account that cannot read it. A "
                "site that failed over for real is never re-armed toward a dead "
                "production: fail back first.",
            ),
        ),
        (
            "It never runs UpdateDatabase.vbs: with the rearm file it would write "
            "into the running production group's databases.",
        ),
    )


def _console(site: SitePlan) -> Draft:
    production = site.production_mgmt
    return by_hand(
        "Administration console: the production group again",
        Actor.ADMIN,
        site.server_names,
        prose(
            "In the BizTalk Server Administration console of each DR server, the "
            "group connected during the failover is removed (BizTalk Group, "
            "Remove), and Connect to Existing Group shows the group of ",
            Code(production.name),
            " on ",
            Code(production.server),
            ".",
        ),
        fails(
            RUN_RECORD,
            ("Yes.",),
            Decision.FIX,
            (
                "No script uses the console; a connection that fails usually means "
                "the account cannot read the production management database, which "
                "the scripts that follow need too.",
            ),
        ),
        (
            "Microsoft pairs every run of UpdateRegistry.vbs with this: Remove, "
            "then Connect to Existing Group with the SQL instance and management "
            "database the registry now names.",
        ),
        (
            'Microsoft: "How to Update the Runtime Computers" (steps 6 and 7); '
            '"How to Restore Your Databases" (step 10); "How to Connect to an '
            'Existing Group".',
        ),
    )


def _clean(site: SitePlan) -> Draft:
    return by_hand(
        "DBA: clean the DR instances",
        Actor.DBA,
        site.dr_sql_instances,
        prose(
            "The SQL Agent jobs Restore To Mark re-created at DR, disabled since, "
            "are deleted, ",
            Code(N["job:RestoreDatabases"]),
            " is still disabled, and ",
            Code(N["proc:sp_LogShippingClean"] + " '<SourceID>'"),
            " ran on every DR instance (it drops the drill's databases and the last "
            "restored set).",
        ),
        fails(
            ("The query's messages in SQL Server Management Studio.",),
            ("Yes.",),
            Decision.FIX,
        ),
        prose(
            "Deleted, not disabled: a destination normally has none of them, and "
            "the next Restore To Mark creates them again. ",
            Code(N["job:GetBackupHistory"]),
            " may keep running.",
        ),
        (
            'Microsoft: "Cleaning the Destination Environment" (SourceID is the '
            "identifier configured on the production instances).",
        ),
    )


def _bam_standby(site: SitePlan) -> Draft | None:
    bam = site.dr_bam_primary_import
    if bam is None:
        return None
    hand = [db for db in (site.dr_bam_analysis, *site.dr_bam_sql_copies) if db]
    spans: list[str | Code] = []
    for i, db in enumerate(hand):
        spans += ["; " if i else "", Code(db.name), " on ", Code(db.server)]
    dropped = prose(
        "the BAM databases restored by hand during the drill dropped (",
        tuple(spans),
        "), ",
    )
    return by_hand(
        "DBA and administrator: BAM at DR back to standby",
        Actor.DBA,
        (*dict.fromkeys((bam.server, *(db.server for db in hand))), *site.server_names),
        prose(
            (dropped if hand else ()),
            "the jobs of the BAM SSIS packages deployed at DR during the drill "
            "disabled, and ",
            Code(N["config:BamServer"]),
            ", ",
            Code(N["config:BamDatabase"]),
            ", ",
            Code(N["config:DefaultServer"]),
            " and ",
            Code(N["config:DefaultDatabase"]),
            " naming production again wherever the failover changed them.",
        ),
        fails(RUN_RECORD, ("Yes.",), Decision.FIX),
        (
            "Log shipping does not bring these, so the clean-up above does not "
            "undo them.",
        ),
    )


def _full_backup(site: SitePlan) -> Draft:
    production = site.production_mgmt
    return by_hand(
        "DBA: a fresh full backup in production",
        Actor.DBA,
        site.production_sql_instances,
        prose(
            Code(N["proc:sp_ForceFullBackup"]),
            " ran in ",
            Code(production.name),
            " on ",
            Code(production.server),
            ", and the next run of ",
            Code(N["job:BackupBizTalkServer"]),
            " made a full backup set.",
        ),
        fails(JOB_HISTORY, ("Yes.",), Decision.FIX),
        (
            "After the clean-up and before the restore job runs again: after a "
            "clean the restore job looks for the newest full backup set "
            '(Microsoft: "Cleaning the Destination Environment"; "How to Configure '
            'the Backup BizTalk Server Job").',
        ),
    )


def _restore_again(site: SitePlan) -> Draft:
    production = site.production_mgmt
    return by_hand(
        "DBA: log shipping running again",
        Actor.DBA,
        site.dr_sql_instances,
        prose(
            Code(N["job:GetBackupHistory"]),
            " and ",
            Code(N["job:RestoreDatabases"]),
            " are enabled and succeed on every DR instance, and the databases are "
            "restoring from the fresh full backup set.",
        ),
        fails(
            JOB_HISTORY,
            ("Yes, once the full backup set is in the backup history.",),
            Decision.FIX,
            ('Microsoft: "Troubleshooting Log Shipping".',),
        ),
        prose(
            "If the log-shipping jobs or their configuration are gone, configure "
            "the destination first: ",
            Code(N["file:LogShipping_Destination_Schema.sql"]),
            " and ",
            Code(N["file:LogShipping_Destination_Logic.sql"]),
            " on master, then ",
            Code(N["proc:bts_ConfigureBizTalkLogShipping"]),
            " with @nvcMgmtDatabaseName ",
            Code(production.name),
            " and @nvcMgmtServerName ",
            Code(production.server),
            ", keeping ",
            Code(N["job:RestoreDatabases"]),
            " disabled until the full backup is in the history.",
        ),
        (
            'Microsoft: "How to Configure the Destination System for Log '
            'Shipping". That a drill ends the log chain and this restarts it is '
            "drgen's reading of that page and of the clean-up page; the drill "
            "settles it.",
        ),
    )


def rearm(site: SitePlan) -> Phase:
    """Phase 5: the DR site becomes a prepared standby of production again."""
    servers = site.server_names
    drafts: list[Draft | None] = [
        _reset(site),
        _console(site),
        _clean(site),
        _bam_standby(site),
        _full_backup(site),
        _restore_again(site),
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
        REARM_TITLE,
        (
            "Whenever production runs again after the DR site was used: after a "
            "drill, after an aborted failover, or after a completed failback. Never "
            "while the DR site processes for production after a real failover: fail "
            "back first. Once every DR server was stood down (the Stand down phase, "
            "the abort path or the failback's fence) and a drill's isolation is "
            "lifted, in this order. Until the last step passes, the DR site is no "
            "standby.",
        ),
        numbered("5", [d for d in drafts if d is not None]),
    )
