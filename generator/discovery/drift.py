"""``drgen drift``: every difference between production (a discovery) and the
inventory, with what it breaks at the DR site and where to fix it.

Each finding has a stable code (``CODES``; docs/discovery.md lists them), a
severity, a plain-words consequence and the ``FILE:LINE:COL`` in the inventory
to change (the discovery file only for its own age). Computer, host, account
and SQL instance names compare case-insensitively; messages keep the
inventory's spelling. Pure: the caller passes ``now``; nothing is read here.

This module runs the comparisons (``drift_group``, ``drift_hosts``) and the age
check; what a finding and the report are is ``drift_findings``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from generator.discovery.drift_findings import (
    CODES,
    ERROR,
    WARNING,
    Code,
    DriftFinding,
    DriftReport,
    Finder,
)
from generator.discovery.drift_group import (
    compare_databases,
    compare_group_settings,
    compare_versions,
)
from generator.discovery.drift_hosts import (
    compare_clustered,
    compare_disabled,
    compare_hosts,
    compare_servers,
)
from generator.discovery.load import DiscoveryDocument
from generator.inventory.load import RawDocument
from generator.inventory.model import Inventory


def _utc(at: datetime) -> str:
    try:
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:  # year 1 or 9999 with an offset: shown as written
        return at.isoformat()


def _age(f: Finder, now: datetime | None, max_age: timedelta | None) -> None:
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
    finder = Finder(inv, doc, disc)
    compare_versions(finder)
    compare_databases(finder)
    compare_group_settings(finder)
    added, removed = compare_hosts(finder)
    compare_servers(finder, added, removed)
    compare_clustered(finder)
    compare_disabled(finder)
    _age(finder, now, max_age)
    collected = disc.discovery.collected
    return DriftReport(
        inventory=doc.file,
        discovery=disc.file,
        collected_at=_utc(collected.at),
        computer=collected.computer,
        findings=tuple(sorted(finder.found, key=_order)),
    )


__all__ = [
    "CODES",
    "ERROR",
    "WARNING",
    "Code",
    "DriftFinding",
    "DriftReport",
    "drift",
]
