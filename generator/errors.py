"""Diagnostics, the drgen error tree and the process exit codes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import PurePath


class ExitCode(enum.IntEnum):
    """Process exit codes; documented in the README."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    INVALID_INVENTORY = 3
    SIGNING = 4
    VERIFICATION = 5
    FACTS_FAILED = 6
    OUTPUT = 7
    # `render --check`: OUT differs from what the inventory renders to.
    OUT_OF_DATE = 8
    # `drift`: production differs from the inventory.
    DRIFT = 9
    # `report`: the DR site is not ready (a failed check, a missing, stale or
    # foreign result).
    NOT_READY = 10
    # `render`: another drgen process is writing the same OUT/<inventory>.
    LOCKED = 11


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in an input file (1-based line and column)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the input, with where it is and how to fix it."""

    location: Location
    code: str
    message: str
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order by file, line, column, then code, so reports are stable."""
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)

    def format(self) -> str:
        """GNU style ``FILE:LINE:COL: error[CODE]: message`` plus an optional hint."""
        text = f"{self.location}: {self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass(eq=False)
class DrgenError(Exception):
    """Base of every error drgen reports to a user (never shown as a traceback)."""

    message: str
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    exit_code = ExitCode.UNEXPECTED

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def lines(self) -> list[str]:
        """The lines the CLI prints to stderr for this error."""
        if not self.diagnostics:
            return [f"error: {self.message}"]
        ordered = sorted(self.diagnostics, key=Diagnostic.sort_key)
        return [d.format() for d in ordered]


class InventoryError(DrgenError):
    """The inventory cannot be read or is invalid (YAML, schema or rules)."""

    exit_code = ExitCode.INVALID_INVENTORY


class PlanError(InventoryError):
    """The inventory is well-formed but its cross-references do not hold."""


class TemplateError(DrgenError):
    """A template failed to render, or rendered an unsafe or malformed artifact."""

    exit_code = ExitCode.UNEXPECTED


class SigningError(DrgenError):
    """A certificate, key or timestamp problem; nothing is written."""

    exit_code = ExitCode.SIGNING


class OutputError(DrgenError):
    """The output directory cannot be written as asked (disk full, permissions)."""

    exit_code = ExitCode.OUTPUT


class VerificationError(DrgenError):
    """A rendered bundle does not match its manifest or signatures."""

    exit_code = ExitCode.VERIFICATION

    def lines(self) -> list[str]:
        """Each problem, then the summary (the message)."""
        if not self.diagnostics:
            return super().lines()
        return [*super().lines(), self.message]


class DiscoveryError(DrgenError):
    """A discovery file cannot be read, is malformed, of another schema version or
    of another group (exit 3, like every other invalid input file)."""

    exit_code = ExitCode.INVALID_INVENTORY


class UsageError(DrgenError):
    """The command line asks for something impossible."""

    exit_code = ExitCode.USAGE


def relative_display(path: PurePath) -> str:
    """Show a path relative to the working directory when it is below it."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
