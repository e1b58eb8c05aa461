"""Escaping for the runbooks: inventory text stays text, in Markdown and in HTML."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from markupsafe import Markup, escape

from generator.plan.prose import Code

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
    if "`" not in value:
        # Most names: one backtick each side (the runbook of a large site prints
        # tens of thousands of them).
        return f"`{value.replace('|', chr(92) + '|')}`"
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value.replace('|', chr(92) + '|')}{pad}{fence}"


def _spans(value: object, name: str) -> tuple[object, ...]:
    if not isinstance(value, tuple):
        msg = f"{name} expects runbook prose, got {type(value).__name__}"
        raise TypeError(msg)
    for span in value:
        if type(span) is str or type(span) is Code:
            continue  # the common case, decided without isinstance on a union
        # Markup would pass escape() unchanged and, equal to its plain str, share
        # that str's cache entry: prose is plain text, escaped only here.
        if isinstance(span, Markup) or not isinstance(span, str | Code):
            msg = f"{name} expects runbook prose, got a {type(span).__name__} span"
            raise TypeError(msg)
    return value


# A runbook prints the same prose many times (a sign-off row per DR server in
# every step): each distinct prose is converted once per process. Prose is an
# immutable tuple of str and frozen Code spans, so it is its own cache key.
_PROSE_CACHE = 8192


def md_prose(value: object) -> str:
    """Runbook prose as Markdown: authored words as written, names as code spans.

    Authored words never carry inventory text (``generator.plan.prose``), and a
    test holds them to characters Markdown cannot misread.
    """
    if type(value) is tuple and len(value) == 1 and type(value[0]) is Code:
        return md_code(value[0].text)  # a name alone
    return _md_prose(_spans(value, "md_prose"))


def md_prose_list(values: object, separator: str = ", ") -> str:
    """Several runbook proses as Markdown, joined: ``map('md_prose')|join`` in one
    filter (a step of a large site runs on a thousand DR servers)."""
    return _joined(values, md_prose, separator, "md_prose_list", "runbook prose")


def md_code_list(values: object, separator: str = ", ") -> str:
    """Several names as Markdown code spans, joined (``map('md_code')|join``)."""
    return _joined(values, md_code, separator, "md_code_list", "names")


def _joined(
    values: object, convert: Callable[[object], str], separator: str, name: str, of: str
) -> str:
    if not isinstance(values, tuple | list):
        msg = f"{name} expects a list of {of}, got {type(values).__name__}"
        raise TypeError(msg)
    return separator.join([convert(value) for value in values])


@lru_cache(maxsize=_PROSE_CACHE)
def _md_prose(spans: tuple[object, ...]) -> str:
    return "".join(md_code(s.text) if isinstance(s, Code) else str(s) for s in spans)


def html_prose(value: object) -> Markup:
    """Runbook prose as HTML: every span escaped, names in ``<code>``."""
    if type(value) is tuple and len(value) == 1 and type(value[0]) is Code:
        # A name alone (a sign-off row names its DR server): cached by the name.
        return _html_code(value[0].text)
    return _html_prose(_spans(value, "html_prose"))


@lru_cache(maxsize=_PROSE_CACHE)
def _html_code(name: str) -> Markup:
    return Markup("<code>{}</code>").format(name)


@lru_cache(maxsize=_PROSE_CACHE)
def _html_prose(spans: tuple[object, ...]) -> Markup:
    return Markup("").join(
        Markup("<code>{}</code>").format(s.text) if isinstance(s, Code) else escape(s)
        for s in spans
    )


_CSS_PLAIN = re.compile(r"[A-Za-z0-9 _.,:()-]")


def css_str(value: object) -> Markup:
    """Text as the inside of a CSS string (an @page header's ``content``).

    Everything but letters, digits and a little punctuation becomes a CSS hex
    escape: no quote ends the string, no ``<`` ends the style element, and no
    ``&`` needs an entity, which a browser would not decode inside <style>.
    """
    if not isinstance(value, str):
        msg = f"css_str expects text, got {type(value).__name__}"
        raise TypeError(msg)
    escaped = "".join(c if _CSS_PLAIN.fullmatch(c) else f"\\{ord(c):x} " for c in value)
    # Safe: only letters, digits, spaces, _.,:()- and CSS hex escapes remain.
    return Markup(escaped)  # noqa: S704


FILTERS = {
    "md": md,
    "md_code": md_code,
    "md_prose": md_prose,
    "md_prose_list": md_prose_list,
    "md_code_list": md_code_list,
    "html_prose": html_prose,
    "css_str": css_str,
}
