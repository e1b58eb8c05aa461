"""The readiness report as the template shows it: every word and class decided here.

``readiness.evaluate`` says what is wrong; this module turns that verdict, the
capacity table of the Plan and drift findings into rows of text for
``templates/report/Report.html.jinja``, which only prints them (autoescaped).
Each site's part is ``report_sites``; the rows themselves, ``report_view``.
Everything is sorted or in inventory order, and the only time shown is the
caller's ``now``: the same inputs give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from generator.errors import Diagnostic, Location, TemplateError
from generator.evidence.report_sites import days_text, site_view, verdict_badge
from generator.evidence.report_view import (
    Badge,
    CapacityRowView,
    CapacityView,
    DriftRow,
    DriftView,
    ReportContext,
    ResultFile,
    UnreadFile,
)
from generator.evidence.results import DrillResult, Unread, utc_text
from generator.evidence.verdict import Loaded, Readiness
from generator.plan.mapping import Capacity

if TYPE_CHECKING:
    from generator.discovery.drift_findings import DriftReport

REPORT_TEMPLATE = "report/Report.html.jinja"
# Characters a CSS string may hold as they are: none of them ends the string,
# starts an escape, or means anything to the HTML around the <style> element.
_CSS_PLAIN = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;()_-+=/#"
)


def css_string(text: str) -> Markup:
    """``text`` as a double-quoted CSS string: every other character is a
    six-digit CSS escape (``\\00003C``: six digits end an escape by themselves,
    so no space is needed). Safe to print unescaped inside ``<style>``, where
    HTML autoescaping would break the CSS instead of protecting it."""
    body = "".join(ch if ch in _CSS_PLAIN else f"\\{ord(ch):06X}" for ch in text)
    return Markup(f'"{body}"')  # noqa: S704 - only _CSS_PLAIN and escapes


def page_header(readiness: Readiness) -> Markup:
    """The running header of every printed page: the sites and their bundle ids."""
    parts = []
    for site in readiness.sites:
        bundle = site.bundle_id or "not judged (no inventory)"
        parts.append(f"site {site.site}, bundle {bundle}")
    sites = "; ".join(parts) or "no site"
    return css_string(f"DR readiness report: {sites}")


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
    unread: Sequence[Unread] = (),
) -> ReportContext:
    """The view of a readiness verdict; ``display`` shows a result file's path.

    ``unread``: the files of the results folders not read as drill results; one
    that may be a result (``Unread.counts``) makes the report's verdict not
    ready, whatever the sites' (it could be a server's latest result).
    """
    now = readiness.now
    sites = tuple(site_view(s, now, readiness.max_age) for s in readiness.sites)
    blocking = [each for each in unread if each.counts]
    notices = []
    if blocking:
        notices.append(
            f"{len(blocking)} file(s) of the results folder(s) were not read as "
            "drill results (listed under Files not read): one of them may be a "
            "server's latest result, so the report is not ready until each is "
            "renamed as its script names it or moved out."
        )
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
    verdict = verdict_badge(
        readiness.ready and not blocking,
        bool(sites) and all(s.judged for s in readiness.sites),
    )
    other = {each.path for each in readiness.other}
    files = tuple(
        _file_row(display(each.path), each.result, each.path in other)
        for each in sorted(loaded, key=lambda each: each.path)
    )
    return ReportContext(
        title="DR readiness report",
        generated=utc_text(now),
        max_age=days_text(readiness.max_age),
        verdict=verdict,
        notices=tuple(notices),
        sites=sites,
        capacity=capacity_view(capacity) if capacity else None,
        drift=drift,
        files=files,
        unread=tuple(
            UnreadFile(display(each.path), each.why, each.counts) for each in unread
        ),
        page_header=page_header(readiness),
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
