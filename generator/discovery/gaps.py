"""What ``drgen drift`` could not compare, and why.

The discovery writes ``null`` for a value it could not read (docs/discovery.md):
the SSO master secret server when the account that ran it may not read the SSO
database, the CU level, a host's Windows group, an instance's logon, the custom
and some BAM databases, a service account not on the computer it ran on. Drift
then compares nothing for that value; saying "no drift" without saying so would
read as "checked and equal". Each gap names the value, where it is in the
discovery file and the drift code that was not checked. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.discovery.load import DiscoveryDocument
from generator.errors import Location
from generator.inventory.model import Inventory


@dataclass(frozen=True, slots=True)
class Gap:
    """One value of production drift could not compare."""

    what: str
    why: str
    codes: str  # the drift codes not checked for it, e.g. "DRIFT030"
    location: Location  # in the discovery file

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data (``drgen drift --format json``)."""
        return {
            "what": self.what,
            "why": self.why,
            "codes": self.codes,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
        }

    def format(self) -> str:
        """``FILE:LINE:COL: not compared: what (codes): why``."""
        return f"{self.location}: not compared: {self.what} ({self.codes}): {self.why}"


_NOT_READ = "null in the discovery: not read"


def not_compared(inv: Inventory, disc: DiscoveryDocument) -> tuple[Gap, ...]:
    """Every value drift skipped because the discovery could not read it."""
    found = disc.discovery
    group = found.group
    computer = found.collected.computer
    gaps: list[Gap] = []

    def gap(what: str, why: str, codes: str, *path: str | int) -> None:
        gaps.append(Gap(what, why, codes, disc.locate(path)))

    if group.master_secret_server is None:
        gap(
            "the SSO master secret server",
            f"{_NOT_READ} (only SSO Administrators may read the SSO database; run "
            "the discovery as one)",
            "DRIFT030",
            "group",
            "master_secret_server",
        )
    if group.cu is None and inv.group.biztalk_cu is not None:
        gap("the cumulative update level", _NOT_READ, "DRIFT041", "group", "cu")
    if found.accounts.sso_service is None:
        gap(
            "the Enterprise SSO service account",
            f"{_NOT_READ} on {computer}",
            "DRIFT031",
            "accounts",
            "sso_service",
        )
    if (
        found.accounts.rule_engine_service is None
        and inv.group.accounts.rule_engine_service is not None
    ):
        gap(
            "the Rules Engine Update service account",
            f"{_NOT_READ} on {computer} (the service may not be there)",
            "DRIFT031",
            "accounts",
            "rule_engine_service",
        )
    if group.other_databases is None and inv.group.databases.other:
        gap(
            "the custom databases (adm_OtherBackupDatabases)",
            _NOT_READ,
            "DRIFT023, DRIFT024, DRIFT025",
            "group",
            "other_databases",
        )
    bam = inv.group.databases.bam
    if bam is not None and group.bam_primary_import is not None:
        for key, label in (
            ("archive", "BAM Archive"),
            ("star_schema", "BAM Star Schema"),
            ("analysis", "BAM Analysis"),
            ("alerts_application", "BAM Alerts application"),
            ("alerts_instance", "BAM Alerts instance"),
        ):
            if getattr(bam, key) is not None and getattr(group, f"bam_{key}") is None:
                gap(
                    f"the {label} database",
                    _NOT_READ,
                    "DRIFT023, DRIFT025",
                    "group",
                    f"bam_{key}",
                )
    known = {h.name.upper() for h in inv.group.hosts}
    for index, host in enumerate(found.hosts):
        if host.windows_group is None and host.name.upper() in known:
            gap(
                f"the Windows group of host {host.name}",
                _NOT_READ,
                "DRIFT005",
                "hosts",
                index,
                "windows_group",
            )
    unread: dict[str, int] = {}
    read: set[str] = set()
    for index, instance in enumerate(found.host_instances):
        key = instance.host.upper()
        if instance.logon is None:
            unread.setdefault(key, index)
        else:
            read.add(key)
    for key, index in unread.items():
        if key in known and key not in read:
            gap(
                f"the logon of host {found.host_instances[index].host}'s instances",
                f"{_NOT_READ} for every instance",
                "DRIFT004, DRIFT006",
                "host_instances",
                index,
                "logon",
            )
    return tuple(gaps)
