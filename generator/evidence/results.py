"""Drill results (``drgen/test-result-v1``): what a test script wrote on a DR server.

Test-DrServer.ps1 and Test-DrBundle.ps1 write one JSON file per run into their
``logs\\`` folder. The pydantic model below is that file's contract: it is the
committed JSON Schema (``schema/drgen-test-result-v1.schema.json``), the keys the
templates write (a test compares them on the parse tree) and what ``drgen report``
accepts. Reading a file turns every problem into a located ``ResultError``.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
)

from generator.errors import Diagnostic, DrgenError, ExitCode, Location
from generator.files.jsonfile import LineIndex, load_object
from generator.files.textfile import TextDecodeError, decode_text
from generator.inventory.model import model_schema
from generator.schema_ids import TEST_RESULT

RESULT_SCHEMA: Final = TEST_RESULT
SCHEMA_FILE: Final = "drgen-test-result-v1.schema.json"
# The scripts that write a result, and the states Test-DrServer.ps1 -Expect takes.
SCRIPTS: Final = ("Test-DrBundle", "Test-DrServer")
STATES: Final = ("Dormant", "Ready", "Active")

Sha256 = Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{64}$")]


class CheckResult(BaseModel):
    """One check of a run: a stable id, what was expected, what was seen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1, description="Stable id of the check.")]
    check: Annotated[str, Field(description="The check, as the console shows it.")]
    expected: str
    observed: str
    passed: StrictBool


