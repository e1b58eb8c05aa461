"""Phase 3, the failover: Microsoft's restore procedure with drgen's scripts in it,
each step with its way out, and the abort path while production can still resume.

Sources: "Restoring the BizTalk Group", "How to Restore Your Databases",
"Stopping Application Processing on the Source System", "How to Restore
Applications and Enable Processing" (MicrosoftDocs/biztalk-docs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.catalogue import CATALOGUE as N
from generator.plan.procedure.bam import bam_at_dr, bam_databases
from generator.plan.procedure.common import (
    JOB_HISTORY,
    READS_ONLY,
    RUN_RECORD,
    SAFE_TO_RERUN,
    SERVER_FOLDER,
    SITE_FOLDER,
    Draft,
    by_hand,
    fails,
    numbered,
    script,
    script_log,
)
from generator.plan.procedure.model import Actor, Decision, Phase
from generator.plan.prose import Code, Prose, codes, prose

if TYPE_CHECKING:
    from generator.plan.siteplan import SitePlan

_ABORT_HINT = (
    "If production is still there and this cannot be fixed soon, take the abort "
    "path below."
)


def _stop_production(site: SitePlan) -> Draft:
    details: list[Prose] = [
        prose(
            "In the production group's Administration console, disable the receive "
            "locations. On each production BizTalk server, stop the host "
            "instances, the IIS application pools of isolated hosts, Enterprise SSO "
            "(",
            Code(N["svc:ENTSSO"]),
            ") and, where it runs, the Rule Engine Update Service (",
            Code(N["svc:RuleEngineUpdateService"]),
            "). On each production SQL instance, disable the BizTalk SQL Agent jobs.",
        ),
        (
            "Note in the run record each receive location, host instance, service "
            "and SQL Agent job you stop or disable: the abort path starts exactly "
            "those again.",
        ),
    ]
    if site.has_bam:
        details.append(
            prose(
                "BAM: disable the cube update and data maintenance packages (",
                Code(N["ssis:BAM_AN_"] + "<view>"),
                ", ",
                Code(N["ssis:BAM_DM_"] + "<activity>"),
                ") and the SQL Agent jobs that run them.",
            )
        )
    if site.has_bam_analysis:
        details.append(
            prose(
                "Stop Analysis Services (",
                Code(N["svc:MSSQLServerOLAPService"]),
                ") on the production SQL computers that house BizTalk databases.",
            )
        )
    details += [
        prose(
            "If those instances still work, a last run of ",
            Code(N["job:BackupBizTalkServer"]),
            " after processing stopped, before you disable it, gives the DR site a "
            "newer mark to restore to (its backup history must reach the DR "
            "instances before the restore).",
        ),
        (
            'Microsoft: "Stopping Application Processing on the Source System"; '
            '"Shut down BizTalk Server" in "How to Start, Stop, Pause, Resume, or '
            'Restart BizTalk Server Services".',
        ),
    ]
    return by_hand(
        "Not in a drill: stop processing in production",
        Actor.ADMIN,
        (*site.production_servers, *site.production_sql_instances),
        (
            "Nothing processes in production any more; what cannot be reached is "
            "skipped and noted.",
        ),
        fails(
            RUN_RECORD,
            ("Yes.",),
            Decision.STOP,
            (
                "What cannot be reached is down already: note it and go on. If "
                "something reachable keeps processing and cannot be stopped, do not "
                "go on: two sites would process the same messages.",
            ),
        ),
        *details,
    )


def _restore(site: SitePlan) -> Draft:
    return by_hand(
        "DBA: restore the databases to the mark",
        Actor.DBA,
        site.dr_sql_instances,
        (
            "Restore To Mark succeeded on every DR SQL instance, all on the same "
            "backup set.",
        ),
        fails(
            JOB_HISTORY,
            (
                "Only from step 1 of the job, once the cause is fixed: a failed "
                "restore can leave a database restoring.",
            ),
            Decision.STOP,
            (
                'Microsoft: "Troubleshooting Log Shipping" (partial backup sets, '
                "gaps, corrupt files). " + _ABORT_HINT,
            ),
        ),
        prose(
            "Disable the log-shipping jobs ",
            Code(N["job:GetBackupHistory"]),
            " and ",
            Code(N["job:RestoreDatabases"]),
            ' (some Microsoft pages spell them without " - "), then start ',
            Code(N["job:RestoreToMark"]),
            " at step 1. It also re-creates the source's SQL Agent jobs at DR.",
        ),
        ('Microsoft: "How to Restore Your Databases".',),
    )


def _logins(site: SitePlan) -> Draft:
    return by_hand(
        "DBA: logins",
        Actor.DBA,
        site.dr_sql_instances,
        (
            "The DR instances have the logins production has (the accounts and "
            "groups of the hosts, SSO and the BizTalk groups); no orphaned users.",
        ),
        fails(
            ("The SQL Server error log of the instance (failed logins).",),
            ("Yes.",),
            Decision.FIX,
        ),
        (
            'Microsoft: "Resolving Login Issues After Restoring the Destination '
            'System".',
        ),
    )


def _update_databases(site: SitePlan) -> Draft:
    return script(
        "Point the restored databases at DR",
        (".\\Update-DrGroupDatabases.ps1",),
        SITE_FOLDER,
        (site.update_databases_server,),
        (
            'Exit code 0: no "Error:" line from UpdateDatabase.vbs and no reference '
            "still naming production.",
        ),
        fails(
            script_log("Update-DrGroupDatabases", folder=SITE_FOLDER),
            (
                "Yes: it reads every reference first and runs UpdateDatabase.vbs only "
                "while one still names production.",
            ),
            Decision.FIX,
            (
                "Each reference still naming production is listed with its table. "
                + _ABORT_HINT,
            ),
        ),
        prose(
            "Add ",
            Code("-UseMsOleDbSql"),
            ' if UpdateDatabase.vbs reports "Invalid connection string attribute".',
        ),
    )


def _jobs(site: SitePlan) -> Draft:
    return by_hand(
        "DBA: SQL Agent jobs at DR",
        Actor.DBA,
        site.dr_sql_instances,
        prose(
            "Every BizTalk SQL Agent job is enabled but ",
            codes(site.messagebox_cleanup_jobs),
            "; ",
            Code(N["job:BackupBizTalkServer"]),
            " writes to a new destination.",
        ),
        fails(JOB_HISTORY, ("Yes.",), Decision.FIX),
        (
            "Restore To Mark re-created the source's SQL Agent jobs at DR; "
            "UpdateDatabase.vbs has pointed them at DR. The cleanup job of each "
            "MessageBox is started by its ManageRefCountLog job and must stay "
            'disabled (Microsoft: "Database Structure and Jobs").',
        ),
    )


def _enable_master(site: SitePlan) -> Draft:
    return script(
        "Enable the master secret server",
        (".\\Enable-DrServer.ps1 -NoStart -SecretBackupFile <secret backup>",),
        SERVER_FOLDER,
        (site.master_secret_server,),
        ("Exit code 0: this server is the SSO master secret server.",),
        fails(
            script_log("Enable-DrServer", folder=SERVER_FOLDER),
            prose(
                SAFE_TO_RERUN,
                " With -SecretBackupFile it restores the secret again unless that "
                "very backup was restored last.",
            ),
            Decision.FIX,
            (
                "The other DR servers wait for this one: run no other Enable until "
                "it exits 0. If the backup file or its password is wrong, get "
                "the current backup from its custodian and run again. " + _ABORT_HINT,
            ),
        ),
        prose(
            "It runs ",
            Code(N["file:UpdateRegistry.vbs"]),
            " (while a registry value still names production) and then restarts "
            "Windows Management Instrumentation (",
            Code(N["svc:Winmgmt"]),
            "). ssoconfig asks for the backup password.",
        ),
    )


def _enable_others(site: SitePlan) -> Draft | None:
    others = site.failover_after_master
    if not others:
        return None
    return script(
        "Enable the other DR servers",
        (".\\Enable-DrServer.ps1 -NoStart",),
        SERVER_FOLDER,
        others,
        ("Exit code 0 on each.",),
        fails(
            script_log("Enable-DrServer", folder=SERVER_FOLDER),
            SAFE_TO_RERUN,
            Decision.FIX,
            (
                "A server that fails does not hold up the others; fix it and run it "
                "again before starting processing.",
            ),
        ),
        prose(
            "On each it runs ",
            Code(N["file:UpdateRegistry.vbs"]),
            " and restarts ",
            Code(N["svc:Winmgmt"]),
            " too, and refuses to start Enterprise SSO until the DR SSO database "
            "names ",
            Code(site.master_secret_server),
            " as master secret server.",
        ),
    )


def _installation_msis(site: SitePlan) -> Draft:
    return by_hand(
        "Applications: the installation MSIs not installed at Prepare",
        Actor.ADMIN,
        site.server_names,
        (
            "Every application installation MSI that production runs and Prepare "
            "did not install (or a newer one) is installed on this DR server; "
            "usually none.",
        ),
        fails(
            ("Windows Installer's log of the MSI, and the Application event log.",),
            ("Yes, once a half-installed application is removed.",),
            Decision.FIX,
        ),
        (
            "Before the Enable steps, which stop and turn autoStart off for every "
            "IIS application pool of an isolated host that an MSI created or "
            "started: an isolated host receives outside the BizTalk runtime, so a "
            "started pool could accept messages before the Ready check. Microsoft "
            "runs the installation MSI after the runtime is updated; that it needs "
            "nothing from the group is drgen's reading, and the drill settles it.",
        ),
        ('Microsoft: "How to Restore Applications and Enable Processing" (1).',),
    )


def _bindings(site: SitePlan) -> Draft:
    return by_hand(
        "Applications: the DR bindings",
        Actor.ADMIN,
        (site.master_secret_server,),
        (
            "The application configuration MSI with the DR bindings ran on one DR "
            "server, so receive locations and send ports point at DR's endpoints.",
        ),
        fails(
            ("Windows Installer's log of the MSI, and the Application event log.",),
            ("Yes.",),
            Decision.FIX,
        ),
        ('Microsoft: "How to Restore Applications and Enable Processing" (2).',),
    )


def _ready(site: SitePlan) -> Draft:
    pools = any(s.app_pools for s in site.servers)
    if not pools:
        return script(
            "Check every DR server is ready",
            (".\\Test-DrServer.ps1 -Expect Ready",),
            SERVER_FOLDER,
            site.server_names,
            (
                "Exit code 0, state Ready: enabled, every host instance stopped, "
                "nothing processing yet.",
            ),
            fails(
                script_log("Test-DrServer", folder=SERVER_FOLDER),
                READS_ONLY,
                Decision.FIX,
                ("Run Enable-DrServer.ps1 -NoStart again, then this step.",),
            ),
        )
    return script(
        "Fence the application pools again, then check every DR server is ready",
        (".\\Enable-DrServer.ps1 -NoStart", ".\\Test-DrServer.ps1 -Expect Ready"),
        SERVER_FOLDER,
        site.server_names,
        (
            "Exit code 0 from both, state Ready: enabled, every host instance and "
            "IIS application pool stopped with autoStart off, nothing processing "
            "yet.",
        ),
        fails(
            script_log("Enable-DrServer", "Test-DrServer", folder=SERVER_FOLDER),
            SAFE_TO_RERUN,
            Decision.FIX,
        ),
        (
            "Enable-DrServer.ps1 -NoStart again: the configuration MSI may have "
            "touched the pools of isolated hosts.",
        ),
    )


def _start(site: SitePlan) -> Draft:
    return script(
        "Start processing",
        (".\\Enable-DrServer.ps1", ".\\Test-DrServer.ps1 -Expect Active"),
        SERVER_FOLDER,
        site.server_names,
        (
            "Exit code 0 from both, state Active: host instances and application "
            "pools running.",
        ),
        fails(
            script_log("Enable-DrServer", "Test-DrServer", folder=SERVER_FOLDER),
            SAFE_TO_RERUN,
            Decision.FIX,
            (
                "A host instance that does not start says why in the Application "
                "event log. From here on, do not abort: the DR site has processed "
                "messages production does not have; fail back later instead.",
            ),
        ),
    )


def _by_hand_last() -> Draft:
    return by_hand(
        "By hand: receive locations, console, new DR system",
        Actor.ADMIN,
        (("the DR group (Administration console)",),),
        (
            "Receive locations and send ports enabled; the Administration console "
            'connected with "Connect to Existing Group" (DR SQL instance, '
            "management database).",
        ),
        fails(RUN_RECORD, ("Yes.",), Decision.FIX),
        (
            "Then set up a new DR system: the Backup BizTalk Server job writes to a "
            'new destination (Microsoft: "How to Restore Your Databases").',
        ),
    )


def _abort(site: SitePlan) -> tuple[Prose, ...]:
    restart: list[str | Code] = [
        "3. In production, start again exactly what the run record says the first "
        "step stopped, in reverse: the SQL Agent jobs it disabled (never a ",
        Code(N["answer:job-prefix/MessageBoxMessageCleanup"] + "<MessageBox>"),
        " job: its ManageRefCountLog job starts it)",
    ]
    if site.has_bam:
        restart += [
            ", the jobs of the BAM SSIS packages",
            ", Analysis Services (" if site.has_bam_analysis else "",
            Code(N["svc:MSSQLServerOLAPService"]) if site.has_bam_analysis else "",
            ")" if site.has_bam_analysis else "",
        ]
    restart += [
        ", Enterprise SSO, the Rule Engine Update Service, the host instances and "
        "application pools, then the receive locations. Production's databases "
        "were never changed.",
    ]
    return (
        (
            "Until processing starts at DR, and only while production is still "
            "there, the failover can be abandoned:",
        ),
        prose(
            "1. On every DR server where Enable-DrServer.ps1 ran (",
            codes(site.server_names, last=", "),
            "), in its own folder: ",
            Code(".\\Disable-DrServer.ps1"),
            ". It leaves the server dormant, its registry naming the DR SQL instances.",
        ),
        prose(
            "2. If Restore To Mark ran: on each DR instance, disable every SQL Agent "
            "job it re-created, as the Stand down phase does (",
            Code(N["job:GetBackupHistory"]),
            " may keep running; ",
            Code(N["job:RestoreDatabases"]),
            " stays disabled): with the failover abandoned they would keep running "
            "at DR with production in reach.",
        ),
        prose(*(span for span in restart if span != "")),
        prose(
            "4. If Restore To Mark has not run: enable ",
            Code(N["job:GetBackupHistory"]),
            " and ",
            Code(N["job:RestoreDatabases"]),
            " again at each DR instance; the site is a standby again once the DR "
            "servers pass Test-DrServer.ps1 (without -AfterDrill: the registry must "
            "name production). One whose registry names DR (Enable-DrServer.ps1 "
            "got as far as UpdateRegistry.vbs) runs Reset-DrServer.ps1 first. If it "
            "ran: the DR "
            "databases are recovered, no longer restoring, and the DR site is no "
            "standby until it is re-armed (the Re-arm phase).",
        ),
    )


def failover(site: SitePlan) -> Phase:
    """Phase 3, in Microsoft's order, with drgen's scripts where they serve."""
    drafts: list[Draft | None] = [
        _stop_production(site),
        _restore(site),
        _logins(site),
        bam_databases(site),
        _update_databases(site),
        _jobs(site),
        *bam_at_dr(site),
        _installation_msis(site),
        _enable_master(site),
        _enable_others(site),
        _bindings(site),
        _ready(site),
        _start(site),
        _by_hand_last(),
    ]
    return Phase(
        "3",
        "Failover",
        (
            "In this order. A step with a command runs a drgen script; the others "
            "are done by hand. Each step says what to do if it fails.",
        ),
        numbered("3", [d for d in drafts if d is not None]),
        abort=_abort(site),
    )
