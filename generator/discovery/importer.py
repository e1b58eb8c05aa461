"""``drgen import``: a discovery file turned into inventory YAML.

Without an existing inventory it prints a new one: ``group`` and ``production``
from the discovery, a ``dr`` section scaffolded for review (one DR server per
production server, a DR SQL instance per production instance) whose values
start with ``REPLACE-ME-``, which ``drgen validate`` refuses until each is
replaced. With an existing inventory it changes ``group`` and ``production`` in
place and shows the change as a unified diff; ``--write`` replaces the file
atomically.

Why ruamel.yaml: it is the one maintained Python YAML library that round-trips a
document (comments, key order, flow or block style, quoting, indentation), so
merging the discovery into a reviewed inventory changes only the values that
changed; PyYAML drops comments on load. Both example inventories load and dump
byte for byte unchanged with the settings of ``_yaml()`` (a test checks it).

What discovery cannot see is kept from the inventory (or, in a new inventory,
left as a placeholder): the IIS application pools of isolated hosts, the label
of a custom database, and any value the discovery reports as null because it
could not read it (see docs/discovery.md).
"""

from __future__ import annotations

import difflib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.catalogue import CATALOGUE as N
from generator.discovery.model import (
    DatabaseRef,
    Discovery,
    DiscoveryDocument,
    OtherDatabaseRef,
)
from generator.errors import (
    Diagnostic,
    DiscoveryError,
    InventoryError,
    Location,
    relative_display,
)
from generator.files.textfile import TextDecodeError, decode_text
from generator.inventory.model import VERSIONS
from generator.inventory.prescan import PLACEHOLDER
from generator.plan.databases import RESERVED_BACKUP_NAMES
from generator.text import shown

HOST_TYPES = {1: "in-process", 2: "isolated"}
MODELINE = "yaml-language-server: $schema=../schema/drgen-v1.schema.json"


class _Drop:
    """A key production says is absent: removed from the inventory when merging."""

    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()


def netbios_name(computer: str) -> str:
    """The computer name the inventory holds for ``computer``: a DNS name's first
    label (``SSOPROD01.contoso.local`` is ``SSOPROD01``)."""
    return computer.split(".")[0] or computer


def version_of(product_version: str) -> str | None:
    """The inventory's biztalk_version for a ProductVersion (catalogue ver:*)."""
    for version in VERSIONS:
        if product_version.startswith(N[f"ver:{version}"]):
            return version
    return None


@dataclass(frozen=True, slots=True)
class HostAccount:
    """The logon of a host's instances; ``None`` when it has none in production."""

    account: str | None
    gmsa: bool
    others: tuple[str, ...]  # other logons its instances use (a drift finding)


def host_accounts(discovery: Discovery) -> dict[str, HostAccount]:
    """Each host's logon (by upper-case name): the most used one of its instances."""
    logons: dict[str, Counter[str]] = {}
    spelled: dict[tuple[str, str], str] = {}
    gmsa: dict[str, bool] = {}
    for instance in discovery.host_instances:
        if instance.logon is None:
            continue
        key = instance.host.upper()
        logons.setdefault(key, Counter())[instance.logon.upper()] += 1
        spelled.setdefault((key, instance.logon.upper()), instance.logon)
        gmsa[key] = (
            gmsa.get(key, False) or instance.gmsa or instance.logon.endswith("$")
        )
    found = {}
    for key, counter in logons.items():
        ordered = [logon for logon, _ in counter.most_common()]
        found[key] = HostAccount(
            spelled[(key, ordered[0])],
            gmsa[key],
            tuple(spelled[(key, o)] for o in ordered[1:]),
        )
    return found


