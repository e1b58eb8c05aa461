"""Escaping by construction: the only doors through which values reach a script.

In ``*.ps1.jinja`` templates every ``{{ }}`` must produce a ``PsLiteral``, which
only the ``ps_*`` filters create; the ``finalize`` guard fails the render for any
other value, naming the template and line. XML templates are autoescaped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

# PowerShell treats all five as single quotes (CharTraits.IsSingleQuote), so each
# must be doubled inside a verbatim string or it would end the literal.
_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_QUOTE_RE = re.compile(f"([{_SINGLE_QUOTES}])")
_LINE_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")
# Other control characters (tab excepted) have no business in a reviewed script:
# NUL truncates it in some editors and tools, the rest hide text from the reviewer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Context variable set by the renderer to the artifact kind ("ps1", "xml", ...), so
#: the guard also holds in a partial whose own name does not end in ``.ps1.jinja``.
OUTPUT_KIND_VAR = "_drgen_output_kind"


class PsLiteral(str):
    """Text that is already a complete, safe PowerShell token."""

    __slots__ = ()


class UnsafeValueError(ValueError):
    """A value reached a template without the filter that makes it safe."""


def ps_str(value: object) -> PsLiteral:
    """A single-quoted PowerShell string literal with every quote doubled."""
    if not isinstance(value, str):
        msg = f"ps_str expects text, got {type(value).__name__}"
        raise UnsafeValueError(msg)
    # The same few hundred names (catalogue entries, hosts, servers) are quoted in
    # every script of every server: quote each once (a bad value is never cached,
    # it raises every time).
    return _quoted(str(value))


@functools.lru_cache(maxsize=8192)
def _quoted(value: str) -> PsLiteral:
    if _LINE_BREAK.search(value):
        # A line break inside a literal would split the script's one-construct lines.
        msg = "ps_str refuses values containing line breaks"
        raise UnsafeValueError(msg)
    if _CONTROL.search(value):
        msg = "ps_str refuses values containing control characters"
        raise UnsafeValueError(msg)
    return PsLiteral("'" + _QUOTE_RE.sub(r"\1\1", value) + "'")


def ps_int(value: object) -> PsLiteral:
    """A PowerShell integer literal."""
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"ps_int expects an integer, got {type(value).__name__}"
        raise UnsafeValueError(msg)
    return PsLiteral(str(value))


def ps_bool(value: object) -> PsLiteral:
    """``$true`` or ``$false``."""
    if not isinstance(value, bool):
        msg = f"ps_bool expects a boolean, got {type(value).__name__}"
        raise UnsafeValueError(msg)
    return PsLiteral("$true" if value else "$false")


def ps_array(values: Iterable[object]) -> PsLiteral:
    """``@('a', 'b')`` built from single-quoted literals (strings only)."""
    if isinstance(values, str):
        msg = "ps_array expects a sequence of strings, got one string"
        raise UnsafeValueError(msg)
    if not isinstance(values, list | tuple):
        msg = f"ps_array expects a list or tuple, got {type(values).__name__}"
        raise UnsafeValueError(msg)
    return PsLiteral("@(" + ", ".join(ps_str(v) for v in values) + ")")


def ps_block(value: object) -> PsLiteral:
    """Lines drgen already built from ``ps_*`` literals (a ``PsLiteral``), as is.

    Anything else, including plain text, is refused: a block is never made of
    inventory text directly.
    """
    if not isinstance(value, PsLiteral):
        msg = f"ps_block expects a block built by drgen, got {type(value).__name__}"
        raise UnsafeValueError(msg)
    return value


FILTERS = {
    "ps_str": ps_str,
    "ps_int": ps_int,
    "ps_bool": ps_bool,
    "ps_array": ps_array,
    "ps_block": ps_block,
}

_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def check_xml_text(value: str) -> str:
    """Reject characters XML 1.0 cannot carry (markupsafe passes them through)."""
    if _XML_FORBIDDEN.search(value):
        msg = "value contains a character XML 1.0 cannot represent"
        raise UnsafeValueError(msg)
    return value


# XML parsers turn a literal tab, LF or CR in an attribute into a space, and a CR in
# text into LF; as character references they come back exactly.
_XML_WHITESPACE_REFS = (
    ("\t", Markup("&#9;")),
    ("\n", Markup("&#10;")),
    ("\r", Markup("&#13;")),
)


_XML_WHITESPACE = re.compile(r"[\t\n\r]")


def _xml_escape(value: str) -> Markup:
    """Escape ``& < > " '`` and the whitespace XML would normalise away."""
    # Markup is escaped already (markupsafe's escape would return it unchanged).
    escaped = value if type(value) is Markup else escape(value)
    if not _XML_WHITESPACE.search(value):
        # Most values have none: skip three Markup.replace calls (the HTML runbook
        # of a large site prints tens of thousands of values).
        return escaped
    for char, reference in _XML_WHITESPACE_REFS:
        escaped = escaped.replace(char, reference)
    return escaped


@pass_context
def finalize(context: Context, value: Any) -> Any:
    """Jinja ``finalize``: in PowerShell templates only ``PsLiteral`` may print."""
    # The render's variables (an include's too) are in ``context.parent``: one
    # dict lookup per printed value, where Context.get resolves through layers.
    if context.parent.get(OUTPUT_KIND_VAR) == "ps1" or (context.name or "").endswith(
        ".ps1.jinja"
    ):
        if not isinstance(value, PsLiteral):
            msg = (
                f"unescaped value of type {type(value).__name__} in a PowerShell "
                "template; use ps_str, ps_int, ps_bool or ps_array"
            )
            raise UnsafeValueError(msg)
        return value
    kind = type(value)
    if kind is str or kind is Markup:
        # The common case first (a large site's HTML runbook prints ~100,000 values).
        check_xml_text(value)
        return _xml_escape(value) if context.eval_ctx.autoescape else value
    if kind is int:
        return str(value)
    if value is None:
        msg = "None reached a template output"
        raise UnsafeValueError(msg)
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, str):
        check_xml_text(value)
        return _xml_escape(value) if context.eval_ctx.autoescape else value
    msg = f"value of type {type(value).__name__} cannot be rendered"
    raise UnsafeValueError(msg)
