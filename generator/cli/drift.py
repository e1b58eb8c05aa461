"""How ``drgen drift`` shows its report: text for people, JSON for programs.

Presentation only: the findings come from ``generator.discovery.drift``.
"""

from __future__ import annotations

import json

from generator.discovery.drift_findings import DriftReport


def drift_text(report: DriftReport) -> str:
    """Each finding as ``FILE:LINE:COL: severity[CODE]: message``, what it breaks,
    what could not be compared and why, then a one-line summary."""
    lines = []
    for f in report.findings:
        lines.append(f"{f.location}: {f.severity}[{f.code}]: {f.message}")
        lines.append(f"  breaks at DR: {f.breaks}")
    lines += [gap.format() for gap in report.not_compared]
    errors, warnings = len(report.errors), len(report.warnings)
    if report.findings:
        summary = f"{errors} error(s), {warnings} warning(s)"
    else:
        summary = "no drift"
    if report.not_compared:
        summary += f", {len(report.not_compared)} value(s) not compared"
    lines.append(
        f"{report.inventory}: {summary} against {report.discovery} "
        f"(collected {report.collected_at} on {report.computer})"
    )
    return "\n".join(lines) + "\n"


def drift_json(report: DriftReport) -> str:
    """The report as indented JSON (``DriftReport.to_json``)."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
