"""Export-BizTalkGroup.ps1 as the discovery tests read it: its bytes, its parse
tree, its functions, top-level statements and assignments, its literals and
method calls."""

from __future__ import annotations

from pathlib import PurePosixPath

from tree_sitter import Node

from generator.inventory.load import load_inventory
from generator.inventory.validation import parse_inventory
from generator.plan.outputs import (
    DISCOVERY_SCRIPT_NAME,
    PRODUCTION_FOLDER,
    ArtifactKind,
)
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.paths import INVENTORIES
from tests.support.pwsh_oracle import node_text as text
from tests.support.pwsh_oracle import nodes

PRODUCTION_PATH = PurePosixPath(PRODUCTION_FOLDER, DISCOVERY_SCRIPT_NAME)


def script_functions(root: Node) -> dict[str, Node]:
    found = {}
    for statement in nodes(root, "function_statement"):
        name = next(c for c in statement.children if c.type == "function_name")
        found[text(name)] = statement
    return found


def top_level_statements(root: Node) -> list[Node]:
    body = next(c for c in root.named_children if c.type == "statement_list")
    return [c for c in body.named_children if c.type != "comment"]


def variable_assignments(scope: Node) -> dict[str, Node]:
    """``$name = value`` below ``scope``: lower-case name -> value node."""
    found = {}
    for node in nodes(scope, "assignment_expression"):
        value = node.child_by_field_name("value")
        assert value is not None
        found[text(node.children[0]).strip().lower()] = value
    return found


def single_quoted(node: Node) -> list[str]:
    return [
        text(n)[1:-1].replace("''", "'")
        for n in nodes(node, "verbatim_string_characters")
    ]


def member_calls(node: Node) -> list[tuple[str, str, Node]]:
    """(object text, member, node) of every ``x.Member(...)`` below ``node``."""
    found = []
    for call in nodes(node, "invocation_expression"):
        member = next((c for c in call.children if c.type == "member_name"), None)
        if member is not None:
            found.append((text(call.children[0]), text(member), call))
    return found


def script_bytes(art: RenderedArtifact) -> bytes:
    return encode_text(art.text, ArtifactKind.POWERSHELL)


def root_of(data: bytes) -> Node:
    return ps.parse(data).root_node


def method_arguments(call: Node) -> list[str]:
    """The top-level arguments of ``x.Member(a, b, ...)`` as text."""
    arguments = next(c for c in call.children if c.type == "argument_list")
    expressions = next(
        (c for c in arguments.named_children if c.type == "argument_expression_list"),
        None,
    )
    found = expressions.named_children if expressions is not None else []
    return [text(a).strip() for a in found if a.type == "argument_expression"]


def production_servers(stem: str) -> list[str]:
    """Read from the inventory itself, not through the plan."""
    inventory = parse_inventory(load_inventory(INVENTORIES / f"{stem}.yaml"))
    return [server.name for server in inventory.production.servers]
