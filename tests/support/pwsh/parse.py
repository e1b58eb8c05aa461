"""Parsing a script's bytes with tree-sitter-pwsh, and what the parse alone says.

Owns: the grammar (:data:`LANGUAGE`, tree-sitter-pwsh 0.38.1), the parse cached by
content (:func:`parse`; a UTF-8 BOM becomes three spaces so byte offsets match the
file), the search of a script's tree by node type (:func:`of_types`), locations in
``line:col`` form (:func:`line_col`, columns in characters, the BOM not counted)
and the parse errors (:func:`syntax_problems`: the ``ERROR`` and MISSING nodes).
Why a module of its own: every question the oracle answers starts from these
bytes-to-tree steps, and the parse cache lives in one place.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser, Tree

from tests.support.pwsh.index import locate, nodes, walk

LANGUAGE: Final = Language(tree_sitter_pwsh.language())

#: The UTF-8 byte order mark a rendered script starts with.
BOM: Final = b"\xef\xbb\xbf"

#: How many characters of the source a syntax problem quotes.
_SNIPPET_LENGTH: Final = 40


@lru_cache(maxsize=128)
def parse(data: bytes) -> Tree:
    """Parse a script's bytes with tree-sitter-pwsh (cached by content: the
    trees are never edited, and most tests read the same rendered scripts).

    The input may start with a UTF-8 BOM, use CRLF and end with an Authenticode
    signature block (which is just ``#`` comments). The BOM is replaced by three
    spaces before parsing, so byte offsets in the tree match ``data`` exactly.
    """
    if data.startswith(BOM):
        data = b"   " + data[len(BOM) :]
    return Parser(LANGUAGE).parse(data)


def parsed_root(data: bytes) -> Node:
    """Return the root node of the cached parse of ``data``."""
    return parse(data).root_node


def of_types(data: bytes, *kinds: str) -> list[Node]:
    """Every node of the given types in the parse of ``data``, in document order."""
    if len(kinds) == 1:
        return nodes(parsed_root(data), kinds[0])
    index, _ = locate(parsed_root(data))
    positions = sorted(p for kind in kinds for p in index.by_type.get(kind, ()))
    return [index.order[p] for p in positions]


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """Return the 1-based line and character column of a byte offset.

    Columns count characters, not bytes, and the BOM does not count.
    """
    line = data.count(b"\n", 0, offset) + 1
    line_start = data.rfind(b"\n", 0, offset) + 1
    if line_start == 0 and data.startswith(BOM) and offset >= len(BOM):
        line_start = len(BOM)
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return line, column


def _snippet(data: bytes, start: int, end: int) -> str:
    """Return a short one-line excerpt of ``data[start:end]`` (or what follows)."""
    text = data[start:end].decode("utf-8", "replace").strip()
    if not text:
        text = data[start : start + _SNIPPET_LENGTH * 4].decode("utf-8", "replace")
        text = text.strip()
    first_line = text.splitlines()[0] if text else ""
    return first_line[:_SNIPPET_LENGTH]


def syntax_problems(data: bytes) -> list[str]:
    """List every ERROR and MISSING node of the parse, in document order.

    Each entry reads ``"line:col: ERROR near '...'"`` or
    ``"line:col: MISSING <token> near '...'"`` with 1-based line and column.
    An empty list means tree-sitter-pwsh accepts the script (which is necessary, not
    sufficient, for PowerShell to accept it).
    """
    root = parsed_root(data)
    problems: list[str] = []
    if not root.has_error:
        return problems
    for node in walk(root):
        if not (node.is_error or node.is_missing):
            continue
        line, column = line_col(data, node.start_byte)
        near = _snippet(data, node.start_byte, node.end_byte)
        if node.is_missing:
            message = f"{line}:{column}: MISSING {node.type} near '{near}'"
        else:
            message = f"{line}:{column}: ERROR near '{near}'"
        if message not in problems:
            problems.append(message)
    return problems
