"""The rendered scripts of the examples as the script tests read them.

:class:`Script` is one rendered script: its artifact, its bytes as written to
disk and its parse tree; :func:`scripts` picks them by name. Helpers below find
a script's functions, its top-level values and its main body, and
:func:`mutated` / :func:`counter` break a rendered script on purpose to show
that a checker fails on it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import PurePosixPath
from typing import Final

import pytest
from tree_sitter import Node

from generator.plan.outputs import ArtifactKind
from generator.plan.servers import ServerPlan
from generator.plan.site import Plan
from generator.render.artifacts import RenderedArtifact, encode_text
from generator.render.psdata import Value, parse_block, split_script
from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes
from tests.support.tree import verbatim

Rendered = dict[str, dict[PurePosixPath, RenderedArtifact]]


#: Scripts that change the server (they call $PSCmdlet.ShouldProcess).
CHANGING = (
    "Initialize-DrServer.ps1",
    "Enable-DrServer.ps1",
    "Disable-DrServer.ps1",
    "Reset-DrServer.ps1",
    "Update-DrGroupDatabases.ps1",
)


SERVER_SCRIPTS = (
    "Initialize-DrServer.ps1",
    "Test-DrServer.ps1",
    "Enable-DrServer.ps1",
    "Disable-DrServer.ps1",
)


#: Server scripts that change the server.
CHANGING_SERVER = (
    "Initialize-DrServer.ps1",
    "Enable-DrServer.ps1",
    "Disable-DrServer.ps1",
)


# Documented registry keys (Microsoft's pages; see generator/catalogue/registry.py).
ADMIN_KEY = r"HKLM:\SOFTWARE\Microsoft\BizTalk Server\3.0\Administration"


SSO_SQL_KEY = r"HKLM:\SOFTWARE\Microsoft\ENTSSO\SQL"


RULES_KEY = r"HKLM:\SOFTWARE\Microsoft\BusinessRules\3.0"


MSDTC_KEY = r"HKLM:\SOFTWARE\Microsoft\MSDTC\Security"


ADMINISTRATORS = "S-1-5-32-544"


SYSTEM = "S-1-5-18"


@dataclass(frozen=True, repr=False)
class Script:
    """One rendered script: its artifact, its bytes as written, its parse tree."""

    art: RenderedArtifact
    data: bytes

    @property
    def name(self) -> str:
        return self.art.path.name

    @property
    def stem(self) -> str:
        """The inventory the script was rendered from."""
        return self.art.path.parts[0]

    @property
    def server(self) -> str:
        """The DR server of a server script (its folder name)."""
        return self.art.path.parent.name

    @cached_property
    def root(self) -> Node:
        return ps.parse(self.data).root_node

    def __repr__(self) -> str:
        return str(self.art.path)


def scripts(all_artifacts: Sequence[RenderedArtifact], *names: str) -> list[Script]:
    """Every script, or those with one of ``names``, encoded as written to disk."""
    found = [
        script_of(a)
        for a in all_artifacts
        if a.kind is ArtifactKind.POWERSHELL and (not names or a.path.name in names)
    ]
    assert found, names
    return found


@cache
def script_of(art: RenderedArtifact) -> Script:
    """One script, made once per worker: its bytes and parse tree are shared by
    every test that reads it (a Script is never changed; :func:`mutated` makes a
    new one)."""
    return Script(art, encode_text(art.text, ArtifactKind.POWERSHELL))


def server_plans(plans: dict[str, Plan]) -> dict[tuple[str, str], ServerPlan]:
    return {(stem, s.name): s for stem, p in plans.items() for s in p.site.servers}


def data_values(text: str) -> dict[str, Value]:
    """The values of a rendered script's data block, by item name
    (``generator.render.psdata.parse_block``: literals only, whatever the code
    around them)."""
    return dict(parse_block(split_script(text)[1]))


def top_level(root: Node) -> list[Node]:
    """The script's top-level statements (comments left out)."""
    body = next(c for c in root.named_children if c.type == "statement_list")
    return [c for c in body.named_children if c.type != "comment"]


def top_assignment(script: Script, variable: str) -> Node:
    """The value node of the top-level statement ``$variable = ...``."""
    for statement in top_level(script.root):
        if statement.type != "pipeline" or not statement.named_children:
            continue
        assignment = statement.named_children[0]
        if assignment.type != "assignment_expression":
            continue
        left = text(assignment.named_children[0]).strip()
        if left.casefold() == f"${variable}".casefold():
            value = assignment.child_by_field_name("value")
            assert value is not None
            return value
    raise AssertionError(f"{script}: no top-level ${variable} = ...")


def top_string(script: Script, variable: str) -> str:
    value = verbatim(top_assignment(script, variable))
    assert value is not None, f"{script}: ${variable} is not one '...' literal"
    return value


