"""Pure planning: which DR server gets what, and which artifacts to render where.

Every decision a script makes from the inventory is taken here, so templates only
print the plan. ``build_plan`` runs the domain rules first and raises
``PlanError`` with every located problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from generator import facts
from generator.artifacts import ArtifactKind
from generator.errors import Diagnostic, PlanError
from generator.inventory import RawDocument
from generator.model import Database, DrServer, Inventory
from generator.rules import check_rules, dr_host_instances


@dataclass(frozen=True, slots=True)
class Account:
    """A Windows account split the way the answer file wants it."""

    name: str
    gmsa: bool = False

    @property
    def domain(self) -> str:
        """The part before the backslash."""
        return self.name.split("\\", 1)[0]

    @property
    def user(self) -> str:
        """The part after the backslash."""
        return self.name.split("\\", 1)[1]


@dataclass(frozen=True, slots=True)
class DbMove:
    """One database's production location and its DR location."""

    label: str
    old_server: str
    old_name: str
    new_server: str
    new_name: str
    is_master: bool = False


@dataclass(frozen=True, slots=True)
class BamUnit:
    """A BAM ``DeploymentUnit`` of SampleUpdateInfo.xml."""

    name: str
    properties: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class UpdateInfo:
    """The content of UpdateInfo.xml (SampleUpdateInfo.xml form)."""

    messageboxes: tuple[DbMove, ...]
    tracking: DbMove
    management: DbMove
    bam_units: tuple[BamUnit, ...]
    other: tuple[DbMove, ...]


@dataclass(frozen=True, slots=True)
class HostInstancePlan:
    """A host instance this DR server gets, and the production servers it stands for."""

    host: str
    in_process: bool
    host_type: int
    account: Account
    service: str | None
    replaces: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ServicePlan:
    """A BizTalk-related Windows service on a DR server."""

    name: str
    purpose: str
    optional: bool = False


@dataclass(frozen=True, slots=True)
class AnswerFile:
    """What the Configuration Wizard answer file of one DR server says."""

    gmsa_elements: bool
    sso_db: Database
    management_db: Database
    sso_account: Account
    rules_db: Database | None
    rules_account: Account | None
    installed_features: tuple[str, ...]

    @property
    def ntservices(self) -> tuple[tuple[str, Account], ...]:
        """(NTService ID, account) pairs whose passwords are injected at run time."""
        pairs = [("ENTSSO", self.sso_account)]
        if self.rules_account is not None:
            pairs.append((facts.RULES_SERVICE_ID, self.rules_account))
        return tuple(pairs)


@dataclass(frozen=True, slots=True)
class ServerPlan:
    """Everything decided for one DR server."""

    name: str
    roles: tuple[str, ...]
    mirrors: tuple[str, ...]
    host_instances: tuple[HostInstancePlan, ...]
    services: tuple[ServicePlan, ...]  # in start order; stop order is the reverse
    answer_file: AnswerFile

    @property
    def is_master_secret(self) -> bool:
        """This server becomes the SSO master secret server at failover."""
        return "sso_master_secret" in self.roles

    @property
    def rules_engine(self) -> bool:
        """The Rules Engine (and its update service) is configured here."""
        return "rules_engine" in self.roles

    @property
    def prompt_accounts(self) -> tuple[Account, ...]:
        """Accounts whose password the prepare script asks for (no gMSA, no repeats)."""
        seen: dict[str, Account] = {}
        candidates = [a for _, a in self.answer_file.ntservices]
        candidates += [h.account for h in self.host_instances]
        for account in candidates:
            if not account.gmsa and account.name.upper() not in seen:
                seen[account.name.upper()] = account
        return tuple(seen.values())

    @property
    def role_services(self) -> tuple[str, ...]:
        """Services of this server's roles (not ENTSSO, not a host's), start order."""
        host_services = {h.service for h in self.host_instances}
        return tuple(
            s.name
            for s in self.services
            if s.name != facts.SSO_SERVICE and s.name not in host_services
        )

    @property
    def optional_services(self) -> tuple[str, ...]:
        """Services the answer file does not configure (BAM alerts): used if present."""
        return tuple(s.name for s in self.services if s.optional)

    @property
    def in_process_instances(self) -> tuple[HostInstancePlan, ...]:
        """Host instances that run as Windows services."""
        return tuple(h for h in self.host_instances if h.in_process)


@dataclass(frozen=True, slots=True)
class SitePlan:
    """Everything decided for the DR site as a whole."""

    stem: str
    group_name: str
    version: str
    site: str
    install_path: str
    gmsa_supported: bool
    production_mgmt: Database
    dr_mgmt: Database
    production_mss: str
    master_secret_server: str
    update_databases_server: str
    update_info: UpdateInfo
    dr_sql_instances: tuple[str, ...]
    servers: tuple[ServerPlan, ...]


