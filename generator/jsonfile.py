"""A JSON file a Windows server wrote, read with located errors.

The lab probe's result and the drill results are JSON objects written by
Windows PowerShell; a malformed one must be reported as ``FILE:LINE:COL``, never
as a traceback. Each reader passes ``located``, which makes its own error type.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from generator.errors import DrgenError

Located = Callable[[int, int, str], DrgenError]


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
    except (ValueError, RecursionError) as exc:
        # An integer too long to convert, a refused constant, or nesting too
        # deep to parse.
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise located(1, 1, f"not a usable JSON document: {detail}") from None


def load_object(text: str, located: Located, what: str) -> dict[str, Any]:
    """The JSON object in ``text``; raises ``located(line, column, message)``."""
    data = decode(text, located)
    if not isinstance(data, dict):
        raise located(1, 1, f"{what} is a JSON object")
    return data
