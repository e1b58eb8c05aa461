"""Runbook text that both runbooks print: authored words and code, kept apart.

A runbook sentence mixes our own words with names from the inventory (servers, SQL
instances, databases) and commands. Keeping them as separate spans lets
Runbook.md print a name as a code span (``md_code``: a backslash in
``SQLDR01\\BTS`` stays a backslash) and Runbook.html as ``<code>``, while our own
words are printed as they are. Authored words never hold inventory text, so they
never need escaping in Markdown; ``tests`` hold every authored span to a
character set Markdown cannot misread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    """A name or command, printed as code: inventory values always go here."""

    text: str


# A sentence: authored words (str) and code (Code), in reading order.
Span = str | Code
Prose = tuple[Span, ...]


def prose(*spans: Span | Prose) -> Prose:
    """One sentence from words, code and other sentences (flattened)."""
    out: list[Span] = []
    for span in spans:
        if isinstance(span, tuple):
            out.extend(span)
        else:
            out.append(span)
    return tuple(out)


def codes(names: Iterable[str], last: str = " and ") -> Prose:
    """'`a`', '`a` and `b`', '`a`, `b` and `c`' (no names: nothing)."""
    items = [Code(n) for n in names]
    out: list[Span] = []
    for i, item in enumerate(items):
        if i:
            out.append(last if i == len(items) - 1 else ", ")
        out.append(item)
    return tuple(out)


def plain(text: Prose) -> str:
    """The sentence as plain text (tests, sign-off rows, the map's description)."""
    return "".join(s.text if isinstance(s, Code) else s for s in text)
