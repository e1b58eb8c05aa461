"""A JSON file a Windows server wrote, read with located errors.

The lab probe's result, the drill results and the discovery are JSON objects
written by Windows PowerShell; a malformed one must be reported as
``FILE:LINE:COL``, never as a traceback. Each reader passes ``located``, which
makes its own error type.

Every position is found in time linear in the text: ``LineIndex`` turns an
offset into a line and column by a binary search over line starts computed once
(counting newlines from the start for each key made reading a large discovery
quadratic), and nesting too deep for ``json`` is located by one scan.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from generator.errors import DrgenError

Located = Callable[[int, int, str], DrgenError]

# Deeper than any file drgen reads (a discovery is four levels deep): where a
# document passes it is where a "nested too deeply" error points.
MAX_DEPTH = 64


class LineIndex:
    """Line and column (1-based) of any offset of one text.

    Built in one pass over the text; each lookup is a binary search, so
    locating every key of a document costs O(n log n), not O(n²).
    """

    def __init__(self, text: str) -> None:
        starts = [0]
        find = text.find
        at = find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = find("\n", at + 1)
        self.starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of the character at ``offset``."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


_NESTING = re.compile(r'[\[\]{}"]')


def nesting_offset(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The offset of the first bracket nested deeper than ``limit``, or None.

    One scan: strings are skipped whole (``scanstring``), so brackets inside
    them do not count.
    """
    depth = 0
    at = 0
    while (match := _NESTING.search(text, at)) is not None:
        char, at = match.group(), match.end()
        if char == '"':
            try:
                at = int(scanstring(text, at)[1])
            except ValueError:
                return None
        elif char in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        else:
            depth -= 1
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def decode(text: str, located: Located, *, constants: bool = True) -> Any:
    """The JSON value in ``text``; raises ``located(line, column, message)``.

    ``constants=False`` refuses NaN and Infinity, which ``json`` accepts
    although JSON has no such numbers.
    """
    try:
        if constants:
            return json.loads(text)
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise located(exc.lineno, exc.colno, f"not JSON: {exc.msg}") from None
    except RecursionError:
        offset = nesting_offset(text)
        line, column = LineIndex(text).position(offset) if offset else (1, 1)
        message = f"not a usable JSON document: nested more than {MAX_DEPTH} levels"
        raise located(line, column, message + " deep here") from None
    except ValueError as exc:
        # An integer too long to convert, or a refused constant.
        raise located(1, 1, f"not a usable JSON document: {exc}") from None


def load_object(text: str, located: Located, what: str) -> dict[str, Any]:
    """The JSON object in ``text``; raises ``located(line, column, message)``."""
    data = decode(text, located)
    if not isinstance(data, dict):
        raise located(1, 1, f"{what} is a JSON object")
    return data