def virtual_servers(discovery: Discovery) -> dict[str, str]:
    """Upper-case name -> spelling of each name that only clustered virtual
    instances (ClusterInstanceType 2) run on: the cluster's network name, not a
    BizTalk server a DR server could mirror."""
    real = {i.server.upper() for i in discovery.host_instances if not i.virtual}
    return {
        i.server.upper(): i.server
        for i in discovery.host_instances
        if i.virtual and i.server.upper() not in real
    }


def production_servers(discovery: Discovery) -> dict[str, tuple[str, list[str]]]:
    """Upper-case server name -> (spelling, host instances in discovery order).

    Clustered virtual instances are left out, and so is a name only they run on.
    """
    servers: dict[str, tuple[str, list[str]]] = {}
    hosts = {h.name.upper(): h.name for h in discovery.hosts}
    virtual = virtual_servers(discovery)
    for name in discovery.servers:
        if name.upper() not in virtual:
            servers.setdefault(name.upper(), (name, []))
    for instance in discovery.host_instances:
        if instance.virtual:
            continue
        _, instances = servers.setdefault(
            instance.server.upper(), (instance.server, [])
        )
        host = hosts.get(instance.host.upper(), instance.host)
        if host.upper() not in {h.upper() for h in instances}:
            instances.append(host)
    return servers


def clustered_hosts(discovery: Discovery) -> dict[str, list[str]]:
    """Upper-case host name -> the servers its clustered (type 1) instances are on,
    for each host with a clustered instance (of type 1 or 2)."""
    found: dict[str, list[str]] = {}
    for instance in discovery.host_instances:
        if instance.clustered:
            nodes = found.setdefault(instance.host.upper(), [])
            if not instance.virtual and instance.server.upper() not in {
                n.upper() for n in nodes
            }:
                nodes.append(instance.server)
    return found


@dataclass(frozen=True, slots=True)
class ReviewNotes:
    """REVIEW comments import adds: what production does that DR does otherwise."""

    hosts: dict[str, str]  # upper-case host name -> comment
    servers: dict[str, str]  # upper-case production server name -> comment


def review_notes(discovery: Discovery) -> ReviewNotes:
    """A note on each clustered host and each server with a disabled instance."""
    spelled = {h.name.upper(): h.name for h in discovery.hosts}
    hosts = {}
    for key, nodes in clustered_hosts(discovery).items():
        hosts[key] = (
            "REVIEW: clustered in production (runs on one node at a time"
            + (f", nodes {', '.join(nodes)}" if nodes else "")
            + "); DR starts it on every DR server that runs it, so adapters "
            "clustered to run once (FTP, SFTP, MSMQ, POP3, ordered delivery) would "
            "poll on each: keep it on one DR server (dr.servers[].host_instances)"
        )
    disabled: dict[str, list[str]] = {}
    for instance in discovery.host_instances:
        if instance.disabled and not instance.virtual:
            names = disabled.setdefault(instance.server.upper(), [])
            host = spelled.get(instance.host.upper(), instance.host)
            if host.upper() not in {n.upper() for n in names}:
                names.append(host)
    servers = {
        key: "REVIEW: "
        + ", ".join(names)
        + (" is" if len(names) == 1 else " are")
        + " disabled in production (IsDisabled); DR enables every instance it runs "
        "at failover"
        for key, names in disabled.items()
    }
    return ReviewNotes(hosts, servers)


def _note(items: Any, index: int, text: str) -> None:
    """``text`` as an end-of-line comment of ``items[index]``, unless it has one.

    A block mapping takes it on its ``name`` line; a flow mapping after its
    closing brace (ruamel would break a key's comment inside the braces). An
    existing comment (a reviewer's, or this note from an earlier import) is kept.
    """
    item = items[index]
    if item.fa.flow_style():
        if index not in items.ca.items:
            items.yaml_add_eol_comment(text, index)
    elif "name" not in item.ca.items:
        item.yaml_add_eol_comment(text, "name")


