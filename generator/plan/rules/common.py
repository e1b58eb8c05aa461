"""What every rule uses: a located error or warning for an inventory path."""

from __future__ import annotations

from generator.errors import Diagnostic
from generator.inventory.load import Path_, RawDocument


def error(
    doc: RawDocument, path: Path_, code: str, message: str, hint: str | None = None
) -> Diagnostic:
    """An error at the YAML position of ``path``."""
    return Diagnostic(doc.locate(path), code, message, hint)


def warning(
    doc: RawDocument, path: Path_, code: str, message: str, hint: str | None = None
) -> Diagnostic:
    """A warning at the YAML position of ``path``."""
    return Diagnostic(doc.locate(path), code, message, hint, severity="warning")
