"""Drift of the group as a whole: the BizTalk version and CU, the databases and
MessageBoxes, the SSO master secret server and the service accounts.

SQL instance and database names compare case-insensitively; a SQL instance
spelled otherwise than production spells it is a finding too (UpdateInfo.xml
must name it as production does).
"""

from __future__ import annotations

from generator.catalogue import CATALOGUE as N
from generator.discovery.drift_findings import Finder, upper
from generator.discovery.model import DatabaseRef
from generator.discovery.production import netbios_name, version_of
from generator.inventory.load import Path_
from generator.inventory.model import Database
from generator.plan.databases import RESERVED_BACKUP_NAMES


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


def _same_db(db: Database, ref: DatabaseRef) -> bool:
    return upper(db.server) == upper(ref.server) and upper(db.name) == upper(ref.name)


def _db_at(db: Database | None, ref: DatabaseRef | None) -> str:
    item = db or ref
    return f"{item.name} on {item.server}" if item else ""


def compare_versions(f: Finder) -> None:
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
    if group.cu is not None and upper(group.cu).replace(" ", "") != upper(cu).replace(
        " ", ""
    ):
        f.add(
            "DRIFT041",
            ("group", "biztalk_cu") if cu is not None else ("group", "biztalk_version"),
            f"production is at {group.cu}, the inventory "
            + (f"says {cu}" if cu is not None else "records no CU (group.biztalk_cu)"),
        )


def _database(
    f: Finder, label: str, path: Path_, db: Database | None, ref: DatabaseRef | None
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
        moved = upper(db.server) != upper(ref.server)
        f.add(
            "DRIFT023",
            (*path, "server" if moved else "name"),
            f"{label} database: the inventory has {db.name} on {db.server}, "
            f"production has {ref.name} on {ref.server}"
            + (_moved_why(db.server, ref.server) if moved else ""),
        )


def compare_databases(f: Finder) -> None:
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
        have = {upper(o.backup_name): (i, o) for i, o in enumerate(dbs.other)}
        seen = set()
        # BizTalk's own rows (SSO, Rules Engine, BAM alerts) are not custom ones.
        for ref in group.other_databases or ():
            if upper(ref.backup_name) in RESERVED_BACKUP_NAMES:
                continue
            seen.add(upper(ref.backup_name))
            index_db = have.get(upper(ref.backup_name))
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
            if upper(db.backup_name) not in seen:
                _database(
                    f, f"custom ({db.backup_name})", (*base, "other", index), db, None
                )


def _messageboxes(f: Finder) -> None:
    path: Path_ = ("group", "databases", "messageboxes")
    inventory = f.inv.group.databases.messageboxes
    found = f.disc.discovery.group.messageboxes
    by_name = {upper(m.name): (i, m) for i, m in enumerate(inventory)}
    seen = set()
    for ref in found:
        seen.add(upper(ref.name))
        match = by_name.get(upper(ref.name))
        if match is None:
            f.add(
                "DRIFT020",
                path,
                f"production has MessageBox {ref.name} on {ref.server}; the "
                "inventory does not list it",
            )
            continue
        index, box = match
        if upper(box.server) != upper(ref.server):
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
        if upper(box.name) not in seen:
            f.add(
                "DRIFT021",
                (*path, index, "name"),
                f"the inventory's MessageBox {box.name} on {box.server} is not in "
                "production",
            )


def compare_group_settings(f: Finder) -> None:
    group = f.disc.discovery.group
    secret = group.master_secret_server
    # None: not readable by who ran the script.
    if secret is not None and upper(netbios_name(secret)) != upper(
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
        if found is not None and upper(found) != upper(have):
            f.add(
                "DRIFT031",
                ("group", "accounts", key) if have else ("group", "accounts"),
                f"the {label} service logs on as {found} in production, "
                f"the inventory has {have or 'none'}",
            )