def add_review_notes(group: Any, production: Any, discovery: Discovery) -> None:
    """The REVIEW comments of ``review_notes`` on ruamel ``group``/``production``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    notes = review_notes(discovery)
    for items, by_name in (
        (group.get("hosts"), notes.hosts),
        (production.get("servers"), notes.servers),
    ):
        if not isinstance(items, CommentedSeq):
            continue
        for index, item in enumerate(items):
            if isinstance(item, CommentedMap):
                text = by_name.get(str(item.get("name", "")).upper())
                if text is not None:
                    _note(items, index, text)


def _db(ref: DatabaseRef | None) -> Any:
    return DROP if ref is None else {"server": ref.server, "name": ref.name}


def custom_databases(rows: Iterable[OtherDatabaseRef]) -> list[OtherDatabaseRef]:
    """The custom databases among the Backup job's rows: BizTalk's own (SSO, the
    Rules Engine, the BAM alerts databases, RESERVED_BACKUP_NAMES) are left out,
    since the inventory holds them elsewhere; the first row of a name counts."""
    seen: set[str] = set()
    found = []
    for row in rows:
        key = row.backup_name.upper()
        if key not in RESERVED_BACKUP_NAMES and key not in seen:
            seen.add(key)
            found.append(row)
    return found


def inventory_parts(doc: DiscoveryDocument) -> tuple[dict[str, Any], dict[str, Any]]:
    """``group`` and ``production`` as discovery knows them, in inventory key order.

    A value of ``DROP`` means "production has none"; a key left out means
    "discovery cannot tell" (kept from an existing inventory when merging).

    Raises:
        DiscoveryError: the product version is not one drgen knows.
    """
    discovery = doc.discovery
    group = discovery.group
    version = version_of(group.product_version)
    if version is None:
        raise DiscoveryError(
            f"{doc.file}: unknown BizTalk version",
            (
                Diagnostic(
                    doc.locate(("group", "product_version")),
                    "unknown-version",
                    f"product version '{shown(group.product_version)}' is not a "
                    f"BizTalk Server version drgen knows ({', '.join(VERSIONS)})",
                ),
            ),
        )
    databases: dict[str, Any] = {
        "management": _db(group.management),
        "sso": _db(group.sso),
        "messageboxes": [
            {"server": m.server, "name": m.name, "master": m.master}
            for m in group.messageboxes
        ],
        "tracking": _db(group.tracking),
        "rule_engine": _db(group.rule_engine),
    }
    if group.bam_primary_import is None:
        databases["bam"] = DROP
    else:
        bam: dict[str, Any] = {"primary_import": _db(group.bam_primary_import)}
        for key in (
            "archive",
            "star_schema",
            "analysis",
            "alerts_application",
            "alerts_instance",
        ):
            # Not read: left out (kept when merging); read and null: none, dropped.
            if group.known(f"bam_{key}"):
                bam[key] = _db(getattr(group, f"bam_{key}"))
        databases["bam"] = bam
    if group.known("other_databases"):
        databases["other"] = [
            {"backup_name": o.backup_name, "server": o.server, "name": o.name}
            for o in custom_databases(group.other_databases or ())
        ] or DROP
    accounts: dict[str, Any] = {}
    if discovery.accounts.sso_service is not None:
        accounts["sso_service"] = discovery.accounts.sso_service
    if discovery.accounts.rule_engine_service is not None:
        accounts["rule_engine_service"] = discovery.accounts.rule_engine_service
    logons = host_accounts(discovery)
    hosts = []
    for host in discovery.hosts:
        entry: dict[str, Any] = {
            "name": host.name,
            "type": HOST_TYPES[host.host_type],
            "trusted": host.trusted,
        }
        if host.windows_group is not None:
            entry["windows_group"] = host.windows_group
        logon = logons.get(host.name.upper())
        if logon is not None:
            entry["account"] = logon.account
            # A gMSA is told by its name (a final '$'); the flag is written only
            # when discovery says gMSA of a name without one, so validation
            # reports the contradiction instead of import hiding it.
            if logon.gmsa != (logon.account or "").endswith("$"):
                entry["gmsa"] = logon.gmsa
        hosts.append(entry)
    group_data: dict[str, Any] = {
        "name": group.name,
        "biztalk_version": version,
    }
    if group.cu is not None:
        group_data["biztalk_cu"] = group.cu
    group_data["databases"] = databases
    if group.master_secret_server is not None:
        secret = netbios_name(group.master_secret_server)
        group_data["sso"] = {"master_secret_server": secret}
    group_data |= {"accounts": accounts, "hosts": hosts}
    production = {
        "servers": [
            {"name": name, "host_instances": instances}
            for name, instances in production_servers(discovery).values()
        ]
    }
    return group_data, production


# ----------------------------------------------------------- a new inventory


def _clean(value: Any) -> Any:
    """Plain data for a new file: DROP keys and false flags (the default) left out."""
    if isinstance(value, dict):
        return {
            k: _clean(v)
            for k, v in value.items()
            if v is not DROP and not (v is False and k in {"master", "trusted", "gmsa"})
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _placeholders(group: dict[str, Any]) -> None:
    """Fill what a new inventory needs but discovery could not read."""
    accounts = group["accounts"]
    accounts.setdefault("sso_service", PLACEHOLDER + "DOMAIN\\svc-entsso")
    if "sso" not in group:  # not readable: a placeholder, in its usual place
        keys = list(group)
        after = keys[keys.index("databases") + 1 :]
        tail = {k: group.pop(k) for k in after}
        group["sso"] = {"master_secret_server": PLACEHOLDER + "BTS"}
        group.update(tail)
    _host_placeholders(group["hosts"])


def _host_placeholders(hosts: list[dict[str, Any]]) -> None:
    """A host's Windows group, logon and application pools, when not read."""
    for host in hosts:
        host.setdefault("windows_group", PLACEHOLDER + "DOMAIN\\BizTalk Hosts")
        host.setdefault("account", PLACEHOLDER + "DOMAIN\\svc-" + host["name"][:50])
        if host["type"] == "isolated":
            host["app_pools"] = [PLACEHOLDER + "AppPool"]


