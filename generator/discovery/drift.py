"""``drgen drift``: every difference between production (a discovery) and the
inventory, with what it breaks at the DR site and where to fix it.

Each finding has a stable code (``CODES``; docs/discovery.md lists them), a
severity, a plain-words consequence and the ``FILE:LINE:COL`` in the inventory
to change (the discovery file only for its own age). Computer, host, account
and SQL instance names compare case-insensitively; messages keep the
inventory's spelling. Pure: the caller passes ``now``; nothing is read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from generator.catalogue import CATALOGUE as N
from generator.discovery.gaps import Gap
from generator.discovery.importer import (
    clustered_hosts,
    host_accounts,
    netbios_name,
    production_servers,
    version_of,
)
from generator.discovery.model import DatabaseRef, DiscoveryDocument
from generator.errors import Location
from generator.inventory.load import Path_, RawDocument
from generator.inventory.model import Database, Inventory
from generator.plan.databases import RESERVED_BACKUP_NAMES
from generator.plan.mapping import dr_host_instances

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Code:
    """One kind of drift: its code, severity and what it means."""

    code: str
    severity: str
    meaning: str
    breaks: str


_CODES = (
    Code(
        "DRIFT001",
        ERROR,
        "host in production, not in the inventory",
        "no DR server runs its instances: its work stops after failover",
    ),
    Code(
        "DRIFT002",
        ERROR,
        "host in the inventory, no longer in production",
        "Initialize-DrServer.ps1 installs instances of a host the group lacks",
    ),
    Code(
        "DRIFT003",
        ERROR,
        "host type (in-process/isolated) changed",
        "DR sets the host up as the wrong kind: a Windows service or IIS",
    ),
    Code(
        "DRIFT004",
        ERROR,
        "host logon account (or gMSA) changed",
        "DR host instances are installed with the old logon: they fail or lack rights",
    ),
    Code(
        "DRIFT005",
        WARNING,
        "host Windows group or trusted setting changed",
        "the inventory documents settings production no longer has",
    ),
    Code(
        "DRIFT006",
        WARNING,
        "instances of one host log on with different accounts",
        "DR uses one account per host: some instances change account at failover",
    ),
    Code(
        "DRIFT007",
        WARNING,
        "host clustered in production, run by several DR servers",
        "adapters clustered to run once (FTP, SFTP, MSMQ, POP3, ordered delivery) "
        "would poll on every DR server that runs the host",
    ),
    Code(
        "DRIFT010",
        ERROR,
        "production server not in the inventory",
        "no DR server takes over its host instances",
    ),
    Code(
        "DRIFT011",
        WARNING,
        "inventory server no longer in production",
        "a DR server mirrors a server that is gone; capacity is planned for it",
    ),
    Code(
        "DRIFT012",
        ERROR,
        "host instance added on a production server",
        "the DR server that takes over that server does not run it",
    ),
    Code(
        "DRIFT013",
        WARNING,
        "host instance removed from a production server",
        "DR runs an instance production no longer has",
    ),
    Code(
        "DRIFT014",
        WARNING,
        "host instance disabled in production",
        "DR enables every instance it runs at failover: work production keeps "
        "stopped starts at DR",
    ),
    Code(
        "DRIFT020",
        ERROR,
        "MessageBox in production, not in the inventory",
        "UpdateInfo.xml does not move it: the DR group points at production",
    ),
    Code(
        "DRIFT021",
        ERROR,
        "MessageBox in the inventory, not in production",
        "UpdateInfo.xml names a MessageBox that does not exist",
    ),
    Code(
        "DRIFT022",
        ERROR,
        "the master MessageBox changed",
        "UpdateInfo.xml marks the wrong MessageBox as master",
    ),
    Code(
        "DRIFT023",
        ERROR,
        "database moved to another SQL instance or renamed",
        "UpdateInfo.xml and the reference updates name the wrong database",
    ),
    Code(
        "DRIFT024",
        ERROR,
        "database in production, not in the inventory",
        "it is not restored or re-pointed at DR",
    ),
    Code(
        "DRIFT025",
        ERROR,
        "database in the inventory, not in production",
        "DR restores and re-points a database production does not use",
    ),
    Code(
        "DRIFT030",
        ERROR,
        "SSO master secret server changed",
        "the master secret backup DR restores must come from the new server",
    ),
    Code(
        "DRIFT031",
        ERROR,
        "service account (ENTSSO, Rules Engine) changed",
        "the DR answer files configure the service with the old account",
    ),
    Code(
        "DRIFT040",
        ERROR,
        "BizTalk Server version differs",
        "the DR bundle is for another version: its scripts stop at the version check",
    ),
    Code(
        "DRIFT041",
        WARNING,
        "cumulative update level differs",
        "DR servers at another CU than production may not join the group",
    ),
    Code(
        "DRIFT050",
        WARNING,
        "discovery older than the allowed age",
        "the comparison may miss changes made since",
    ),
)
CODES: dict[str, Code] = {c.code: c for c in _CODES}


@dataclass(frozen=True, slots=True)
class DriftFinding:
    """One difference: what differs, what it breaks, where to fix it."""

    code: str
    message: str
    breaks: str
    location: Location
    severity: str = ERROR

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (``line``/``column`` 0 when unknown)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "message": self.message,
            "breaks": self.breaks,
        }


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Every difference between one inventory and one discovery."""

    inventory: str
    discovery: str
    collected_at: str
    computer: str
    findings: tuple[DriftFinding, ...] = field(default=())
    # What could not be compared (the discovery could not read it): drift_gaps.
    not_compared: tuple[Gap, ...] = field(default=())

    @property
    def errors(self) -> tuple[DriftFinding, ...]:
        """Findings that break the DR site."""
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[DriftFinding, ...]:
        """Findings worth a review that do not break it."""
        return tuple(f for f in self.findings if f.severity != ERROR)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (``drgen drift --format json``)."""
        return {
            "inventory": self.inventory,
            "discovery": self.discovery,
            "collected_at": self.collected_at,
            "computer": self.computer,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_json() for f in self.findings],
            "not_compared": [g.to_json() for g in self.not_compared],
        }


class _Finder:
    """Collects findings located in the inventory."""

    def __init__(
        self, inv: Inventory, doc: RawDocument, disc: DiscoveryDocument
    ) -> None:
        self.inv = inv
        self.doc = doc
        self.disc = disc
        self.found: list[DriftFinding] = []

    def add(
        self,
        code: str,
        path: Path_,
        message: str,
        breaks: str | None = None,
        severity: str | None = None,
        where: Location | None = None,
    ) -> None:
        spec = CODES[code]
        self.found.append(
            DriftFinding(
                code,
                message,
                breaks or spec.breaks,
                where or self.doc.locate(path),
                severity or spec.severity,
            )
        )


def _u(text: str | None) -> str:
    return (text or "").upper()


def _instance(server: str) -> tuple[str, str]:
    """A SQL instance reduced to computer (first DNS label) and instance name."""
    text = server.strip().upper().removeprefix("TCP:").split(",")[0]
    computer, _, instance = text.partition("\\")
    return computer.split(".")[0], instance


def _moved_why(inventory: str, production: str) -> str:
    """Why a SQL instance differs: moved, or the same one spelled otherwise (which
    still breaks UpdateInfo.xml: its oldDBServer must match production's spelling)."""
    if _instance(inventory) != _instance(production):
        return ""
    return (
        " (the same instance spelled differently? UpdateInfo.xml must name it as "
        f"production does: {production})"
    )


def _same_group(production: str, inventory: str) -> bool:
    """Windows groups compare without the domain when one side does not give it
    ('BizTalk Application Users' and 'CONTOSO\\BizTalk Application Users': the
    inventory's group is a label, and WMI's NTGroupName is as it was configured)."""
    if ("\\" in production) == ("\\" in inventory):
        return _u(production) == _u(inventory)
    return _u(production.rpartition("\\")[2]) == _u(inventory.rpartition("\\")[2])


def _same_db(db: Database, ref: DatabaseRef) -> bool:
    return _u(db.server) == _u(ref.server) and _u(db.name) == _u(ref.name)


def _db_at(db: Database | None, ref: DatabaseRef | None) -> str:
    item = db or ref
    return f"{item.name} on {item.server}" if item else ""


def _versions(f: _Finder) -> None:
    group = f.disc.discovery.group
    version = version_of(group.product_version)
    if version != f.inv.group.biztalk_version:
        f.add(
            "DRIFT040",
            ("group", "biztalk_version"),
            f"production runs BizTalk Server {version or 'of an unknown version'} "
            f"(ProductVersion {group.product_version}), the inventory says "
            f"{f.inv.group.biztalk_version}",
        )
    cu = f.inv.group.biztalk_cu
    # 'CU 5' in the inventory is the CU5 discovery reports.
    if group.cu is not None and _u(group.cu).replace(" ", "") != _u(cu).replace(
        " ", ""
    ):
        f.add(
            "DRIFT041",
            ("group", "biztalk_cu") if cu is not None else ("group", "biztalk_version"),
            f"production is at {group.cu}, the inventory "
            + (f"says {cu}" if cu is not None else "records no CU (group.biztalk_cu)"),
        )


def _database(
    f: _Finder, label: str, path: Path_, db: Database | None, ref: DatabaseRef | None
) -> None:
    if db is None and ref is None:
        return
    if db is None:
        f.add(
            "DRIFT024",
            path[:-1],
            f"production has a {label} database ({_db_at(None, ref)}) the "
            "inventory lacks",
        )
    elif ref is None:
        f.add(
            "DRIFT025",
            path,
            f"the inventory's {label} database ({_db_at(db, None)}) is not in "
            "production",
        )
    elif not _same_db(db, ref):
        moved = _u(db.server) != _u(ref.server)
        f.add(
            "DRIFT023",
            (*path, "server" if moved else "name"),
            f"{label} database: the inventory has {db.name} on {db.server}, "
            f"production has {ref.name} on {ref.server}"
            + (_moved_why(db.server, ref.server) if moved else ""),
        )


def _databases(f: _Finder) -> None:
    dbs = f.inv.group.databases
    group = f.disc.discovery.group
    base: Path_ = ("group", "databases")
    _database(f, "management", (*base, "management"), dbs.management, group.management)
    _database(f, "SSO", (*base, "sso"), dbs.sso, group.sso)
    _database(f, "tracking", (*base, "tracking"), dbs.tracking, group.tracking)
    _database(
        f, "Rules Engine", (*base, "rule_engine"), dbs.rule_engine, group.rule_engine
    )
    bam = dbs.bam
    bam_path: Path_ = (*base, "bam")
    _database(
        f,
        "BAM Primary Import",
        (*bam_path, "primary_import"),
        bam.primary_import if bam else None,
        group.bam_primary_import,
    )
    if bam is not None and group.bam_primary_import is not None:
        # Production's alerts databases are the Backup job's rows of these names,
        # which UpdateDatabase.vbs updates (behaviour:bam-alerts-backup-rows).
        alerts = "BAM Alerts {} ('{}' in the Backup BizTalk Server job)"
        for key, label in (
            ("archive", "BAM Archive"),
            ("star_schema", "BAM Star Schema"),
            ("analysis", "BAM Analysis"),
            (
                "alerts_application",
                alerts.format(
                    "application", N["answer:default-name/BamAlertsApplication"]
                ),
            ),
            (
                "alerts_instance",
                alerts.format("instance", N["answer:default-name/BamAlertsInstance"]),
            ),
        ):
            # Not read: not compared. Read and null: production has none.
            if group.known(f"bam_{key}"):
                ref = getattr(group, f"bam_{key}")
                _database(f, label, (*bam_path, key), getattr(bam, key), ref)
    _messageboxes(f)
    if group.known("other_databases"):
        have = {_u(o.backup_name): (i, o) for i, o in enumerate(dbs.other)}
        seen = set()
        # BizTalk's own rows (SSO, Rules Engine, BAM alerts) are not custom ones.
        for ref in group.other_databases or ():
            if _u(ref.backup_name) in RESERVED_BACKUP_NAMES:
                continue
            seen.add(_u(ref.backup_name))
            index_db = have.get(_u(ref.backup_name))
            if index_db is None:
                _database(
                    f, f"custom ({ref.backup_name})", (*base, "other", 0), None, ref
                )
            else:
                index, db = index_db
                _database(
                    f, f"custom ({db.backup_name})", (*base, "other", index), db, ref
                )
        for index, db in enumerate(dbs.other):
            if _u(db.backup_name) not in seen:
                _database(
                    f, f"custom ({db.backup_name})", (*base, "other", index), db, None
                )


def _messageboxes(f: _Finder) -> None:
    path: Path_ = ("group", "databases", "messageboxes")
    inventory = f.inv.group.databases.messageboxes
    found = f.disc.discovery.group.messageboxes
    by_name = {_u(m.name): (i, m) for i, m in enumerate(inventory)}
    seen = set()
    for ref in found:
        seen.add(_u(ref.name))
        match = by_name.get(_u(ref.name))
        if match is None:
            f.add(
                "DRIFT020",
                path,
                f"production has MessageBox {ref.name} on {ref.server}; the "
                "inventory does not list it",
            )
            continue
        index, box = match
        if _u(box.server) != _u(ref.server):
            f.add(
                "DRIFT023",
                (*path, index, "server"),
                f"MessageBox {box.name}: the inventory has it on {box.server}, "
                f"production on {ref.server}" + _moved_why(box.server, ref.server),
            )
        if box.master != ref.master:
            f.add(
                "DRIFT022",
                (*path, index, "master") if box.master else (*path, index, "name"),
                f"MessageBox {box.name} is "
                + ("no longer" if box.master else "now")
                + " the master MessageBox in production",
            )
    for index, box in enumerate(inventory):
        if _u(box.name) not in seen:
            f.add(
                "DRIFT021",
                (*path, index, "name"),
                f"the inventory's MessageBox {box.name} on {box.server} is not in "
                "production",
            )


def _group_settings(f: _Finder) -> None:
    group = f.disc.discovery.group
    secret = group.master_secret_server
    # None: not readable by who ran the script.
    if secret is not None and _u(netbios_name(secret)) != _u(
        f.inv.group.sso.master_secret_server
    ):
        f.add(
            "DRIFT030",
            ("group", "sso", "master_secret_server"),
            f"the master secret server is {group.master_secret_server} in "
            f"production, {f.inv.group.sso.master_secret_server} in the inventory",
        )
    accounts = f.disc.discovery.accounts
    for key, label in (
        ("sso_service", "Enterprise SSO"),
        ("rule_engine_service", "Rules Engine Update"),
    ):
        found = getattr(accounts, key)
        have = getattr(f.inv.group.accounts, key)
        if found is not None and _u(found) != _u(have):
            f.add(
                "DRIFT031",
                ("group", "accounts", key) if have else ("group", "accounts"),
                f"the {label} service logs on as {found} in production, "
                f"the inventory has {have or 'none'}",
            )


def _hosts(f: _Finder) -> tuple[set[str], set[str]]:
    """Host findings; returns the upper-case names of added and removed hosts."""
    inventory = {_u(h.name): (i, h) for i, h in enumerate(f.inv.group.hosts)}
    found = {_u(h.name): h for h in f.disc.discovery.hosts}
    logons = host_accounts(f.disc.discovery)
    servers_of: dict[str, list[str]] = {}
    for instance in f.disc.discovery.host_instances:
        if not instance.virtual:  # the cluster's network name: not a server
            servers_of.setdefault(_u(instance.host), []).append(instance.server)
    added = set(found) - set(inventory)
    order = {key: index for index, key in enumerate(found)}  # discovery order
    for key in sorted(added, key=order.__getitem__):
        new = found[key]
        servers = servers_of.get(key, [])
        if servers:
            f.add(
                "DRIFT001",
                ("group", "hosts"),
                f"host `{new.name}` has instances in production "
                f"({', '.join(servers)}) and none at DR: its work stops after failover",
            )
        else:
            f.add(
                "DRIFT001",
                ("group", "hosts"),
                f"host `{new.name}` is in production (without instances) but not "
                "in the inventory",
                breaks="nothing runs it today; once it has instances, DR lacks them",
                severity=WARNING,
            )
    removed = set(inventory) - set(found)
    for key in removed:
        index, host = inventory[key]
        f.add(
            "DRIFT002",
            ("group", "hosts", index, "name"),
            f"host `{host.name}` is in the inventory but no longer in production",
        )
    for key in set(found) & set(inventory):
        index, host = inventory[key]
        seen = found[key]
        path: Path_ = ("group", "hosts", index)
        kind = "in-process" if seen.host_type == 1 else "isolated"
        if kind != host.type:
            f.add(
                "DRIFT003",
                (*path, "type"),
                f"host `{host.name}` is {kind} in production, {host.type} in the "
                "inventory",
            )
        regrouped = seen.windows_group is not None and not _same_group(
            seen.windows_group, host.windows_group
        )
        if regrouped or seen.trusted != host.trusted:
            which = (
                f"Windows group {seen.windows_group}"
                if regrouped
                else f"trusted: {str(seen.trusted).lower()}"
            )
            f.add(
                "DRIFT005",
                (*path, "windows_group" if "group" in which else "trusted"),
                f"host `{host.name}` has {which} in production",
            )
        logon = logons.get(key)
        if logon is None or logon.account is None:
            continue
        if _u(logon.account) != _u(host.account) or logon.gmsa != host.is_gmsa:
            f.add(
                "DRIFT004",
                (*path, "account"),
                f"host `{host.name}` instances log on as {logon.account}"
                + (" (a gMSA)" if logon.gmsa else "")
                + f" in production, the inventory has {host.account}"
                + (" (a gMSA)" if host.is_gmsa else ""),
            )
        if logon.others:
            f.add(
                "DRIFT006",
                (*path, "account"),
                f"instances of host `{host.name}` log on as {logon.account} and "
                f"{', '.join(logon.others)}",
            )
    return added, removed


def _servers(f: _Finder, added_hosts: set[str], removed_hosts: set[str]) -> None:
    inventory = {_u(s.name): (i, s) for i, s in enumerate(f.inv.production.servers)}
    found = production_servers(f.disc.discovery)
    dr_runs = {
        k.upper(): {h.upper() for h in v} for k, v in dr_host_instances(f.inv).items()
    }
    at_dr = set().union(*dr_runs.values()) if dr_runs else set()
    spelled = {_u(h.name): h.name for h in f.inv.group.hosts}

    def mirrors(server: str) -> list[str]:
        return [
            d.name for d in f.inv.dr.servers if server in {_u(m) for m in d.mirrors}
        ]

    for key, (name, instances) in found.items():
        if key in inventory:
            continue
        # Hosts new to the inventory are DRIFT001's; here the known ones DR lacks.
        lost = [
            spelled.get(_u(h), h)
            for h in instances
            if _u(h) not in at_dr and _u(h) not in added_hosts
        ]
        f.add(
            "DRIFT010",
            ("production", "servers"),
            f"production server {name} runs "
            + (", ".join(instances) if instances else "no host instance")
            + " and is not in the inventory",
            breaks=(
                f"no DR server takes it over; host `{lost[0]}` has instances in "
                "production and none at DR: its work stops after failover"
                if lost
                else None
            ),
            severity=None if instances else WARNING,
        )
    for key, (index, server) in inventory.items():
        path: Path_ = ("production", "servers", index)
        if key not in found:
            f.add(
                "DRIFT011",
                (*path, "name"),
                f"production server {server.name} is in the inventory but no longer "
                "in the group",
            )
            continue
        have = {_u(h) for h in server.host_instances}
        now = found[key][1]
        where = (*path, "host_instances") if server.host_instances else (*path, "name")
        for host in now:
            if _u(host) in have or _u(host) in added_hosts:
                continue
            takers = mirrors(key)
            name = spelled.get(_u(host), host)
            if _u(host) not in at_dr:
                breaks = (
                    f"host `{name}` has instances in production and none at DR: "
                    "its work stops after failover"
                )
            elif takers and not any(_u(host) in dr_runs[_u(t)] for t in takers):
                breaks = (
                    f"{', '.join(takers)}, which takes over {server.name}, does not "
                    f"run `{name}`: less capacity for it after failover"
                )
            else:
                breaks = None
            f.add(
                "DRIFT012",
                where,
                f"production server {server.name} now runs an instance of host "
                f"`{name}`; the inventory does not list it",
                breaks=breaks or "the inventory's production list is out of date",
                severity=None if breaks else WARNING,
            )
        current = {_u(h) for h in now}
        for j, host in enumerate(server.host_instances):
            if _u(host) not in current and _u(host) not in removed_hosts:
                f.add(
                    "DRIFT013",
                    (*path, "host_instances", j),
                    f"production server {server.name} no longer runs an instance of "
                    f"host `{host}`",
                )


def _runs(f: _Finder) -> dict[str, tuple[str, set[str]]]:
    """Upper-case DR server name -> (spelling, upper-case hosts it runs)."""
    return {
        _u(d): (d, {_u(h) for h in hosts})
        for d, hosts in dr_host_instances(f.inv).items()
    }


def _clustered(f: _Finder) -> None:
    """A clustered host runs on one node at a time; DR runs every instance."""
    clustered = clustered_hosts(f.disc.discovery)
    runs = _runs(f)
    for index, host in enumerate(f.inv.group.hosts):
        if _u(host.name) not in clustered:
            continue
        takers = [name for name, hosts in runs.values() if _u(host.name) in hosts]
        # One DR server runs it once, as the cluster did: nothing polls twice.
        if len(takers) < 2:
            continue
        f.add(
            "DRIFT007",
            ("group", "hosts", index, "name"),
            f"host `{host.name}` is clustered in production (it runs on one node at "
            f"a time); at DR, {', '.join(takers)} each run an instance of it",
            breaks=f"adapters clustered to run once would poll on {len(takers)} DR "
            "servers at once after failover; keep the host on one DR server "
            "(dr.servers[].host_instances)",
        )


def _disabled(f: _Finder) -> None:
    """An instance disabled in production that a DR server enables at failover."""
    inventory = {_u(s.name): (i, s) for i, s in enumerate(f.inv.production.servers)}
    runs = _runs(f)
    seen: set[tuple[str, str]] = set()
    for instance in f.disc.discovery.host_instances:
        key = (_u(instance.server), _u(instance.host))
        if not instance.disabled or instance.virtual or key in seen:
            continue
        seen.add(key)
        match = inventory.get(key[0])
        if match is None:
            continue  # a server new to the inventory: DRIFT010
        index, server = match
        listed = [j for j, h in enumerate(server.host_instances) if _u(h) == key[1]]
        if not listed:
            continue  # an instance new to the inventory: DRIFT012
        takers = [
            d.name
            for d in f.inv.dr.servers
            if key[0] in {_u(m) for m in d.mirrors} and key[1] in runs[_u(d.name)][1]
        ]
        if not takers:
            continue  # no DR server runs it: nothing is enabled
        host = server.host_instances[listed[0]]
        f.add(
            "DRIFT014",
            ("production", "servers", index, "host_instances", listed[0]),
            f"the instance of host `{host}` on {server.name} is disabled in "
            f"production; DR will enable it at failover ({', '.join(takers)})",
        )


def _utc(at: datetime) -> str:
    try:
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:  # year 1 or 9999 with an offset: shown as written
        return at.isoformat()


def _age(f: _Finder, now: datetime | None, max_age: timedelta | None) -> None:
    if now is None or max_age is None:
        return
    at = f.disc.discovery.collected.at
    try:
        age = now - at
    except OverflowError:
        age = timedelta.max
    if age > max_age:
        days = age.total_seconds() / 86400
        f.add(
            "DRIFT050",
            (),
            f"the discovery was collected {_utc(at)} ({days:.1f} days ago); "
            f"the allowed age is {max_age.total_seconds() / 86400:g} days",
            where=f.disc.locate(("collected", "at")),
        )


def _order(finding: DriftFinding) -> tuple[Any, ...]:
    loc = finding.location
    return (loc.file, loc.line, loc.column, finding.code, finding.message)


def drift(
    inv: Inventory,
    doc: RawDocument,
    disc: DiscoveryDocument,
    *,
    now: datetime | None = None,
    max_age: timedelta | None = None,
) -> DriftReport:
    """Compare production (``disc``) with the inventory; every difference found.

    ``now`` and ``max_age`` together turn on the age check (DRIFT050).
    """
    finder = _Finder(inv, doc, disc)
    _versions(finder)
    _databases(finder)
    _group_settings(finder)
    added, removed = _hosts(finder)
    _servers(finder, added, removed)
    _clustered(finder)
    _disabled(finder)
    _age(finder, now, max_age)
    collected = disc.discovery.collected
    return DriftReport(
        inventory=doc.file,
        discovery=disc.file,
        collected_at=_utc(collected.at),
        computer=collected.computer,
        findings=tuple(sorted(finder.found, key=_order)),
    )
