"""The readiness report as the template shows it: every word and class decided here.

``readiness.evaluate`` says what is wrong; this module turns that verdict, the
capacity table of the Plan and drift findings into rows of text for
``templates/report/Report.html.jinja``, which only prints them (autoescaped).
Everything is sorted or in inventory order, and the only time shown is the
caller's ``now``: the same inputs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import Diagnostic, Location, TemplateError
from generator.evidence.readiness import (
    KINDS,
    SERVER_SCRIPT,
    Cell,
    Loaded,
    Readiness,
    Reason,
    ServerStatus,
    SiteStatus,
    expected_script_sha256,
)
from generator.evidence.results import DrillResult, utc_text
from generator.plan.mapping import Capacity

if TYPE_CHECKING:
    from generator.discovery.drift_findings import DriftReport

REPORT_TEMPLATE = "report/Report.html.jinja"

_REASON_TEXT = {
    Reason.FAILED: "failed checks",
    Reason.STALE: "stale",
    Reason.FOREIGN: "other bundle",
    Reason.MISSING: "missing",
    Reason.SUPERSEDED: "a drill since",
    Reason.SCRIPT_CHANGED: "the script that ran is not the bundle's",
    Reason.FUTURE: "dated after the report: check the server clock",
    Reason.INCOMPLETE: "the bundle check did not check every file",
    Reason.BUNDLE_DIFFERS: "the servers ran different bundle checks",
    Reason.IDENTITY: "inventory or drgen version is not the bundle's",
}


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
    """One failed check of a latest result."""

    server: str
    kind: str
    id: str
    check: str
    expected: str
    observed: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a site is not ready, in words."""

    server: str
    kind: str
    reason: str
    detail: str


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
    findings: tuple[Finding, ...]
    failures: tuple[Failure, ...]
    grids: tuple[Grid, ...]
    judged: bool = True


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


def _days(age: timedelta) -> str:
    days = age.days
    return "1 day" if days == 1 else f"{days} days"


def _cell_badge(cell: Cell, now: datetime) -> Badge:
    if cell.latest is None:
        if Reason.MISSING in cell.reasons:
            return Badge("MISSING", "fail", "no result")
        return Badge("not run", "none")
    result = cell.latest.result
    failed = len(result.failed)
    total = len(result.checks)
    when = utc_text(result.finished)
    words = []
    if failed or not total:
        words.append(f"FAIL {failed} of {total}")
    else:
        words.append(f"PASS {total} of {total}")
    marks = cell.reasons + cell.notes
    if Reason.STALE in marks:
        words.append(f"stale ({_days(now - result.finished)} old)")
    if Reason.FOREIGN in marks:
        words.append("other bundle")
    if Reason.SUPERSEDED in marks:
        words.append("a drill since")
    if Reason.SCRIPT_CHANGED in marks:
        words.append("script not the bundle's")
    if Reason.FUTURE in marks:
        words.append("dated in the future")
    if Reason.INCOMPLETE in marks:
        words.append("files not checked")
    if Reason.BUNDLE_DIFFERS in marks:
        words.append("bundle check differs")
    if Reason.IDENTITY in marks:
        words.append("inconsistent identity")
    if cell.notes:
        words.append("not judged")
    css = "fail" if Reason.FAILED in cell.reasons else "pass"
    if css == "pass" and marks:
        css = "warn"
    return Badge(", ".join(words), css, f"{when} by {result.run_by}")