def _dr_scaffold(group: dict[str, Any], production: dict[str, Any]) -> dict[str, Any]:
    """One DR server per production server; roles on the likely candidates."""
    servers = production["servers"]
    names = [s["name"] for s in servers]
    dbs = group["databases"]
    sql: list[str] = []
    for db in [
        dbs["management"],
        dbs["sso"],
        *dbs["messageboxes"],
        dbs["tracking"],
        dbs.get("rule_engine"),
        *(dbs.get("bam") or {}).values(),
        *(dbs.get("other") or []),
    ]:
        if isinstance(db, dict) and db["server"].upper() not in {
            s.upper() for s in sql
        }:
            sql.append(db["server"])
    isolated = {h["name"].upper() for h in group["hosts"] if h["type"] == "isolated"}
    secret = group["sso"]["master_secret_server"].upper()
    master_index = next((i for i, n in enumerate(names) if n.upper() == secret), 0)
    dr_servers = []
    for index, server in enumerate(servers):
        roles = []
        if index == master_index:
            roles.append("sso_master_secret")
        if index == 0:
            roles.append("update_databases")
            if dbs.get("rule_engine") and group["accounts"].get("rule_engine_service"):
                roles.append("rules_engine")
            if "alerts_application" in (dbs.get("bam") or {}):
                roles.append("bam_alerts")
        if any(h.upper() in isolated for h in server["host_instances"]):
            roles.append("iis")
        entry: dict[str, Any] = {
            "name": f"{PLACEHOLDER}DR{index + 1}",
            "mirrors": [server["name"]],
        }
        if roles:
            entry["roles"] = roles
        dr_servers.append(entry)
    return {
        "site": PLACEHOLDER + "DR",
        "join_mode": "production",
        "sql": {s: f"{PLACEHOLDER}DRSQL{i + 1}" for i, s in enumerate(sql)},
        "servers": dr_servers,
    }


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def _flow(value: Any) -> Any:
    """Block mappings with short lists and databases in flow style, as the examples."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _flow(v)
        if set(value) <= {"server", "name", "master", "backup_name"}:
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_flow(v) for v in value)
        if all(isinstance(v, str) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


_HEADER = """\
{modeline}
Imported by drgen import from a discovery collected {at} on {computer}.
REVIEW before use: group and production come from production as discovered; the
dr section is a scaffold. Replace every {placeholder}... value (drgen validate
refuses the file until each is replaced) and review the roles, the DR servers and
the SQL mapping."""

_DR_COMMENT = """\
REVIEW: one DR server per production server (fold several onto one with
mirrors: [a, b], or list a server under not_mirrored with a reason); sql maps each
production SQL instance to its DR instance."""


def new_inventory_text(doc: DiscoveryDocument) -> str:
    """A new inventory from a discovery: group and production filled, dr scaffolded."""
    group, production = inventory_parts(doc)
    group = _clean(group)
    production = _clean(production)
    _placeholders(group)
    dr = _dr_scaffold(group, production)
    from ruamel.yaml.comments import CommentedMap

    root = CommentedMap()
    root["schema"] = "drgen/v1"
    root["group"] = _flow(group)
    root["production"] = _flow(production)
    root["dr"] = _flow(dr)
    collected = doc.discovery.collected
    root.yaml_set_start_comment(
        _HEADER.format(
            modeline=MODELINE,
            at=collected.at.isoformat().replace("+00:00", "Z"),
            computer=collected.computer,
            placeholder=PLACEHOLDER,
        )
    )
    root.yaml_set_comment_before_after_key("dr", before=_DR_COMMENT)
    add_review_notes(root["group"], root["production"], doc.discovery)
    for index, host in enumerate(group["hosts"]):
        if str(host.get("account", "")).startswith(PLACEHOLDER):
            root["group"]["hosts"][index].yaml_add_eol_comment(
                "REVIEW: no instance in production, logon unknown", "account"
            )
        if host["type"] == "isolated":
            root["group"]["hosts"][index].yaml_add_eol_comment(
                "REVIEW: the IIS application pools of its receive locations",
                "app_pools",
            )
    stream = io.StringIO()
    _yaml().dump(root, stream)
    return stream.getvalue()


# ------------------------------------------------------- merging into a file


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, str) and isinstance(new, str):
        return old.upper() == new.upper()
    return bool(old == new) and type(old) is type(new)


def _identity(path: tuple[str, ...], item: Any) -> Any:
    """What identifies an element of a list at ``path`` across the two sides."""
    if isinstance(item, str):
        return item.upper()
    if not isinstance(item, dict):
        return repr(item)
    if path[-1] == "other":
        return str(item.get("backup_name", "")).upper()
    if path[-1] == "messageboxes":
        return (str(item.get("server", "")).upper(), str(item.get("name", "")).upper())
    return str(item.get("name", "")).upper()


def _merge(old: Any, new: Any, path: tuple[str, ...]) -> Any:
    """``new`` applied to ``old`` in place, where both are of the same shape."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = list(new)
        for key, value in new.items():
            if value is DROP:
                if key in old:
                    del old[key]
            elif key in old:
                old[key] = _merge(old[key], value, (*path, key))
            elif value is not False:  # a false flag is the default: not written
                position = _insert_at(old, keys, key)
                # A ruamel CommentedMap: insert keeps the inventory's key order.
                commented: Any = old
                commented.insert(position, key, _flow(_clean(value)))
        return old
    if isinstance(old, list) and isinstance(new, list):
        wanted = {_identity(path, n): n for n in new}
        for index in reversed(range(len(old))):
            if _identity(path, old[index]) not in wanted:
                del old[index]
        have = {_identity(path, o): i for i, o in enumerate(old)}
        for key, value in wanted.items():
            if key in have:
                old[have[key]] = _merge(old[have[key]], value, path)
            else:
                old.append(_flow(_clean(value)))
        return old
    return old if _same(old, new) else new


