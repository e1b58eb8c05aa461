"""Escaping for Markdown artifacts (the runbook): inventory text stays text."""

from __future__ import annotations

import re

# Characters that Markdown (and tables) would read as markup.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def md(value: object) -> str:
    """Inventory text as literal Markdown: markup characters backslash-escaped."""
    if not isinstance(value, str):
        msg = f"md expects text, got {type(value).__name__}"
        raise TypeError(msg)
    return _SPECIAL.sub(r"\\\1", value)


def md_code(value: object) -> str:
    """Inventory text as a Markdown code span, readable as-is in a text editor.

    The fence is one backtick longer than the longest run inside the value, and a
    pipe is escaped so that the span cannot split a table row.
    """
    if not isinstance(value, str):
        msg = f"md_code expects text, got {type(value).__name__}"
        raise TypeError(msg)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value.replace('|', chr(92) + '|')}{pad}{fence}"


FILTERS = {"md": md, "md_code": md_code}