def _findings(site: SiteStatus, now: datetime, max_age: timedelta) -> list[Finding]:
    found = []
    for server in site.servers:
        for cell in server.cells:
            marks = [(r, True) for r in cell.reasons]
            marks += [(r, False) for r in cell.notes]
            explained: dict[Reason, str] = {}
            for reason, text in cell.details:
                explained[reason] = "; ".join(
                    filter(None, (explained.get(reason), text))
                )
            for reason, judged in marks:
                result = cell.latest.result if cell.latest else None
                if reason in explained:
                    detail = explained[reason]
                elif reason is Reason.MISSING:
                    script = "Test-DrBundle.ps1"
                    if cell.kind != "Bundle":
                        script = f"Test-DrServer.ps1 -Expect {cell.kind}"
                    detail = f"no result of {script}"
                elif result is None:
                    continue
                elif reason is Reason.FAILED:
                    detail = (
                        f"{len(result.failed)} of {len(result.checks)} checks failed"
                    )
                    if not result.checks:
                        detail = "the result has no checks"
                elif reason is Reason.STALE:
                    detail = (
                        f"finished {utc_text(result.finished)}, "
                        f"{_days(now - result.finished)} ago (limit {_days(max_age)})"
                    )
                elif reason is Reason.SUPERSEDED:
                    detail = (
                        f"finished {utc_text(result.finished)}; a Ready or Active "
                        "result finished later: run Test-DrServer.ps1 -AfterDrill"
                    )
                elif reason is Reason.SCRIPT_CHANGED:
                    detail = _script_detail(server, result.script_sha256)
                elif reason is Reason.FUTURE:
                    detail = (
                        f"finished {utc_text(result.finished)}, after this report "
                        f"({utc_text(now)}): the server's clock is ahead, and the "
                        "result would stay the latest and never go stale"
                    )
                elif server.unknown:
                    detail = f"{server.name} is not a DR server of site {site.site}"
                else:
                    detail = (
                        f"tested bundle {result.bundle_id[:12]}, "
                        f"the inventory renders {(site.bundle_id or '')[:12]}"
                    )
                label = _REASON_TEXT[reason]
                if not judged:
                    label += " (an earlier drill: not judged)"
                found.append(Finding(server.name, cell.kind, label, detail))
    return found


def _script_detail(server: ServerStatus, ran: str) -> str:
    bundle = next(c.latest for c in server.cells if c.kind == "Bundle")
    expected = expected_script_sha256(bundle, server.name) if bundle else None
    checked = utc_text(bundle.result.finished) if bundle else "?"
    return (
        f"{SERVER_SCRIPT} that ran has SHA-256 {ran.upper()[:12]}, the bundle's "
        f"{server.name}\\{SERVER_SCRIPT} {(expected or '?')[:12]} (Test-DrBundle.ps1 "
        f"of {checked}): what was tested is not what would run; copy the bundle's "
        "script back and run the test again (needed too after the bundle is re-signed)"
    )


def _failures(site: SiteStatus) -> list[Failure]:
    return [
        Failure(
            cell.server,
            cell.kind,
            check.id,
            check.check,
            check.expected,
            check.observed,
        )
        for cell in site.cells
        if cell.latest is not None
        for check in cell.latest.result.failed
    ]


def _grid(site: SiteStatus, kind: str) -> Grid | None:
    cells = [c for c in site.cells if c.kind == kind and c.latest is not None]
    if not cells:
        return None
    servers = tuple(c.server for c in cells)
    names: dict[str, str] = {}
    by_server: dict[str, dict[str, bool]] = {}
    for cell in cells:
        assert cell.latest is not None  # noqa: S101 - filtered above
        by_server[cell.server] = {c.id: c.passed for c in cell.latest.result.checks}
        for check in cell.latest.result.checks:
            names.setdefault(check.id, check.check)
    rows = []
    for check_id in sorted(names):
        row = []
        for server in servers:
            passed = by_server[server].get(check_id)
            if passed is None:
                row.append(Badge("—", "none", "not checked on this server"))
            else:
                row.append(Badge("pass", "pass") if passed else Badge("FAIL", "fail"))
        rows.append(GridRow(check_id, names[check_id], tuple(row)))
    title = (
        "Test-DrBundle.ps1" if kind == "Bundle" else f"Test-DrServer.ps1 -Expect {kind}"
    )
    return Grid(kind, title, servers, tuple(rows))


def _anchor(name: str) -> str:
    return "site-" + "".join(ch if ch.isalnum() else "-" for ch in name.lower())


def _verdict(ready: bool, judged: bool) -> Badge:
    if not judged:
        return Badge("NOT JUDGED", "fail")
    return Badge("READY", "pass") if ready else Badge("NOT READY", "fail")


def _site_view(site: SiteStatus, now: datetime, max_age: timedelta) -> SiteView:
    verdict = _verdict(site.ready, site.judged)
    servers = tuple(
        ServerRow(
            server.name,
            "not a DR server of this site" if server.unknown else "",
            tuple(_cell_badge(cell, now) for cell in server.cells),
        )
        for server in site.servers
    )
    grids = tuple(g for kind in KINDS if (g := _grid(site, kind)) is not None)
    return SiteView(
        site.site,
        _anchor(site.site),
        site.ready,
        site.inventory or "(no inventory given)",
        site.bundle_id or "(no inventory given)",
        verdict,
        KINDS,
        servers,
        tuple(_findings(site, now, max_age)),
        tuple(_failures(site)),
        grids,
        site.judged,
    )