def functions(script: Script) -> dict[str, Node]:
    """Every ``function Name {...}`` of the script, by name."""
    found: dict[str, Node] = {}
    for statement in nodes(script.root, "function_statement"):
        name_node = next(c for c in statement.children if c.type == "function_name")
        assert text(name_node) not in found, f"{script}: {text(name_node)} twice"
        found[text(name_node)] = statement
    return found


def function(script: Script, name: str) -> Node:
    found = functions(script)
    assert name in found, f"{script}: no function {name}"
    return found[name]


def commands_in(script: Script, node: Node) -> list[ps.Command]:
    """The oracle's commands whose line lies within ``node``."""
    first, last = node.start_point.row + 1, node.end_point.row + 1
    return [c for c in ps.commands(script.data) if first <= c.line <= last]


def main_body(script: Script) -> list[ps.Command]:
    """Top-level commands from the wrong-host guard on: the script's steps."""
    inside = [
        (f.start_point.row + 1, f.end_point.row + 1)
        for f in nodes(script.root, "function_statement")
    ]
    body = [
        c
        for c in ps.commands(script.data)
        if not any(first <= c.line <= last for first, last in inside)
    ]
    start = next(i for i, c in enumerate(body) if c.name == "Assert-DrTargetComputer")
    return body[start:]


def script_param_block(script: Script) -> Node:
    return next(c for c in script.root.named_children if c.type == "param_block")


def help_comment(script: Script) -> str:
    """The comment-based help block at the top of the script."""
    for child in script.root.named_children:
        if child.type == "comment" and text(child).startswith("<#"):
            return text(child)
    raise AssertionError(f"{script}: no comment-based help")


def artifact(rendered: Rendered, stem: str, name: str) -> RenderedArtifact:
    (found,) = [a for p, a in rendered[stem].items() if p.name == name]
    return found


def site_xml(rendered: Rendered, stem: str, name: str) -> ET.Element:
    return ET.fromstring(artifact(rendered, stem, name).text)


def locate(text_: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle``."""
    assert needle in text_, needle
    return text_[: text_.index(needle)].count("\n") + 1


ENABLE: Final = "Enable-DrServer.ps1"


UPDATE: Final = "Update-DrGroupDatabases.ps1"


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def _at_line_start(old: str, number: int, line: str) -> bool:
    """Whether line ``number`` of ``old`` is matched with any indentation."""
    return bool(line.strip()) and (number > 0 or line.startswith(" "))


def find_text(text: str, old: str) -> tuple[int, int, int] | None:
    """Where ``old`` first occurs in ``text``, indentation aside.

    Returns ``(start, end, shift)``: the span found and how many spaces further
    right its lines are indented than ``old``'s (0 for an exact match). A
    mutation written as the template indents its code still applies after a
    reformat that only moves that code left or right.
    """
    index = text.find(old)
    if index >= 0:
        return index, index + len(old), 0
    lines = old.split("\n")
    parts = [
        "(?m:^) *" + re.escape(line.lstrip(" "))
        if _at_line_start(old, number, line)
        else re.escape(line)
        for number, line in enumerate(lines)
    ]
    found = re.search("\n".join(parts), text)
    if found is None:
        return None
    got = found.group().split("\n")
    shifts = [
        len(_indent(got[number])) - len(_indent(line))
        for number, line in enumerate(lines)
        if _at_line_start(old, number, line)
    ]
    return found.start(), found.end(), shifts[0] if shifts else 0


def _shifted(old: str, new: str, shift: int) -> str:
    """``new`` indented ``shift`` spaces further right, where ``old`` was."""
    if shift == 0:
        return new
    moved = []
    for number, line in enumerate(new.split("\n")):
        if not _at_line_start(old, number, line):
            moved.append(line)
        elif shift > 0:
            moved.append(" " * shift + line)
        else:
            moved.append(line[min(-shift, len(_indent(line))) :])
    return "\n".join(moved)


def mutated(script: Script, old: str, new: str) -> Script:
    """``script`` with the first ``old`` of its rendered text replaced by ``new``
    (indentation aside: :func:`find_text`)."""
    where = find_text(script.art.text, old)
    assert where is not None, f"{script}: {old!r} not found"
    start, end, shift = where
    text = script.art.text
    changed = text[:start] + _shifted(old, new, shift) + text[end:]
    return Script(script.art, encode_text(changed, ArtifactKind.POWERSHELL))


Checker = Callable[[Script], object]


def counter(script: Script, checker: Checker, old: str, new: str) -> None:
    """The checker passes the script and fails the script with ``old`` -> ``new``."""
    checker(script)
    broken = mutated(script, old, new)
    assert not ps.syntax_problems(broken.data), (script, old)
    with pytest.raises(AssertionError):
        checker(broken)


def scripts_with(
    all_artifacts: list[RenderedArtifact], name: str, old: str
) -> list[Script]:
    found = [
        s
        for s in scripts(all_artifacts, name)
        if find_text(s.art.text, old) is not None
    ]
    assert found, (name, old)
    return found
