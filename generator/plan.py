"""Pure planning: which DR server gets what, and which artifacts to render where.

Every decision a script makes from the inventory is taken here, so templates only
print the plan. ``build_plan`` runs the domain rules first and raises
``PlanError`` with every located problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from generator.artifacts import ArtifactKind
from generator.catalogue import CATALOGUE as N
from generator.databases import (
    RegistryCheck,
    UpdateInfo,
    dr_database,
    reference_queries,
    registry_checks,
    secret_server_query,
    update_info,
)
from generator.errors import Diagnostic, PlanError
from generator.inventory import RawDocument
from generator.labfacts import RESULT_SCHEMA, ProbeItem, catalogue_sha256, probe_items
from generator.model import Database, DrServer, Inventory
from generator.rules import VERSIONS_WITH_GMSA, check_rules, dr_host_instances


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
class Timeouts:
    """How long a script waits for each thing, in seconds (every wait is bounded)."""

    # ENTSSO can take about three minutes to start (troubleshooting-enterprise-
    # single-sign-on.md); host instances depend on it.
    sso_start: int = 300
    service: int = 120
    host_start: int = 180
    wmi_restart: int = 120


HOST_TYPE_IN_PROCESS = 1  # MSBTS_HostInstance.HostType (technical reference)
HOST_TYPE_ISOLATED = 2


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
    def password_xpath(self) -> str:
        """XPath of an NTService's Password element; ``{0}`` is the NTService ID."""
        element = "xml:answers/"
        return (
            f"/{N[element + 'Configuration']}/{N[element + 'Feature']}"
            f"/{N[element + 'NTService']}[@{N['xml:answers@ID']}='{{0}}']"
            f"/{N[element + 'Password']}"
        )

    @property
    def ntservices(self) -> tuple[tuple[str, Account], ...]:
        """(NTService ID, account) pairs whose passwords are injected at run time."""
        pairs = [(N["answer:service/sso"], self.sso_account)]
        if self.rules_account is not None:
            pairs.append((N["answer:service/rules"], self.rules_account))
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
    # IIS application pools of the isolated hosts this server runs (role iis).
    app_pools: tuple[str, ...]
    # Registry values UpdateRegistry.vbs must have moved to DR on this server.
    registry_checks: tuple[RegistryCheck, ...]

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
            if s.name != N["svc:ENTSSO"] and s.name not in host_services
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
    product_version_prefix: str
    production_mgmt: Database
    dr_mgmt: Database
    production_sso: Database
    dr_sso: Database
    production_rules_server: str  # '' when the group has no Rules Engine
    production_mss: str
    master_secret_server: str
    update_databases_server: str
    update_info: UpdateInfo
    dr_sql_instances: tuple[str, ...]
    # Update-DrGroupDatabases.ps1: rows (label, value, form) that must name DR.
    reference_queries: tuple[str, ...]
    secret_server_query: str
    servers: tuple[ServerPlan, ...]
    timeouts: Timeouts = Timeouts()
    # Configuration.exe /NOPROGRESSBAR: observed in public scripts, undocumented.
    no_progress_bar: bool = False
    # Test-DrLabFacts.ps1: the catalogue facts a lab server of this version checks.
    lab_probes: tuple[ProbeItem, ...] = ()
    catalogue_sha256: str = ""

    @property
    def failover_after_master(self) -> tuple[str, ...]:
        """DR servers enabled after the master secret server, in inventory order."""
        return tuple(s.name for s in self.servers if not s.is_master_secret)


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


