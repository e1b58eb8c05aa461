"""How a command runs: its body inside ``run``, which turns a ``DrgenError`` into
its lines on stderr and its exit code, and ``say`` for messages to the user.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import typer

from generator.errors import DrgenError


@dataclass(frozen=True, slots=True)
class Options:
    """Global options, kept on the typer context (no module-level state)."""

    debug: bool = False


def say(line: str) -> None:
    """Human messages go to stderr; stdout is for machine output."""
    sys.stderr.write(line + "\n")


def run(ctx: typer.Context, action: Callable[[], None]) -> None:
    """Run a command body, turning drgen errors into diagnostics and exit codes."""
    try:
        action()
    except DrgenError as exc:
        options = ctx.find_root().obj
        if isinstance(options, Options) and options.debug:
            raise
        for line in exc.lines():
            say(line)
        raise typer.Exit(int(exc.exit_code)) from None