@dataclass(frozen=True, slots=True)
class ArtifactSpec:
    """One file to render: its template, output path and context."""

    template: str
    path: PurePosixPath
    kind: ArtifactKind
    server: str | None
    context: Mapping[str, object] = field(hash=False)


@dataclass(frozen=True, slots=True)
class Plan:
    """The whole render plan for one inventory."""

    site: SitePlan
    artifacts: tuple[ArtifactSpec, ...]
    warnings: tuple[Diagnostic, ...]


SERVER_TEMPLATES = (
    "server/ConfigurationAnswers.xml.jinja",
    "server/Initialize-DrServer.ps1.jinja",
    "server/Test-DrServer.ps1.jinja",
    "server/Enable-DrServer.ps1.jinja",
    "server/Disable-DrServer.ps1.jinja",
)
SITE_TEMPLATES = (
    "site/Runbook.md.jinja",
    "site/UpdateInfo.xml.jinja",
    "site/SecretServer.xml.jinja",
    "site/Update-DrGroupDatabases.ps1.jinja",
)


def _dr_sql(inv: Inventory, server: str) -> str:
    mapping = {k.upper(): v for k, v in inv.dr.sql.items()}
    return mapping[server.upper()]


def _move(inv: Inventory, label: str, db: Database, *, master: bool = False) -> DbMove:
    return DbMove(label, db.server, db.name, _dr_sql(inv, db.server), db.name, master)


def _bam_units(inv: Inventory) -> tuple[BamUnit, ...]:
    bam = inv.group.databases.bam
    if bam is None:
        return ()

    def unit(
        name: str,
        db: Database,
        server_key: str = "ServerName",
        db_key: str = "DatabaseName",
        *,
        old: bool = False,
    ) -> BamUnit:
        server = db.server if old else _dr_sql(inv, db.server)
        return BamUnit(name, ((server_key, server), (db_key, db.name)))

    # OldPrimaryImportDatabase names the production location, the others the DR
    # one (facts §1.5). INFERENCE: the Alert unit points at the DR instance database.
    units = [
        unit("OldPrimaryImportDatabase", bam.primary_import, old=True),
        unit("PrimaryImportDatabase", bam.primary_import),
    ]
    if bam.archive:
        units.append(unit("ArchivingDatabase", bam.archive))
    if bam.analysis:
        units.append(unit("AnalysisDatabase", bam.analysis))
    if bam.star_schema:
        units.append(unit("StarSchemaDatabase", bam.star_schema))
    if bam.alerts_instance:
        units.append(
            unit("Alert", bam.alerts_instance, "DBServer", "InstanceDatabaseName")
        )
    return tuple(units)


def _update_info(inv: Inventory) -> UpdateInfo:
    dbs = inv.group.databases
    other = [_move(inv, facts.UPDATEINFO_SSO_LABEL, dbs.sso)]
    if dbs.rule_engine:
        other.append(_move(inv, facts.UPDATEINFO_RULE_ENGINE_LABEL, dbs.rule_engine))
    if dbs.bam and dbs.bam.alerts_application:
        other.append(
            _move(
                inv, facts.UPDATEINFO_BAM_ALERTS_APP_LABEL, dbs.bam.alerts_application
            )
        )
    if dbs.bam and dbs.bam.alerts_instance:
        other.append(
            _move(
                inv, facts.UPDATEINFO_BAM_ALERTS_INSTANCE_LABEL, dbs.bam.alerts_instance
            )
        )
    other += [_move(inv, o.label, o) for o in dbs.other]
    return UpdateInfo(
        messageboxes=tuple(
            _move(inv, "MessageBox", m, master=m.master) for m in dbs.messageboxes
        ),
        tracking=_move(inv, "Tracking", dbs.tracking),
        management=_move(inv, "Management", dbs.management),
        bam_units=_bam_units(inv),
        other=tuple(other),
    )


