"""Pure planning: what the DR site should be, decided once from one inventory.

Every decision an output shows is taken here or in a module this one owns:
``servers`` (what each DR server gets), ``databases`` (what the reference
updates must change), ``mapping`` (where each host instance goes and the load
each DR server takes) and ``artifacts`` (which file gets which context).
Templates and reports only print the resulting ``Plan``. ``build_plan`` runs the
domain rules first and raises ``PlanError`` with every located problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from generator.catalogue import CATALOGUE as N
from generator.errors import Diagnostic, PlanError
from generator.inventory.load import RawDocument
from generator.inventory.model import Database, Inventory, model_sha256
from generator.plan.artifacts import ArtifactSpec, plan_artifacts
from generator.plan.databases import (
    dr_database,
    reference_queries,
    update_info,
)
from generator.plan.labprobe import probe_items
from generator.plan.mapping import (
    Capacity,
    MappingRow,
    capacity,
    dr_host_instances,
    host_mapping,
)
from generator.plan.rules import check_rules
from generator.plan.servers import build_server_plans
from generator.plan.siteplan import SitePlan


@dataclass(frozen=True, slots=True)
class RoleRow:
    """A DR server's roles as the inventory lists them (for ``drgen plan``)."""

    server: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NotMirrored:
    """A production server no DR server takes over, and why."""

    server: str
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    """The whole plan for one inventory: what the DR site should be, and its files."""

    inventory_file: str  # as the user named it, for messages
    inventory_sha256: str
    site: SitePlan
    mapping: tuple[MappingRow, ...]
    capacity: Capacity
    roles: tuple[RoleRow, ...]
    not_mirrored: tuple[NotMirrored, ...]
    artifacts: tuple[ArtifactSpec, ...]
    warnings: tuple[Diagnostic, ...]

    @property
    def inventory_name(self) -> str:
        """The inventory's file name, as the manifest records it."""
        return PurePath(self.inventory_file).name


def _production_sql_instances(inv: Inventory) -> tuple[str, ...]:
    """The SQL instances of every production database (not BAM Analysis), sorted."""
    dbs = inv.group.databases
    found: list[Database | None] = [
        dbs.management,
        dbs.sso,
        *dbs.messageboxes,
        dbs.tracking,
        dbs.rule_engine,
        *dbs.other,
    ]
    if dbs.bam is not None:
        bam = dbs.bam
        found += [
            bam.primary_import,
            bam.archive,
            bam.star_schema,
            bam.alerts_application,
            bam.alerts_instance,
        ]
    servers = {db.server.upper(): db.server for db in found if db is not None}
    return tuple(servers[key] for key in sorted(servers))


def _site_plan(
    inv: Inventory,
    stem: str,
    hosts: dict[str, tuple[str, ...]],
    inventory_sha256: str = "",
) -> SitePlan:
    servers = build_server_plans(inv, hosts)
    dbs = inv.group.databases
    version = inv.group.biztalk_version
    bam = dbs.bam

    def at_dr(db: Database | None) -> Database | None:
        return None if db is None else dr_database(inv, db)

    return SitePlan(
        stem=stem,
        group_name=inv.group.name,
        version=version,
        site=inv.dr.site,
        install_path=N[f"folder:install/{version}"],
        product_version_prefix=N[f"ver:{version}"],
        production_mgmt=dbs.management,
        dr_mgmt=dr_database(inv, dbs.management),
        production_sso=dbs.sso,
        dr_sso=dr_database(inv, dbs.sso),
        master_secret_server=next(s.name for s in servers if s.is_master_secret),
        update_databases_server=next(
            s.name for s in servers if "update_databases" in s.roles
        ),
        update_info=update_info(inv),
        dr_sql_instances=tuple(sorted(set(inv.dr.sql.values()), key=str.upper)),
        reference_queries=reference_queries(inv),
        servers=servers,
        lab_probes=probe_items(version),
        production_servers=tuple(p.name for p in inv.production.servers),
        production_sql_instances=_production_sql_instances(inv),
        production_master_secret_server=inv.group.sso.master_secret_server,
        dr_bam_primary_import=at_dr(bam.primary_import) if bam else None,
        dr_bam_analysis=at_dr(bam.analysis) if bam else None,
        dr_bam_sql_copies=tuple(
            dr_database(inv, db)
            for db in ((bam.archive, bam.star_schema) if bam else ())
            if db is not None
        ),
        inventory_sha256=inventory_sha256,
    )


def build_plan(inv: Inventory, doc: RawDocument, stem: str) -> Plan:
    """Check the domain rules and decide everything the outputs of ``inv`` show."""
    diagnostics = check_rules(inv, doc)
    if any(d.severity == "error" for d in diagnostics):
        raise PlanError(f"{doc.file}: invalid inventory", tuple(diagnostics))
    hosts = dr_host_instances(inv)
    meaning = model_sha256(inv)
    site = _site_plan(inv, stem, hosts, meaning)
    return Plan(
        inventory_file=doc.file,
        inventory_sha256=meaning,
        site=site,
        mapping=host_mapping(inv, hosts),
        capacity=capacity(inv, hosts),
        roles=tuple(RoleRow(s.name, tuple(s.roles)) for s in inv.dr.servers),
        not_mirrored=tuple(
            NotMirrored(e.server, e.reason) for e in inv.dr.not_mirrored
        ),
        artifacts=plan_artifacts(site),
        warnings=tuple(d for d in diagnostics if d.severity == "warning"),
    )
