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
    """The numbered steps (``### <phase>.<k> title`` sections) of a runbook phase,
    each with all its text (headings, paragraphs, commands) and its code."""
    items: list[Item] = []
    parts: list[str] = []
    code: list[str] = []
    open_step = False

    def close() -> None:
        if open_step:
            joined = re.sub(r"\s+", " ", " ".join(parts))
            items.append(Item(len(items) + 1, joined, tuple(code)))

    tokens = section_tokens(markdown, heading)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h3":
            close()
            title = tokens[i + 1].content
            # "Abort path" is not a step: it has no number.
            number = re.match(r"\d+\.\d+ ", title)
            open_step = number is not None
            parts, code = [title[number.end() :] if number else title], []
        elif token.type == "inline" and not (i and tokens[i - 1].tag == "h3"):
            parts.append(token.content)
            code += [c.content for c in token.children or [] if c.type == "code_inline"]
        elif token.type == "code_block":
            lines = [line.strip() for line in token.content.splitlines()]
            parts += lines
            code += [line for line in lines if line]
    close()
    assert items, heading
    return items


def failover(rendered: Rendered, stem: str) -> list[Item]:
    return steps(artifact(rendered, stem, "Runbook.md").text, "3. Failover")


def item_index(items: list[Item], test: Callable[[Item], bool], what: str) -> int:
    found = [i for i, item in enumerate(items) if test(item)]
    assert found, f"no failover step {what}"
    return found[0]