def _insert_at(old: Any, order: list[str], key: str) -> int:
    """Where a new key goes: after the last key that precedes it in ``order``."""
    before = order[: order.index(key)]
    existing = list(old)
    positions = [existing.index(k) + 1 for k in before if k in existing]
    return max(positions, default=0)


@dataclass(frozen=True, slots=True)
class Merged:
    """An existing inventory with group and production brought up to date."""

    file: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        """Whether the discovery changes the file."""
        return self.before != self.after

    def diff(self) -> str:
        """The change as a unified diff ('' when nothing changes)."""
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=self.file,
                tofile=f"{self.file} (imported)",
            )
        )


def _inventory_error(
    file: str, message: str, where: Location | None = None
) -> InventoryError:
    return InventoryError(
        f"{file}: {message}",
        (Diagnostic(where or Location(file), "invalid", message),),
    )


def check_group(
    doc: DiscoveryDocument, group_name: object, inventory_file: str
) -> None:
    """Refuse a discovery of another group than the inventory's (case-insensitive)."""
    found = doc.discovery.group.name
    if isinstance(group_name, str) and found.upper() == group_name.upper():
        return
    raise DiscoveryError(
        f"{doc.file}: another group's discovery",
        (
            Diagnostic(
                doc.locate(("group", "name")),
                "other-group",
                f"this discovery is of group '{shown(found)}', the inventory "
                f"{inventory_file} describes '{shown(group_name)}'",
                hint="discover the group the inventory describes, or pass the "
                "inventory of this group",
            ),
        ),
    )


