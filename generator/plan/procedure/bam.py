"""The BAM steps, for a group that uses BAM: the BAM databases that are not
log-shipped with the group, the SSIS packages (in msdb, or from BizTalk Server
2020 in the SSIS Catalog), and the configuration files that name the BAM Primary
Import database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from generator.catalogue import CATALOGUE as N
from generator.plan.procedure.common import (
    JOB_HISTORY,
    RUN_RECORD,
    Draft,
    by_hand,
    fails,
)
from generator.plan.procedure.model import Actor, Decision
from generator.plan.prose import Code, Prose, prose

if TYPE_CHECKING:
    from generator.plan.siteplan import SitePlan

# configure-biztalk-server.md: "Starting with BizTalk Server 2020, BAM uses SSIS
# Catalog for deploying and managing BAM DTS packages".
VERSIONS_WITH_SSIS_CATALOG = frozenset({"2020"})


def package_store(site: SitePlan) -> Prose:
    """Where this version keeps the BAM SSIS packages, as the runbook says it."""
    if site.version in VERSIONS_WITH_SSIS_CATALOG:
        return (
            "the SSIS Catalog (",
            Code(N["ssis:SSISDB"]),
            ", folder BizTalk Server)",
        )
    return ("msdb",)


def bam_packages(site: SitePlan) -> Draft:
    """Prepare: a DBA keeps the packages where the DR site reaches them."""
    production = tuple(dict.fromkeys(site.production_sql_instances))
    return by_hand(
        "DBA: keep a copy of the BAM SSIS packages with the DR site",
        Actor.DBA,
        production,
        prose(
            "An export of every ",
            Code(N["ssis:BAM_DM_"] + "<activity>"),
            " and ",
            Code(N["ssis:BAM_AN_"] + "<view>"),
            " package is stored where the DR site reaches it.",
        ),
        fails(RUN_RECORD, ("Yes.",), Decision.FIX),
        prose(
            "They live in ",
            package_store(site),
            " of the production SQL instance that runs them, so log shipping does "
            "not bring them, and a failover must deploy them at DR. Export them "
            "again whenever BAM activities or views change.",
        ),
    )


def bam_databases(site: SitePlan) -> Draft | None:
    primary = site.dr_bam_primary_import
    if primary is None:
        return None
    restores = []
    if site.dr_bam_analysis is not None:
        restores.append(site.dr_bam_analysis)
    restores += site.dr_bam_sql_copies
    if not restores:
        return None
    listed: list[str | Code] = []
    for i, db in enumerate(restores):
        listed += ["; " if i else "", Code(db.name), " on ", Code(db.server)]
    return by_hand(
        "DBA: restore the other BAM databases",
        Actor.DBA,
        tuple(dict.fromkeys(db.server for db in restores)),
        prose(
            "Each restored from a backup older than the backup of the restored BAM "
            "Primary Import database ",
            Code(primary.name),
            ".",
        ),
        fails(
            ("The restore history of the instance (SQL Server Management Studio).",),
            ("Yes.",),
            Decision.FIX,
        ),
        prose("Restore ", tuple(listed), "."),
        ('Microsoft: "How to Restore Your Databases", "Before you begin".',),
    )


def bam_at_dr(site: SitePlan) -> list[Draft]:
    bam = site.dr_bam_primary_import
    if bam is None:
        return []
    packages = by_hand(
        "DBA: BAM SSIS packages at DR",
        Actor.DBA,
        (bam.server,),
        prose(
            "Every ",
            Code(N["ssis:BAM_DM_"] + "<activity>"),
            " and ",
            Code(N["ssis:BAM_AN_"] + "<view>"),
            " package is deployed to ",
            package_store(site),
            " of ",
            Code(bam.server),
            ", names ",
            Code(bam.server),
            " and ",
            Code(bam.name),
            " as BAM Primary Import server and database, and its SQL Agent job is "
            "enabled.",
        ),
        fails(JOB_HISTORY, ("Yes.",), Decision.FIX),
        (
            "They are not log-shipped. Import each from the copy kept at Prepare "
            "(or from production, if it is still there); in each, set the MSDB "
            "connection and the Primary Import server and database variables; then "
            "enable it.",
        ),
        (
            'Microsoft: "How to Update References to the BAM Archive Database '
            'Name" (steps 3 to 21); "Update References to the BAM Primary Import '
            'Database Name and Connection String".',
        ),
    )
    files = by_hand(
        "BAM portal and BAM management utility configuration",
        Actor.ADMIN,
        site.server_names,
        prose(
            "Where they are installed: ",
            Code(N["config:BamServer"]),
            " is ",
            Code(bam.server),
            " and ",
            Code(N["config:BamDatabase"]),
            " is ",
            Code(bam.name),
            " in the Web.Config of BamManagementService and BamQueryService; ",
            Code(N["config:DefaultServer"]),
            " and ",
            Code(N["config:DefaultDatabase"]),
            " name the same in bm.exe.config.",
        ),
        fails(RUN_RECORD, ("Yes.",), Decision.FIX),
        (
            'Microsoft: "How to Update the BAM Management Utility Configuration '
            'After a Backup and Restore"; "Update References to the BAM Primary '
            'Import Database Name and Connection String".',
        ),
    )
    return [packages, files]
