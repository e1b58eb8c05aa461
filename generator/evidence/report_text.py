"""``drgen report`` on the console: the same words as the HTML page, one line
per verdict, reason, failed check (with its fix) and file not read.

Made from the ``ReportContext`` the page prints, so the two cannot say
different things. Each line is whole (no wrapping): a log or a ticket keeps it.
"""

from __future__ import annotations

from generator.evidence.report_view import Failure, ReportContext, SiteView
from generator.evidence.verdict import Reason

INDENT = "  "


def _failure_line(failure: Failure) -> str:
    test = failure.kind if not failure.drill else f"{failure.kind} ({failure.drill})"
    return (
        f"{INDENT}{failure.server} {test}: FAILED {failure.id} (expected "
        f"{failure.expected!r}, observed {failure.observed!r}); fix: {failure.fix}"
    )


def _site_lines(site: SiteView) -> list[str]:
    verdict = site.verdict.text if site.judged else "NOT JUDGED (give --inventory)"
    lines = [f"site {site.name}: {verdict}", f"{INDENT}{site.drill.text}"]
    for finding in site.findings:
        if finding.code == Reason.FAILED.value:
            failed = [
                f
                for f in site.failures
                if (f.server, f.kind) == (finding.server, finding.kind)
            ]
            if failed:
                lines += [_failure_line(f) for f in failed]
                continue
        lines.append(
            f"{INDENT}{finding.server} {finding.kind}: {finding.reason}: "
            f"{finding.detail}; fix: {finding.fix}"
        )
    if site.drill.css == "fail":
        lines += [_failure_line(f) for f in site.failures if f.drill == "a drill"]
    return lines


def report_lines(context: ReportContext) -> tuple[str, ...]:
    """What ``drgen report`` prints about a report: per site its standby verdict,
    its last full drill and each reason with its fix; each file not read or not
    judged; the report's verdict."""
    lines: list[str] = []
    for site in context.sites:
        lines += _site_lines(site)
    if context.drift is not None and context.drift.errors:
        lines.append(f"drift: {context.drift.summary}")
    for unread in context.unread:
        word = "not read" if unread.counts else "skipped"
        lines.append(f"{word}: {unread.path}: {unread.why}")
    for each in context.files:
        if each.note:
            lines.append(f"not judged: {each.path}: {each.note} (site {each.site})")
    blocking = sum(each.counts for each in context.unread)
    extra = f" ({blocking} file(s) not read)" if blocking else ""
    lines.append(f"verdict: {context.verdict.text}{extra}")
    return tuple(lines)
