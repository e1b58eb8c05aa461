"""What one DR server gets: host instances, services, answer file, checks.

``build_server_plans`` takes every per-server decision the scripts print; the
templates read the resulting ``ServerPlan`` and decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.catalogue import CATALOGUE as N
from generator.inventory.model import (
    VERSIONS_WITH_GMSA,
    Database,
    DrServer,
    Host,
    Inventory,
    ProductionServer,
)
from generator.plan.databases import RegistryCheck, registry_checks


@dataclass(frozen=True, slots=True)
class Account:
    """A Windows account split the way the answer file wants it."""

    name: str
    gmsa: bool = False

    @property
    def gmsa_text(self) -> str:
        """IsGmsaAccount as the answer file writes it ('true' or 'false')."""
        return "true" if self.gmsa else "false"

    @property
    def domain(self) -> str:
        """The part before the backslash."""
        return self.name.split("\\", 1)[0]

    @property
    def user(self) -> str:
        """The part after the backslash."""
        return self.name.split("\\", 1)[1]


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

    @property
    def service_name(self) -> str:
        """The Windows service, or '' for an isolated host (it runs in IIS)."""
        return self.service or ""


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
    def rules_feature(self) -> bool:
        """The answer file configures the Rules Engine (database and its service)."""
        return self.rules_db is not None and self.rules_account is not None

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
        """(NTService ID, account) pairs whose passwords are injected at run time.

        A gMSA has no password: the wizard disables the password when
        IsGmsaAccount is set (gmsa-config.md), so none is asked for or injected.
        """
        pairs = [(N["answer:service/sso"], self.sso_account)]
        if self.rules_account is not None:
            pairs.append((N["answer:service/rules"], self.rules_account))
        return tuple((key, account) for key, account in pairs if not account.gmsa)


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
    def host_names(self) -> tuple[str, ...]:
        """The hosts this server runs an instance of, in plan order."""
        return tuple(h.host for h in self.host_instances)

    @property
    def in_process_instances(self) -> tuple[HostInstancePlan, ...]:
        """Host instances that run as Windows services."""
        return tuple(h for h in self.host_instances if h.in_process)


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


@dataclass(frozen=True, slots=True)
class _Index:
    """Lookups every DR server's plan uses, built once per inventory."""

    hosts: dict[str, Host]  # by upper-case name
    production: dict[str, ProductionServer]  # by upper-case name
    order: dict[str, int]  # production server (upper-case) -> inventory position


def build_server_plans(
    inv: Inventory, hosts: dict[str, tuple[str, ...]]
) -> tuple[ServerPlan, ...]:
    """Every DR server's plan, in inventory order; ``hosts``: its host instances."""
    index = _Index(
        {h.name.upper(): h for h in inv.group.hosts},
        {p.name.upper(): p for p in inv.production.servers},
        {p.name.upper(): i for i, p in enumerate(inv.production.servers)},
    )
    return tuple(_server_plan(inv, s, hosts[s.name], index) for s in inv.dr.servers)


def _server_plan(
    inv: Inventory, server: DrServer, hosts: tuple[str, ...], index: _Index
) -> ServerPlan:
    """Every decision about one DR server, from the inventory and its instances."""
    by_name = index.hosts
    production = index.production
    replaces: dict[str, list[str]] = {}
    # Production order, not mirror order, so the plan reads like the inventory.
    mirrored = sorted(
        (production[m.upper()] for m in server.mirrors if m.upper() in production),
        key=lambda p: index.order[p.name.upper()],
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
                account=Account(host.account, host.is_gmsa),
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
            Account(accounts.rule_engine_service, accounts.rule_engine_is_gmsa)
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
                app_pools += by_name[planned.host.upper()].pools
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
