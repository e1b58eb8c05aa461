"""How ``drgen validate``, ``drgen plan`` and ``drgen schema`` show their results.

Presentation only: the values come from ``generator.api``; this module turns them
into text or JSON and decides nothing.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import Diagnostic, InventoryError, relative_display

if TYPE_CHECKING:
    from generator.api import Checked, Preview, Validation

FILE_STATUSES = ("create", "update", "remove", "identical")


class OutputFormat(enum.StrEnum):
    """How a command reports: text for people, JSON for programs."""

    TEXT = "text"
    JSON = "json"


def diagnostic_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    """A diagnostic as JSON-ready data; ``line`` and ``column`` are 0 when unknown."""
    loc = diagnostic.location
    return {
        "file": loc.file,
        "line": loc.line,
        "column": loc.column,
        "severity": diagnostic.severity,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def _summary(checked: Checked) -> str:
    file = relative_display(checked.path)
    errors, warnings = len(checked.errors), len(checked.warnings)
    if errors:
        text = f"{file}: invalid, {_count(errors, 'error')}"
        return text + (f", {_count(warnings, 'warning')}" if warnings else "")
    return f"{file}: valid" + (f", {_count(warnings, 'warning')}" if warnings else "")


def validation_report(validation: Validation, output: OutputFormat) -> tuple[str, str]:
    """(stdout, stderr) of ``drgen validate``: JSON on stdout, or text on stderr."""
    everything = validation.diagnostics
    if output is OutputFormat.JSON:
        data = [diagnostic_dict(d) for d in everything]
        return json.dumps(data, indent=2) + "\n", ""
    lines = [d.format() for d in everything]
    lines += [_summary(checked) for checked in validation.results]
    return "", "".join(line + "\n" for line in lines)


def validation_error(validation: Validation) -> InventoryError | None:
    """The error ``drgen validate`` exits with (3), or None when all are valid."""
    invalid = validation.invalid
    if not invalid:
        return None
    if len(validation.results) == 1:
        return InventoryError(f"{relative_display(invalid[0].path)} is invalid")
    verb = "is" if len(invalid) == 1 else "are"
    total = _count(len(validation.results), "inventory", "inventories")
    return InventoryError(f"{len(invalid)} of {total} {verb} invalid")


def plan_report(previews: Sequence[Preview], out: Path, output: OutputFormat) -> str:
    """What ``drgen plan`` prints on stdout."""
    if output is OutputFormat.JSON:
        data = {"inventories": [_plan_dict(p, out) for p in previews]}
        return json.dumps(data, indent=2) + "\n"
    return "\n\n".join(_plan_text(p, out) for p in previews) + "\n"


def _plan_dict(preview: Preview, out: Path) -> dict[str, Any]:
    plan = preview.plan
    site = plan.site
    table = plan.capacity
    return {
        "inventory": plan.inventory_file,
        "group": site.group_name,
        "biztalk_version": site.version,
        "site": site.site,
        "host_instances": [
            {
                "host": r.host,
                "type": r.host_type,
                "production_server": r.production,
                "dr_server": r.dr,
                "note": r.note,
            }
            for r in plan.mapping
        ],
        "roles": [{"server": r.server, "roles": list(r.roles)} for r in plan.roles],
        "not_mirrored": [
            {"server": e.server, "reason": e.reason} for e in plan.not_mirrored
        ],
        "capacity": {
            "busiest_production_server": table.busiest_server,
            "busiest_host_instances": table.busiest_load,
            "warning_ratio": table.warning_ratio,
            "production_servers": table.production_servers,
            "dr_servers": table.dr_servers,
            "rows": [
                {
                    "server": r.server,
                    "mirrors": list(r.mirrors),
                    "takes_over": r.load,
                    "runs": r.runs,
                    "ratio": r.ratio,
                    "over": r.over,
                }
                for r in table.rows
            ],
        },
        "out": str(preview.root),
        "files": [
            {"status": c.status, "path": str(out / c.path)} for c in preview.changes
        ],
        "warnings": [diagnostic_dict(d) for d in plan.warnings],
    }


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(headers, *rows, strict=False)
    ]
    lines = []
    for row in (headers, *rows):
        cells = [str(c).ljust(w) for c, w in zip(row, widths, strict=True)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def _plan_text(preview: Preview, out: Path) -> str:
    plan = preview.plan
    site = plan.site
    table = plan.capacity
    lines = [
        f"{plan.inventory_file}: {site.group_name} "
        f"(BizTalk Server {site.version}) -> DR site {site.site}",
        "",
        "Host instances, production -> DR",
    ]
    lines += _table(
        ("HOST", "TYPE", "PRODUCTION", "DR SERVER", "NOTE"),
        [
            (r.host, r.host_type, r.production or "-", r.dr or "-", r.note or "")
            for r in plan.mapping
        ],
    )
    lines += ["", "Roles"]
    lines += _table(
        ("DR SERVER", "ROLES"),
        [(r.server, ", ".join(r.roles) or "-") for r in plan.roles],
    )
    if plan.not_mirrored:
        lines += ["", "Not mirrored"]
        lines += _table(
            ("PRODUCTION", "REASON"),
            [(e.server, e.reason) for e in plan.not_mirrored],
        )
    lines += [
        "",
        f"Capacity: busiest production server {table.busiest_server} runs "
        f"{_count(table.busiest_load, 'host instance')}; warning above "
        f"{table.warning_ratio:g}x",
    ]
    lines += _table(
        ("DR SERVER", "MIRRORS", "TAKES OVER", "RUNS", "RATIO", ""),
        [
            (
                r.server,
                ", ".join(r.mirrors) or "-",
                str(r.load),
                str(r.runs),
                "-" if r.ratio is None else f"{r.ratio:.2f}",
                "over" if r.over else "",
            )
            for r in table.rows
        ],
    )
    lines.append(
        f"  {_count(table.dr_servers, 'DR server')} for "
        f"{_count(table.production_servers, 'production server')}"
    )
    lines += ["", f"Files in {preview.root}"]
    lines += [f"  {c.status:>9}  {out / c.path}" for c in preview.changes]
    counts = Counter(c.status for c in preview.changes)
    lines.append(
        "  "
        + ", ".join(f"{counts[s]} {s}" for s in FILE_STATUSES)
        + " (nothing written)"
    )
    return "\n".join(lines)
