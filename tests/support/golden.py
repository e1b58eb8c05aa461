"""Golden files: output committed to the repository that a test compares with
what the code makes today (the JSON Schemas, the lab-facts sample, the sample
drill results, the expected command outputs, the snapshots). One command
rewrites them all, in order: ``./drgen.sh regen`` (tools/regen.py); a stale one
fails its test with :func:`stale`'s message, which names it."""

from __future__ import annotations

from typing import Final

REGEN: Final = "./drgen.sh regen"


def stale(what: object) -> str:
    """The failure message of a golden file that no longer matches the code."""
    return f"{what} is stale: run `{REGEN}` (or `make regen`) and review the diff"
