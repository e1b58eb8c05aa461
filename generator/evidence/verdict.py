"""The readiness verdict as data: why a result keeps a site from being ready
(``Reason``), a result and its file, what the inventory expects of a site, the
standby verdict per kind of result, DR server and site, and the site's last
full drill (``LastDrill``), which is shown beside that verdict, never in it.

``readiness.evaluate`` decides it (the module docstring there says what each
reason means); ``report`` shows it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from generator.evidence.results import DrillResult

# The kinds of result, in report order; the first two are required of every server
# and make the standby verdict, the last two are a drill's.
KINDS = ("Bundle", "Dormant", "Ready", "Active")
DRILL_KINDS = ("Ready", "Active")


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
    AFTER_DRILL = "not re-armed"


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
    # What is wrong with a drill's result (Ready, Active): shown, never part of
    # the standby verdict; the site's ``LastDrill`` says what the drills show.
    notes: tuple[Reason, ...] = ()
    # What a reason found, naming the result file and the check (for the
    # reasons that need more than the result to explain).
    details: tuple[tuple[Reason, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing about this cell keeps the site from being ready."""
        return not self.reasons

    @property
    def history(self) -> bool:
        """A drill's result that is stale or of another bundle: an earlier drill."""
        return bool({Reason.STALE, Reason.FOREIGN} & set(self.notes))


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
class DrillGap:
    """A DR server without a counted result of one drill kind (Ready or Active)."""

    server: str
    kind: str
    # Why the server's results of that kind were not counted (empty: it has none).
    flaws: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LastDrill:
    """What the drills of the current bundle show: per DR server of the site, its
    latest Ready and latest Active result of this bundle (``readiness.last_drill``
    says which count), or why there is none.

    A full drill is one where every DR server has both; its date is the latest of
    them. It never enters the standby verdict: a prepared standby is not a tested
    one, and the report says which of the two it has.
    """

    # (DR server as the inventory spells it, its counted result), per server
    # and kind in inventory and KINDS order.
    counted: tuple[tuple[str, Loaded], ...]
    gaps: tuple[DrillGap, ...]

    @property
    def complete(self) -> bool:
        """True when every DR server has a counted Ready and Active result."""
        return bool(self.counted) and not self.gaps

    @property
    def finished(self) -> datetime | None:
        """When the full drill's last counted result finished; None: never."""
        if not self.complete:
            return None
        return max(each.result.finished for _, each in self.counted)

    @property
    def failed(self) -> tuple[tuple[str, Loaded], ...]:
        """The counted results that failed a check (or have none)."""
        return tuple(
            (server, each)
            for server, each in self.counted
            if each.result.failed or not each.result.checks
        )

    @property
    def passed(self) -> bool:
        """True when the full drill happened and each of its results passed."""
        return self.complete and not self.failed


@dataclass(frozen=True, slots=True)
class SiteStatus:
    """One DR site's verdict."""

    site: str
    inventory: str | None
    servers: tuple[ServerStatus, ...]
    # None without an inventory: foreign and missing were not judged.
    bundle_id: str | None
    # None without an inventory: which servers and which bundle are unknown.
    last_drill: LastDrill | None = None

    @property
    def judged(self) -> bool:
        """False without an inventory: missing servers and other bundles unseen."""
        return self.bundle_id is not None

    @property
    def ready(self) -> bool:
        """The standby verdict: True when the site was judged against its inventory
        and every server is ok (only Bundle and Dormant results carry reasons).
        Without an inventory, what cannot be seen (a server with no result, a
        result of another bundle) would pass unnoticed, so the site is never
        ready."""
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
