"""What a lab probe's result says: ``check_result`` reads the JSON Test-DrLabFacts.ps1
wrote and says, per catalogue entry, whether it held, failed (and what to change in
drgen), was skipped, or was not checked at all. Which entries a probe checks is
``generator.plan.labprobe``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from generator.catalogue import CATALOGUE, Catalogue
from generator.errors import Diagnostic, DrgenError, ExitCode, Location
from generator.files.jsonfile import load_object
from generator.plan.labprobe import catalogue_sha256, probed
from generator.schema_ids import LAB_FACTS

RESULT_SCHEMA: Final = LAB_FACTS
STATUSES: Final = ("held", "failed", "skipped")


# ------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Finding:
    """What the lab result says about one catalogue entry."""

    id: str
    status: str  # held | failed | skipped | not checked | unknown
    name: str
    confidence: str
    observed: str
    advice: str

    def as_json(self) -> dict[str, str]:
        """The finding for ``--format json``."""
        return {
            "id": self.id,
            "status": self.status,
            "name": self.name,
            "confidence": self.confidence,
            "observed": self.observed,
            "advice": self.advice,
        }


@dataclass(frozen=True, slots=True)
class LabReport:
    """A checked probe result."""

    source: str
    computer: str
    version: str
    product_version: str
    same_catalogue: bool
    findings: tuple[Finding, ...]

    @property
    def failed(self) -> tuple[Finding, ...]:
        """Facts the lab contradicted."""
        return tuple(f for f in self.findings if f.status == "failed")


class LabResultError(DrgenError):
    """The probe result file cannot be read or is not a probe result."""

    exit_code = ExitCode.USAGE


def _located(path: Path, line: int, column: int, message: str) -> LabResultError:
    where = Location(str(path), line, column)
    return LabResultError(
        f"{where}: {message}",
        (Diagnostic(where, "lab-result", message),),
    )


def _position(text: str, needle: str) -> tuple[int, int]:
    """Line and column of the first occurrence of needle (1:1 when absent).

    The json module keeps no positions; the id or key as JSON writes it is a good
    enough pointer for a person fixing the file.
    """
    at = text.find(needle)
    if at < 0:
        return 1, 1
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def _text(data: dict[str, Any], key: str, path: Path, text: str = "") -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        line, column = _position(text, json.dumps(key))
        message = f"'{key}' must be text, not {type(value).__name__}"
        raise _located(path, line, column, message)
    return value


def load_result(path: Path) -> tuple[dict[str, Any], str]:
    """Read a probe result (and its text); malformed input is a located error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LabResultError(f"{path}: cannot read: {exc.strerror}") from None
    # ConvertTo-Json output saved by Windows PowerShell may start with a BOM.
    text = raw.decode("utf-8-sig", errors="replace")
    data = load_object(text, functools.partial(_located, path), "a probe result")
    if data.get("schema") != RESULT_SCHEMA:
        line, column = _position(text, '"schema"')
        raise _located(
            path,
            line,
            column,
            f"schema is {data.get('schema')!r}, not {RESULT_SCHEMA!r} "
            "(write it with Test-DrLabFacts.ps1)",
        )
    results = data.get("results")
    if not isinstance(results, list):
        line, column = _position(text, '"results"')
        raise _located(path, line, column, "'results' must be a list")
    ids: set[str] = set()
    for index, item in enumerate(results):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            line, column = _position(text, '"results"')
            raise _located(path, line, column, f"results[{index}] has no 'id'")
        line, column = _position(text, json.dumps(item["id"]))
        if item.get("status") not in STATUSES:
            raise _located(
                path,
                line,
                column,
                f"results[{index}] ({item['id']}): status must be one of "
                f"{', '.join(STATUSES)}",
            )
        if item["id"] in ids:
            # Two verdicts for one fact: neither can be trusted over the other.
            raise _located(
                path, line, column, f"results[{index}]: {item['id']} appears twice"
            )
        ids.add(item["id"])
    return data, text


def check_result(path: Path, catalogue: Catalogue = CATALOGUE) -> LabReport:
    """Compare a probe result with the catalogue, entry by entry."""
    data, text = load_result(path)
    version = _text(data, "biztalk_version", path, text)
    seen: dict[str, dict[str, Any]] = {item["id"]: item for item in data["results"]}
    findings: list[Finding] = []
    for entry, _ in probed(version, catalogue):
        item = seen.pop(entry.id, None)
        if item is None:
            findings.append(
                Finding(
                    entry.id,
                    "not checked",
                    entry.name,
                    entry.confidence,
                    "",
                    "run the probe of the current render",
                )
            )
            continue
        status = str(item["status"])
        observed = str(item.get("observed", ""))
        advice = {
            "held": "the lab confirms it",
            "failed": entry.if_failed or "correct this entry in generator/catalogue",
            "skipped": "run the probe where it applies (see observed)",
        }[status]
        findings.append(
            Finding(entry.id, status, entry.name, entry.confidence, observed, advice)
        )
    findings += [
        Finding(
            left,
            "unknown",
            "",
            "",
            str(seen[left].get("observed", "")),
            "not in this catalogue: the probe comes from another drgen version",
        )
        for left in sorted(seen)
    ]
    return LabReport(
        source=str(path),
        computer=_text(data, "computer", path, text),
        version=version,
        product_version=_text(data, "product_version", path, text),
        same_catalogue=data.get("catalogue") == catalogue_sha256(catalogue),
        findings=tuple(findings),
    )
