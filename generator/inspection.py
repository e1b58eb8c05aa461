"""The bodies of ``drgen validate``, ``drgen plan`` and ``drgen schema``.

None of them writes a file. ``validate`` reports every diagnostic of every
inventory; ``plan`` shows what a render would decide and do; ``schema`` prints the
JSON Schema of the inventory model. The CLI wraps each in its error handling.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from generator import __version__
from generator.bundle import build_bundle
from generator.errors import Diagnostic, InventoryError, Location, relative_display
from generator.inventory import RawDocument, load_inventory
from generator.model import Inventory, json_schema, parse_inventory
from generator.render import make_environment, template_set_sha256
from generator.rules import Capacity, capacity, check_rules, dr_host_instances
from generator.signing import NullSigner
from generator.writer import MANIFEST_NAME, BundleFiles, FileChange, diff_bundle

FILE_STATUSES = ("create", "update", "remove", "identical")


class OutputFormat(enum.StrEnum):
    """How ``validate`` reports diagnostics."""

    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class Checked:
    """One inventory after loading, modelling and the domain rules."""

    path: Path
    doc: RawDocument | None
    inventory: Inventory | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that make the inventory invalid."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that do not."""
        return tuple(d for d in self.diagnostics if d.severity != "error")


def check_inventory(path: Path) -> Checked:
    """Load, model and check one inventory; every problem is collected, not raised."""
    doc: RawDocument | None = None
    try:
        doc = load_inventory(path)
        inventory = parse_inventory(doc)
    except InventoryError as exc:
        found = exc.diagnostics or (
            Diagnostic(Location(relative_display(path)), "invalid", exc.message),
        )
        return Checked(path, doc, None, _sorted(found))
    return Checked(path, doc, inventory, _sorted(check_rules(inventory, doc)))


def _sorted(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(diagnostics, key=Diagnostic.sort_key))


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


