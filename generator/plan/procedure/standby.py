"""Phases 0 to 2: check the bundle, prepare the DR servers dormant, drill read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.plan.outputs import BUNDLE_CHECK_NAME
from generator.plan.procedure.bam import bam_packages
from generator.plan.procedure.common import (
    READS_ONLY,
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
from generator.plan.prose import Code, codes, prose

if TYPE_CHECKING:
    from generator.plan.siteplan import SitePlan

_BUNDLE_CHECK = BUNDLE_CHECK_NAME.removesuffix(".ps1")


def bundle_check(site: SitePlan) -> Phase:
    """Phase 0: every copy of the bundle is checked where it arrived."""
    step = script(
        "Check the bundle",
        (f".\\{BUNDLE_CHECK_NAME}",),
        SITE_FOLDER,
        site.server_names,
        (
            "Exit code 0: the SHA-256 of every file and the signature of every "
            "script are as drgen rendered them. Continue only then.",
        ),
        fails(
            script_log(_BUNDLE_CHECK, folder=SITE_FOLDER),
            READS_ONLY,
            Decision.STOP,
            (
                "Run nothing from this copy. Copy the site folder again from the "
                "reviewed out folder and check again; if it fails again, a file was "
                "changed after the review: escalate.",
            ),
        ),
    )
    return Phase(
        "0",
        "Bundle check (every time the bundle is copied)",
        (
            "Copy the whole site folder to each DR server, then check it there "
            "before running anything else.",
        ),
        numbered("0", [step]),
    )


def _applications(site: SitePlan) -> Draft:
    pools = tuple(p for s in site.servers for p in s.app_pools)
    return by_hand(
        "Install the applications before the DR server is fenced",
        Actor.ADMIN,
        site.server_names,
        prose(
            "Every application installation MSI that production runs is installed "
            "on this server",
            (
                prose(
                    ", and the IIS application pools of isolated hosts exist: ",
                    codes(pools),
                    ".",
                )
                if pools
                else (".",)
            ),
        ),
        fails(
            ("Windows Installer's log of the MSI, and the Application event log.",),
            (
                "Yes, once a half-installed application is removed in Programs and "
                "Features.",
            ),
            Decision.FIX,
        ),
        (
            "Before the next step: Initialize-DrServer.ps1 expects the pools of "
            "isolated hosts to exist, stops them and turns their autoStart off, so "
            "nothing an MSI started keeps running. Whenever production deploys an "
            "application again, install it on every DR server and run the next two "
            "steps there again. Create by hand any pool no MSI creates.",
        ),
        (
            'Microsoft: "How to Restore Applications and Enable Processing" '
            "(the installation MSI runs on each server of the group).",
        ),
    )


def prepare(site: SitePlan) -> Phase:
    """Phase 1: every DR server joined and dormant, the facts settled."""
    servers = site.server_names
    drafts = [
        _applications(site),
        script(
            "Join the DR server, dormant",
            (".\\Initialize-DrServer.ps1",),
            SERVER_FOLDER,
            servers,
            (
                "Exit code 0: joined to the SSO system (not as master secret "
                "server) and the group, host instances installed disabled, IIS "
                "application pools of isolated hosts stopped with autoStart off, "
                "every BizTalk service Disabled.",
            ),
            fails(
                script_log("Initialize-DrServer", folder=SERVER_FOLDER),
                SAFE_TO_RERUN,
                Decision.FIX,
                (
                    "Fix what the log names (most often an account, a password or "
                    "a SQL instance out of reach), then run it again.",
                ),
            ),
        ),
        script(
            "Check it is dormant",
            (".\\Test-DrServer.ps1",),
            SERVER_FOLDER,
            servers,
            (
                "Exit code 0, state Dormant; MSDTC allows network access (Network "
                "DTC Access, inbound, outbound), which a failover needs.",
            ),
            fails(
                script_log("Test-DrServer", folder=SERVER_FOLDER),
                READS_ONLY,
                Decision.FIX,
                (
                    "Each failed check says what it found; drgen report says how to "
                    "fix it. Then run Initialize-DrServer.ps1 and this step again.",
                ),
            ),
        ),
    ]
    if site.has_bam:
        drafts.append(bam_packages(site))
    drafts.append(
        script(
            "Settle the facts drgen could not confirm (lab probe)",
            (".\\Test-DrLabFacts.ps1",),
            SITE_FOLDER,
            (
                (
                    f"one BizTalk Server {site.version} server where Enterprise "
                    "SSO runs (production or lab)",
                ),
            ),
            prose(
                "Exit code 0 and a JSON result in ",
                Code("logs\\"),
                "; give it to ",
                Code("drgen facts check"),
                ", which says which facts held.",
            ),
            fails(
                script_log("Test-DrLabFacts", folder=SITE_FOLDER),
                READS_ONLY,
                Decision.CONTINUE,
                (
                    "A fact that does not hold is drgen's to fix, not the DR "
                    "server's: give the JSON to drgen facts check and report what "
                    "it says.",
                ),
            ),
            (
                "It changes nothing. On a prepared DR server SSO is disabled and "
                "its SSO checks are skipped.",
            ),
        )
    )
    return Phase(
        "1",
        "Prepare (once; the DR servers must reach the production SQL instances)",
        ("On each DR server, in this order.",),
        numbered("1", drafts),
    )


def drill(site: SitePlan) -> Phase:
    """Phase 2: the read-only drill, repeated on a schedule."""
    step = script(
        "Check every DR server is still dormant",
        (".\\Test-DrServer.ps1",),
        SERVER_FOLDER,
        site.server_names,
        ("Exit code 0, state Dormant.",),
        fails(
            script_log("Test-DrServer", folder=SERVER_FOLDER),
            READS_ONLY,
            Decision.FIX,
            (
                "Run Initialize-DrServer.ps1 again on that server (it mirrors what "
                "changed in production), then this step.",
            ),
        ),
    )
    return Phase(
        "2",
        "DR drill (the read-only check, and the full drill)",
        prose(
            "Some facts only a failover settles (",
            Code("drgen facts"),
            ', entries with "settle"), above all that Enterprise SSO starts on '
            "the DR master secret server while the restored SSO database still "
            "names the production one. Run the failover below once in an "
            "isolated drill, with the DR SQL instances restored and production out "
            "of reach, before it is needed. End the drill in this order: the Stand "
            "down phase on every DR server and DR SQL instance while still "
            "isolated, then lift the isolation, then the Re-arm phase. The check "
            "below changes nothing: run it on a schedule.",
        ),
        numbered("2", [step]),
    )
