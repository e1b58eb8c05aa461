"""What ``templates/report/Report.html.jinja`` prints: the readiness report as
rows of text, every word and CSS class already decided (``report`` and
``report_sites`` fill them in; the template only prints them, autoescaped).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Badge:
    """A short status text and its CSS class: pass, fail, warn or none."""

    text: str
    css: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ServerRow:
    """A DR server and one badge per kind of result."""

    name: str
    note: str
    cells: tuple[Badge, ...]


@dataclass(frozen=True, slots=True)
class GridRow:
    """One check id across the servers that ran it."""

    id: str
    check: str
    cells: tuple[Badge, ...]


@dataclass(frozen=True, slots=True)
class Grid:
    """The pass/fail grid of one kind of result on one site."""

    kind: str
    title: str
    servers: tuple[str, ...]
    rows: tuple[GridRow, ...]


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed check of a latest result, and how to fix it (``fixes``)."""

    server: str
    kind: str
    id: str
    check: str
    expected: str
    observed: str
    fix: str
    # "" for a standby check; "a drill" (Ready, Active: not part of the standby
    # verdict) or "an earlier drill" (stale, or of another bundle).
    drill: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a site is not ready (or a note on a drill), in words."""

    server: str
    kind: str
    reason: str
    detail: str
    fix: str
    # False: a note (a drill's result), not a reason against the standby.
    judged: bool = True
    # The reason's value (``verdict.Reason``): "failed", "stale", ...
    code: str = ""


@dataclass(frozen=True, slots=True)
class DrillView:
    """The last full drill of a site: one line, its colour, and what it means."""

    # "Last full drill: 2026-09-20 (Ready and Active results of this bundle)",
    # "Last full drill: never (...)", or "Last full drill: not known (...)".
    text: str
    # pass: drilled and passed; fail: the drill failed; warn: never; none: unknown.
    css: str
    # What the line means for this site, in a sentence.
    note: str


@dataclass(frozen=True, slots=True)
class SiteView:
    """One site's part of the report."""

    name: str
    anchor: str
    ready: bool
    inventory: str
    bundle_id: str
    verdict: Badge
    kinds: tuple[str, ...]
    servers: tuple[ServerRow, ...]
    # Why the standby is not ready (each judged).
    findings: tuple[Finding, ...]
    failures: tuple[Failure, ...]
    grids: tuple[Grid, ...]
    drill: DrillView
    judged: bool = True
    # What is wrong with a drill's result: noted, not part of the standby verdict.
    drill_notes: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class CapacityRowView:
    """One row of the capacity table, as ``drgen plan`` shows it."""

    server: str
    mirrors: str
    load: str
    runs: str
    ratio: str
    over: Badge


@dataclass(frozen=True, slots=True)
class CapacityView:
    """The capacity table of the Plan."""

    caption: str
    rows: tuple[CapacityRowView, ...]


@dataclass(frozen=True, slots=True)
class DriftRow:
    """One drift finding: where, what, and how bad."""

    severity: str
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class DriftView:
    """The drift findings of a discovery file, or a note that there are none."""

    source: str
    summary: str
    rows: tuple[DriftRow, ...]
    # Errors make the site not ready: production is no longer what was rendered.
    errors: int = 0


@dataclass(frozen=True, slots=True)
class ResultFile:
    """One file read, for the appendix."""

    path: str
    note: str
    script: str
    computer: str
    run_by: str
    site: str
    kind: str
    finished: str
    bundle_id: str
    script_sha256: str


@dataclass(frozen=True, slots=True)
class UnreadFile:
    """A file of a results folder that was not read as a drill result."""

    path: str
    why: str
    # True: it keeps the report from being ready (it may be a result).
    counts: bool


@dataclass(frozen=True, slots=True)
class ReportContext:
    """Everything Report.html.jinja prints."""

    title: str
    generated: str
    max_age: str
    verdict: Badge
    notices: tuple[str, ...]
    sites: tuple[SiteView, ...]
    capacity: CapacityView | None
    drift: DriftView | None
    files: tuple[ResultFile, ...]
    unread: tuple[UnreadFile, ...] = ()
    # The running header of every printed page, as a CSS string literal
    # (``report.css_string``: quoted, every character but letters, digits and
    # plain punctuation escaped, so nothing in it means anything to HTML).
    page_header: str = '""'