def validate_inventories(
    paths: Sequence[Path],
    *,
    strict: bool,
    output: OutputFormat,
    stdout: TextIO,
    stderr: TextIO,
) -> None:
    """Report every diagnostic; raise ``InventoryError`` (exit 3) if any is an error.

    With ``strict`` every warning counts, and is reported, as an error.
    """
    results = []
    for path in paths:
        checked = check_inventory(path)
        if strict:
            promoted = tuple(
                dataclasses.replace(d, severity="error") for d in checked.diagnostics
            )
            checked = dataclasses.replace(checked, diagnostics=promoted)
        results.append(checked)
    everything = _sorted([d for r in results for d in r.diagnostics])
    if output is OutputFormat.JSON:
        json.dump([diagnostic_dict(d) for d in everything], stdout, indent=2)
        stdout.write("\n")
    else:
        for diagnostic in everything:
            stderr.write(diagnostic.format() + "\n")
        for checked in results:
            stderr.write(_summary(checked) + "\n")
    invalid = [r for r in results if r.errors]
    if invalid:
        if len(results) == 1:
            raise InventoryError(f"{relative_display(invalid[0].path)} is invalid")
        verb = "is" if len(invalid) == 1 else "are"
        total = _count(len(results), "inventory", "inventories")
        raise InventoryError(f"{len(invalid)} of {total} {verb} invalid")


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One host instance: where it runs in production and who takes it over."""

    host: str
    host_type: str
    production: str | None  # None: the instance exists only on the DR site
    dr: str | None  # None: nobody takes it over (see note)
    note: str | None


def host_mapping(inv: Inventory) -> tuple[MappingRow, ...]:
    """Production -> DR for every host instance, in inventory order."""
    instances = {
        name: {h.upper() for h in hosts}
        for name, hosts in dr_host_instances(inv).items()
    }
    mirror_of: dict[str, str] = {}
    for server in inv.dr.servers:
        for prod in server.mirrors:
            mirror_of.setdefault(prod.upper(), server.name)
    reasons = {e.server.upper(): e.reason for e in inv.dr.not_mirrored}
    types = {h.name.upper(): h.type for h in inv.group.hosts}
    rows: list[MappingRow] = []
    carried: set[tuple[str, str]] = set()
    for prod_server in inv.production.servers:
        for host in prod_server.host_instances:
            kind = types.get(host.upper(), "?")
            dr = mirror_of.get(prod_server.name.upper())
            if dr is None:
                reason = reasons.get(prod_server.name.upper(), "no DR server")
                row = MappingRow(host, kind, prod_server.name, None, reason)
            elif host.upper() in instances.get(dr, set()):
                row = MappingRow(host, kind, prod_server.name, dr, None)
                carried.add((dr, host.upper()))
            else:
                row = MappingRow(
                    host, kind, prod_server.name, None, f"{dr} does not run {host}"
                )
            rows.append(row)
    for name, hosts in dr_host_instances(inv).items():
        rows.extend(
            MappingRow(host, types.get(host.upper(), "?"), None, name, "added on DR")
            for host in hosts
            if (name, host.upper()) not in carried
        )
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class InventoryPlan:
    """What ``drgen plan`` shows for one inventory."""

    checked: Checked
    inventory: Inventory
    mapping: tuple[MappingRow, ...]
    capacity: Capacity
    root: Path
    changes: tuple[FileChange, ...]


def plan_inventories(
    paths: Sequence[Path],
    *,
    out: Path,
    templates: Path,
    as_json: bool,
    stdout: TextIO,
    stderr: TextIO,
) -> None:
    """Show mapping, roles, capacity and file changes; write nothing.

    Invalid inventories raise one ``InventoryError`` with every diagnostic, before
    anything is shown.
    """
    checked = [check_inventory(path) for path in paths]
    if any(c.errors for c in checked):
        raise InventoryError(
            "invalid inventory", tuple(d for c in checked for d in c.diagnostics)
        )
    env = make_environment(templates)
    templates_sha = template_set_sha256(templates)
    plans = []
    for item in checked:
        if item.inventory is None:  # not reached: no errors means a model
            continue
        built = build_bundle(item.path, env, NullSigner(), templates_sha)
        inventory_sha = item.doc.sha256 if item.doc else ""
        plans.append(
            InventoryPlan(
                item,
                item.inventory,
                host_mapping(item.inventory),
                capacity(item.inventory),
                out / built.files.root,
                planned_changes(out, built.files, inventory_sha, templates_sha),
            )
        )
    if as_json:
        json.dump(
            {"inventories": [_plan_dict(p, out) for p in plans]}, stdout, indent=2
        )
        stdout.write("\n")
        return
    for item in checked:
        for warning in item.warnings:
            stderr.write(warning.format() + "\n")
    stdout.write("\n\n".join(_plan_text(p, out) for p in plans) + "\n")


# Files whose bytes follow from all the others: the site self-test script (it lists
# every file's hash) and the manifest.
DERIVED_NAMES = frozenset({"Test-DrBundle.ps1", MANIFEST_NAME})


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _field(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def planned_changes(
    out: Path, unsigned: BundleFiles, inventory_sha256: str, templates_sha256: str
) -> tuple[FileChange, ...]:
    """What a render would do in ``out``, judged from an unsigned in-memory bundle.

    Plan does not sign (that needs the certificate and its password), so a script
    on disk whose manifest entry records the same unsigned sha256, and whose bytes
    still match the manifest, counts as identical. The derived files (the site
    self-test and the manifest) are identical when every other file is and the
    manifest names the same inventory, templates and drgen version. This assumes
    the render signs with the same certificate as before.
    """
    changes = diff_bundle(out, unsigned)
    manifest = _read_manifest(out / unsigned.root / MANIFEST_NAME)
    if manifest is None:
        return tuple(changes)
    entries: dict[PurePosixPath, dict[str, Any]] = {}
    for entry in manifest.get("files") or ():
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            entries[PurePosixPath(unsigned.root, entry["path"])] = entry
    wanted = dict(unsigned.files)

    def intact(path: PurePosixPath) -> bool:
        entry = entries.get(path, {})
        try:
            return entry.get("sha256") == _sha256((out / path).read_bytes())
        except OSError:
            return False

    result = []
    for change in changes:
        entry = entries.get(change.path, {})
        if (
            change.status == "update"
            and change.path.name not in DERIVED_NAMES
            and entry.get("signed") is True
            and entry.get("sha256_unsigned") == _sha256(wanted[change.path])
            and intact(change.path)
        ):
            change = FileChange("identical", change.path)
        result.append(change)
    inputs_same = (
        _field(manifest, "inventory", "sha256") == inventory_sha256
        and _field(manifest, "templates_sha256") == templates_sha256
        and _field(manifest, "generator", "version") == __version__
    )
    others_same = all(
        c.status == "identical" for c in result if c.path.name not in DERIVED_NAMES
    )
    return tuple(
        FileChange("identical", c.path)
        if c.status == "update"
        and c.path.name in DERIVED_NAMES
        and inputs_same
        and others_same
        and (c.path.name == MANIFEST_NAME or intact(c.path))
        else c
        for c in result
    )


def _plan_dict(plan: InventoryPlan, out: Path) -> dict[str, Any]:
    inv = plan.inventory
    table = plan.capacity
    return {
        "inventory": relative_display(plan.checked.path),
        "group": inv.group.name,
        "biztalk_version": inv.group.biztalk_version,
        "site": inv.dr.site,
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
        "roles": [{"server": s.name, "roles": list(s.roles)} for s in inv.dr.servers],
        "not_mirrored": [
            {"server": e.server, "reason": e.reason} for e in inv.dr.not_mirrored
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
        "out": str(plan.root),
        "files": [
            {"status": c.status, "path": str(out / c.path)} for c in plan.changes
        ],
        "warnings": [diagnostic_dict(d) for d in plan.checked.warnings],
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


def _plan_text(plan: InventoryPlan, out: Path) -> str:
    inv = plan.inventory
    table = plan.capacity
    lines = [
        f"{relative_display(plan.checked.path)}: {inv.group.name} "
        f"(BizTalk Server {inv.group.biztalk_version}) -> DR site {inv.dr.site}",
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
        [(s.name, ", ".join(s.roles) or "-") for s in inv.dr.servers],
    )
    if inv.dr.not_mirrored:
        lines += ["", "Not mirrored"]
        lines += _table(
            ("PRODUCTION", "REASON"),
            [(e.server, e.reason) for e in inv.dr.not_mirrored],
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
    lines += ["", f"Files in {plan.root}"]
    lines += [f"  {c.status:>9}  {out / c.path}" for c in plan.changes]
    counts = Counter(c.status for c in plan.changes)
    lines.append(
        "  "
        + ", ".join(f"{counts[s]} {s}" for s in FILE_STATUSES)
        + " (nothing written)"
    )
    return "\n".join(lines)


def schema_text() -> str:
    """The JSON Schema of ``drgen/v1``, byte for byte as committed in ``schema/``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
