"""Where a credential flows in a generated script: a small taint analysis over
the tree-sitter-pwsh parse tree (sources: Get-Credential and its wrappers,
.Password, GetNetworkCredential; sinks: host, output, file and transcript
writers)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from tree_sitter import Node

from generator.plan.outputs import ArtifactKind
from generator.render.artifacts import RenderedArtifact, encode_text
from tests.support import pwsh_oracle as ps
from tests.support.pwsh_oracle import walk


def text(node: Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8")


@functools.lru_cache(maxsize=8)
def root(data: bytes) -> Node:
    return ps.parse(data).root_node


def same(a: Node | None, b: Node | None) -> bool:
    """Node identity across lookups: the same span of the same tree."""
    if a is None or b is None:
        return a is b
    return (a.start_byte, a.end_byte, a.type) == (b.start_byte, b.end_byte, b.type)


def var_name(node: Node, data: bytes) -> str:
    """``$script:Foo`` / ``${Foo}`` -> ``foo``."""
    name = text(node, data).lstrip("$").strip("{}").casefold()
    for scope in ("script:", "global:", "local:", "private:"):
        name = name.removeprefix(scope)
    return name


def ancestors(node: Node) -> Iterator[Node]:
    current = node.parent
    while current is not None:
        yield current
        current = current.parent


def first_child(node: Node, kind: str) -> Node | None:
    return next((c for c in node.children if c.type == kind), None)


def function_body(data: bytes, name: str) -> Node:
    for node in walk(root(data)):
        if node.type == "function_statement":
            fname = first_child(node, "function_name")
            if fname is not None and text(fname, data).casefold() == name.casefold():
                return node
    raise AssertionError(f"function {name} not found")


def enclosing_function(node: Node, data: bytes) -> str | None:
    for parent in ancestors(node):
        if parent.type == "function_statement":
            fname = first_child(parent, "function_name")
            return None if fname is None else text(fname, data)
    return None


def should_process_block(node: Node, data: bytes) -> Node | None:
    """The nearest ``if ($PSCmdlet.ShouldProcess(...)) { }`` block around node."""
    child = node
    for parent in ancestors(node):
        if child.type == "statement_block" and parent.type in {
            "if_statement",
            "elseif_clause",
        }:
            condition = parent.child_by_field_name("condition")
            if condition is not None and re.search(
                r"\$PSCmdlet\.ShouldProcess\(", text(condition, data), re.I
            ):
                return child
        child = parent
    return None


def statement(node: Node) -> Node:
    """The pipeline (or flow statement) a node belongs to, up to its block."""
    found = node
    for parent in ancestors(node):
        if parent.type in {"pipeline", "flow_control_statement"}:
            found = parent
        if parent.type in {"statement_list", "statement_block", "script_block"}:
            break
    return found


def base_variable(left: Node, data: bytes) -> str | None:
    """``$x`` of ``$x = ...``, ``$x.Member = ...`` or ``$x[$i] = ...``."""
    found = next((n for n in walk(left) if n.type == "variable"), None)
    return None if found is None else var_name(found, data)


def variables(node: Node, data: bytes) -> set[str]:
    return {var_name(n, data) for n in walk(node) if n.type == "variable"}


def member_names(node: Node, data: bytes) -> set[str]:
    return {text(n, data).casefold() for n in walk(node) if n.type == "member_name"}


def command_names(node: Node, data: bytes) -> set[str]:
    found: set[str] = set()
    for n in walk(node):
        if n.type == "command":
            name = n.child_by_field_name("command_name")
            if name is not None:
                found.add(text(name, data).casefold())
    return found


def assignments(data: bytes) -> Iterator[tuple[Node, Node, Node]]:
    """(assignment, left side, value) for every ``x = ...`` in the script."""
    for node in walk(root(data)):
        if node.type == "assignment_expression":
            left = first_child(node, "left_assignment_expression")
            value = first_child(node, "assignment_value")
            if left is not None and value is not None:
                yield node, left, value


SOURCE_COMMANDS = {"get-credential", "get-drcredential"}


SOURCE_MEMBERS = {"getnetworkcredential", "password"}


SOURCE_VARIABLES = {"credential", "credentialcache"}


#: Commands whose arguments end up on the host, in an output stream, in a file or
#: in the transcript. Every Write-* (including the Write-Dr* helpers) counts.
WRITERS = {
    "out-file",
    "out-host",
    "out-default",
    "out-string",
    "out-printer",
    "set-content",
    "add-content",
    "export-clixml",
    "export-csv",
    "tee-object",
    "start-transcript",
    "convertto-json",
    "new-item",
    "set-item",
    "set-itemproperty",
    "new-itemproperty",
    "new-eventlog",
}


WRITER_METHODS = {
    "writealltext",
    "writealllines",
    "writeallbytes",
    "appendalltext",
    "appendalllines",
    "writeline",
    "write",
    "save",
}


#: Methods that put their argument into the object they are called on.
COLLECTING_METHODS = {"add", "addrange", "insert", "push", "enqueue"}


#: Members of a credential-tainted object that carry no secret.
SAFE_MEMBERS = {"username", "exitcode", "returnvalue", "count"}


Key = tuple[str, str]  # (function name or "" for the script scope, variable)


def scope_key(node: Node, data: bytes) -> Key:
    """Where a variable lives: its function, or the script for ``$script:x``."""
    raw = text(node, data).lstrip("$").strip("{}").casefold()
    if raw.startswith(("script:", "global:")):
        return "", var_name(node, data)
    return (enclosing_function(node, data) or "").casefold(), var_name(node, data)


def is_tainted(node: Node, data: bytes, tainted: set[Key]) -> bool:
    scope, name = scope_key(node, data)
    # A function reads the script's variables too (dynamic scoping).
    return (scope, name) in tainted or ("", name) in tainted


def tainted_references(node: Node, data: bytes, tainted: set[Key]) -> list[str]:
    """Tainted variables used in node, except through a SAFE_MEMBERS access."""
    found: list[str] = []
    for n in walk(node):
        if n.type != "variable" or not is_tainted(n, data, tainted):
            continue
        parent = n.parent
        member = None if parent is None else first_child(parent, "member_name")
        if (
            parent is not None
            and parent.type == "member_access"
            and member is not None
            and text(member, data).casefold() in SAFE_MEMBERS
        ):
            continue
        found.append(var_name(n, data))
    return found


def is_writer(name: str) -> bool:
    plain = name.casefold()
    return plain in WRITERS or plain.startswith("write-")


def tainted_variables(data: bytes) -> set[Key]:
    """Variables that may hold a credential or a password, to a fixpoint.

    Per function (PowerShell variables are local unless ``$script:``). ``$a =
    $b.Method(...)`` links both ways (``$node`` is a part of ``$document``), and a
    tainted ``$x.Member = ...`` or ``$x[...] = ...`` taints ``$x``.
    """
    tainted: set[Key] = {("", name) for name in SOURCE_VARIABLES}
    pairs = list(assignments(data))
    loops = [n for n in walk(root(data)) if n.type == "foreach_statement"]
    calls = [n for n in walk(root(data)) if n.type == "invocation_expression"]
    changed = True
    while changed:
        changed = False

        def taint(key: Key) -> None:
            nonlocal changed
            if key not in tainted:
                tainted.add(key)
                changed = True

        for _, left, value in pairs:
            target = next((n for n in walk(left) if n.type == "variable"), None)
            if target is None:
                continue
            dirty = (
                tainted_references(value, data, tainted)
                or member_names(value, data) & SOURCE_MEMBERS
                or command_names(value, data) & SOURCE_COMMANDS
            )
            if dirty:
                taint(scope_key(target, data))
            # $node = $document.SelectSingleNode(...): $node is a part of $document.
            # Only for a plain variable on the left: in $x.Member = $y.Other, the
            # value is not a part of $y's owner.
            owner = next((n for n in walk(value) if n.type == "variable"), None)
            if (
                owner is not None
                and text(left, data).strip() == text(target, data)
                and is_tainted(target, data, tainted)
                and text(value, data).startswith(text(owner, data) + ".")
            ):
                taint(scope_key(owner, data))
        # $list.Add($secret): the collection now holds the secret.
        for call in calls:
            member = first_child(call, "member_name")
            receiver = call.named_children[0] if call.named_children else None
            arguments = first_child(call, "argument_list")
            if (
                member is not None
                and text(member, data).casefold() in COLLECTING_METHODS
                and receiver is not None
                and receiver.type == "variable"
                and arguments is not None
                and tainted_references(arguments, data, tainted)
            ):
                taint(scope_key(receiver, data))
        for loop in loops:
            loop_var = first_child(loop, "variable")
            source = first_child(loop, "pipeline")
            if (
                loop_var is not None
                and source is not None
                and tainted_references(source, data, tainted)
            ):
                taint(scope_key(loop_var, data))
    return tainted


def is_bare_expression(node: Node, data: bytes) -> bool:
    """A statement that is only a value (no assignment, no command, not a call of
    a method other than GetNetworkCredential): PowerShell writes it to output."""
    if node.type != "pipeline" or node.parent is None:
        return False
    if node.parent.type != "statement_list":
        return False
    if any(n.type in {"assignment_expression", "command"} for n in walk(node)):
        return False
    top = node
    while len(top.named_children) == 1:
        top = top.named_children[0]
    if top.type == "invocation_expression":
        member = first_child(top, "member_name")
        return member is not None and text(member, data).casefold() in SOURCE_MEMBERS
    return True


def leaks(data: bytes) -> list[str]:
    """Writers (commands, throw, file methods) whose statement touches a secret."""
    tainted = tainted_variables(data)
    found: list[str] = []

    def touches(node: Node) -> bool:
        return bool(
            tainted_references(node, data, tainted)
            or member_names(node, data) & SOURCE_MEMBERS
            or command_names(node, data) & SOURCE_COMMANDS
        )

    for node in walk(root(data)):
        line = node.start_point[0] + 1
        if is_bare_expression(node, data) and touches(node):
            found.append(f"{line}: {text(node, data)[:80]}")
        elif node.type == "command":
            name = node.child_by_field_name("command_name")
            if name is None or not is_writer(text(name, data)):
                continue
            if touches(statement(node)):
                found.append(f"{line}: {text(statement(node), data)[:80]}")
        elif node.type == "flow_control_statement" and text(node, data).startswith(
            "throw"
        ):
            if touches(node):
                found.append(f"{line}: {text(node, data)[:80]}")
        elif node.type == "invocation_expression":
            member = first_child(node, "member_name")
            if member is None or text(member, data).casefold() not in WRITER_METHODS:
                continue
            if text(node, data).startswith("$document.Save($temporary)"):
                continue  # the answer-file copy in the private folder, checked below
            if touches(node):
                found.append(f"{line}: {text(node, data)[:80]}")
    return found


def script_pairs(
    all_artifacts: list[RenderedArtifact], name: str | None = None
) -> list[tuple[RenderedArtifact, bytes]]:
    found = [
        (a, encode_text(a.text, ArtifactKind.POWERSHELL))
        for a in all_artifacts
        if a.kind is ArtifactKind.POWERSHELL and (name is None or a.path.name == name)
    ]
    assert found
    return found