def capacity_view(capacity: Capacity) -> CapacityView:
    """The Plan's capacity table, with the same words as ``drgen plan``."""
    caption = (
        f"Host instances each DR server takes over, against the busiest production "
        f"server ({capacity.busiest_server}, {capacity.busiest_load}); warning above "
        f"{capacity.warning_ratio:g} times. {capacity.dr_servers} DR server(s) for "
        f"{capacity.production_servers} production server(s)."
    )
    rows = tuple(
        CapacityRowView(
            row.server,
            ", ".join(row.mirrors) or "(own host instances)",
            str(row.load),
            str(row.runs),
            "n/a" if row.ratio is None else f"{row.ratio:.2f}",
            Badge("over", "warn") if row.over else Badge("ok", "pass"),
        )
        for row in capacity.rows
    )
    return CapacityView(caption, rows)


def _file_row(path: str, result: DrillResult, other: bool) -> ResultFile:
    return ResultFile(
        path,
        "not judged: another site or inventory" if other else "",
        result.script,
        result.computer,
        result.run_by,
        result.site,
        result.kind,
        utc_text(result.finished),
        result.bundle_id,
        result.script_sha256.upper(),
    )


def report_context(
    readiness: Readiness,
    loaded: Sequence[Loaded],
    *,
    capacity: Capacity | None = None,
    drift: DriftView | None = None,
    display: Callable[[Path], str] = str,
) -> ReportContext:
    """The view of a readiness verdict; ``display`` shows a result file's path."""
    now = readiness.now
    sites = tuple(_site_view(s, now, readiness.max_age) for s in readiness.sites)
    notices = []
    if not readiness.sites or any(s.bundle_id is None for s in readiness.sites):
        notices.append(
            "No inventory given (--inventory): servers without a result and results "
            "from another bundle cannot be found, so no site is judged ready; failed "
            "and stale results are still shown."
        )
    if not loaded:
        notices.append("No drill results were found: nothing is known to be ready.")
    if readiness.other:
        notices.append(
            f"{len(readiness.other)} result(s) for another site or inventory were "
            "read and not judged (listed under Results read)."
        )
    verdict = _verdict(
        readiness.ready, bool(sites) and all(s.judged for s in readiness.sites)
    )
    other = {each.path for each in readiness.other}
    files = tuple(
        _file_row(display(each.path), each.result, each.path in other)
        for each in sorted(loaded, key=lambda each: each.path)
    )
    return ReportContext(
        title="DR readiness report",
        generated=utc_text(now),
        max_age=_days(readiness.max_age),
        verdict=verdict,
        notices=tuple(notices),
        sites=sites,
        capacity=capacity_view(capacity) if capacity else None,
        drift=drift,
        files=files,
    )


def render_report(context: ReportContext, templates: Path) -> str:
    """The report's HTML (LF line ends), from ``templates/report/``.

    Its own environment: HTML autoescape on for every value (the bundle's
    environment escapes for PowerShell and XML), undefined names are errors.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    try:
        return env.get_template(REPORT_TEMPLATE).render(report=context)
    except jinja2.TemplateError as exc:
        where = Location(f"templates/{REPORT_TEMPLATE}", getattr(exc, "lineno", 0) or 0)
        message = f"{type(exc).__name__}: {exc}"
        raise TemplateError(
            f"{where}: {message}", (Diagnostic(where, "template", message),)
        ) from None


def drift_view(found: DriftReport, source: str) -> DriftView:
    """The drift findings of one discovery file, errors first, as rows."""
    ordered = sorted(
        found.findings,
        key=lambda f: (f.severity != "error", f.code, str(f.location), f.message),
    )
    rows = tuple(
        DriftRow(
            finding.severity,
            f"{finding.code} ({finding.location})",
            f"{finding.message}; breaks: {finding.breaks}",
        )
        for finding in ordered
    )
    summary = (
        f"{len(found.errors)} error(s), {len(found.warnings)} warning(s); discovery "
        f"collected {found.collected_at or 'at an unknown time'} on "
        f"{found.computer or 'an unknown computer'}."
    )
    return DriftView(source, summary, rows, len(found.errors))