# Setup features a joined runtime server has; the answer file lists them, in order.
INSTALLED_FEATURES = (
    "WMI",
    "BizTalk",
    "Engine",
    "MOT",
    "MSMQ",
    "Runtime",
    "SSOAdmin",
    "SSOServer",
    "AdditionalApps",
)
# The BAM alerts service per version (gmsa-config.md; how-to-recover-bam-alerts.md).
BAM_ALERTS_SERVICE = {
    "2013R2": "svc:NS$BamAlerts",
    "2016": "svc:BAMAlerts",
    "2020": "svc:BAMAlerts",
}

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
    "site/Test-DrLabFacts.ps1.jinja",
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
                host_type=HOST_TYPE_IN_PROCESS if in_process else HOST_TYPE_ISOLATED,
                account=Account(host.account, host.gmsa),
                service=N["svc:BTSSvc"] + host.name if in_process else None,
                replaces=tuple(replaces.get(host.name.upper(), ())),
            )
        )
    rules = "rules_engine" in server.roles
    services = [ServicePlan(N["svc:ENTSSO"], "Enterprise Single Sign-On")]
    services += [
        ServicePlan(h.service, f"BizTalk host instance {h.host}")
        for h in instances
        if h.service
    ]
    if rules:
        services.append(
            ServicePlan(N["svc:RuleEngineUpdateService"], "Rule Engine Update Service")
        )
    if "bam_alerts" in server.roles:
        services.append(
            ServicePlan(
                N[BAM_ALERTS_SERVICE[inv.group.biztalk_version]],
                "BAM Alerts",
                # BAM alerts are configured with BAM tools, not by this answer file.
                optional=True,
            )
        )
    dbs = inv.group.databases
    accounts = inv.group.accounts
    answer = AnswerFile(
        gmsa_elements=inv.group.biztalk_version in VERSIONS_WITH_GMSA,
        sso_db=dbs.sso,
        management_db=dbs.management,
        sso_account=Account(accounts.sso_service),
        rules_db=dbs.rule_engine if rules else None,
        rules_account=(
            Account(accounts.rule_engine_service)
            if rules and accounts.rule_engine_service
            else None
        ),
        installed_features=tuple(
            N[f"answer:installed/{f}"]
            for f in (*INSTALLED_FEATURES, *(("RulesEngine",) if rules else ()))
        ),
    )
    app_pools: list[str] = []
    if "iis" in server.roles:
        for planned in instances:
            if not planned.in_process:
                app_pools += by_name[planned.host.upper()].app_pools
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
        app_pools=tuple(app_pools),
        registry_checks=registry_checks(inv, rules_engine=rules),
    )


def build_plan(inv: Inventory, doc: RawDocument, stem: str) -> Plan:
    """Check the domain rules and decide every artifact of this inventory."""
    diagnostics = check_rules(inv, doc)
    errors = tuple(d for d in diagnostics if d.severity == "error")
    if errors:
        raise PlanError(f"{doc.file}: invalid inventory", tuple(diagnostics))
    hosts = dr_host_instances(inv)
    servers = tuple(_server_plan(inv, s, hosts[s.name]) for s in inv.dr.servers)
    dbs = inv.group.databases
    version = inv.group.biztalk_version
    site = SitePlan(
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
        production_rules_server=dbs.rule_engine.server if dbs.rule_engine else "",
        production_mss=inv.group.sso.master_secret_server,
        master_secret_server=next(s.name for s in servers if s.is_master_secret),
        update_databases_server=next(
            s.name for s in servers if "update_databases" in s.roles
        ),
        update_info=update_info(inv),
        dr_sql_instances=tuple(sorted(set(inv.dr.sql.values()), key=str.upper)),
        reference_queries=reference_queries(inv),
        secret_server_query=secret_server_query(),
        servers=servers,
        lab_probes=probe_items(version),
        catalogue_sha256=catalogue_sha256(),
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
                {
                    "site": site,
                    "n": N,
                    "script": path.name.removesuffix(".ps1"),
                    "result_schema": RESULT_SCHEMA,
                },
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
                    {
                        "site": site,
                        "server": server,
                        "n": N,
                        "script": path.name.removesuffix(".ps1"),
                    },
                )
            )
    warnings = tuple(d for d in diagnostics if d.severity == "warning")
    return Plan(site, tuple(sorted(specs, key=lambda s: s.path)), warnings)
