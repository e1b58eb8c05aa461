"""Reading a discovery file: its bytes as text, the JSON, the position of every
key, the model's checks; the result is a ``DiscoveryDocument``.

Every problem of a file is a located ``DiscoveryError`` (``FILE:LINE:COL``, exit
code 3, the code of every invalid input), and nothing is written. What a valid
file must say is ``generator.discovery.model``; a discovery consistent with
itself, ``generator.discovery.checks``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.discovery.model import SCHEMA_ID, Discovery
from generator.errors import Diagnostic, DiscoveryError, Location, relative_display
from generator.files.jsonfile import LineIndex, decode
from generator.files.textfile import TextDecodeError, decode_text
from generator.text import dotted, shown

# Larger than any real group's discovery (thousands of host instances is a few MB).
MAX_BYTES = 32 * 1024 * 1024

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class DiscoveryDocument:
    """A parsed, valid discovery file and the position of every key."""

    file: str
    discovery: Discovery
    positions: dict[Path_, tuple[int, int]]

    def locate(self, path: Path_) -> Location:
        """Location of ``path``, or of its nearest ancestor that exists."""
        return _locate(self.file, self.positions, path)


def _locate(
    file: str, positions: dict[Path_, tuple[int, int]], path: Path_
) -> Location:
    probe = tuple(path)
    while probe not in positions and probe:
        probe = probe[:-1]
    line, column = positions.get(probe, (1, 1))
    return Location(file, line, column)


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


class _Positions:
    """Where each key and value of an already valid JSON text starts.

    ``json`` reports no positions, so this second, small pass over the text
    (which ``json.loads`` has accepted) records them by key path; a key's own
    position is kept, as for the inventory. Duplicate keys are collected here.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        # Line starts computed once: locating each key stays O(log lines).
        self.lines = LineIndex(text)
        self.found: dict[Path_, tuple[int, int]] = {}
        self.duplicates: list[tuple[Path_, int]] = []

    def skip(self, at: int) -> int:
        match = _WS.match(self.text, at)
        return match.end() if match else at

    def value(self, at: int, path: Path_) -> int:
        at = self.skip(at)
        self.found.setdefault(path, self.lines.position(at))
        char = self.text[at]
        if char == "{":
            return self.mapping(at + 1, path)
        if char == "[":
            return self.sequence(at + 1, path)
        if char == '"':
            return int(scanstring(self.text, at + 1)[1])
        for word in ("true", "false", "null"):
            if self.text.startswith(word, at):
                return at + len(word)
        match = _NUMBER.match(self.text, at)
        return match.end() if match else at + 1

    def mapping(self, at: int, path: Path_) -> int:
        seen: set[str] = set()
        at = self.skip(at)
        if self.text[at] == "}":
            return at + 1
        while True:
            at = self.skip(at)
            start = at
            key, at = scanstring(self.text, at + 1)
            if key in seen:
                self.duplicates.append(((*path, key), start))
            seen.add(key)
            self.found[(*path, key)] = self.lines.position(start)
            at = self.skip(at) + 1  # the colon
            at = self.value(at, (*path, key))
            # Positions of a later duplicate must not replace the first's.
            at = self.skip(at)
            if self.text[at] == "}":
                return at + 1
            at += 1  # the comma

    def sequence(self, at: int, path: Path_) -> int:
        at = self.skip(at)
        if self.text[at] == "]":
            return at + 1
        index = 0
        while True:
            at = self.value(at, (*path, index))
            index += 1
            at = self.skip(at)
            if self.text[at] == "]":
                return at + 1
            at += 1


def _error(
    file: str, where: Location, code: str, message: str, hint: str | None = None
) -> DiscoveryError:
    return DiscoveryError(
        f"{file}: invalid discovery file", (Diagnostic(where, code, message, hint),)
    )


def _decode(text: str, file: str) -> Any:
    def located(line: int, column: int, message: str) -> DiscoveryError:
        return _error(file, Location(file, line, column), "json-syntax", message)

    return decode(text, located, constants=False)


def _got(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"'{shown(value)}'"
    if isinstance(value, dict):
        return "an object"
    return "a list"


def _model_problem(
    error: Any, file: str, positions: dict[Path_, tuple[int, int]], data: Any
) -> Diagnostic:
    loc: Path_ = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    kind = str(error["type"])
    if kind == "missing":
        return Diagnostic(
            _locate(file, positions, loc[:-1]),
            "missing-key",
            f"{dotted(loc[:-1])}: required key '{loc[-1]}' is missing",
        )
    value: Any = data
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            value = None
            break
    message = str(error["msg"]).removeprefix("Value error, ")
    return Diagnostic(
        _locate(file, positions, loc),
        "invalid-value",
        f"{dotted(loc)}: {message} (got {_got(value)})",
    )


def parse_discovery_text(text: str, file: str) -> DiscoveryDocument:
    """Parse and validate discovery JSON; raise ``DiscoveryError`` located."""
    data = _decode(text, file)
    scan = _Positions(text)
    try:
        scan.value(0, ())
    except (
        IndexError,
        ValueError,
        RecursionError,
    ):  # pragma: no cover - json accepted it
        scan.found.setdefault((), (1, 1))
    positions = scan.found
    if scan.duplicates:
        path, offset = scan.duplicates[0]
        line, column = scan.lines.position(offset)
        raise _error(
            file,
            Location(file, line, column),
            "duplicate-key",
            f"key '{shown(path[-1])}' appears twice in {dotted(path[:-1])}",
        )
    if not isinstance(data, dict):
        raise _error(
            file,
            _locate(file, positions, ()),
            "not-an-object",
            f"a discovery file is one JSON object, not {_got(data)}",
        )
    schema = data.get("schema")
    if schema != SCHEMA_ID:
        where = _locate(file, positions, ("schema",))
        if schema is None:
            message = f'this is not a drgen discovery file (no "schema": "{SCHEMA_ID}")'
        else:
            message = (
                f"unknown discovery schema {_got(schema)}; this drgen reads "
                f"'{SCHEMA_ID}'"
            )
        raise _error(
            file,
            where,
            "discovery-schema",
            message,
            hint="run the Export-BizTalkGroup.ps1 that this drgen version renders "
            "(drgen discover)",
        )
    try:
        discovery = Discovery.model_validate(data)
    except ValidationError as exc:
        problems = tuple(_model_problem(e, file, positions, data) for e in exc.errors())
        raise DiscoveryError(f"{file}: invalid discovery file", problems) from None
    return DiscoveryDocument(file, discovery, positions)


def load_discovery(path: Path) -> DiscoveryDocument:
    """Read ``path`` as JSON: UTF-8 (a BOM, as PowerShell 5.1 writes, is allowed),
    or UTF-16 with a byte order mark (``generator.files.textfile``)."""
    file = relative_display(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _error(
            file,
            Location(file),
            "unreadable",
            f"cannot read discovery file: {exc.strerror or exc}",
        ) from None
    if len(raw) > MAX_BYTES:
        raise _error(
            file, Location(file), "too-large", f"larger than {MAX_BYTES} bytes"
        )
    try:
        text = decode_text(raw, "discovery file")
    except TextDecodeError as exc:
        raise _error(
            file,
            Location(file, exc.line, exc.column),
            "encoding",
            exc.message,
            exc.hint,
        ) from None
    return parse_discovery_text(text, file)
