"""A runbook's numbered steps, read through markdown-it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.support.scripts import Rendered, artifact


@dataclass(frozen=True)
class Item:
    """One numbered step of a runbook section: its source text and code spans."""

    number: int
    text: str
    code: tuple[str, ...]


def section_tokens(markdown: str, heading: str) -> list[Token]:
    """The tokens of the ``##`` section whose heading starts with ``heading``."""
    tokens = MarkdownIt().parse(markdown)
    start = None
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            title = tokens[i + 1].content
            if start is not None:
                return tokens[start:i]
            if title.startswith(heading):
                start = i + 3
    assert start is not None, heading
    return tokens[start:]


def steps(markdown: str, heading: str) -> list[Item]:
    """The top-level ordered-list items of a runbook section."""
    items: list[Item] = []
    depth = 0
    parts: list[str] = []
    code: list[str] = []
    for token in section_tokens(markdown, heading):
        if token.type == "ordered_list_open":
            depth += 1
        elif token.type == "ordered_list_close":
            depth -= 1
        elif token.type == "list_item_open" and depth == 1:
            parts, code = [], []
        elif token.type == "inline":
            parts.append(token.content)
            code += [c.content for c in token.children or [] if c.type == "code_inline"]
        elif token.type == "list_item_close" and depth == 1:
            joined = re.sub(r"\s+", " ", " ".join(parts))
            items.append(Item(len(items) + 1, joined, tuple(code)))
    assert items, heading
    return items


def failover(rendered: Rendered, stem: str) -> list[Item]:
    return steps(artifact(rendered, stem, "Runbook.md").text, "3. Failover")


def item_index(items: list[Item], test: Callable[[Item], bool], what: str) -> int:
    found = [i for i, item in enumerate(items) if test(item)]
    assert found, f"no failover step {what}"
    return found[0]
