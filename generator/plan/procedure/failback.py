"""Phase 6, failback: back to the primary site after a real failover.

Microsoft documents the way to the DR site; the way back is that procedure with
the sites' roles swapped, which is drgen's inference (the phase says so, step by
step). drgen's scripts serve the DR side: Disable-DrServer.ps1, then the re-arm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.catalogue import CATALOGUE as N
from generator.plan.procedure.afterwards import REARM_FILE, rearm
from generator.plan.procedure.common import (
    JOB_HISTORY,
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
from generator.plan.prose import Code, Prose, codes, prose

if TYPE_CHECKING:
    from generator.plan.siteplan import SitePlan


def _merged_instances(site: SitePlan) -> tuple[str, ...]:
    """DR SQL instances that took databases from more than one production one."""
    sources: dict[str, set[str]] = {}
    for move in site.update_info.all_moves:
        sources.setdefault(move.new_server.upper(), set()).add(move.old_server.upper())
    return tuple(
        dr
        for dr in dict.fromkeys(site.dr_sql_instances)
        if len(sources.get(dr.upper(), ())) > 1
    )


def _destination_again(site: SitePlan) -> Draft:
    dr = site.dr_mgmt
    details = [
        prose(
            "The databases left there from before the failover are out of date: "
            "they are dropped first, as on a destination being cleaned (",
            Code(N["proc:sp_LogShippingClean"]),
            "), once nothing of them is needed any more.",
        )
    ]
    merged = _merged_instances(site)
    if merged:
        details.append(
            prose(
                "This site restored several production instances into ",
                codes(merged),
                ". A log-shipping destination restores one source whole "
                "(@SourceServerName), so shipping back cannot split them across "
                "the original instances: either fail back onto one production "
                "instance, or move each database back by backup and restore and "
                "point the group at it with UpdateDatabase.vbs. drgen's reading; "
                "Microsoft documents neither.",
            )
        )
    details.append(
        (
            'Microsoft: "How to Restore Your Databases" (reconfigure a new '
            'destination system); "How to Configure the Destination System for '
            'Log Shipping"; "Cleaning the Destination Environment".',
        )
    )
    return by_hand(
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
        *details,
    )


def _stop_dr(site: SitePlan) -> Draft:
    bam = ", the BAM SSIS package jobs" if site.has_bam else ""
    return by_hand(
        "At a planned time: stop processing at DR",
        Actor.ADMIN,
        (("the DR group (Administration console)",), *site.dr_sql_instances),
        (
            "Nothing processes at DR any more, and a last Backup BizTalk Server run "
            "at DR after that is in the primary site's backup history.",
        ),
        fails(RUN_RECORD, ("Yes.",), Decision.STOP),
        (
            "Microsoft's list for the source system, with DR as the source: receive "
            "locations disabled, host instances stopped, the BizTalk SQL Agent jobs "
            f"disabled but that last backup{bam}, Enterprise SSO and the Rule Engine "
            "Update Service stopped, and no BizTalk connection left to the DR SQL "
            "instances. Note each in the run record.",
        ),
        (
            'Microsoft: "Stopping Application Processing on the Source System". '
            "Using it in this direction is drgen's reading.",
        ),
    )


_SSO_SERVER_NAME = (
    N["wmi:MSBTS_GroupSetting"] + "." + N["wmi:MSBTS_GroupSetting.SSOServerName"]
)


def _sso_back(site: SitePlan) -> Prose:
    """The master secret back on the production master secret server, in the order
    of "How to Move the Master Secret Server" (steps 4 to 6)."""
    server = site.production_master_secret_server
    return prose(
        "The restored SSO database names the DR master secret server. On the "
        "production master secret server ",
        Code(server),
        ", in this order: ",
        Code(N["exe:ssomanage.exe"] + " " + N["arg:ssomanage.exe-updatedb"]),
        " with a file whose secretServer is ",
        Code(server),
        " (Enterprise SSO running there); then restart Enterprise SSO (",
        Code(N["svc:ENTSSO"]),
        ") there; then ",
        Code(N["exe:ssoconfig.exe"] + " " + N["arg:ssoconfig.exe-restoreSecret"]),
        " there with the current backup of the master secret.",
    )


def _fail_over_back(site: SitePlan) -> Draft:
    details = [
        prose(
            "The steps of the Failover phase with the sites swapped. "
            "UpdateDatabase.vbs runs once at the primary site with a mapping from "
            "the DR instances to the production ones: UpdateInfo.xml with old and "
            "new swapped, as ",
            Code(REARM_FILE),
            " is (that file has no BAM section, and drgen renders it for "
            "UpdateRegistry.vbs only: it does not yet render or check the reverse "
            "UpdateDatabase step, so review the copy you use). The production "
            "servers' registry already names the production instances.",
        ),
        _sso_back(site),
        prose(
            "Then the group's SSO Server name names ",
            Code(site.production_master_secret_server),
            " again: in the production group's Administration console, BizTalk "
            "Group, Properties, General tab, SSO Server name (",
            Code(_SSO_SERVER_NAME),
            "). Enable-DrServer.ps1 set it to ",
            Code(site.master_secret_server),
            " during the failover and the restored management database brought "
            "that back; the group uses that server to store and read the adapters' "
            "configuration.",
        ),
    ]
    if site.has_bam:
        details.append(
            (
                "BAM: the SSIS package jobs disabled in production at the failover "
                "enabled again, and the BAM configuration files naming the "
                "production BAM Primary Import database.",
            )
        )
    details.append(
        (
            'Microsoft: "How to Move the Master Secret Server" (steps 4 to 6: '
            "update the database, restart Enterprise SSO, restore the secret); "
            '"How to Update the Runtime Computers" (the note after step 7: update '
            'the SSO Server name in Group Properties); "How to Modify Group '
            'Properties"; "How to Restore Applications and Enable Processing". '
            "The order is inferred: Microsoft documents the way to the DR site, "
            "not the way back. Reverse-direction scripts are a later drgen step.",
        )
    )
    return by_hand(
        "DBA and administrators: the failover, toward the primary site",
        Actor.DBA,
        (*site.production_sql_instances, *site.production_servers),
        prose(
            "Restore To Mark at the primary site; the restored databases pointed at "
            "the production instances; the master secret restored on ",
            Code(site.production_master_secret_server),
            ", where ",
            Code(N["exe:ssomanage.exe"] + " " + N["arg:ssomanage.exe-displaydb"]),
            " names it as the secret server; the SSO Server name in Group "
            "Properties (General tab) of the production group reads ",
            Code(site.production_master_secret_server),
            "; production started.",
        ),
        fails(RUN_RECORD, ("As in the Failover phase, step by step.",), Decision.STOP),
        *details,
    )


def _rearm_again(site: SitePlan) -> Draft:
    """The Re-arm phase, from its first script: production runs again and the DR
    servers were fenced, which is what Reset-DrServer.ps1 asks for."""
    phase = rearm(site)
    first, last = phase.steps[0], phase.steps[-1]
    return script(
        "Re-arm the DR site",
        first.commands,
        SERVER_FOLDER,
        site.server_names,
        (
            f"Every step of the Re-arm phase passed, {first.number} to "
            f"{last.number}, in its order: Reset-DrServer.ps1 first on each DR "
            "server, then the steps that follow it there, DBA steps and scripts.",
        ),
        fails(
            script_log("Reset-DrServer", folder=SERVER_FOLDER),
            SAFE_TO_RERUN,
            Decision.FIX,
            ("Each step of the Re-arm phase says what to do if it fails.",),
        ),
        (
            "Reset-DrServer.ps1 needs the production management database "
            "reachable again, which it now is, and the DR servers stood down, "
            "which the fence did.",
        ),
    )


def failback(site: SitePlan) -> Phase:
    """Phase 6: back to the primary site after a real failover."""
    drafts = [
        _destination_again(site),
        _stop_dr(site),
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
        _fail_over_back(site),
        _rearm_again(site),
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