def merge_into(inventory: Path, doc: DiscoveryDocument) -> Merged:
    """The inventory's text with group and production from the discovery.

    Raises:
        InventoryError: the inventory cannot be read or is not a mapping with
            a group and production.
        DiscoveryError: the discovery is of another group.
    """
    file = relative_display(inventory)
    try:
        # UTF-8, or UTF-16 with a byte order mark, as drgen reads inventories
        # everywhere (written back as UTF-8).
        before = decode_text(inventory.read_bytes(), "inventory")
    except OSError as exc:
        raise _inventory_error(file, f"cannot read inventory: {exc.strerror}") from None
    except TextDecodeError as exc:
        at = Location(file, exc.line, exc.column)
        raise _inventory_error(file, exc.message, at) from None
    from ruamel.yaml.error import YAMLError

    yaml = _yaml()
    try:
        data = yaml.load(before)
    except (YAMLError, ValueError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            Location(file, mark.line + 1, mark.column + 1) if mark is not None else None
        )
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise _inventory_error(
            file, f"YAML syntax error: {shown(problem)}", where
        ) from None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), dict) for k in ("group", "production")
    ):
        raise _inventory_error(file, "not an inventory with group and production")
    check_group(doc, data["group"].get("name"), file)
    group, production = inventory_parts(doc)
    # A host new to the inventory gets what discovery cannot read as placeholders.
    hosts = data["group"].get("hosts")
    known = {
        str(h.get("name", "")).upper()
        for h in (hosts if isinstance(hosts, list) else [])
        if isinstance(h, dict)
    }
    new_hosts = [h for h in group["hosts"] if h["name"].upper() not in known]
    _host_placeholders(new_hosts)
    _merge(data["group"], group, ("group",))
    _merge(data["production"], production, ("production",))
    add_review_notes(data["group"], data["production"], doc.discovery)
    stream = io.StringIO()
    yaml.dump(data, stream)
    return Merged(file, before, stream.getvalue())
