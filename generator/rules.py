"""Domain rules over a validated inventory: cross-references, roles, capacity.

Each rule yields located diagnostics with a stable code; ``check_rules`` collects
them all so an admin sees every problem at once. ``capacity`` is the load table
that both the capacity warning and ``drgen plan`` use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from generator.databases import RESERVED_BACKUP_NAMES
from generator.errors import Diagnostic
from generator.inventory import Path_, RawDocument
from generator.model import Inventory

# gmsa-config.md: "BizTalk Server 2020 and newer supports Group Managed Service
# Accounts"; 2020 answer files also carry IsGmsaAccount in NTService elements.
VERSIONS_WITH_GMSA = frozenset({"2020"})


def _error(
    doc: RawDocument, path: Path_, code: str, message: str, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(doc.locate(path), code, message, hint)


def _warning(
    doc: RawDocument, path: Path_, code: str, message: str, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(doc.locate(path), code, message, hint, severity="warning")


def dr_host_instances(inv: Inventory) -> dict[str, tuple[str, ...]]:
    """DR server -> host names it runs: its own list, else the union of its mirrors."""
    by_prod = {s.name.upper(): s.host_instances for s in inv.production.servers}
    result: dict[str, tuple[str, ...]] = {}
    for server in inv.dr.servers:
        if server.host_instances is not None:
            result[server.name] = tuple(server.host_instances)
            continue
        names: list[str] = []
        for prod in server.mirrors:
            for host in by_prod.get(prod.upper(), ()):
                if host not in names:
                    names.append(host)
        result[server.name] = tuple(names)
    return result


def _unique_names(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Hosts and servers are unique; DR names are not production names."""
    seen: dict[str, str] = {}
    for index, host in enumerate(inv.group.hosts):
        if host.name.upper() in seen:
            yield _error(
                doc,
                ("group", "hosts", index, "name"),
                "duplicate-host",
                f"host '{host.name}' is defined twice",
            )
        seen[host.name.upper()] = host.name
    prod = Counter(s.name.upper() for s in inv.production.servers)
    for index, server in enumerate(inv.production.servers):
        if prod[server.name.upper()] > 1:
            yield _error(
                doc,
                ("production", "servers", index, "name"),
                "duplicate-server",
                f"production server '{server.name}' is listed twice",
            )
    production_computers = {*prod, inv.group.sso.master_secret_server.upper()}
    dr = Counter(s.name.upper() for s in inv.dr.servers)
    for index, dr_server in enumerate(inv.dr.servers):
        if dr[dr_server.name.upper()] > 1:
            yield _error(
                doc,
                ("dr", "servers", index, "name"),
                "duplicate-server",
                f"DR server '{dr_server.name}' is listed twice",
            )
        if dr_server.name.upper() in production_computers:
            yield _error(
                doc,
                ("dr", "servers", index, "name"),
                "dr-name-is-production",
                f"DR server '{dr_server.name}' has the name of a production computer",
                hint="DR servers join the production group: names must differ",
            )


def _instances(
    doc: RawDocument,
    hosts: set[str],
    names: tuple[str, ...],
    path: Path_,
    server: str,
) -> Iterator[Diagnostic]:
    """Host instances name defined hosts, each at most once per server."""
    for j, name in enumerate(names):
        if name.upper() not in hosts:
            yield _error(
                doc,
                (*path, j),
                "unknown-host",
                f"host '{name}' is not defined in group.hosts",
            )
    for j, name in enumerate(names):
        if name.upper() in {n.upper() for n in names[:j]}:
            yield _error(
                doc,
                (*path, j),
                "duplicate-instance",
                f"host '{name}' has more than one instance on '{server}'",
                hint="BizTalk allows one instance of a host per server",
            )


