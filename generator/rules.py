"""Domain rules over a validated inventory: cross-references, roles, capacity.

Each rule yields located diagnostics; ``check_rules`` collects them all so an
admin sees every problem at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from generator import facts
from generator.errors import Diagnostic
from generator.inventory import RawDocument
from generator.model import Inventory

CAPACITY_RATIO = 1.5


def _error(
    doc: RawDocument,
    path: tuple[str | int, ...],
    code: str,
    message: str,
    hint: str | None = None,
) -> Diagnostic:
    return Diagnostic(doc.locate(path), code, message, hint)


def _warning(
    doc: RawDocument,
    path: tuple[str | int, ...],
    code: str,
    message: str,
    hint: str | None = None,
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
    dr = Counter(s.name.upper() for s in inv.dr.servers)
    for index, dr_server in enumerate(inv.dr.servers):
        if dr[dr_server.name.upper()] > 1:
            yield _error(
                doc,
                ("dr", "servers", index, "name"),
                "duplicate-server",
                f"DR server '{dr_server.name}' is listed twice",
            )
        if dr_server.name.upper() in prod:
            yield _error(
                doc,
                ("dr", "servers", index, "name"),
                "dr-name-is-production",
                f"DR server '{dr_server.name}' has the name of a production server",
                hint="DR servers join the production group: names must differ",
            )


def _references(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    hosts = {h.name.upper() for h in inv.group.hosts}
    prod = {s.name.upper() for s in inv.production.servers}
    for index, server in enumerate(inv.production.servers):
        for j, name in enumerate(server.host_instances):
            if name.upper() not in hosts:
                yield _error(
                    doc,
                    ("production", "servers", index, "host_instances", j),
                    "unknown-host",
                    f"host '{name}' is not defined in group.hosts",
                )
        dupes = [
            n
            for n, c in Counter(h.upper() for h in server.host_instances).items()
            if c > 1
        ]
        for name in dupes:
            yield _error(
                doc,
                ("production", "servers", index, "host_instances"),
                "duplicate-instance",
                f"host '{name}' has more than one instance on '{server.name}'",
            )
    mirrored: Counter[str] = Counter()
    for index, dr_server in enumerate(inv.dr.servers):
        for j, name in enumerate(dr_server.mirrors):
            mirrored[name.upper()] += 1
            if name.upper() not in prod:
                yield _error(
                    doc,
                    ("dr", "servers", index, "mirrors", j),
                    "unknown-server",
                    f"'{name}' is not a production server",
                )
        for j, name in enumerate(dr_server.host_instances or ()):
            if name.upper() not in hosts:
                yield _error(
                    doc,
                    ("dr", "servers", index, "host_instances", j),
                    "unknown-host",
                    f"host '{name}' is not defined in group.hosts",
                )
        dupes = [
            n
            for n, c in Counter(
                h.upper() for h in dr_server.host_instances or ()
            ).items()
            if c > 1
        ]
        for name in dupes:
            yield _error(
                doc,
                ("dr", "servers", index, "host_instances"),
                "duplicate-instance",
                f"host '{name}' has more than one instance on '{dr_server.name}'",
            )
    for index, server in enumerate(inv.production.servers):
        count = mirrored[server.name.upper()]
        if count == 0:
            yield _error(
                doc,
                ("production", "servers", index, "name"),
                "not-mirrored",
                f"production server '{server.name}' is not mirrored by any DR server",
                hint="add it to the mirrors of one DR server",
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
    on_dr = {h.upper() for names in dr_host_instances(inv).values() for h in names}
    used = {h.upper() for s in inv.production.servers for h in s.host_instances}
    for index, host in enumerate(inv.group.hosts):
        if host.name.upper() in used and host.name.upper() not in on_dr:
            yield _error(
                doc,
                ("group", "hosts", index, "name"),
                "host-not-on-dr",
                f"host '{host.name}' has no instance on any DR server",
            )


def _roles(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    for role in ("sso_master_secret", "update_databases"):
        owners = [i for i, s in enumerate(inv.dr.servers) if role in s.roles]
        if len(owners) != 1:
            path: tuple[str | int, ...] = (
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
        for role in ("rules_engine",):
            if role in server.roles and inv.group.databases.rule_engine is None:
                yield _error(
                    doc,
                    ("dr", "servers", index, "roles"),
                    "rules-without-db",
                    "role 'rules_engine' needs group.databases.rule_engine",
                )
        if (
            "rules_engine" in server.roles
            and inv.group.accounts.rule_engine_service is None
        ):
            yield _error(
                doc,
                ("dr", "servers", index, "roles"),
                "rules-without-account",
                "role 'rules_engine' needs group.accounts.rule_engine_service",
            )
        if "bam_alerts" in server.roles and inv.group.databases.bam is None:
            yield _error(
                doc,
                ("dr", "servers", index, "roles"),
                "bam-without-db",
                "role 'bam_alerts' needs group.databases.bam",
            )
        hosted_isolated = [h for h in instances[server.name] if h.upper() in isolated]
        if hosted_isolated and "iis" not in server.roles:
            yield _error(
                doc,
                ("dr", "servers", index, "name"),
                "isolated-without-iis",
                f"DR server '{server.name}' gets isolated host "
                f"'{hosted_isolated[0]}' but has no 'iis' role",
            )
    if inv.group.biztalk_version not in facts.VERSIONS_WITH_GMSA:
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


def _sql_mapping(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    mapped = {k.upper() for k in inv.dr.sql}
    for path, server in database_servers(inv):
        if server.upper() not in mapped:
            yield _error(
                doc,
                path,
                "sql-not-mapped",
                f"SQL instance '{server}' has no DR mapping in dr.sql",
                hint=f"add '{server}: <DR instance>' under dr.sql",
            )


def database_servers(inv: Inventory) -> list[tuple[tuple[str | int, ...], str]]:
    """Every (position path, SQL instance) that a production database names."""
    dbs = inv.group.databases
    found: list[tuple[tuple[str | int, ...], str]] = [
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


def _messageboxes(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    masters = [i for i, m in enumerate(inv.group.databases.messageboxes) if m.master]
    if len(masters) != 1:
        yield _error(
            doc,
            ("group", "databases", "messageboxes"),
            "master-messagebox",
            f"exactly one MessageBox must have master: true (found {len(masters)})",
        )


def _capacity(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    busiest = max(len(s.host_instances) for s in inv.production.servers)
    for index, (name, hosts) in enumerate(dr_host_instances(inv).items()):
        if busiest and len(hosts) > CAPACITY_RATIO * busiest:
            yield _warning(
                doc,
                ("dr", "servers", index, "name"),
                "capacity",
                f"DR server '{name}' takes {len(hosts)} host instances; the "
                f"busiest production server runs {busiest}",
                hint="the seed page warns against overloading a smaller DR site",
            )
    if len(inv.dr.servers) < len(inv.production.servers):
        yield _warning(
            doc,
            ("dr", "servers"),
            "smaller-dr-site",
            f"the DR site has {len(inv.dr.servers)} runtime servers for "
            f"{len(inv.production.servers)} in production",
            hint="check the DR servers can carry the production load",
        )


RULES = (
    _unique_names,
    _references,
    _coverage,
    _roles,
    _sql_mapping,
    _messageboxes,
    _capacity,
)


def check_rules(inv: Inventory, doc: RawDocument) -> list[Diagnostic]:
    """Run every rule; errors and warnings together, sorted."""
    found = [d for rule in RULES for d in rule(inv, doc)]
    return sorted(found, key=Diagnostic.sort_key)
