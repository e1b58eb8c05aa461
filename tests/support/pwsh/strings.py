"""Where a script's string literals are, and whether a value occurs outside them.

Owns: :func:`string_literal_ranges` (every ``string_literal`` node, all four kinds)
and :func:`occurrences_outside_string_literals` (a value found anywhere but between
the delimiters of a single-quoted literal, ``verbatim_string_characters`` /
``verbatim_here_string_characters``). Why a module of its own: the injection and
escaping tests ask only this, and it needs nothing of commands or the lint. The
typographic single quotes U+2018..U+201B, which PowerShell treats as ``'``, are not
string delimiters for the grammar.
"""

from __future__ import annotations

from typing import Final

from tests.support.pwsh.index import source_text
from tests.support.pwsh.parse import of_types

_VERBATIM_STRING_TYPES: Final = frozenset(
    {"verbatim_string_characters", "verbatim_here_string_characters"}
)


def string_literal_ranges(data: bytes) -> list[tuple[int, int]]:
    """Return ``(start, end)`` byte ranges of every string literal, sorted.

    Covers ``'...'``, ``"..."``, ``@'...'@`` and ``@"..."@``, delimiters included.
    A literal nested in an expandable string's ``$( )`` is listed separately.
    """
    return sorted(
        (node.start_byte, node.end_byte) for node in of_types(data, "string_literal")
    )


def _verbatim_contents(data: bytes) -> list[tuple[int, int]]:
    """Return the byte ranges between the delimiters of single-quoted literals."""
    ranges: list[tuple[int, int]] = []
    for node in of_types(data, *sorted(_VERBATIM_STRING_TYPES)):
        text = source_text(node, data)
        if node.type == "verbatim_here_string_characters":
            opening, closing = 2, 2
        else:
            opening = len(text[:1].encode())
            closing = len(text[-1:].encode())
        ranges.append((node.start_byte + opening, node.end_byte - closing))
    return ranges


def occurrences_outside_string_literals(data: bytes, text: str) -> list[int]:
    """Return byte offsets where ``text`` occurs not fully inside a ``'...'`` literal.

    "Inside" means within the contents of a single verbatim string or verbatim
    here-string, between its delimiters. Occurrences in expandable strings, here
    strings with ``"``, comments, barewords and code are all reported. Search for the
    escaped form: a value with a quote appears in the script with that quote doubled.
    Overlapping occurrences are all reported.
    """
    needle = text.encode()
    if not needle:
        raise ValueError("text must not be empty")
    contents = _verbatim_contents(data)
    offsets: list[int] = []
    start = data.find(needle)
    while start != -1:
        end = start + len(needle)
        if not any(low <= start and end <= high for low, high in contents):
            offsets.append(start)
        start = data.find(needle, start + 1)
    return offsets