def _references(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Host instances and mirrors name things that exist."""
    hosts = {h.name.upper() for h in inv.group.hosts}
    prod = {s.name.upper() for s in inv.production.servers}
    for index, server in enumerate(inv.production.servers):
        yield from _instances(
            doc,
            hosts,
            server.host_instances,
            ("production", "servers", index, "host_instances"),
            server.name,
        )
    for index, dr_server in enumerate(inv.dr.servers):
        for j, name in enumerate(dr_server.mirrors):
            if name.upper() not in prod:
                yield _error(
                    doc,
                    ("dr", "servers", index, "mirrors", j),
                    "unknown-server",
                    f"'{name}' is not a production server",
                )
        yield from _instances(
            doc,
            hosts,
            dr_server.host_instances or (),
            ("dr", "servers", index, "host_instances"),
            dr_server.name,
        )


def _mirroring(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """A production server is mirrored by one DR server, or declared not mirrored."""
    prod = {s.name.upper() for s in inv.production.servers}
    mirrored: Counter[str] = Counter(
        name for s in inv.dr.servers for name in {m.upper() for m in s.mirrors}
    )
    declared: dict[str, int] = {}
    for index, entry in enumerate(inv.dr.not_mirrored):
        path: Path_ = ("dr", "not_mirrored", index, "server")
        key = entry.server.upper()
        if key not in prod:
            yield _error(
                doc,
                path,
                "unknown-server",
                f"'{entry.server}' is not a production server",
            )
        elif key in declared:
            yield _error(
                doc,
                path,
                "duplicate-server",
                f"'{entry.server}' is listed twice in dr.not_mirrored",
            )
        elif mirrored[key]:
            yield _error(
                doc,
                path,
                "mirrored-and-not-mirrored",
                f"'{entry.server}' is listed in dr.not_mirrored but a DR server "
                "mirrors it",
                hint="remove it from dr.not_mirrored or from the mirrors list",
            )
        declared.setdefault(key, index)
    for index, dr_server in enumerate(inv.dr.servers):
        for j, name in enumerate(dr_server.mirrors):
            if name.upper() in {m.upper() for m in dr_server.mirrors[:j]}:
                yield _error(
                    doc,
                    ("dr", "servers", index, "mirrors", j),
                    "duplicate-mirror",
                    f"'{dr_server.name}' lists '{name}' twice in mirrors",
                )
    for index, server in enumerate(inv.production.servers):
        count = mirrored[server.name.upper()]
        if count == 0 and server.name.upper() not in declared:
            yield _error(
                doc,
                ("production", "servers", index, "name"),
                "not-mirrored",
                f"production server '{server.name}' is not mirrored by any DR server",
                hint="add it to the mirrors of one DR server, or list it under "
                "dr.not_mirrored with a reason",
            )
        elif count > 1:
            yield _error(
                doc,
                ("production", "servers", index, "name"),
                "mirrored-twice",
                f"production server '{server.name}' is mirrored by {count} DR servers",
                hint="each production server is mirrored by exactly one DR server",
            )


def _coverage(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Every host that runs in production has an instance on the DR site."""
    on_dr = {h.upper() for names in dr_host_instances(inv).values() for h in names}
    used = {h.upper() for s in inv.production.servers for h in s.host_instances}
    for index, host in enumerate(inv.group.hosts):
        if host.name.upper() in used and host.name.upper() not in on_dr:
            yield _error(
                doc,
                ("group", "hosts", index, "name"),
                "host-not-on-dr",
                f"host '{host.name}' has no instance on any DR server",
                hint="mirror a production server that runs it, or add it to the "
                "host_instances of a DR server",
            )


def _roles(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Role counts and what each role needs."""
    for role in ("sso_master_secret", "update_databases"):
        owners = [i for i, s in enumerate(inv.dr.servers) if role in s.roles]
        if len(owners) != 1:
            path: Path_ = (
                ("dr", "servers", owners[1], "roles")
                if owners[1:]
                else ("dr", "servers")
            )
            yield _error(
                doc,
                path,
                "role-count",
                f"exactly one DR server must have the role '{role}' "
                f"(found {len(owners)})",
            )
    isolated = {h.name.upper() for h in inv.group.hosts if h.type == "isolated"}
    instances = dr_host_instances(inv)
    for index, server in enumerate(inv.dr.servers):
        roles_path: Path_ = ("dr", "servers", index, "roles")
        for j, role in enumerate(server.roles):
            if role in server.roles[:j]:
                yield _error(
                    doc,
                    (*roles_path, j),
                    "duplicate-role",
                    f"'{server.name}' lists the role '{role}' twice",
                )
        if "rules_engine" in server.roles and inv.group.databases.rule_engine is None:
            yield _error(
                doc,
                roles_path,
                "rules-without-db",
                "role 'rules_engine' needs group.databases.rule_engine",
                hint="the Rules Engine is configured only where its database exists",
            )
        if (
            "rules_engine" in server.roles
            and inv.group.accounts.rule_engine_service is None
        ):
            yield _error(
                doc,
                roles_path,
                "rules-without-account",
                "role 'rules_engine' needs group.accounts.rule_engine_service",
            )
        if "bam_alerts" in server.roles and inv.group.databases.bam is None:
            yield _error(
                doc,
                roles_path,
                "bam-without-db",
                "role 'bam_alerts' needs group.databases.bam",
            )
        hosted_isolated = [
            h for h in instances.get(server.name, ()) if h.upper() in isolated
        ]
        if hosted_isolated and "iis" not in server.roles:
            yield _error(
                doc,
                ("dr", "servers", index, "name"),
                "isolated-without-iis",
                f"DR server '{server.name}' gets isolated host "
                f"'{hosted_isolated[0]}' but has no 'iis' role",
                hint="isolated hosts run in IIS: add 'iis' to its roles",
            )


def _app_pools(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Isolated hosts name their IIS application pools; in-process hosts have none."""
    for index, host in enumerate(inv.group.hosts):
        path: Path_ = ("group", "hosts", index)
        if host.type == "isolated" and not host.app_pools:
            yield _error(
                doc,
                (*path, "name"),
                "isolated-without-app-pools",
                f"isolated host '{host.name}' names no IIS application pool",
                hint="add app_pools: [...] with the pools that run its receive "
                "locations; the DR scripts keep them stopped until failover",
            )
        if host.type == "in-process" and host.app_pools:
            yield _error(
                doc,
                (*path, "app_pools"),
                "app-pools-on-in-process",
                f"in-process host '{host.name}' runs as a Windows service, not in "
                "an IIS application pool",
                hint="remove app_pools, or set type: isolated",
            )
        seen: set[str] = set()
        for j, pool in enumerate(host.app_pools):
            if pool.upper() in seen:
                yield _error(
                    doc,
                    (*path, "app_pools", j),
                    "duplicate-app-pool",
                    f"host '{host.name}' lists application pool '{pool}' twice",
                )
            seen.add(pool.upper())


def _backup_names(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Each custom database has its own Backup job name, not one BizTalk uses."""
    seen: dict[str, int] = {}
    for index, other in enumerate(inv.group.databases.other):
        path: Path_ = ("group", "databases", "other", index, "backup_name")
        key = other.backup_name.upper()
        if key in seen:
            yield _error(
                doc,
                path,
                "duplicate-backup-name",
                f"backup_name '{other.backup_name}' is used by two databases",
                hint="UpdateDatabase.vbs updates the one row registered under this "
                "name; each database is registered under its own",
            )
        seen[key] = index
        if key in RESERVED_BACKUP_NAMES:
            yield _error(
                doc,
                path,
                "reserved-backup-name",
                f"backup_name '{other.backup_name}' is the name BizTalk itself "
                "registers; drgen writes that entry from the group's own databases",
                hint="list only databases you added to the Backup BizTalk Server job",
            )


def _accounts(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """gMSA only on BizTalk 2020, named with '$'; never for Enterprise SSO."""
    if inv.group.biztalk_version not in VERSIONS_WITH_GMSA:
        for index, host in enumerate(inv.group.hosts):
            if host.gmsa:
                yield _error(
                    doc,
                    ("group", "hosts", index, "gmsa"),
                    "gmsa-unsupported",
                    f"gMSA accounts need BizTalk Server 2020 "
                    f"(group is {inv.group.biztalk_version})",
                )
    for index, host in enumerate(inv.group.hosts):
        if host.gmsa and not host.account.endswith("$"):
            yield _error(
                doc,
                ("group", "hosts", index, "account"),
                "gmsa-name",
                f"gMSA account '{host.account}' must end with '$'",
            )
    if inv.group.accounts.sso_service.endswith("$"):
        yield _error(
            doc,
            ("group", "accounts", "sso_service"),
            "sso-gmsa",
            f"'{inv.group.accounts.sso_service}' looks like a gMSA; Enterprise SSO "
            "does not support gMSA accounts",
            hint="use a domain user account for the ENTSSO service",
        )


def database_servers(inv: Inventory) -> list[tuple[Path_, str]]:
    """Every (position path, SQL instance) that a production database names."""
    dbs = inv.group.databases
    found: list[tuple[Path_, str]] = [
        (("group", "databases", "management", "server"), dbs.management.server),
        (("group", "databases", "sso", "server"), dbs.sso.server),
        (("group", "databases", "tracking", "server"), dbs.tracking.server),
    ]
    found += [
        (("group", "databases", "messageboxes", i, "server"), m.server)
        for i, m in enumerate(dbs.messageboxes)
    ]
    if dbs.rule_engine:
        found.append(
            (("group", "databases", "rule_engine", "server"), dbs.rule_engine.server)
        )
    if dbs.bam:
        for field in type(dbs.bam).model_fields:
            db = getattr(dbs.bam, field)
            if db is not None:
                found.append(
                    (("group", "databases", "bam", field, "server"), db.server)
                )
    found += [
        (("group", "databases", "other", i, "server"), o.server)
        for i, o in enumerate(dbs.other)
    ]
    return found


def _sql_mapping(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Every production SQL instance maps to a DR instance that is not production."""
    mapped = {k.upper() for k in inv.dr.sql}
    production = {server.upper() for _, server in database_servers(inv)} | mapped
    for path, server in database_servers(inv):
        if server.upper() not in mapped:
            yield _error(
                doc,
                path,
                "sql-not-mapped",
                f"SQL instance '{server}' has no DR mapping in dr.sql",
                hint=f"add '{server}: <DR instance>' under dr.sql",
            )
    for source, target in inv.dr.sql.items():
        if target.upper() in production:
            yield _error(
                doc,
                ("dr", "sql", source),
                "dr-sql-is-production",
                f"'{source}' maps to '{target}', a production SQL instance",
                hint="dr.sql maps each production instance to the DR instance "
                "its databases are restored to",
            )


def _messageboxes(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Exactly one master MessageBox."""
    masters = [i for i, m in enumerate(inv.group.databases.messageboxes) if m.master]
    if len(masters) != 1:
        yield _error(
            doc,
            ("group", "databases", "messageboxes"),
            "master-messagebox",
            f"exactly one MessageBox must have master: true (found {len(masters)})",
        )


@dataclass(frozen=True, slots=True)
class CapacityRow:
    """The load one DR server takes over at failover."""

    index: int
    server: str
    mirrors: tuple[str, ...]
    load: int  # host instances of the production servers it takes over (or its own)
    runs: int  # host instances it runs itself
    ratio: float | None  # load / busiest production server; None when that is 0
    over: bool


@dataclass(frozen=True, slots=True)
class Capacity:
    """Per DR server load against the busiest production server."""

    busiest_server: str
    busiest_load: int
    warning_ratio: float
    rows: tuple[CapacityRow, ...]
    dr_servers: int
    production_servers: int


def capacity(inv: Inventory) -> Capacity:
    """The capacity table: what each DR server takes over, and how that compares."""
    by_prod = {s.name.upper(): len(s.host_instances) for s in inv.production.servers}
    busiest = max(inv.production.servers, key=lambda s: len(s.host_instances))
    peak = len(busiest.host_instances)
    limit = inv.dr.capacity_warning_ratio
    instances = dr_host_instances(inv)
    rows = []
    for index, server in enumerate(inv.dr.servers):
        taken = sum(by_prod.get(m.upper(), 0) for m in dict.fromkeys(server.mirrors))
        runs = len(instances.get(server.name, ()))
        load = max(taken, runs)
        ratio = load / peak if peak else None
        rows.append(
            CapacityRow(
                index,
                server.name,
                server.mirrors,
                load,
                runs,
                ratio,
                ratio is not None and ratio > limit,
            )
        )
    return Capacity(
        busiest.name,
        peak,
        limit,
        tuple(rows),
        len(inv.dr.servers),
        len(inv.production.servers),
    )


def _capacity(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Warn when a DR server takes over too much, or the DR site is smaller."""
    table = capacity(inv)
    for row in table.rows:
        if row.over and row.ratio is not None:
            yield _warning(
                doc,
                ("dr", "servers", row.index, "name"),
                "capacity",
                f"DR server '{row.server}' takes over {row.load} host instances, "
                f"{row.ratio:.2f} times the busiest production server "
                f"('{table.busiest_server}', {table.busiest_load})",
                hint=f"the warning threshold is dr.capacity_warning_ratio "
                f"({table.warning_ratio:g}); the seed warns against overloading "
                "a smaller DR site",
            )
    if table.dr_servers < table.production_servers:
        yield _warning(
            doc,
            ("dr", "servers"),
            "smaller-dr-site",
            f"the DR site has {table.dr_servers} runtime servers for "
            f"{table.production_servers} in production",
            hint="check the DR servers can carry the production load",
        )


RULES = (
    _unique_names,
    _references,
    _mirroring,
    _coverage,
    _roles,
    _accounts,
    _app_pools,
    _backup_names,
    _sql_mapping,
    _messageboxes,
    _capacity,
)

# Every code a rule can report, for documentation and tests.
RULE_CODES = (
    "duplicate-host",
    "duplicate-server",
    "dr-name-is-production",
    "unknown-host",
    "duplicate-instance",
    "unknown-server",
    "mirrored-and-not-mirrored",
    "duplicate-mirror",
    "not-mirrored",
    "mirrored-twice",
    "host-not-on-dr",
    "role-count",
    "duplicate-role",
    "rules-without-db",
    "rules-without-account",
    "bam-without-db",
    "isolated-without-iis",
    "isolated-without-app-pools",
    "app-pools-on-in-process",
    "duplicate-app-pool",
    "duplicate-backup-name",
    "reserved-backup-name",
    "gmsa-unsupported",
    "gmsa-name",
    "sso-gmsa",
    "sql-not-mapped",
    "dr-sql-is-production",
    "master-messagebox",
    "capacity",
    "smaller-dr-site",
)


def check_rules(inv: Inventory, doc: RawDocument) -> list[Diagnostic]:
    """Run every rule; errors and warnings together, sorted."""
    found = [d for rule in RULES for d in rule(inv, doc)]
    return sorted(found, key=Diagnostic.sort_key)
