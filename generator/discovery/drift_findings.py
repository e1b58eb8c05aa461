"""What ``drgen drift`` reports: the kinds of drift (``CODES``, listed in
docs/discovery.md), one finding, the report, and the ``Finder`` the comparisons
(``drift_group``, ``drift_hosts``) add their findings to, located in the
inventory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.discovery.gaps import Gap
from generator.discovery.load import DiscoveryDocument
from generator.errors import Location
from generator.inventory.load import Path_, RawDocument
from generator.inventory.model import Inventory

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


class Finder:
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
        """A finding of ``code`` at ``path`` in the inventory (or ``where``); the
        code's consequence and severity unless given."""
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


def upper(text: str | None) -> str:
    """``text`` in upper case ('' for None): names compare case-insensitively."""
    return (text or "").upper()
