"""``drgen discover --simulate``: the discovery a production matching an inventory
would write, for tests, demos and drills.

Deterministic: the same inventory gives the same bytes. ``collected.at`` is the
fixed ``SIMULATED_AT`` (the Unix epoch), never the clock, so a drift check of a
simulated file against a real ``now`` reports it as old (DRIFT050, a warning);
pass ``now=SIMULATED_AT`` to the library to leave age out. The product version
is the catalogue's example build of the inventory's BizTalk version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator import __version__
from generator.catalogue import CATALOGUE as N
from generator.discovery.model import SCHEMA_ID
from generator.errors import InventoryError
from generator.inventory.load import load_inventory
from generator.inventory.model import Database, Inventory
from generator.inventory.validation import parse_inventory
from generator.plan.rules import check_rules

SIMULATED_AT = "1970-01-01T00:00:00Z"
SIMULATED_USER = "SIMULATED\\drgen"

# A build of each version (catalogue ver:* entries give the prefix; a test checks
# each build starts with it) and the ProductName the registry shows.
PRODUCT = {
    "2013R2": ("3.11.158.0", "Microsoft BizTalk Server 2013 R2"),
    "2016": ("3.12.774.0", "Microsoft BizTalk Server 2016"),
    "2020": ("3.13.717.0", "Microsoft BizTalk Server 2020"),
}
HOST_TYPE = {"in-process": 1, "isolated": 2}
RUNNING = 4  # MSBTS_HostInstance.ServiceState: running
NOT_CLUSTERED = 0  # MSBTS_HostInstance.ClusterInstanceType: UnClusteredInstance


def _db(db: Database | None) -> dict[str, str] | None:
    return None if db is None else {"server": db.server, "name": db.name}


def _backup_databases(inv: Inventory) -> list[dict[str, str]]:
    """adm_OtherBackupDatabases as the script reads it: BizTalk's own rows (SSO,
    the Rules Engine, the BAM alerts databases) and the custom ones, in the
    query's order (by name, case ignored as SQL Server's default collation)."""
    dbs = inv.group.databases
    bam = dbs.bam
    own: list[tuple[str, Database | None]] = [
        (N["answer:default-name/SSO"], dbs.sso),
        (N["answer:default-name/RuleEngine"], dbs.rule_engine),
        (
            N["answer:default-name/BamAlertsApplication"],
            bam.alerts_application if bam else None,
        ),
        (
            N["answer:default-name/BamAlertsInstance"],
            bam.alerts_instance if bam else None,
        ),
    ]
    rows = [
        {"backup_name": name, "server": db.server, "name": db.name}
        for name, db in own
        if db is not None
    ]
    rows += [
        {"backup_name": o.backup_name, "server": o.server, "name": o.name}
        for o in dbs.other
    ]
    return sorted(
        rows,
        key=lambda r: (r["backup_name"].casefold(), r["server"].casefold()),
    )


def simulated(inv: Inventory) -> dict[str, Any]:
    """The discovery data of a production that matches ``inv`` exactly."""
    group = inv.group
    dbs = group.databases
    bam = dbs.bam
    build, product_name = PRODUCT[group.biztalk_version]
    hosts = {h.name.upper(): h for h in group.hosts}
    return {
        "schema": SCHEMA_ID,
        "collected": {
            "at": SIMULATED_AT,
            "computer": inv.production.servers[0].name,
            "user": SIMULATED_USER,
            "script_sha256": None,
            "drgen_version": __version__,
        },
        "group": {
            "name": group.name,
            "product_version": build,
            "product_name": product_name,
            "cu": group.biztalk_cu,
            "management": _db(dbs.management),
            "tracking": _db(dbs.tracking),
            "messageboxes": [
                {"server": m.server, "name": m.name, "master": m.master}
                for m in dbs.messageboxes
            ],
            "sso": _db(dbs.sso),
            "rule_engine": _db(dbs.rule_engine),
            "bam_primary_import": _db(bam.primary_import) if bam else None,
            "bam_archive": _db(bam.archive) if bam else None,
            "bam_star_schema": _db(bam.star_schema) if bam else None,
            "bam_analysis": _db(bam.analysis) if bam else None,
            "bam_alerts_application": _db(bam.alerts_application) if bam else None,
            "bam_alerts_instance": _db(bam.alerts_instance) if bam else None,
            "other_databases": _backup_databases(inv),
            "master_secret_server": group.sso.master_secret_server,
            # Everything was read: a null database above is one production lacks.
            "unread": {"backup_databases": None, "bam_configuration": None},
        },
        "hosts": [
            {
                "name": h.name,
                "host_type": HOST_TYPE[h.type],
                "windows_group": h.windows_group,
                "is_32bit_only": False,
                "tracking": False,
                "trusted": h.trusted,
            }
            for h in group.hosts
        ],
        "host_instances": [
            {
                "host": hosts[name.upper()].name if name.upper() in hosts else name,
                "server": server.name,
                "logon": hosts[name.upper()].account if name.upper() in hosts else None,
                "gmsa": hosts[name.upper()].is_gmsa if name.upper() in hosts else False,
                "disabled": False,
                "state": RUNNING,
                # drgen never clusters a host: the inventory describes none.
                "cluster_instance_type": NOT_CLUSTERED,
            }
            for server in inv.production.servers
            for name in server.host_instances
        ],
        "servers": [s.name for s in inv.production.servers],
        "accounts": {
            "sso_service": group.accounts.sso_service,
            "rule_engine_service": group.accounts.rule_engine_service,
        },
    }


def simulate(inventory_path: Path) -> str:
    """The discovery JSON (UTF-8 text, one object, trailing newline) that a
    production matching the inventory would produce.

    Raises:
        InventoryError: the inventory cannot be read or is invalid.
    """
    doc = load_inventory(inventory_path)
    inv = parse_inventory(doc)
    # Only a consistent inventory describes a production (every instance's host).
    errors = tuple(d for d in check_rules(inv, doc) if d.severity == "error")
    if errors:
        raise InventoryError(f"{doc.file}: invalid inventory", errors)
    return json.dumps(simulated(inv), indent=2, ensure_ascii=False) + "\n"
