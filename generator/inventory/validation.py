"""Validate a ``RawDocument`` into an ``Inventory``, every problem located.

``parse_inventory`` runs the pre-scan, then the pydantic model, and translates
each pydantic error into a ``FILE:LINE:COL`` diagnostic with a code and, where
one helps, a hint; it raises one ``InventoryError`` carrying them all.
"""

from __future__ import annotations

import datetime
import difflib
import re
from typing import Any

from pydantic import ValidationError

from generator.errors import Diagnostic, InventoryError
from generator.inventory.load import YAML11_BOOLEANS, Path_, RawDocument
from generator.inventory.model import NAME_CODES, Inventory, nested_model
from generator.inventory.prescan import prescan
from generator.text import dotted, printable, shown


def _allowed_keys(loc: Path_) -> list[str]:
    """Field names (aliases) accepted at the mapping that ``loc`` points into."""
    model: Any = Inventory
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = model.model_fields
        name = next(
            (n for n, f in fields.items() if (f.alias or n) == part),
            None,
        )
        if name is None:
            return []
        model = nested_model(fields[name].annotation)
        if model is None:
            return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _got(value: Any, spelled: str | None) -> str:
    """What YAML made of a value, for "expected X, got Y" messages."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the boolean {spelled or value}"
    if isinstance(value, int | float):
        return f"the number {spelled or value}"
    if isinstance(value, datetime.date):
        return f"the date {spelled or value}"
    if isinstance(value, str):
        return f"'{shown(value)}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    return f"a value of type {type(value).__name__}"


_EXPECTED = {
    "string_type": "text",
    "tuple_type": "a list",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
}


_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


def _yaml_hint(value: Any, spelled: str | None) -> str | None:
    """The "quote it" hint when YAML 1.1 turned text into another type."""
    if spelled is None or isinstance(value, str):
        return None
    if isinstance(value, bool) and spelled.lower() in YAML11_BOOLEANS:
        return f"YAML reads unquoted {spelled} as a boolean; quote it: '{spelled}'"
    if isinstance(value, int) and re.fullmatch(r"[-+]?0[0-7_]+", spelled):
        return (
            f"YAML reads unquoted {spelled} as the octal number {value}; "
            f"quote it: '{spelled}'"
        )
    if isinstance(value, int | float) and ":" in spelled:
        return (
            f"YAML reads unquoted {spelled} as the base-60 number {value}; "
            f"quote it: '{spelled}'"
        )
    if value is None:
        return "write a value, or remove the key" if not spelled else None
    return f"YAML reads unquoted {shown(spelled)} as {_got(value, spelled)}; quote it"


def _close(word: str, choices: list[str]) -> list[str]:
    """The choice ``word`` most likely misspells (case does not count)."""
    by_lower = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return [by_lower[f] for f in found]


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _document_path(error: Any, doc: RawDocument) -> Path_:
    """The key path of a pydantic error, without pydantic's own loc entries."""
    loc: Path_ = ()
    for part in error["loc"]:
        # Union members appear in loc as type names ("tuple[...]", "[key]"); a real
        # key of the document is kept even when it contains a bracket.
        if isinstance(part, str) and "[" in part and (*loc, part) not in doc.positions:
            continue
        loc = (*loc, part)
    return loc


def _diagnostic_for(error: Any, doc: RawDocument) -> Diagnostic:
    loc = _document_path(error, doc)
    kind = str(error["type"])
    where = dotted(loc)
    if kind == "missing":
        return Diagnostic(
            doc.locate(loc[:-1]),
            "missing-key",
            f"{dotted(loc[:-1])}: required key '{loc[-1]}' is missing",
        )
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = _close(key, _allowed_keys(loc))
        allowed = ", ".join(_allowed_keys(loc))
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else (f"allowed here: {allowed}" if allowed else None)
        )
        return Diagnostic(
            doc.locate(loc),
            "unknown-key",
            f"{dotted(loc[:-1])}: unknown key '{shown(key)}'",
            hint,
        )
    value = _value_at(doc.data, loc)
    spelled = doc.plain_scalars.get(loc)
    # Quoting helps only where text was expected.
    hint = (
        _yaml_hint(value, spelled)
        if kind in {"string_type", "literal_error", *NAME_CODES}
        else None
    )
    code = NAME_CODES.get(kind, "invalid-value")
    if kind in NAME_CODES:
        message = f"'{shown(error['input'])}' {error['msg']}"
    elif kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, got {_got(value, spelled)}"
    elif kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        choices = re.findall(r"'([^']*)'", expected)
        message = f"must be {expected}, not {_got(value, spelled)}"
        if hint is None and isinstance(value, str):
            close = _close(value, choices)
            hint = f"did you mean '{close[0]}'?" if close else None
    elif kind == "too_short" and isinstance(value, list | dict):
        message = "needs at least one entry"
    elif kind == "string_too_short":
        message = "must not be empty"
    elif kind in _BOUNDS:
        bound = error.get("ctx", {}).get(_BOUNDS[kind][1])
        message = f"must be {_BOUNDS[kind][0]} {bound}, not {_got(value, spelled)}"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
    return Diagnostic(
        doc.locate(loc),
        code,
        printable(f"{where}: {message}"),
        printable(hint) if hint else None,
    )


def _misspelt(errors: Any) -> set[tuple[Any, ...]]:
    """Locations of missing keys that an unknown sibling key is a misspelling of."""
    found: set[tuple[Any, ...]] = set()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] != "extra_forbidden" or not isinstance(loc[-1], str):
            continue
        missing = {
            tuple(e["loc"])[-1]
            for e in errors
            if e["type"] == "missing" and tuple(e["loc"])[:-1] == loc[:-1]
        }
        close = _close(loc[-1], [str(m) for m in missing])
        if close:
            found.add((*loc[:-1], close[0]))
    return found


def parse_inventory(doc: RawDocument) -> Inventory:
    """Validate raw data into an ``Inventory``; raise with every problem at once."""
    problems, secrets = prescan(doc)
    problems[:0] = doc.problems
    if not isinstance(doc.data, dict):
        problems.append(
            Diagnostic(
                doc.locate(()),
                "not-a-mapping",
                "the inventory must be a YAML mapping (key: value), "
                f"not {_got(doc.data, None)}",
            )
        )
        raise InventoryError(f"{doc.file}: invalid inventory", tuple(problems))
    inventory: Inventory | None = None
    try:
        inventory = Inventory.model_validate(doc.data)
    except ValidationError as exc:
        errors = exc.errors()
        misspelt = _misspelt(errors)
        for error in errors:
            loc = tuple(error["loc"])
            if error["type"] == "missing" and loc in misspelt:
                continue  # the unknown key's "did you mean" already says it
            if error["type"] == "string_unicode":
                continue  # a lone surrogate: reported as a control character
            path = _document_path(error, doc)
            if any(path[: len(secret)] == secret for secret in secrets):
                # Reported once, as a secret; never echo the value or its shape.
                continue
            problems.append(_diagnostic_for(error, doc))
    if problems or inventory is None:
        raise InventoryError(f"{doc.file}: invalid inventory", tuple(problems))
    return inventory