def _server_plan(
    inv: Inventory, server: DrServer, hosts: tuple[str, ...]
) -> ServerPlan:
    by_name = {h.name.upper(): h for h in inv.group.hosts}
    production = {p.name.upper(): p for p in inv.production.servers}
    replaces: dict[str, list[str]] = {}
    # Production order, not mirror order, so the plan reads like the inventory.
    mirrored = sorted(
        (production[m.upper()] for m in server.mirrors if m.upper() in production),
        key=inv.production.servers.index,
    )
    for prod in mirrored:
        for instance in prod.host_instances:
            replaces.setdefault(instance.upper(), []).append(prod.name)
    instances = []
    for host_name in hosts:
        host = by_name[host_name.upper()]
        in_process = host.type == "in-process"
        instances.append(
            HostInstancePlan(
                host=host.name,
                in_process=in_process,
                host_type=facts.HOST_TYPE_IN_PROCESS
                if in_process
                else facts.HOST_TYPE_ISOLATED,
                account=Account(host.account, host.gmsa),
                service=facts.host_service_name(host.name) if in_process else None,
                replaces=tuple(replaces.get(host.name.upper(), ())),
            )
        )
    rules = "rules_engine" in server.roles
    services = [ServicePlan(facts.SSO_SERVICE, "Enterprise Single Sign-On")]
    services += [
        ServicePlan(h.service, f"BizTalk host instance {h.host}")
        for h in instances
        if h.service
    ]
    if rules:
        services.append(
            ServicePlan(facts.RULE_ENGINE_SERVICE, "Rule Engine Update Service")
        )
    if "bam_alerts" in server.roles:
        services.append(
            ServicePlan(
                facts.BAM_ALERTS_SERVICE[inv.group.biztalk_version],
                "BAM Alerts",
                # BAM alerts are configured with BAM tools, not by this answer file.
                optional=True,
            )
        )
    dbs = inv.group.databases
    accounts = inv.group.accounts
    answer = AnswerFile(
        gmsa_elements=inv.group.biztalk_version in facts.VERSIONS_WITH_GMSA,
        sso_db=dbs.sso,
        management_db=dbs.management,
        sso_account=Account(accounts.sso_service),
        rules_db=dbs.rule_engine if rules else None,
        rules_account=(
            Account(accounts.rule_engine_service)
            if rules and accounts.rule_engine_service
            else None
        ),
        installed_features=facts.INSTALLED_FEATURES_BASE
        + (facts.INSTALLED_FEATURES_RULES if rules else ()),
    )
    return ServerPlan(
        name=server.name,
        roles=tuple(
            r
            for r in (
                "sso_master_secret",
                "update_databases",
                "rules_engine",
                "iis",
                "bam_alerts",
            )
            if r in server.roles
        ),
        mirrors=server.mirrors,
        host_instances=tuple(instances),
        services=tuple(services),
        answer_file=answer,
    )


def build_plan(inv: Inventory, doc: RawDocument, stem: str) -> Plan:
    """Check the domain rules and decide every artifact of this inventory."""
    diagnostics = check_rules(inv, doc)
    errors = tuple(d for d in diagnostics if d.severity == "error")
    if errors:
        raise PlanError(f"{doc.file}: invalid inventory", tuple(diagnostics))
    hosts = dr_host_instances(inv)
    servers = tuple(_server_plan(inv, s, hosts[s.name]) for s in inv.dr.servers)
    mgmt = inv.group.databases.management
    site = SitePlan(
        stem=stem,
        group_name=inv.group.name,
        version=inv.group.biztalk_version,
        site=inv.dr.site,
        install_path=facts.DEFAULT_INSTALL_PATH[inv.group.biztalk_version],
        gmsa_supported=inv.group.biztalk_version in facts.VERSIONS_WITH_GMSA,
        production_mgmt=mgmt,
        dr_mgmt=Database(server=_dr_sql(inv, mgmt.server), name=mgmt.name),
        production_mss=inv.group.sso.master_secret_server,
        master_secret_server=next(s.name for s in servers if s.is_master_secret),
        update_databases_server=next(
            s.name for s in servers if "update_databases" in s.roles
        ),
        update_info=_update_info(inv),
        dr_sql_instances=tuple(sorted(set(inv.dr.sql.values()), key=str.upper)),
        servers=servers,
    )
    root = PurePosixPath(stem, inv.dr.site)
    specs: list[ArtifactSpec] = []
    for template in SITE_TEMPLATES:
        path = root / PurePosixPath(template).name.removesuffix(".jinja")
        specs.append(
            ArtifactSpec(
                template,
                path,
                ArtifactKind.for_path(path),
                None,
                {"site": site, "facts": facts},
            )
        )
    for server in servers:
        for template in SERVER_TEMPLATES:
            path = (
                root / server.name / PurePosixPath(template).name.removesuffix(".jinja")
            )
            specs.append(
                ArtifactSpec(
                    template,
                    path,
                    ArtifactKind.for_path(path),
                    server.name,
                    {"site": site, "server": server, "facts": facts},
                )
            )
    warnings = tuple(d for d in diagnostics if d.severity == "warning")
    return Plan(site, tuple(sorted(specs, key=lambda s: s.path)), warnings)
