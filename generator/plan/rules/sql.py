"""Rules about databases: SQL mapping, MessageBoxes, Backup job names."""

from __future__ import annotations

from collections.abc import Iterator

from generator.errors import Diagnostic
from generator.inventory.load import Path_, RawDocument
from generator.inventory.model import Inventory
from generator.plan.databases import RESERVED_BACKUP_NAMES
from generator.plan.rules.common import error


def _backup_names(inv: Inventory, doc: RawDocument) -> Iterator[Diagnostic]:
    """Each custom database has its own Backup job name, not one BizTalk uses."""
    seen: dict[str, int] = {}
    for index, other in enumerate(inv.group.databases.other):
        path: Path_ = ("group", "databases", "other", index, "backup_name")
        key = other.backup_name.upper()
        if key in seen:
            yield error(
                doc,
                path,
                "duplicate-backup-name",
                f"backup_name '{other.backup_name}' is used by two databases",
                hint="UpdateDatabase.vbs updates the one row registered under this "
                "name; each database is registered under its own",
            )
        seen[key] = index
        if key in RESERVED_BACKUP_NAMES:
            yield error(
                doc,
                path,
                "reserved-backup-name",
                f"backup_name '{other.backup_name}' is the name BizTalk itself "
                "registers; drgen writes that entry from the group's own databases",
                hint="list only databases you added to the Backup BizTalk Server job",
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
            yield error(
                doc,
                path,
                "sql-not-mapped",
                f"SQL instance '{server}' has no DR mapping in dr.sql",
                hint=f"add '{server}: <DR instance>' under dr.sql",
            )
    for source, target in inv.dr.sql.items():
        if target.upper() in production:
            yield error(
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
        yield error(
            doc,
            ("group", "databases", "messageboxes"),
            "master-messagebox",
            f"exactly one MessageBox must have master: true (found {len(masters)})",
        )
