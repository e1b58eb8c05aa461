"""``group`` and ``production`` as a discovery knows them, in the inventory's keys
and order, and the placeholders for what a discovery cannot read.

``drgen import`` writes them into a new inventory (``importer``) or merges them
into an existing one (``import_merge``). A value of ``DROP`` means "production
has none"; a key left out means "discovery cannot tell".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.discovery.load import DiscoveryDocument
from generator.discovery.model import DatabaseRef, OtherDatabaseRef
from generator.discovery.production import (
    host_accounts,
    netbios_name,
    production_servers,
    version_of,
)
from generator.errors import Diagnostic, DiscoveryError
from generator.inventory.model import VERSIONS
from generator.inventory.prescan import PLACEHOLDER
from generator.plan.databases import RESERVED_BACKUP_NAMES
from generator.text import shown

HOST_TYPES = {1: "in-process", 2: "isolated"}


class _Drop:
    """A key production says is absent: removed from the inventory when merging."""

    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()


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


def host_placeholders(hosts: list[dict[str, Any]]) -> None:
    """A host's Windows group, logon and application pools, when not read."""
    for host in hosts:
        host.setdefault("windows_group", PLACEHOLDER + "DOMAIN\\BizTalk Hosts")
        host.setdefault("account", PLACEHOLDER + "DOMAIN\\svc-" + host["name"][:50])
        if host["type"] == "isolated":
            host["app_pools"] = [PLACEHOLDER + "AppPool"]
