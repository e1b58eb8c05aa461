"""Values as they may appear on one line of a diagnostic."""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped: one line, always."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown(value: object) -> str:
    """A value as it may appear on one line of a diagnostic."""
    text = printable(str(value))
    return text if len(text) <= 60 else text[:57] + "..."


def dotted(path: tuple[str | int, ...]) -> str:
    """``dr.servers[2].name`` for the key path ``("dr", "servers", 2, "name")``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + shown(part)
    return text or "(top level)"
