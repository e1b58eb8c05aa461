"""``drgen facts``: the catalogue and a lab result, as text or JSON."""

from __future__ import annotations

import json
from collections import Counter

from generator.catalogue import CATALOGUE, Catalogue, Confidence
from generator.evidence.labfacts import LabReport
from generator.text import printable


def catalogue_json(catalogue: Catalogue = CATALOGUE) -> str:
    """Every entry, in catalogue order, as a JSON document."""
    document = {
        "entries": [entry.as_json() for entry in catalogue],
        "counts": dict(Counter(str(e.confidence) for e in catalogue)),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def catalogue_text(catalogue: Catalogue = CATALOGUE) -> str:
    """One block per entry, grouped by kind; the ones a lab must settle marked."""
    lines: list[str] = []
    current = None
    for entry in sorted(catalogue, key=lambda e: (str(e.kind), e.id)):
        if entry.kind != current:
            current = entry.kind
            lines += ["", f"## {entry.kind}"]
        mark = "" if entry.confidence is Confidence.DOCUMENTED else "  <- to confirm"
        lines.append(f"{entry.id}  [{entry.confidence}]{mark}")
        lines.append(f"    name:   {entry.name}")
        lines.append(f"    source: {entry.source}")
        if entry.note:
            lines.append(f"    note:   {entry.note}")
        if entry.probe is not None:
            args = ", ".join(entry.probe.args)
            lines.append(f"    probe:  {entry.probe.method}({args})")
        if entry.settle:
            lines.append(f"    settle: {entry.settle}")
    counts = Counter(e.confidence for e in catalogue)
    summary = ", ".join(f"{counts[c]} {c}" for c in Confidence)
    header = (
        f"drgen catalogue: {len(catalogue)} names used on BizTalk servers "
        f"({summary}).\n"
        "Entries below 'documented' are checked by Test-DrLabFacts.ps1 (probe) or "
        "by a drill (settle); `drgen facts check RESULT.json` reads the probe's result."
    )
    return header + "\n" + "\n".join(lines) + "\n"


_INDENT = " " * 13


def _observed(text: str) -> list[str]:
    """What the probe saw, one printable line each, indented under its finding.

    Console output (``ssomanage -displaydb``) arrives with CRLF and may carry
    control characters that a terminal would act on.
    """
    lines = [printable(line) for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line.strip()] or [""]
    first, *rest = lines
    return [f"{_INDENT}observed: {first}", *(f"{_INDENT}  {line}" for line in rest)]


def report_text(report: LabReport) -> str:
    """What a lab result says, failures first, each with what to change."""
    order = {"failed": 0, "not checked": 1, "unknown": 2, "skipped": 3, "held": 4}
    lines = [
        f"{report.source}: lab facts from {report.computer or '?'} "
        f"(BizTalk {report.version or '?'}, ProductVersion "
        f"{report.product_version or '?'})",
    ]
    if not report.same_catalogue:
        lines.append(
            "warning: the probe was generated from another catalogue; render again "
            "and re-run Test-DrLabFacts.ps1 for an exact answer"
        )
    for finding in sorted(report.findings, key=lambda f: (order[f.status], f.id)):
        lines.append(f"{finding.status:>11}  {finding.id}  ({finding.name})")
        if finding.observed:
            lines += _observed(finding.observed)
        if finding.status != "held":
            lines.append(f"             {finding.advice}")
    counts = Counter(f.status for f in report.findings)
    lines.append(
        ", ".join(f"{counts[s]} {s}" for s in order if counts[s])
        or "no catalogue fact applies"
    )
    return "\n".join(lines) + "\n"


def report_json(report: LabReport) -> str:
    """The checked result for ``--format json``."""
    document = {
        "source": report.source,
        "computer": report.computer,
        "biztalk_version": report.version,
        "product_version": report.product_version,
        "same_catalogue": report.same_catalogue,
        "findings": [f.as_json() for f in report.findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
