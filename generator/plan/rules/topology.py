"""Rules about servers and hosts: names, mirrors, coverage, roles, accounts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from generator.errors import Diagnostic
from generator.inventory.load import Path_, RawDocument
from generator.inventory.model import VERSIONS_WITH_GMSA, Inventory, is_gmsa_account
from generator.plan.mapping import dr_host_instances
from generator.plan.rules.common import error, warning


def _unique_names(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Hosts and servers are unique; DR names are not production names."""
    seen: dict[str, str] = {}
    for index, host in enumerate(inv.group.hosts):
        if host.name.upper() in seen:
            yield error(
                doc,
                ("group", "hosts", index, "name"),
                "duplicate-host",
                f"host '{host.name}' is defined twice",
            )
        seen[host.name.upper()] = host.name
    prod = Counter(s.name.upper() for s in inv.production.servers)
    for index, server in enumerate(inv.production.servers):
        if prod[server.name.upper()] > 1:
            yield error(
                doc,
                ("production", "servers", index, "name"),
                "duplicate-server",
                f"production server '{server.name}' is listed twice",
            )
    production_computers = {*prod, inv.group.sso.master_secret_server.upper()}
    dr = Counter(s.name.upper() for s in inv.dr.servers)
    for index, dr_server in enumerate(inv.dr.servers):
        if dr[dr_server.name.upper()] > 1:
            yield error(
                doc,
                ("dr", "servers", index, "name"),
                "duplicate-server",
                f"DR server '{dr_server.name}' is listed twice",
            )
        if dr_server.name.upper() in production_computers:
            yield error(
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
            yield error(
                doc,
                (*path, j),
                "unknown-host",
                f"host '{name}' is not defined in group.hosts",
            )
    for j, name in enumerate(names):
        if name.upper() in {n.upper() for n in names[:j]}:
            yield error(
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
                yield error(
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
            yield error(
                doc,
                path,
                "unknown-server",
                f"'{entry.server}' is not a production server",
            )
        elif key in declared:
            yield error(
                doc,
                path,
                "duplicate-server",
                f"'{entry.server}' is listed twice in dr.not_mirrored",
            )
        elif mirrored[key]:
            yield error(
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
                yield error(
                    doc,
                    ("dr", "servers", index, "mirrors", j),
                    "duplicate-mirror",
                    f"'{dr_server.name}' lists '{name}' twice in mirrors",
                )
    for index, server in enumerate(inv.production.servers):
        count = mirrored[server.name.upper()]
        if count == 0 and server.name.upper() not in declared:
            yield error(
                doc,
                ("production", "servers", index, "name"),
                "not-mirrored",
                f"production server '{server.name}' is not mirrored by any DR server",
                hint="add it to the mirrors of one DR server, or list it under "
                "dr.not_mirrored with a reason",
            )
        elif count > 1:
            yield error(
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
            yield error(
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
            yield error(
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
                yield error(
                    doc,
                    (*roles_path, j),
                    "duplicate-role",
                    f"'{server.name}' lists the role '{role}' twice",
                )
        if "rules_engine" in server.roles and inv.group.databases.rule_engine is None:
            yield error(
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
            yield error(
                doc,
                roles_path,
                "rules-without-account",
                "role 'rules_engine' needs group.accounts.rule_engine_service",
            )
        if "bam_alerts" in server.roles and inv.group.databases.bam is None:
            yield error(
                doc,
                roles_path,
                "bam-without-db",
                "role 'bam_alerts' needs group.databases.bam",
            )
        if (
            inv.group.databases.rule_engine is not None
            and instances.get(server.name)
            and "rules_engine" not in server.roles
        ):
            yield warning(
                doc,
                roles_path if server.roles else ("dr", "servers", index, "name"),
                "rules-engine-missing",
                f"DR server '{server.name}' runs host instances but does not get the "
                "Rules Engine, although the group has a Rules Engine database",
                hint="add 'rules_engine' to its roles: a policy runs on the server of "
                "the host instance that calls it, and Microsoft restarts the Rule "
                "Engine Update Service on every server of the group after a restore "
                "(how-to-restore-your-databases.md)",
            )
        hosted_isolated = [
            h for h in instances.get(server.name, ()) if h.upper() in isolated
        ]
        if hosted_isolated and "iis" not in server.roles:
            yield error(
                doc,
                ("dr", "servers", index, "name"),
                "isolated-without-iis",
                f"DR server '{server.name}' gets isolated host "
                f"'{hosted_isolated[0]}' but has no 'iis' role",
                hint="isolated hosts run in IIS: add 'iis' to its roles",
            )


def _app_pools(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Isolated hosts say which IIS application pools they run ([] for none);
    in-process hosts have none."""
    for index, host in enumerate(inv.group.hosts):
        path: Path_ = ("group", "hosts", index)
        if host.type == "isolated" and host.app_pools is None:
            yield error(
                doc,
                (*path, "name"),
                "isolated-without-app-pools",
                f"isolated host '{host.name}' does not say which IIS application "
                "pools run its receive locations",
                hint="add app_pools: [PoolName, ...] with the pools the DR scripts "
                "keep stopped until failover, or app_pools: [] when the host runs "
                "no application pool",
            )
        if host.type == "in-process" and host.pools:
            yield error(
                doc,
                (*path, "app_pools"),
                "app-pools-on-in-process",
                f"in-process host '{host.name}' runs as a Windows service, not in "
                "an IIS application pool",
                hint="remove app_pools, or set type: isolated",
            )
        seen: set[str] = set()
        for j, pool in enumerate(host.pools):
            if pool.upper() in seen:
                yield error(
                    doc,
                    (*path, "app_pools", j),
                    "duplicate-app-pool",
                    f"host '{host.name}' lists application pool '{pool}' twice",
                )
            seen.add(pool.upper())


def _accounts(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """gMSA (an account name ending in '$') only on BizTalk 2020, for host
    instances and the Rule Engine Update Service; never for Enterprise SSO
    (gmsa-config.md); a ``gmsa`` flag must agree with the name."""
    version = inv.group.biztalk_version
    for index, host in enumerate(inv.group.hosts):
        path: Path_ = ("group", "hosts", index)
        if host.gmsa is not None and host.gmsa != host.is_gmsa:
            yield error(
                doc,
                (*path, "account"),
                "gmsa-name",
                f"gmsa: {'true' if host.gmsa else 'false'} contradicts the account "
                f"name '{host.account}'"
                + (
                    " (a gMSA name ends with '$')"
                    if host.gmsa
                    else " (it ends with '$')"
                ),
                hint="a gMSA is named DOMAIN\\name$ and needs no gmsa flag: remove "
                "the flag, or correct the account name",
            )
        elif host.is_gmsa and version not in VERSIONS_WITH_GMSA:
            yield error(
                doc,
                (*path, "account"),
                "gmsa-unsupported",
                f"'{host.account}' is a gMSA (its name ends with '$'); gMSA accounts "
                f"need BizTalk Server 2020 (group is {version})",
            )
    rules_account = inv.group.accounts.rule_engine_service
    if (
        rules_account is not None
        and is_gmsa_account(rules_account)
        and version not in VERSIONS_WITH_GMSA
    ):
        yield error(
            doc,
            ("group", "accounts", "rule_engine_service"),
            "gmsa-unsupported",
            f"'{rules_account}' is a gMSA (its name ends with '$'); gMSA accounts "
            f"need BizTalk Server 2020 (group is {version})",
        )
    if is_gmsa_account(inv.group.accounts.sso_service):
        yield error(
            doc,
            ("group", "accounts", "sso_service"),
            "sso-gmsa",
            f"'{inv.group.accounts.sso_service}' looks like a gMSA; Enterprise SSO "
            "does not support gMSA accounts",
            hint="use a domain user account for the ENTSSO service",
        )
