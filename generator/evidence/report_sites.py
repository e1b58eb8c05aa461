"""One DR site's part of the readiness report: the standby verdict, the last
full drill, a badge per server and kind of result, each reason in words with
what to do about it, the failed checks with their fixes and the pass/fail
grids, from the site's ``SiteStatus``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from generator.evidence.fixes import check_fix, reason_fix
from generator.evidence.readiness import SERVER_SCRIPT, expected_script_sha256
from generator.evidence.report_view import (
    Badge,
    DrillView,
    Failure,
    Finding,
    Grid,
    GridRow,
    ServerRow,
    SiteView,
)
from generator.evidence.results import utc_date, utc_text
from generator.evidence.verdict import (
    DRILL_KINDS,
    KINDS,
    Cell,
    DrillGap,
    LastDrill,
    Reason,
    ServerStatus,
    SiteStatus,
)

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
    Reason.AFTER_DRILL: "fenced after a drill, not re-armed",
}


def days_text(age: timedelta) -> str:
    """An age in whole days, as the report words it."""
    days = age.days
    return "1 day" if days == 1 else f"{days} days"


def verdict_badge(ready: bool, judged: bool) -> Badge:
    """The standby verdict of a site, or of the whole report: it says "standby",
    so a READY is never read as "a failover was tested" (the last full drill
    says that, beside it)."""
    if not judged:
        return Badge("NOT JUDGED", "fail")
    if ready:
        return Badge("STANDBY READY", "pass")
    return Badge("STANDBY NOT READY", "fail")


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
        words.append(f"stale ({days_text(now - result.finished)} old)")
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
    if Reason.AFTER_DRILL in marks:
        words.append("-AfterDrill: not re-armed")
    if cell.history:
        words.append("an earlier drill")
    # A drill's failed result is red too: it is a failed drill, even though it
    # is not part of the standby verdict.
    css = "fail" if Reason.FAILED in marks else "pass"
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
                        f"{days_text(now - result.finished)} ago "
                        f"(limit {days_text(max_age)})"
                    )
                elif reason is Reason.SUPERSEDED:
                    detail = (
                        f"finished {utc_text(result.finished)}; a Ready or Active "
                        "result finished later: run Test-DrServer.ps1 -AfterDrill"
                    )
                elif reason is Reason.SCRIPT_CHANGED:
                    detail = _script_detail(server, result.script_sha256)
                elif reason is Reason.AFTER_DRILL:
                    detail = (
                        f"finished {utc_text(result.finished)}, run with -AfterDrill: "
                        "the server is fenced after a drill, not a prepared standby "
                        "of production"
                    )
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
                if not judged and cell.history:
                    label += " (an earlier drill: not judged)"
                elif not judged:
                    label += " (a drill: not part of the standby verdict)"
                fix = reason_fix(
                    reason,
                    cell.kind,
                    server.name,
                    unknown=server.unknown,
                    history=not judged and cell.history,
                )
                found.append(
                    Finding(
                        server.name, cell.kind, label, detail, fix, judged, reason.value
                    )
                )
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
    """Every failed check of a latest result (an earlier drill's too: shown as
    it is in the grid, marked as a drill's)."""
    return [
        Failure(
            cell.server,
            cell.kind,
            check.id,
            check.check,
            check.expected,
            check.observed,
            check_fix(check.id, cell.kind, cell.server),
            _drill_word(cell),
        )
        for cell in site.cells
        if cell.latest is not None
        for check in cell.latest.result.failed
    ]


def _drill_word(cell: Cell) -> str:
    if cell.kind not in DRILL_KINDS:
        return ""
    return "an earlier drill" if cell.history else "a drill"


def _gaps_text(gaps: tuple[DrillGap, ...]) -> str:
    """``DRserver2 (Ready, Active); DRserver3 (Active: only results of another
    bundle)``: which server lacks which counted drill result, and why."""
    servers: dict[str, list[str]] = {}
    for gap in gaps:
        why = f": only results {', '.join(gap.flaws)}" if gap.flaws else ""
        servers.setdefault(gap.server, []).append(gap.kind + why)
    return "; ".join(f"{name} ({', '.join(kinds)})" for name, kinds in servers.items())


def drill_view(drill: LastDrill | None, now: datetime) -> DrillView:
    """The last full drill line of a site (``verdict.LastDrill``)."""
    if drill is None:
        return DrillView(
            "Last full drill: not known (no inventory given: which DR servers and "
            "which bundle are unknown)",
            "none",
            "Give --inventory to see whether this bundle was ever drilled.",
        )
    finished = drill.finished
    if finished is None:
        return DrillView(
            "Last full drill: never (no Ready and Active results of this bundle "
            f"from {_gaps_text(drill.gaps)})",
            "warn",
            "Standby only: the bundle check and the dormant checks show the site "
            "prepared, but no failover with this bundle was exercised on every DR "
            "server, so nothing here shows that the site works once enabled. Run a "
            "drill: Test-DrServer.ps1 -Expect Ready and -Expect Active on every DR "
            "server.",
        )
    text = (
        f"Last full drill: {utc_date(finished)} "
        "(Ready and Active results of this bundle)"
    )
    age = days_text(now - finished)
    if drill.failed:
        failed = ", ".join(
            f"{server} {each.result.kind}" for server, each in drill.failed
        )
        return DrillView(
            f"{text}: FAILED on {failed}",
            "fail",
            f"The drill's last result finished {utc_text(finished)}, {age} before "
            "this report; the failed checks of the latest drill results are listed "
            "below with their fixes. Drill again after fixing them.",
        )
    return DrillView(
        text,
        "pass",
        f"Every DR server reached Ready and Active with this bundle; the last of "
        f"these results finished {utc_text(finished)}, {age} before this report.",
    )


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


def site_view(site: SiteStatus, now: datetime, max_age: timedelta) -> SiteView:
    """The site's part of the report."""
    verdict = verdict_badge(site.ready, site.judged)
    servers = tuple(
        ServerRow(
            server.name,
            "not a DR server of this site" if server.unknown else "",
            tuple(_cell_badge(cell, now) for cell in server.cells),
        )
        for server in site.servers
    )
    grids = tuple(g for kind in KINDS if (g := _grid(site, kind)) is not None)
    found = _findings(site, now, max_age)
    return SiteView(
        site.site,
        _anchor(site.site),
        site.ready,
        site.inventory or "(no inventory given)",
        site.bundle_id or "(no inventory given)",
        verdict,
        KINDS,
        servers,
        tuple(f for f in found if f.judged),
        tuple(_failures(site)),
        grids,
        drill_view(site.last_drill, now),
        site.judged,
        tuple(f for f in found if not f.judged),
    )
