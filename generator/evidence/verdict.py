"""The readiness verdict as data: why a result keeps a site from being ready
(``Reason``), a result and its file, what the inventory expects of a site, and
the verdict per kind of result, DR server and site.

``readiness.evaluate`` decides it (the module docstring there says what each
reason means); ``report`` shows it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from generator.evidence.results import DrillResult

# The kinds of result, in report order; the first two are required of every server.
KINDS = ("Bundle", "Dormant", "Ready", "Active")


class Reason(enum.Enum):
    """Why a result (or its absence) makes the site not ready."""

    FAILED = "failed"
    STALE = "stale"
    FOREIGN = "foreign"
    MISSING = "missing"
    SUPERSEDED = "superseded"
    SCRIPT_CHANGED = "script changed"
    FUTURE = "future"
    INCOMPLETE = "incomplete"
    BUNDLE_DIFFERS = "bundle check differs"
    IDENTITY = "identity"


@dataclass(frozen=True, slots=True)
class Loaded:
    """One drill result and the file it was read from."""

    path: Path
    result: DrillResult


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the inventory says the site is: its DR servers and current bundle."""

    site: str
    inventory: str
    servers: tuple[str, ...]
    bundle_id: str
    # What the bundle id is computed from ("": not compared).
    inventory_sha256: str = ""
    drgen_version: str = ""
    # The ids of the checks Test-DrBundle.ps1 of this bundle makes (empty: not
    # compared): sha256:<file> for every file of the site, signature:<file> and
    # code:<file> for every script and signature:Test-DrBundle.ps1
    # (``bundle_check_ids``).
    bundle_checks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Cell:
    """The latest result of one kind on one server, and what is wrong with it."""

    server: str
    kind: str
    latest: Loaded | None
    reasons: tuple[Reason, ...]
    # How many results of this kind the server has (older ones are not judged).
    runs: int = 0
    # A drill's result that is stale or from another bundle: shown, not judged.
    notes: tuple[Reason, ...] = ()
    # What a reason found, naming the result file and the check (for the
    # reasons that need more than the result to explain).
    details: tuple[tuple[Reason, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing about this cell keeps the site from being ready."""
        return not self.reasons


@dataclass(frozen=True, slots=True)
class ServerStatus:
    """One DR server: a cell per kind, in :data:`KINDS` order."""

    name: str
    cells: tuple[Cell, ...]
    # A computer that reported for the site but is not one of its DR servers.
    unknown: bool = False

    @property
    def ok(self) -> bool:
        """True when every cell is."""
        return all(cell.ok for cell in self.cells)


@dataclass(frozen=True, slots=True)
class SiteStatus:
    """One DR site's verdict."""

    site: str
    inventory: str | None
    servers: tuple[ServerStatus, ...]
    # None without an inventory: foreign and missing were not judged.
    bundle_id: str | None

    @property
    def judged(self) -> bool:
        """False without an inventory: missing servers and other bundles unseen."""
        return self.bundle_id is not None

    @property
    def ready(self) -> bool:
        """True when the site was judged against its inventory and every server is
        ok: without one, what cannot be seen (a server with no result, a result
        of another bundle) would pass unnoticed, so the site is never ready."""
        return self.judged and all(server.ok for server in self.servers)

    @property
    def cells(self) -> tuple[Cell, ...]:
        """Every cell of every server."""
        return tuple(cell for server in self.servers for cell in server.cells)

    def count(self, reason: Reason) -> int:
        """How many cells have ``reason``."""
        return sum(reason in cell.reasons for cell in self.cells)


@dataclass(frozen=True, slots=True)
class Readiness:
    """The verdict over every site the results (or the inventory) name."""

    now: datetime
    max_age: timedelta
    sites: tuple[SiteStatus, ...]
    # Results for a site other than the inventory's: shown, not judged.
    other: tuple[Loaded, ...]
    files: int
    # Errors of a drift comparison (``drgen report --drift``): production no
    # longer matches the inventory the bundle was rendered from.
    drift_errors: int = 0

    @property
    def ready(self) -> bool:
        """True when every site judged is ready (and there is one), without drift."""
        sites = bool(self.sites) and all(site.ready for site in self.sites)
        return sites and not self.drift_errors