class DrillResult(BaseModel):
    """One run of Test-DrServer.ps1 or Test-DrBundle.ps1 on one DR server."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_id: Annotated[Literal["drgen/test-result-v1"], Field(alias="schema")]
    script: Literal["Test-DrBundle", "Test-DrServer"]
    computer: Annotated[str, Field(min_length=1, description="$env:COMPUTERNAME")]
    run_by: Annotated[
        str,
        Field(
            min_length=1,
            description="The Windows account that ran the script (DOMAIN\\user).",
        ),
    ]
    site: Annotated[str, Field(min_length=1)]
    inventory: Annotated[str, Field(description="Inventory file name.")]
    inventory_sha256: Sha256
    drgen_version: str
    bundle_id: Annotated[
        Sha256, Field(description="generator.bundle.identity.bundle_id of the render.")
    ]
    script_sha256: Annotated[
        Sha256, Field(description="SHA-256 of the script file, signature included.")
    ]
    expected_state: Annotated[
        Literal["Dormant", "Ready", "Active"] | None,
        Field(description="Test-DrServer.ps1 -Expect; null for Test-DrBundle.ps1."),
    ]
    after_drill: Annotated[
        StrictBool, Field(description="Test-DrServer.ps1 -AfterDrill; false otherwise.")
    ]
    started: AwareDatetime
    finished: AwareDatetime
    checks: tuple[CheckResult, ...]

    @property
    def kind(self) -> str:
        """What the run tested, from the script that ran: ``Bundle`` for
        Test-DrBundle.ps1, else Test-DrServer.ps1's expected state (never the
        other way round: a Test-DrServer result without one is refused when it
        is read, see ``parse_result``)."""
        if self.script == "Test-DrBundle":
            return "Bundle"
        return self.expected_state or "?"

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The checks that did not pass."""
        return tuple(c for c in self.checks if not c.passed)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a drill result, as committed in ``schema/``."""
    return model_schema(DrillResult)


class ResultError(DrgenError):
    """A drill result file cannot be read or is not a drill result."""

    exit_code = ExitCode.USAGE


def _located(path: Path, line: int, column: int, message: str) -> ResultError:
    where = Location(str(path), line, column)
    return ResultError(f"{where}: {message}", (Diagnostic(where, "result", message),))


def _same(expected: str, observed: str) -> bool:
    """Whether PowerShell's ``-eq`` could call the two equal: it ignores case and
    compares by culture, so canonically equal forms and invisible characters
    do not count either. Erring towards "equal" keeps every real result."""

    def folded(value: str) -> str:
        value = unicodedata.normalize("NFKC", value).casefold()
        return "".join(c for c in value if unicodedata.category(c) != "Cf")

    return expected == observed or folded(expected) == folded(observed)


def contradiction(result: DrillResult) -> tuple[int, str] | None:
    """The first thing ``result`` says against itself, with the index of the
    check it is in (-1: the result's own fields), or None.

    The scripts record ``passed`` as ``Expected -eq Actual`` (Add-DrCheck), the
    script name decides the kind (Test-DrBundle.ps1 has no expected state and
    no -AfterDrill; Test-DrServer.ps1 always has an expected state): a file that
    says otherwise was not written by them as it is.
    """
    if result.script == "Test-DrBundle" and result.expected_state is not None:
        return -1, (
            f"expected_state is {result.expected_state!r}, but Test-DrBundle.ps1 "
            "has no expected state (null)"
        )
    if result.script == "Test-DrBundle" and result.after_drill:
        return -1, "after_drill is true, but Test-DrBundle.ps1 has no -AfterDrill"
    if result.script == "Test-DrServer" and result.expected_state is None:
        return -1, (
            "expected_state is null, but Test-DrServer.ps1 always records the "
            "state it expected (Dormant, Ready or Active)"
        )
    for index, check in enumerate(result.checks):
        same = _same(check.expected, check.observed)
        if check.passed and not same:
            return index, (
                f"check {check.id!r} is marked passed, but it observed "
                f"{check.observed!r:.80} where it expected {check.expected!r:.80}"
            )
        if not check.passed and check.expected == check.observed:
            return index, (
                f"check {check.id!r} is marked failed, but it observed what it "
                f"expected ({check.expected!r:.80})"
            )
    return None


def _check_position(text: str, index: int) -> tuple[int, int]:
    """Where check ``index`` starts (its ``id`` key), found after ``"checks"``."""
    at = text.find('"checks"')
    for _ in range(index + 1):
        found = text.find('"id"', at + 1)
        if found < 0:
            break
        at = found
    return LineIndex(text).position(max(at, 0))


def _position(text: str, keys: tuple[str | int, ...]) -> tuple[int, int]:
    """Where the innermost named key of ``keys`` is written (1:1 when not found).

    The json module keeps no positions; the key as JSON writes it, searched after
    its parents, is a good enough pointer for a person fixing the file.
    """
    at = 0
    for key in keys:
        if isinstance(key, str):
            found = text.find(json.dumps(key) + ":", at)
            if found < 0:
                found = text.find(json.dumps(key), at)
            if found >= 0:
                at = found
    if at == 0:
        return 1, 1
    return LineIndex(text).position(at)


def parse_result(text: str, path: Path) -> DrillResult:
    """A drill result from its text; malformed input is a located ``ResultError``."""
    data = load_object(
        text,
        functools.partial(_located, path),
        "a drill result",
    )
    if data.get("schema") != RESULT_SCHEMA:
        line, column = _position(text, ("schema",))
        raise _located(
            path,
            line,
            column,
            f"schema is {data.get('schema')!r}, not {RESULT_SCHEMA!r} "
            "(written by Test-DrServer.ps1 and Test-DrBundle.ps1)",
        )
    try:
        result = DrillResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        line, column = _position(text, tuple(first["loc"]))
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise _located(path, line, column, f"{where}: {first['msg']}") from None
    seen: set[str] = set()
    for index, check in enumerate(result.checks):
        if check.id in seen:
            # Two verdicts for one check: neither can be trusted over the other.
            line, column = _position(text, ("checks",))
            message = f"checks.{index}: id {check.id!r} appears twice"
            raise _located(path, line, column, message)
        seen.add(check.id)
    if result.finished < result.started:
        line, column = _position(text, ("finished",))
        raise _located(path, line, column, "finished is before started")
    contradicts = contradiction(result)
    if contradicts is not None:
        index, message = contradicts
        if index < 0:
            line, column = _position(text, ("expected_state",))
        else:
            line, column = _check_position(text, index)
            message = f"checks.{index}: {message}"
        raise _located(path, line, column, f"contradicts itself: {message}")
    return result


def read_result(path: Path) -> DrillResult:
    """Read one drill result file: UTF-8 (with or without a BOM), or UTF-16
    with a byte order mark (``generator.files.textfile``)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ResultError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = decode_text(raw, "drill result")
    except TextDecodeError as exc:
        raise _located(path, exc.line, exc.column, exc.message) from None
    return parse_result(text, path)


@dataclass(frozen=True, slots=True)
class Unread:
    """A ``*.json`` file of a results folder that was not read as a drill result."""

    path: Path
    why: str
    # True: it may be a result (one under another name could be the latest of
    # its server), so the report cannot be ready while it is there. False: a
    # file drgen knows is something else (a lab probe's result).
    counts: bool = True


# How Test-DrLabFacts.ps1 names its result, which shares the logs\ folder.
LAB_FACTS_PREFIX: Final = "Test-DrLabFacts-"


def _result_name(name: str) -> bool:
    """A name a test script gives its result (case ignored, as on Windows):
    Write-DrTestResult writes <script>-<COMPUTER>-<yyyyMMddTHHmmssZ>.json."""
    folded = name.casefold()
    return folded.endswith(".json") and folded.startswith(
        tuple(f"{s}-".casefold() for s in SCRIPTS)
    )


def expected_name(result: DrillResult) -> str:
    """The file name Write-DrTestResult gives ``result`` (first run in its second)."""
    stamp = result.finished.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{result.script}-{result.computer}-{stamp}.json"


def _why_unread(path: Path) -> Unread:
    """Why a ``*.json`` file not named like a result is not read, in words."""
    if path.name.casefold().startswith(LAB_FACTS_PREFIX.casefold()):
        return Unread(
            path,
            "a lab probe's result (Test-DrLabFacts.ps1), not a drill result: "
            "drgen facts check reads it",
            counts=False,
        )
    named = (
        f"its name does not start with {' or '.join(f'{s}-' for s in SCRIPTS)}, "
        "as the test scripts name their results"
    )
    try:
        result = read_result(path)
    except ResultError:
        pass
    else:
        return Unread(
            path,
            f"a drill result of {result.computer} ({result.kind}, finished "
            f"{utc_text(result.finished)}) under another name: {named}; rename it "
            f"to {expected_name(result)} if it is one of its own, else move it out",
        )
    try:
        data = json.loads(decode_text(path.read_bytes(), "file"))
    except (OSError, TextDecodeError, ValueError):
        return Unread(path, f"not JSON, and {named}")
    schema = data.get("schema") if isinstance(data, dict) else None
    if isinstance(schema, str):
        return Unread(path, f"not a drill result (schema {schema!r}), and {named}")
    return Unread(path, f"not a drill result (no schema), and {named}")


def scan_results(paths: Sequence[Path]) -> tuple[tuple[Path, ...], tuple[Unread, ...]]:
    """The drill results named or found (recursively) in a folder, sorted, and
    every other ``*.json`` file of those folders with why it is not read.

    From a folder, a ``*.json`` file (any case) whose name starts with a script
    of :data:`SCRIPTS` is a result; any other ``*.json`` is listed as unread
    (logs\\ also holds Test-DrLabFacts results; a renamed result may be among
    them). Files of other types (the scripts' transcripts, the scripts) are not
    results and are passed over. A file named directly is always read.
    """
    found: set[Path] = set()
    unread: dict[Path, Unread] = {}
    for path in paths:
        if path.is_dir():
            for each in path.rglob("*"):
                if not each.is_file() or each.suffix.casefold() != ".json":
                    continue
                if _result_name(each.name):
                    found.add(each)
                elif each not in unread:
                    unread[each] = _why_unread(each)
        elif path.is_file():
            found.add(path)
        else:
            raise ResultError(f"{path}: no such file or folder")
    for path in found:
        unread.pop(path, None)
    return tuple(sorted(found)), tuple(unread[p] for p in sorted(unread))


def result_files(paths: Sequence[Path]) -> tuple[Path, ...]:
    """Every drill result named or found (recursively) in a folder, sorted
    (:func:`scan_results` without the files it does not read)."""
    return scan_results(paths)[0]


def utc_text(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, as the scripts write it (a moment with another
    offset is shown in UTC: the schema admits any offset)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_date(moment: datetime) -> str:
    """The UTC calendar day of ``moment``, ISO 8601 (2026-09-20)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d")
