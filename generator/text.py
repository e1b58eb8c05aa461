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


def format_character(text: str) -> str | None:
    """The first invisible Unicode format character (category Cf) in ``text``.

    Bidirectional controls (U+202A-U+202E, U+2066-U+2069), zero-width characters
    (U+200B-U+200F), U+FEFF inside text, the soft hyphen and the like: they make
    a reviewer read something other than what runs ("Trojan Source",
    CVE-2021-42574), so no name or value drgen reads may hold one.
    """
    if text.isascii():
        return None
    import unicodedata

    for char in text:
        if unicodedata.category(char) == "Cf":
            return char
    return None


def character_name(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named for a message."""
    import unicodedata

    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")
